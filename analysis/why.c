/* analysis/why.c - walking an event's causes back through the record; see why.h.
 *
 * Every lookup is a SELECT on the events table bounded by the run's rowid range and
 * walked in rowid order (the table's own key: rows of a run are appended in seq order),
 * so "the previous event of node N" or "the send of message M" scans back from the event
 * only as far as the answer; no index is created in a database we only read. */
#include "why.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEEN_SLOTS 4096 /* a power of two, at least twice AN_WHY_LINKS_MAX */
#define FATES_MAX "8"   /* drops/duplicates/corrupts noted per message (in SQL) */
#define TEXTS_BYTES_MAX 2048

_Static_assert(SEEN_SLOTS >= 2 * AN_WHY_LINKS_MAX, "the seen table stays half empty");

#define ROW_SQL "SELECT " AN_EVENT_COLUMNS_SQL ", rowid FROM events WHERE run_id = ?1" \
                " AND rowid BETWEEN ?2 AND ?3"

enum { COL_ROWID = 11 };

struct walker {
    sqlite3 *db;
    const struct an_run *run;
    int64_t rowid_lo, rowid_hi; /* the run's rows */
    uint32_t node_count;
    struct an_why_limits limits;
    struct an_why *why;
    int64_t *rowids;     /* per link: where its event is in the record */
    uint64_t *seen_seq;  /* seq + 1 per slot, 0 = empty */
    int32_t *seen_link;
    char *err;
    size_t err_bytes;
    /* statements, prepared once */
    sqlite3_stmt *on_node;    /* ?4 node, ?5 limit: the node's events before ?3, newest first */
    sqlite3_stmt *kind_obj;   /* ?4 kind ?5 obj (NULL: any) ?6 node (NULL: any): newest */
    sqlite3_stmt *fates;      /* ?4 obj: drops, duplicates, corrupts, clamps in the range */
    sqlite3_stmt *gave_up;    /* ?4 obj: those, its deliveries, and the same for its replies */
    sqlite3_stmt *fault_at;   /* ?4 action name ?5 time: the fault that did it */
    sqlite3_stmt *by_seq;     /* ?4 seq */
};

static int32_t seen_find(const struct walker *w, uint64_t seq)
{
    for (size_t i = (size_t)(seq * 0x9E3779B97F4A7C15u) & (SEEN_SLOTS - 1);; i = (i + 1) & (SEEN_SLOTS - 1)) {
        if (w->seen_seq[i] == 0) return -1;
        if (w->seen_seq[i] == seq + 1) return w->seen_link[i];
    }
}

static void seen_add(struct walker *w, uint64_t seq, int32_t link)
{
    size_t i = (size_t)(seq * 0x9E3779B97F4A7C15u) & (SEEN_SLOTS - 1);
    while (w->seen_seq[i] != 0 && w->seen_seq[i] != seq + 1) i = (i + 1) & (SEEN_SLOTS - 1);
    w->seen_seq[i] = seq + 1;
    w->seen_link[i] = link;
}

static void bind_range(sqlite3_stmt *s, const struct walker *w, int64_t hi)
{
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    sqlite3_bind_int64(s, 1, w->run->id);
    sqlite3_bind_int64(s, 2, w->rowid_lo);
    sqlite3_bind_int64(s, 3, hi);
}

/* Steps s: 1 with *ev (and *rowid) filled, 0 when done, -1 on a damaged row or error. */
static int next_row(struct walker *w, sqlite3_stmt *s, struct sim_event *ev, int64_t *rowid)
{
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) return 0;
    if (rc != SQLITE_ROW) {
        snprintf(w->err, w->err_bytes, "reading events: %s", sqlite3_errmsg(w->db));
        return -1;
    }
    *rowid = sqlite3_column_int64(s, COL_ROWID);
    if (!an_event_decode(s, w->node_count, ev) || ev->seq >= w->run->event_count) {
        snprintf(w->err, w->err_bytes, "damaged record: event row %" PRId64 " does not decode",
                 *rowid);
        return -1;
    }
    return 1;
}

/* Appends a link; -1 when the answer is full (is_truncated set). */
static int32_t add_link(struct walker *w, const struct sim_event *ev, int64_t rowid,
                        int32_t parent, enum an_why_edge edge, uint32_t depth)
{
    struct an_why *why = w->why;
    if (why->count >= AN_WHY_LINKS_MAX) {
        why->is_truncated = true;
        return -1;
    }
    int32_t i = (int32_t)why->count++;
    why->links[i] = (struct an_why_link){.ev = *ev, .parent = parent, .edge = edge,
                                         .depth = depth, .same_as = -1};
    w->rowids[i] = rowid;
    return i;
}

/* The newest event before row `before` of the given kind, and obj / node when >= 0.
 * Returns 1 found, 0 none, -1 error. */
static int find_before(struct walker *w, int64_t before, unsigned kind, int64_t obj,
                       int64_t node, struct sim_event *ev, int64_t *rowid)
{
    sqlite3_stmt *s = w->kind_obj;
    bind_range(s, w, before - 1);
    sqlite3_bind_text(s, 4, sim_event_kind_name(kind), -1, SQLITE_STATIC);
    if (obj >= 0) sqlite3_bind_int64(s, 5, obj);
    if (node >= 0) sqlite3_bind_int64(s, 6, node);
    int rc = next_row(w, s, ev, rowid);
    sqlite3_reset(s);
    return rc;
}

/* A branch from link `parent` to the event that caused it: a new segment to walk (later,
 * breadth first), or a reference to where the event already is, or a cut at the depth. */
static void add_branch(struct walker *w, int32_t parent, enum an_why_edge edge,
                       const struct sim_event *ev, int64_t rowid)
{
    uint32_t depth = w->why->links[parent].depth + 1;
    int32_t seen = seen_find(w, ev->seq);
    int32_t i = add_link(w, ev, rowid, parent, edge, depth);
    if (i < 0) return;
    if (seen >= 0) {
        w->why->links[i].same_as = seen;
        return;
    }
    w->why->links[i].is_cut_by_depth = depth > w->limits.depth_max;
    seen_add(w, ev->seq, i);
}

/* Notes what happened to message obj on its way (rows lo..hi); for a timeout, also where
 * the request arrived and what happened to the replies to it. */
static int add_fates(struct walker *w, int32_t parent, uint64_t obj, int64_t lo, int64_t hi,
                     bool is_gave_up)
{
    sqlite3_stmt *s = is_gave_up ? w->gave_up : w->fates;
    bind_range(s, w, hi);
    sqlite3_bind_int64(s, 2, lo);
    sqlite3_bind_int64(s, 4, (int64_t)obj);
    struct sim_event ev;
    int64_t rowid;
    int rc;
    while ((rc = next_row(w, s, &ev, &rowid)) > 0)
        if (add_link(w, &ev, rowid, parent, AN_WHY_FATE, w->why->links[parent].depth) < 0) break;
    sqlite3_reset(s);
    return rc < 0 ? -1 : 0;
}

/* The scenario fault that did `action` at the event's instant. */
static int add_fault_at(struct walker *w, int32_t link, unsigned action)
{
    const struct sim_event *ev = &w->why->links[link].ev;
    sqlite3_stmt *s = w->fault_at;
    bind_range(s, w, w->rowids[link] - 1);
    sqlite3_bind_text(s, 4, sim_fault_action_name(action), -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 5, ev->time_ns);
    struct sim_event fault;
    int64_t rowid;
    int rc = next_row(w, s, &fault, &rowid);
    sqlite3_reset(s);
    if (rc > 0) add_branch(w, link, AN_WHY_FAULT, &fault, rowid);
    return rc < 0 ? -1 : 0;
}

/* The jumps out of link `link`: where its input came from. A jump to an event of the same
 * node at or after `segment_oldest_seq` is not a branch: the segment walks through it. */
static int add_causes(struct walker *w, int32_t link, uint64_t segment_oldest_seq)
{
    struct sim_event ev = w->why->links[link].ev;
    int64_t at = w->rowids[link];
    struct sim_event cause;
    int64_t rowid;
    int rc = 0;
    enum an_why_edge edge = AN_WHY_PROGRAM;
    switch (ev.kind) {
    case SIM_EV_DELIVER:
        rc = find_before(w, at, SIM_EV_SEND, (int64_t)ev.obj,
                         ev.peer == SIM_NODE_NONE ? -1 : (int64_t)ev.peer, &cause, &rowid);
        edge = AN_WHY_MESSAGE;
        break;
    case SIM_EV_TIMEOUT:
        rc = find_before(w, at, SIM_EV_SEND, (int64_t)ev.obj, -1, &cause, &rowid);
        edge = AN_WHY_GAVE_UP;
        break;
    case SIM_EV_TIMER_FIRE:
        rc = find_before(w, at, SIM_EV_TIMER_SET, (int64_t)ev.obj, ev.node, &cause, &rowid);
        edge = AN_WHY_TIMER;
        break;
    case SIM_EV_WORK_DONE:
        rc = find_before(w, at, SIM_EV_WORK_START, (int64_t)ev.obj, ev.node, &cause, &rowid);
        edge = AN_WHY_WORK;
        break;
    case SIM_EV_RESUME:
        rc = find_before(w, at, SIM_EV_PAUSE, -1, ev.node, &cause, &rowid);
        edge = AN_WHY_PAUSE;
        break;
    case SIM_EV_PAUSE:
        if (ev.aux == SIM_PAUSE_BY_FAULT) {
            rc = find_before(w, at, SIM_EV_FAULT, (int64_t)ev.obj, -1, &cause, &rowid);
            edge = AN_WHY_FAULT;
        }
        break;
    case SIM_EV_CRASH: return add_fault_at(w, link, SIM_FAULT_CRASH);
    case SIM_EV_RESTART: return add_fault_at(w, link, SIM_FAULT_RESTART);
    case SIM_EV_CLOCK_STEP:
        return ev.aux == SIM_CLOCK_BY_FAULT ? add_fault_at(w, link, SIM_FAULT_STEP) : 0;
    case SIM_EV_CLOCK_RATE:
        return ev.aux == SIM_CLOCK_BY_FAULT ? add_fault_at(w, link, SIM_FAULT_DRIFT) : 0;
    default: return 0;
    }
    if (rc < 0) return -1;
    if (rc == 0) return 0;
    bool is_in_segment = cause.node == ev.node && cause.seq >= segment_oldest_seq;
    if (!is_in_segment || edge == AN_WHY_FAULT) add_branch(w, link, edge, &cause, rowid);
    if (edge == AN_WHY_MESSAGE || edge == AN_WHY_GAVE_UP)
        return add_fates(w, link, ev.obj, rowid + 1, at - 1, edge == AN_WHY_GAVE_UP);
    return 0;
}

/* Walks one segment: from link `start` back along its node for up to steps_max events,
 * adding each one's jumps. */
static int walk_segment(struct walker *w, int32_t start)
{
    const struct sim_event start_ev = w->why->links[start].ev;
    uint32_t depth = w->why->links[start].depth;
    struct sim_event *row_evs = NULL;
    int64_t *row_ids = NULL;
    size_t row_count = 0;
    bool has_more = false;
    if (start_ev.node != SIM_NODE_NONE && w->limits.steps_max > 1) {
        size_t want = w->limits.steps_max - 1;
        row_evs = calloc(want, sizeof *row_evs);
        row_ids = calloc(want, sizeof *row_ids);
        if (!row_evs || !row_ids) {
            free(row_evs);
            free(row_ids);
            snprintf(w->err, w->err_bytes, "out of memory");
            return -1;
        }
        sqlite3_stmt *s = w->on_node;
        bind_range(s, w, w->rowids[start] - 1);
        sqlite3_bind_int64(s, 4, start_ev.node);
        sqlite3_bind_int64(s, 5, (int64_t)want + 1);
        struct sim_event ev;
        int64_t rowid;
        int rc;
        while ((rc = next_row(w, s, &ev, &rowid)) > 0) {
            if (row_count == want) {
                has_more = true;
                break;
            }
            row_evs[row_count] = ev;
            row_ids[row_count++] = rowid;
        }
        sqlite3_reset(s);
        if (rc < 0) {
            free(row_evs);
            free(row_ids);
            return -1;
        }
    }
    uint64_t oldest_seq = row_count ? row_evs[row_count - 1].seq : start_ev.seq;
    int status = add_causes(w, start, oldest_seq);
    int32_t prev = start;
    for (size_t r = 0; r < row_count && status == 0; r++) {
        int32_t seen = seen_find(w, row_evs[r].seq);
        int32_t i = add_link(w, &row_evs[r], row_ids[r], prev, AN_WHY_PROGRAM, depth);
        if (i < 0) break;
        if (seen >= 0) { /* the rest of this node's past is already in the tree */
            w->why->links[i].same_as = seen;
            prev = -1;
            break;
        }
        seen_add(w, row_evs[r].seq, i);
        status = add_causes(w, i, oldest_seq);
        prev = i;
    }
    if (status == 0 && has_more && prev >= 0 && !w->why->is_truncated)
        w->why->links[prev].has_more_before = true;
    free(row_evs);
    free(row_ids);
    return status;
}

static bool is_segment_start(const struct an_why_link *l)
{
    if (l->same_as >= 0 || l->is_cut_by_depth) return false;
    return l->edge == AN_WHY_TARGET || l->edge == AN_WHY_MESSAGE || l->edge == AN_WHY_TIMER ||
           l->edge == AN_WHY_WORK || l->edge == AN_WHY_PAUSE || l->edge == AN_WHY_GAVE_UP;
}

/* Attaches the annotations and violation texts of the events in the tree: one pass over
 * those tables (not indexed by seq: one query per event would scan them each time). */
static int attach_texts(struct walker *w)
{
    sqlite3_stmt *s = NULL;
    const char *sql = "SELECT seq, kind, text FROM annotations WHERE run_id = ?1 UNION ALL"
                      " SELECT seq, 'violation', text FROM violations WHERE run_id = ?1";
    if (sqlite3_prepare_v2(w->db, sql, -1, &s, NULL) != SQLITE_OK) {
        snprintf(w->err, w->err_bytes, "reading annotations: %s", sqlite3_errmsg(w->db));
        sqlite3_finalize(s);
        return -1;
    }
    sqlite3_bind_int64(s, 1, w->run->id);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int64_t seq = sqlite3_column_int64(s, 0);
        int32_t i = seq < 0 ? -1 : seen_find(w, (uint64_t)seq);
        if (i < 0) continue;
        struct an_why_link *l = &w->why->links[i];
        const char *kind = (const char *)sqlite3_column_text(s, 1);
        const char *text = (const char *)sqlite3_column_text(s, 2);
        size_t have = l->texts ? strlen(l->texts) : 0;
        size_t add = strlen(kind ? kind : "?") + strlen(text ? text : "") + 6;
        if (have + add > TEXTS_BYTES_MAX) continue;
        char *grown = realloc(l->texts, have + add);
        if (!grown) continue;
        snprintf(grown + have, add, "%s[%s] %s", have ? "  " : "", kind ? kind : "?",
                 text ? text : "");
        l->texts = grown;
    }
    if (rc != SQLITE_DONE)
        snprintf(w->err, w->err_bytes, "reading annotations: %s", sqlite3_errmsg(w->db));
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

static int prepare(struct walker *w, sqlite3_stmt **s, const char *sql)
{
    if (sqlite3_prepare_v2(w->db, sql, -1, s, NULL) == SQLITE_OK) return 0;
    snprintf(w->err, w->err_bytes, "reading events: %s", sqlite3_errmsg(w->db));
    return -1;
}

static int walker_init(struct walker *w, struct an_db *db, const struct an_run *run,
                       char *err, size_t err_bytes)
{
    *w = (struct walker){.db = an_db_sqlite(db), .run = run, .err = err, .err_bytes = err_bytes};
    /* A run killed before its first commit has no rowid range: all rows, by run_id. */
    w->rowid_lo = run->last_rowid ? run->first_rowid : 1;
    w->rowid_hi = run->last_rowid ? run->last_rowid : INT64_MAX;
    sqlite3_stmt *n = NULL;
    if (sqlite3_prepare_v2(w->db, "SELECT count(*) FROM nodes WHERE run_id=?", -1, &n, NULL) ==
        SQLITE_OK) {
        sqlite3_bind_int64(n, 1, run->id);
        if (sqlite3_step(n) == SQLITE_ROW) w->node_count = (uint32_t)sqlite3_column_int64(n, 0);
    }
    sqlite3_finalize(n);
    if (prepare(w, &w->on_node, ROW_SQL " AND node = ?4 ORDER BY rowid DESC LIMIT ?5") != 0 ||
        prepare(w, &w->kind_obj, ROW_SQL " AND kind = ?4 AND (?5 IS NULL OR obj_id = ?5)"
                " AND (?6 IS NULL OR node = ?6) ORDER BY rowid DESC LIMIT 1") != 0 ||
        prepare(w, &w->fates, ROW_SQL " AND obj_id = ?4 AND kind IN ('drop', 'duplicate',"
                " 'corrupt', 'clamp') ORDER BY rowid LIMIT " FATES_MAX) != 0 ||
        prepare(w, &w->gave_up, ROW_SQL " AND kind IN ('drop', 'duplicate', 'corrupt',"
                " 'clamp', 'deliver') AND (obj_id = ?4 OR obj_id IN (SELECT obj_id FROM events"
                " WHERE run_id = ?1 AND rowid BETWEEN ?2 AND ?3 AND kind = 'send'"
                " AND ref_id = ?4)) ORDER BY rowid LIMIT " FATES_MAX) != 0 ||
        prepare(w, &w->fault_at, ROW_SQL " AND kind = 'fault' AND detail = ?4 AND time_ns = ?5"
                " ORDER BY rowid DESC LIMIT 1") != 0 ||
        prepare(w, &w->by_seq, ROW_SQL " AND seq = ?4 LIMIT 1") != 0)
        return -1;
    return 0;
}

static void walker_deinit(struct walker *w)
{
    sqlite3_finalize(w->on_node);
    sqlite3_finalize(w->kind_obj);
    sqlite3_finalize(w->fates);
    sqlite3_finalize(w->gave_up);
    sqlite3_finalize(w->fault_at);
    sqlite3_finalize(w->by_seq);
    free(w->rowids);
    free(w->seen_seq);
    free(w->seen_link);
}

/* The event `seq`: first where it is when the run's rows are dense (rowid = first + seq),
 * else by a scan of the run's rows. */
static int find_seq(struct walker *w, uint64_t seq, struct sim_event *ev, int64_t *rowid)
{
    if (seq >= w->run->event_count) return 0;
    sqlite3_stmt *s = w->by_seq;
    int rc = 0;
    if (w->run->last_rowid && (int64_t)seq <= w->rowid_hi - w->rowid_lo) {
        int64_t guess = w->rowid_lo + (int64_t)seq;
        bind_range(s, w, guess);
        sqlite3_bind_int64(s, 2, guess);
        sqlite3_bind_int64(s, 4, (int64_t)seq);
        rc = next_row(w, s, ev, rowid);
        sqlite3_reset(s);
    }
    if (rc == 0) {
        bind_range(s, w, w->rowid_hi);
        sqlite3_bind_int64(s, 4, (int64_t)seq);
        rc = next_row(w, s, ev, rowid);
        sqlite3_reset(s);
    }
    return rc;
}

int an_why_event(struct an_db *db, const struct an_run *run, uint64_t seq,
                 struct sim_event *ev, char *err, size_t err_bytes)
{
    struct walker w;
    int64_t rowid;
    int rc = walker_init(&w, db, run, err, err_bytes) == 0 ? find_seq(&w, seq, ev, &rowid) : -1;
    walker_deinit(&w);
    return rc;
}

int an_why_violation_seq(struct an_db *db, const struct an_run *run, uint64_t n,
                         uint64_t *seq, char *err, size_t err_bytes)
{
    sqlite3 *s3 = an_db_sqlite(db);
    sqlite3_stmt *s = NULL;
    if (n == 0) return 0;
    if (sqlite3_prepare_v2(s3, "SELECT seq FROM violations WHERE run_id = ? ORDER BY rowid"
                           " LIMIT 1 OFFSET ?", -1, &s, NULL) != SQLITE_OK) {
        snprintf(err, err_bytes, "reading violations: %s", sqlite3_errmsg(s3));
        sqlite3_finalize(s);
        return -1;
    }
    sqlite3_bind_int64(s, 1, run->id);
    sqlite3_bind_int64(s, 2, n - 1 > INT64_MAX ? INT64_MAX : (int64_t)(n - 1));
    int rc = sqlite3_step(s);
    int found = 0;
    if (rc == SQLITE_ROW) {
        int64_t v = sqlite3_column_int64(s, 0);
        if (v < 0 || (uint64_t)v >= run->event_count) {
            snprintf(err, err_bytes, "damaged record: violation %" PRIu64 " names seq %" PRId64
                     ", not an event of run %" PRId64, n, v, run->id);
            found = -1;
        } else {
            *seq = (uint64_t)v;
            found = 1;
        }
    } else if (rc != SQLITE_DONE) {
        snprintf(err, err_bytes, "reading violations: %s", sqlite3_errmsg(s3));
        found = -1;
    }
    sqlite3_finalize(s);
    return found;
}

int an_why_build(struct an_db *db, const struct an_run *run, uint64_t seq,
                 const struct an_why_limits *limits, struct an_why *why, char *err,
                 size_t err_bytes)
{
    *why = (struct an_why){0};
    struct walker w;
    int status = walker_init(&w, db, run, err, err_bytes);
    w.limits = *limits;
    if (w.limits.steps_max > AN_WHY_STEPS_MAX) w.limits.steps_max = AN_WHY_STEPS_MAX;
    if (w.limits.depth_max > AN_WHY_DEPTH_MAX) w.limits.depth_max = AN_WHY_DEPTH_MAX;
    w.why = why;
    why->links = calloc(AN_WHY_LINKS_MAX, sizeof *why->links);
    w.rowids = calloc(AN_WHY_LINKS_MAX, sizeof *w.rowids);
    w.seen_seq = calloc(SEEN_SLOTS, sizeof *w.seen_seq);
    w.seen_link = calloc(SEEN_SLOTS, sizeof *w.seen_link);
    if (status == 0 && (!why->links || !w.rowids || !w.seen_seq || !w.seen_link)) {
        snprintf(err, err_bytes, "out of memory");
        status = -1;
    }
    struct sim_event target;
    int64_t rowid = 0;
    if (status == 0) {
        int rc = find_seq(&w, seq, &target, &rowid);
        if (rc == 0) snprintf(err, err_bytes, "run %" PRId64 " has no event %" PRIu64, run->id, seq);
        if (rc <= 0) status = -1;
    }
    if (status == 0) {
        add_link(&w, &target, rowid, -1, AN_WHY_TARGET, 0);
        seen_add(&w, seq, 0);
    }
    /* Breadth first: links are appended as found, so walking them in order visits the
     * shallow branches before the deep ones. */
    for (size_t i = 0; status == 0 && i < why->count && !why->is_truncated; i++)
        if (is_segment_start(&why->links[i])) status = walk_segment(&w, (int32_t)i);
    if (status == 0) status = attach_texts(&w);
    walker_deinit(&w);
    if (status != 0) an_why_free(why);
    return status;
}

void an_why_free(struct an_why *why)
{
    if (why->links)
        for (size_t i = 0; i < why->count; i++) free(why->links[i].texts);
    free(why->links);
    *why = (struct an_why){0};
}
