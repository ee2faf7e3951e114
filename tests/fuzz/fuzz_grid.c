/* tests/fuzz/fuzz_grid.c - the grammar of `murphy sweep --set` (fixed values, ranges
 * A..B/STEP of durations or numbers, quoted lists) on any bytes: the input is split at
 * newlines into up to 8 arguments. Beyond "no crash": every swept value is a whole
 * "KEY=VALUE" argument with the key it came from, and no axis passes its bound. */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/grid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ARGS_MAX 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096) return 0;
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    const char *sets[ARGS_MAX];
    size_t set_count = 0;
    for (char *save = NULL, *arg = strtok_r(text, "\n", &save); arg && set_count < ARGS_MAX;
         arg = strtok_r(NULL, "\n", &save))
        sets[set_count++] = arg;
    const char *base[ARGS_MAX];
    size_t base_count = 0, axis_count = 0;
    struct grid_axis *axes = calloc(ARGS_MAX, sizeof *axes);
    if (axes && grid_parse(sets, set_count, base, &base_count, axes, &axis_count) == 0) {
        assert(base_count + axis_count == set_count);
        for (size_t i = 0; i < axis_count; i++) {
            assert(axes[i].count >= 1 && axes[i].count <= GRID_VALUES_MAX);
            const char *eq = strchr(axes[i].values[0], '=');
            assert(eq && eq != axes[i].values[0]);
            size_t key_len = (size_t)(eq - axes[i].values[0]);
            for (size_t v = 0; v < axes[i].count; v++)
                assert(strncmp(axes[i].values[v], axes[i].values[0], key_len + 1) == 0);
        }
    }
    if (axes) grid_axes_free(axes, axis_count);
    free(axes);
    free(text);
    return 0;
}
