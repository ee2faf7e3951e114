/* analysis/compare.h - two runs side by side. Most concept scenarios are "with vs
 * without" (fencing on or off, a timeout of 1 s or 5 s), so every number of the two runs'
 * reports is put on one row per name: run facts, messages by fate, operations and their
 * latency percentiles, timeouts by cause, inversions, faults, violations, and every row
 * of `metrics` (not only the first that `report` lists). A name only one run has keeps
 * an empty cell on the other side. */
#ifndef ANALYSIS_COMPARE_H
#define ANALYSIS_COMPARE_H

#include <stdbool.h>
#include <stddef.h>

#include "db.h"
#include "report.h"

enum an_cmp_unit {
    AN_CMP_COUNT, /* an integer count */
    AN_CMP_NS,    /* a duration in ns */
    AN_CMP_VALUE, /* any other number (a ratio, a rate) */
};

#define AN_CMP_SIDES 2

struct an_cmp_row {
    char section[16];  /* "run", "messages", "ops", "timeouts", "clocks", "metrics" */
    char name[96];
    enum an_cmp_unit unit;
    char unit_text[16]; /* as the metrics table names it; "" for the report's own rows */
    bool has[AN_CMP_SIDES];
    double value[AN_CMP_SIDES];
};

struct an_compare {
    struct an_cmp_row *rows; /* sections in a fixed order; within one, the order A then B
                                first wrote them */
    size_t count, cap;
};

/* Adds side `side` (0 = A, 1 = B): the run's report rows and every row of its metrics.
 * Call once per side, A first. Returns 0, or -1 with err (out of memory, a bad record). */
int an_compare_add(struct an_compare *cmp, int side, struct an_db *db, const struct an_run *run,
                   const struct an_report *report, char *err, size_t err_bytes);
void an_compare_free(struct an_compare *cmp);

/* True when the row holds the same value on both sides (both present and equal). */
bool an_cmp_row_is_same(const struct an_cmp_row *row);

#endif
