/* sim/diag.c - filling and formatting diagnostics; see diag.h. */
#include "diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int sim_diag_set(struct sim_diag *diag, int code, const char *file, int line, int column,
                 const char *fmt, ...)
{
    if (!diag) return code;
    if (file) snprintf(diag->file, sizeof diag->file, "%s", file);
    diag->line = line;
    diag->column = column;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(diag->message, sizeof diag->message, fmt, ap);
    va_end(ap);
    return code;
}

void sim_diag_format(const struct sim_diag *diag, char *out, size_t out_bytes)
{
    if (diag->line > 0 && diag->column > 0)
        snprintf(out, out_bytes, "%s:%d:%d: error: %s", diag->file, diag->line, diag->column,
                 diag->message);
    else if (diag->line > 0)
        snprintf(out, out_bytes, "%s:%d: error: %s", diag->file, diag->line, diag->message);
    else if (diag->file[0])
        snprintf(out, out_bytes, "%s: error: %s", diag->file, diag->message);
    else
        snprintf(out, out_bytes, "error: %s", diag->message);
}

const char *sim_strerror(int code)
{
    switch (code) {
    case SIM_OK: return "success";
    case SIM_EINPUT: return "bad input";
    case SIM_EIO: return "I/O error";
    case SIM_ENOMEM: return "out of memory";
    case SIM_ELIMIT: return "input passes a limit";
    case SIM_EDB: return "database error";
    default: return "unknown error";
    }
}
