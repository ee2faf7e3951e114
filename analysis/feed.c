/* analysis/feed.c - a recorded run played back with its texts; see feed.h.
 *
 * Texts live beside the events: an invoke's in ops (by invoke_seq), a completion's
 * result in ops (by complete_seq), notes and claims in annotations, a model's violation
 * in violations. Each is walked by its own cursor in seq order, beside the events, and
 * checked against the hash its event carries in arg, so a record edited after the fact is
 * named rather than fed. */
#include "feed.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* One side table read in seq order. */
struct cursor {
    sqlite3_stmt *stmt;
    bool has_row;
};

static int cursor_open(struct cursor *c, sqlite3 *db, const char *sql, int64_t run_id,
                       char *err, size_t err_bytes)
{
    c->has_row = false;
    if (sqlite3_prepare_v2(db, sql, -1, &c->stmt, NULL) != SQLITE_OK) {
        snprintf(err, err_bytes, "reading texts: %s", sqlite3_errmsg(db));
        sqlite3_finalize(c->stmt);
        c->stmt = NULL;
        return -1;
    }
    sqlite3_bind_int64(c->stmt, 1, run_id);
    c->has_row = sqlite3_step(c->stmt) == SQLITE_ROW;
    return 0;
}

/* Advances to the row for seq; true if there is one (its columns 1.. are the texts). */
static bool cursor_at(struct cursor *c, uint64_t seq)
{
    while (c->has_row && (uint64_t)sqlite3_column_int64(c->stmt, 0) < seq)
        c->has_row = sqlite3_step(c->stmt) == SQLITE_ROW;
    return c->has_row && (uint64_t)sqlite3_column_int64(c->stmt, 0) == seq;
}

static const char *column_text(const struct cursor *c, int column)
{
    return (const char *)sqlite3_column_text(c->stmt, column);
}

enum { INVOKES, COMPLETIONS, ANNOTATIONS, VIOLATIONS, CURSOR_COUNT };

static const char *const cursor_sql[CURSOR_COUNT] = {
    [INVOKES] = "SELECT invoke_seq, f, key, value FROM ops WHERE run_id=?1 ORDER BY invoke_seq",
    [COMPLETIONS] = "SELECT complete_seq, result FROM ops WHERE run_id=?1 AND complete_seq IS"
                    " NOT NULL ORDER BY complete_seq",
    [ANNOTATIONS] = "SELECT seq, text FROM annotations WHERE run_id=?1 AND kind IN ('note',"
                    "'claim') ORDER BY seq, rowid",
    [VIOLATIONS] = "SELECT seq, text FROM violations WHERE run_id=?1 AND source='model' ORDER"
                   " BY seq, rowid",
};

/* The texts of ev from the side tables, checked against its hash; -1 when they differ. */
static int texts_of(struct cursor *c, const struct sim_event *ev, struct sim_event_text *text)
{
    *text = (struct sim_event_text){{NULL, NULL, NULL}};
    int which = -1;
    switch (ev->kind) {
    case SIM_EV_OP_INVOKE: which = INVOKES; break;
    case SIM_EV_OP_COMPLETE: which = COMPLETIONS; break;
    case SIM_EV_NOTE:
    case SIM_EV_CLAIM: which = ANNOTATIONS; break;
    case SIM_EV_VIOLATION: which = VIOLATIONS; break;
    default: return 0;
    }
    if (!cursor_at(&c[which], ev->seq)) return -1;
    for (int i = 0; i < (which == INVOKES ? 3 : 1); i++) text->s[i] = column_text(&c[which], i + 1);
    if (ev->kind == SIM_EV_OP_INVOKE) return 0; /* its arg hashes three texts; ops holds them */
    return sim_text_hash(text->s[0]) == ev->arg ? 0 : -1;
}

int an_feed_run(struct an_db *db, const struct an_run *run, const struct sim_observer *observer,
                char *err, size_t err_bytes)
{
    struct cursor c[CURSOR_COUNT] = {{0}};
    struct an_event_iter *it = NULL;
    int rc = 0;
    for (int i = 0; i < CURSOR_COUNT && rc == 0; i++)
        rc = cursor_open(&c[i], an_db_sqlite(db), cursor_sql[i], run->id, err, err_bytes);
    if (rc == 0) rc = an_events_open(db, run, &it, err, err_bytes);
    struct sim_event ev;
    int got = 0;
    while (rc == 0 && (got = an_events_next(it, &ev, err, err_bytes)) > 0) {
        struct sim_event_text text;
        if (texts_of(c, &ev, &text) != 0) {
            snprintf(err, err_bytes, "damaged record: run %" PRId64 " event %" PRIu64
                     " (%s) has no matching text", run->id, ev.seq, sim_event_kind_name(ev.kind));
            rc = -1;
            break;
        }
        observer->on_event(observer->ctx, &ev, &text);
    }
    if (got < 0) rc = -1;
    an_events_close(it);
    for (int i = 0; i < CURSOR_COUNT; i++) sqlite3_finalize(c[i].stmt);
    return rc;
}
