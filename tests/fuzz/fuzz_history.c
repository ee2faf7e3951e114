/* tests/fuzz/fuzz_history.c - the JSONL history reader of `murphy check --history` on any
 * bytes, and when they read as a history, the linearizability checker on it with a small
 * budget: a verdict or "unknown", never a crash. */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "analysis/history.h"
#include "analysis/linearizability.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20)) return 0;
    int fd = memfd_create("history.jsonl", 0);
    if (fd < 0) return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    char path[64], err[512];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    struct lin_history h = {0};
    if (an_history_load_jsonl(path, &h, err, sizeof err) == AN_HISTORY_OK) {
        struct lin_limits lim = {.step_budget = 20000, .memo_bytes_max = 1u << 20};
        for (int m = 0; m < 2; m++) {
            struct lin_result r;
            if (lin_check(&h, m ? LIN_MODEL_KV : LIN_MODEL_REGISTER, &lim, &r, err, sizeof err) == 0)
                lin_result_free(&r);
        }
    }
    lin_history_free(&h);
    close(fd);
    return 0;
}
