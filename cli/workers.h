/* cli/workers.h - J forked worker processes that stream length-prefixed records to the
 * parent over one pipe each; what sweep and search use for --jobs. Workers are forked
 * before the parent opens any database, and only the parent writes what it receives.
 * Why a pipe and not a database per worker: nothing to clean up after a crash, no SQLite
 * lock contention, and a worker that dies shows as a short stream and an exit status the
 * parent reports. Records are in host byte order: parent and child are one binary. */
#ifndef CLI_WORKERS_H
#define CLI_WORKERS_H

#include <stdbool.h>
#include <stddef.h>

/* A growable byte buffer. */
struct cli_buf {
    unsigned char *bytes; /* owned; free() */
    size_t len, cap;
};
bool cli_buf_put(struct cli_buf *b, const void *p, size_t n);

struct cli_workers {
    size_t jobs;      /* 1..CLI_JOBS_MAX */
    const char *what; /* names the command in messages ("sweep") */
    void *ctx;
    /* In worker `index` (0..jobs-1), after the fork: does its share, sending each result
     * with cli_worker_send(fd, ...); returns the worker's exit status. */
    int (*work)(void *ctx, size_t index, int fd);
    /* In the parent, each record as it arrives; false if it is malformed or cannot be
     * kept, which stops the workers (exit 3). */
    bool (*receive)(void *ctx, const unsigned char *bytes, size_t len);
};

#define CLI_JOBS_MAX 256

/* In a worker: sends one record. False if the parent is gone. */
bool cli_worker_send(int fd, const void *bytes, size_t len);

/* Forks the workers, hands the parent every record as it comes (poll: a worker never
 * blocks on a full pipe while the parent waits on another), then reaps them. Returns 0,
 * or the first failing worker's exit status (reported), or 3. */
int cli_workers_run(const struct cli_workers *w);

#endif
