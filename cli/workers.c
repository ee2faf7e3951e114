/* cli/workers.c - forked workers streaming records to the parent over pipes; see
 * workers.h. Moved out of cmd_sweep.c so that search forks the same way. */
#include "workers.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

bool cli_buf_put(struct cli_buf *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = (b->cap ? b->cap * 2 : 4096) + n;
        unsigned char *grown = realloc(b->bytes, cap);
        if (!grown) return false;
        b->bytes = grown;
        b->cap = cap;
    }
    memcpy(b->bytes + b->len, p, n);
    b->len += n;
    return true;
}

static bool write_all(int fd, const unsigned char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

bool cli_worker_send(int fd, const void *bytes, size_t len)
{
    if (len > UINT32_MAX) return false;
    uint32_t len32 = (uint32_t)len;
    return write_all(fd, (const unsigned char *)&len32, sizeof len32) &&
           write_all(fd, bytes, len);
}

/* Hands over every whole record buffered from one worker; keeps a partial one. */
static bool drain(const struct cli_workers *w, struct cli_buf *b)
{
    size_t at = 0;
    bool ok = true;
    while (ok && b->len - at >= sizeof(uint32_t)) {
        uint32_t len;
        memcpy(&len, b->bytes + at, sizeof len);
        if (b->len - at - sizeof len < len) break;
        ok = w->receive(w->ctx, b->bytes + at + sizeof len, len);
        at += sizeof len + len;
    }
    memmove(b->bytes, b->bytes + at, b->len - at);
    b->len -= at;
    return ok;
}

int cli_workers_run(const struct cli_workers *w)
{
    size_t jobs = w->jobs;
    if (jobs < 1 || jobs > CLI_JOBS_MAX) return CLI_EXIT_USAGE;
    pid_t pids[CLI_JOBS_MAX];
    struct pollfd fds[CLI_JOBS_MAX];
    struct cli_buf bufs[CLI_JOBS_MAX];
    memset(bufs, 0, sizeof bufs);
    fflush(NULL);
    size_t started = 0;
    for (; started < jobs; started++) {
        int p[2];
        if (pipe(p) != 0) break;
        pid_t pid = fork();
        if (pid < 0) {
            close(p[0]);
            close(p[1]);
            break;
        }
        if (pid == 0) {
            close(p[0]);
            for (size_t i = 0; i < started; i++) close(fds[i].fd);
            int status = w->work(w->ctx, started, p[1]);
            close(p[1]);
            _exit(status);
        }
        close(p[1]);
        pids[started] = pid;
        fds[started] = (struct pollfd){.fd = p[0], .events = POLLIN};
    }
    int status = started == jobs ? CLI_EXIT_OK : CLI_EXIT_IO;
    if (status != CLI_EXIT_OK) cli_error("%s: cannot start %zu workers", w->what, jobs);
    size_t open_count = started;
    bool is_forwarded = false;
    while (open_count && status == CLI_EXIT_OK) {
        /* SIGINT/SIGTERM sent to the parent alone (kill PID, a service manager) reaches
         * the workers too: each ends its current run and exits, and what they sent
         * before is still handed over. The timeout catches a signal that arrived between
         * the check and poll. */
        if (cli_interrupt && !is_forwarded) {
            for (size_t i = 0; i < started; i++) kill(pids[i], (int)cli_interrupt);
            is_forwarded = true;
        }
        if (poll(fds, started, 100) < 0) {
            if (errno == EINTR) continue;
            status = CLI_EXIT_IO;
            break;
        }
        for (size_t i = 0; i < started && status == CLI_EXIT_OK; i++) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            unsigned char chunk[65536];
            ssize_t n = read(fds[i].fd, chunk, sizeof chunk);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                close(fds[i].fd);
                fds[i].fd = -1;
                open_count--;
                if (bufs[i].len) status = CLI_EXIT_IO; /* a torn record */
                continue;
            }
            if (!cli_buf_put(&bufs[i], chunk, (size_t)n) || !drain(w, &bufs[i]))
                status = CLI_EXIT_IO;
        }
    }
    for (size_t i = 0; i < started; i++) {
        if (fds[i].fd >= 0) close(fds[i].fd);
        free(bufs[i].bytes);
        if (status != CLI_EXIT_OK) kill(pids[i], SIGTERM);
        int wstatus = 0;
        while (waitpid(pids[i], &wstatus, 0) < 0 && errno == EINTR) {}
        int child = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
        bool is_interrupted = cli_interrupt && child == 128 + (int)cli_interrupt;
        if (child != CLI_EXIT_OK && status == CLI_EXIT_OK && !is_interrupted) {
            cli_error("%s: worker %zu of %zu failed (exit %d)", w->what, i + 1, jobs, child);
            status = child;
        }
    }
    return status;
}
