/* cli/grid.h - the grammar of a sweep's --set arguments: `K=V` is a fixed override,
 * `K=A..B/STEP` a range (durations with units, or plain numbers with the decimals of the
 * most precise of A and STEP; B included despite rounding) and `K=V1,V2,...` a list,
 * values in double quotes when they hold a comma. Every swept value comes out as a
 * complete "K=V" argument, as `murphy run --set` takes it. Errors name the argument. */
#ifndef CLI_GRID_H
#define CLI_GRID_H

#include <stddef.h>

#define GRID_SETS_MAX 64      /* --set arguments of one sweep */
#define GRID_VALUES_MAX 4096  /* values of one swept key */

/* One swept key: its values as --set arguments ("k=v"), owned. */
struct grid_axis {
    char *values[GRID_VALUES_MAX];
    size_t count;
};

/* Splits sets (at most GRID_SETS_MAX) into fixed overrides (pointers to the arguments,
 * into base) and swept axes (axes: room for set_count). Returns 0, or -1 with the error
 * printed; either way the caller frees the axes with grid_axes_free(axes, *axis_count). */
int grid_parse(const char *const *sets, size_t set_count, const char **base, size_t *base_count,
               struct grid_axis *axes, size_t *axis_count);
void grid_axes_free(struct grid_axis *axes, size_t axis_count);

#endif
