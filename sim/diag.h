/* sim/diag.h - error codes and diagnostics for input the kernel reads (scenario files,
 * overrides). A diagnostic names where the problem is and what was expected; only cli/
 * prints it, in the compiler style `file:line:column: error: message`. */
#ifndef SIM_DIAG_H
#define SIM_DIAG_H

#include <stddef.h>

/* Negative return codes shared by the kernel's loaders. */
enum sim_err {
    SIM_OK = 0,
    SIM_EINPUT = -1, /* the input is wrong: diag says where and why (exit 2); a scenario
                        path that does not exist or cannot be read is wrong input too */
    SIM_EIO = -2,    /* reading or writing failed for the system's reasons (exit 3) */
    SIM_ENOMEM = -3, /* allocation failed */
    SIM_ELIMIT = -4, /* the input passes a declared limit (exit 2) */
    SIM_EDB = -5,    /* the database refused (exit 3) */
};

#define SIM_DIAG_FILE_MAX 512
#define SIM_DIAG_MESSAGE_MAX 1024

struct sim_diag {
    char file[SIM_DIAG_FILE_MAX]; /* "scenarios/x.ini", or "--set" for an override */
    int line;                     /* 1-based; 0 when not about a line */
    int column;                   /* 1-based; 0 when unknown */
    char message[SIM_DIAG_MESSAGE_MAX];
};

/* Fills diag (printf-style message) and returns code; file may be NULL (kept as is). */
int sim_diag_set(struct sim_diag *diag, int code, const char *file, int line, int column,
                 const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 6, 7)))
#endif
    ;

/* Formats `file:line:column: error: message` into out (always NUL-terminated). */
void sim_diag_format(const struct sim_diag *diag, char *out, size_t out_bytes);

const char *sim_strerror(int code);

#endif
