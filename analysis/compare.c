/* analysis/compare.c - two runs' numbers matched by name, one row each (see compare.h). */
#include "compare.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

/* The sections in the order they print; a row's place is its section's, then first seen. */
static const char *const section_order[] = {"run", "messages", "ops", "timeouts", "faults",
                                            "metrics"};
#define SECTION_COUNT (sizeof section_order / sizeof section_order[0])

static size_t section_rank(const char *section)
{
    for (size_t i = 0; i < SECTION_COUNT; i++)
        if (strcmp(section, section_order[i]) == 0) return i;
    assert(!"unknown compare section");
    return SECTION_COUNT;
}

/* The row for (section, name), created in its section's place if new; NULL when out of
 * memory. Linear: reports have a few hundred rows at most. */
static struct an_cmp_row *row_for(struct an_compare *cmp, const char *section, const char *name)
{
    size_t rank = section_rank(section), at = cmp->count;
    for (size_t i = 0; i < cmp->count; i++) {
        if (strcmp(cmp->rows[i].section, section) == 0 && strcmp(cmp->rows[i].name, name) == 0)
            return &cmp->rows[i];
        if (at == cmp->count && section_rank(cmp->rows[i].section) > rank) at = i;
    }
    if (cmp->count == cmp->cap) {
        size_t cap = cmp->cap ? cmp->cap * 2 : 64;
        struct an_cmp_row *rows = realloc(cmp->rows, cap * sizeof *rows);
        if (!rows) return NULL;
        cmp->rows = rows;
        cmp->cap = cap;
    }
    memmove(&cmp->rows[at + 1], &cmp->rows[at], (cmp->count - at) * sizeof *cmp->rows);
    cmp->count++;
    struct an_cmp_row *row = &cmp->rows[at];
    *row = (struct an_cmp_row){.unit = AN_CMP_COUNT};
    snprintf(row->section, sizeof row->section, "%s", section);
    snprintf(row->name, sizeof row->name, "%s", name);
    return row;
}

static int put(struct an_compare *cmp, int side, const char *section, const char *name,
               enum an_cmp_unit unit, double value)
{
    struct an_cmp_row *row = row_for(cmp, section, name);
    if (!row) return -1;
    row->unit = unit;
    row->has[side] = true;
    row->value[side] = value;
    return 0;
}

static int add_report(struct an_compare *cmp, int side, const struct an_run *run,
                      const struct an_report *r)
{
    int rc = put(cmp, side, "run", "events", AN_CMP_COUNT, (double)run->event_count);
    rc |= put(cmp, side, "run", "simulated", AN_CMP_NS, (double)run->end_ns);
    rc |= put(cmp, side, "run", "violations", AN_CMP_COUNT, (double)r->violation_count);
    rc |= put(cmp, side, "run", "notes", AN_CMP_COUNT, (double)r->note_count);
    for (size_t i = 0; i < r->fate_count; i++)
        rc |= put(cmp, side, "messages", r->fates[i].name, AN_CMP_COUNT, (double)r->fates[i].count);
    rc |= put(cmp, side, "messages", "delivered before their send (wall)", AN_CMP_COUNT,
              (double)r->inverted_delivery_count);
    rc |= put(cmp, side, "messages", "replies before their request (wall)", AN_CMP_COUNT,
              (double)r->inverted_reply_count);
    static const char *const quantile_names[5] = {"p50", "p90", "p99", "p99.9", "max"};
    for (size_t i = 0; i < r->op_count; i++) {
        const struct an_op_stats *op = &r->ops[i];
        char name[96];
        snprintf(name, sizeof name, "%.48s ok", op->f);
        rc |= put(cmp, side, "ops", name, AN_CMP_COUNT, (double)op->ok);
        snprintf(name, sizeof name, "%.48s fail", op->f);
        rc |= put(cmp, side, "ops", name, AN_CMP_COUNT, (double)op->fail);
        snprintf(name, sizeof name, "%.48s info", op->f);
        rc |= put(cmp, side, "ops", name, AN_CMP_COUNT, (double)op->info);
        if (op->ok == 0) continue; /* no latency to speak of */
        for (int q = 0; q < 5; q++) {
            snprintf(name, sizeof name, "%.48s %s", op->f, quantile_names[q]);
            rc |= put(cmp, side, "ops", name, AN_CMP_NS, op->latency_ns[q]);
        }
    }
    rc |= put(cmp, side, "timeouts", "timeouts", AN_CMP_COUNT, (double)r->timeout_count);
    for (size_t i = 0; i < r->cause_count; i++)
        rc |= put(cmp, side, "timeouts", r->causes[i].name, AN_CMP_COUNT,
                  (double)r->causes[i].count);
    rc |= put(cmp, side, "faults", "faults", AN_CMP_COUNT, (double)r->fault_count);
    rc |= put(cmp, side, "faults", "idle faults", AN_CMP_COUNT, (double)r->idle_fault_count);
    uint64_t gc = 0, by_fault = 0;
    for (size_t i = 0; i < r->pause_count; i++) {
        gc += r->pauses[i].gc_count;
        by_fault += r->pauses[i].fault_count;
    }
    rc |= put(cmp, side, "faults", "gc pauses", AN_CMP_COUNT, (double)gc);
    rc |= put(cmp, side, "faults", "pauses by fault", AN_CMP_COUNT, (double)by_fault);
    return rc ? -1 : 0;
}

/* Every metrics row, by rowid; the ops.* accumulator rows are the ops section already. */
static int add_metrics(struct an_compare *cmp, int side, sqlite3 *db, const struct an_run *run,
                       char *err, size_t err_bytes)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, "SELECT name, value, unit FROM metrics WHERE run_id=?1 AND"
                               " substr(name, 1, 4) <> 'ops.' ORDER BY rowid", -1, &s,
                           NULL) != SQLITE_OK) {
        snprintf(err, err_bytes, "reading metrics: %s", sqlite3_errmsg(db));
        return -1;
    }
    sqlite3_bind_int64(s, 1, run->id);
    int rc, status = 0;
    while (status == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        const unsigned char *name = sqlite3_column_text(s, 0);
        const unsigned char *unit = sqlite3_column_text(s, 2);
        struct an_cmp_row *row = row_for(cmp, "metrics", name ? (const char *)name : "?");
        if (!row) {
            snprintf(err, err_bytes, "out of memory comparing metrics");
            status = -1;
            break;
        }
        row->unit = AN_CMP_VALUE;
        snprintf(row->unit_text, sizeof row->unit_text, "%s", unit ? (const char *)unit : "");
        if (strcmp(row->unit_text, "ns") == 0) row->unit = AN_CMP_NS;
        else if (strcmp(row->unit_text, "count") == 0) row->unit = AN_CMP_COUNT;
        row->has[side] = sqlite3_column_type(s, 1) != SQLITE_NULL;
        row->value[side] = sqlite3_column_double(s, 1);
    }
    if (status == 0 && rc != SQLITE_DONE) {
        snprintf(err, err_bytes, "reading metrics: %s", sqlite3_errmsg(db));
        status = -1;
    }
    sqlite3_finalize(s);
    return status;
}

int an_compare_add(struct an_compare *cmp, int side, struct an_db *db, const struct an_run *run,
                   const struct an_report *report, char *err, size_t err_bytes)
{
    assert(side >= 0 && side < AN_CMP_SIDES);
    if (add_report(cmp, side, run, report) != 0) {
        snprintf(err, err_bytes, "out of memory comparing runs");
        return -1;
    }
    return add_metrics(cmp, side, an_db_sqlite(db), run, err, err_bytes);
}

void an_compare_free(struct an_compare *cmp)
{
    free(cmp->rows);
    *cmp = (struct an_compare){0};
}

bool an_cmp_row_is_same(const struct an_cmp_row *row)
{
    return row->has[0] && row->has[1] && row->value[0] == row->value[1];
}
