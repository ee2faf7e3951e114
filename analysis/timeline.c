/* analysis/timeline.c - the drawing model of a run's sequence diagram; see timeline.h.
 *
 * One pass over the events in seq order up to the window's end: intervals are paired as
 * they open and close (pause/resume, crash/restart, partition or cut/heal), so one that
 * began before the window is still drawn from the window's start. Before the window an
 * open interval is only pending (per node, per fault): one that closes before the window
 * is forgotten, and those still open when the window begins are kept then, in the order
 * they opened, so a late window of a long run is not crowded out by stale intervals. A
 * heal finds the faults it ends through an index of the fault names built once, and each
 * name keeps a list of its open faults, so the work is about linear in the faults. A
 * delivery carries its transit time, so its arrow needs no lookup; a drop's send is found
 * in a bounded table of the window's sends (a drop of a message sent before the window is
 * drawn where it was lost, without its start). Violations and annotations are read by SQL afterwards. Memory
 * is bounded by the AN_TIMELINE_*_MAX limits, not by the run's length. */
#include "timeline.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/assert.h"

#define SENDS_SLOTS 65536u /* a power of two */
#define SENDS_MAX 32768u   /* kept at most half full */
#define FAULTS_MAX 1000000u

_Static_assert((SENDS_SLOTS & (SENDS_SLOTS - 1)) == 0, "slots are a power of two");
_Static_assert(SENDS_MAX * 2 <= SENDS_SLOTS, "the send table stays half empty");

struct send_slot {
    uint64_t msg_id_plus_1; /* 0: empty */
    int64_t send_ns;
    bool is_duplicated, is_corrupted;
};

struct fault_row {
    char *name, *text;
    bool is_heal;
    int64_t heals; /* for a heal: the fault index it names (its first of that name), or -1 */
    int64_t group; /* the first fault of its name (itself when it has none): what heals name */
    /* open faults (partitions and cuts not yet healed), listed per group */
    int64_t next_open;     /* the next open fault of its group, -1 none */
    int64_t first_open;    /* as a group: its first open fault, -1 none */
    bool is_open_listed;   /* in its group's list */
    bool is_group_listed;  /* as a group: in the builder's open_groups */
};

/* An interval that opened before the window: kept only if still open when it begins. */
struct pending_span {
    struct an_tl_span span; /* text NULL: copied when kept */
    int64_t *open;          /* the handle that refers to it */
};

struct builder {
    struct an_timeline *tl;
    const struct an_timeline_config *cfg;
    struct send_slot *sends;
    size_t send_count;
    struct fault_row *faults;
    size_t fault_count;
    /* handles of open intervals: span index + 1; -(pending index + 1) before the window;
     * NOT_KEPT past AN_TIMELINE_SPANS_MAX (open, counted once); 0 none */
    int64_t *open_pause, *open_crash; /* per node */
    int64_t *open_fault;              /* per fault */
    int64_t *open_groups;             /* groups with open faults (some lists may be empty) */
    size_t open_group_count;
    struct pending_span *pending;     /* before the window only */
    size_t pending_count, pending_cap;
    bool is_window_begun;             /* an event at from_ns or later has been read */
    uint64_t *named_seqs;             /* sorted, unique */
    size_t named_seq_count;
    char *err;
    size_t err_bytes;
};

static bool is_lane(const struct builder *b, uint32_t node)
{
    return node < b->tl->nodes.count && b->tl->lane_of[node] >= 0;
}

static bool in_window(const struct builder *b, int64_t t)
{
    return t >= b->cfg->from_ns && t <= b->cfg->to_ns;
}

static char *dup_text(const unsigned char *s)
{
    if (!s) return NULL;
    size_t n = strnlen((const char *)s, AN_TIMELINE_TEXT_BYTES_MAX - 1);
    char *out = malloc(n + 1);
    if (!out) return NULL;
    memcpy(out, s, n);
    out[n] = '\0';
    return out;
}

/* Grows *items to hold one more of size bytes, up to max items; false when max reached
 * (*total still counts it) or out of memory (*is_oom). */
static bool room_for(void **items, size_t *count, size_t *total, size_t max, size_t size,
                     bool *is_oom)
{
    (*total)++;
    if (*count >= max) return false;
    /* the capacity is 64, then each power of two from 128 (or max): grow on reaching it */
    if (*count == 0 || (*count >= 64 && (*count & (*count - 1)) == 0)) {
        size_t cap = *count ? *count * 2 : 64;
        if (cap > max) cap = max;
        void *grown = realloc(*items, cap * size);
        if (!grown) {
            *is_oom = true;
            return false;
        }
        *items = grown;
    }
    return true;
}

/* --- sends in the window ---------------------------------------------------------------- */

static struct send_slot *send_find(struct builder *b, uint64_t msg_id, bool is_insert)
{
    for (size_t i = (size_t)(msg_id * 0x9E3779B97F4A7C15u) & (SENDS_SLOTS - 1);;
         i = (i + 1) & (SENDS_SLOTS - 1)) {
        if (b->sends[i].msg_id_plus_1 == msg_id + 1) return &b->sends[i];
        if (b->sends[i].msg_id_plus_1 == 0) {
            if (!is_insert || b->send_count >= SENDS_MAX) return NULL;
            b->send_count++;
            b->sends[i].msg_id_plus_1 = msg_id + 1;
            return &b->sends[i];
        }
    }
}

/* --- faults of the record --------------------------------------------------------------- */

/* The name a heal's text gives: "at T heal NAME" or "... (end of 'NAME')", else NULL
 * (heals every cut). The text is the record's; a damaged one only mis-draws a band. */
static char *heal_target(const char *text)
{
    const char *end_of = strstr(text, "(end of '");
    if (end_of) {
        const char *start = end_of + strlen("(end of '");
        const char *close = strrchr(start, '\'');
        if (!close) return NULL;
        return strndup(start, (size_t)(close - start));
    }
    char words[4][128];
    int n = sscanf(text, "%127s %127s %127s %127s", words[0], words[1], words[2], words[3]);
    if (n == 4 && strcmp(words[0], "at") == 0 && strcmp(words[2], "heal") == 0)
        return strdup(words[3]);
    return NULL;
}

struct named_fault {
    const char *name;
    int64_t index;
};

static int compare_named_fault(const void *a, const void *b)
{
    const struct named_fault *x = a, *y = b;
    int order = strcmp(x->name, y->name);
    return order ? order : (x->index > y->index) - (x->index < y->index);
}

static int compare_name_to_fault(const void *key, const void *item)
{
    return strcmp(key, ((const struct named_fault *)item)->name);
}

/* Groups the faults by name (each fault's group: the first of its name) and resolves each
 * heal to the group it names, when that group began before the heal (else -1: it heals
 * every cut). One sort and a binary search per heal, instead of a scan per heal. */
static int index_fault_names(struct builder *b)
{
    struct named_fault *by_name = malloc((b->fault_count + 1) * sizeof *by_name);
    if (!by_name) {
        snprintf(b->err, b->err_bytes, "out of memory");
        return -1;
    }
    size_t named = 0;
    for (size_t i = 0; i < b->fault_count; i++)
        if (b->faults[i].name)
            by_name[named++] = (struct named_fault){b->faults[i].name, (int64_t)i};
    qsort(by_name, named, sizeof *by_name, compare_named_fault);
    for (size_t i = 0; i < named; i++) {
        bool is_first = i == 0 || strcmp(by_name[i - 1].name, by_name[i].name) != 0;
        b->faults[by_name[i].index].group =
            is_first ? by_name[i].index : b->faults[by_name[i - 1].index].group;
    }
    for (size_t i = 0; i < b->fault_count; i++) {
        struct fault_row *f = &b->faults[i];
        if (!f->is_heal || !f->text) continue;
        char *target = heal_target(f->text);
        const struct named_fault *hit =
            target ? bsearch(target, by_name, named, sizeof *by_name, compare_name_to_fault) : NULL;
        if (hit && b->faults[hit->index].group < (int64_t)i) f->heals = b->faults[hit->index].group;
        free(target);
    }
    free(by_name);
    return 0;
}

static int load_faults(struct builder *b, sqlite3 *sq, int64_t run_id)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(sq, "SELECT fault, name, action, text FROM faults WHERE run_id = ?1"
                           " ORDER BY fault", -1, &s, NULL) != SQLITE_OK) {
        snprintf(b->err, b->err_bytes, "reading faults: %s", sqlite3_errmsg(sq));
        return -1;
    }
    sqlite3_bind_int64(s, 1, run_id);
    int rc, status = 0;
    size_t cap = 0;
    while (status == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (sqlite3_column_int64(s, 0) != (int64_t)b->fault_count || b->fault_count >= FAULTS_MAX) {
            snprintf(b->err, b->err_bytes, "damaged record: fault indexes of run %" PRId64
                     " are not 0, 1, 2, ...", run_id);
            status = -1;
            break;
        }
        if (b->fault_count == cap) {
            cap = cap ? cap * 2 : 16;
            struct fault_row *grown = realloc(b->faults, cap * sizeof *grown);
            if (!grown) {
                snprintf(b->err, b->err_bytes, "out of memory");
                status = -1;
                break;
            }
            b->faults = grown;
        }
        struct fault_row *f = &b->faults[b->fault_count++];
        const unsigned char *action = sqlite3_column_text(s, 2);
        int64_t index = (int64_t)b->fault_count - 1;
        *f = (struct fault_row){.name = dup_text(sqlite3_column_text(s, 1)),
                                .text = dup_text(sqlite3_column_text(s, 3)),
                                .is_heal = action && strcmp((const char *)action, "heal") == 0,
                                .heals = -1, .group = index, .next_open = -1, .first_open = -1};
    }
    if (status == 0 && rc != SQLITE_DONE) {
        snprintf(b->err, b->err_bytes, "reading faults: %s", sqlite3_errmsg(sq));
        status = -1;
    }
    sqlite3_finalize(s);
    if (status == 0) status = index_fault_names(b);
    return status;
}

/* --- items ------------------------------------------------------------------------------- */

static void add_arrow(struct builder *b, const struct sim_event *ev, bool *is_oom)
{
    struct an_timeline *tl = b->tl;
    bool is_delivered = ev->kind == SIM_EV_DELIVER;
    bool is_by_target = !is_delivered && (ev->aux == SIM_DROP_NODE_DOWN ||
                                          ev->aux == SIM_DROP_INBOX_FULL);
    uint32_t source = is_delivered || is_by_target ? ev->peer : ev->node;
    uint32_t target = is_delivered || is_by_target ? ev->node : ev->peer;
    if (!is_lane(b, source) || !is_lane(b, target)) return;
    if (!room_for((void **)&tl->arrows, &tl->arrow_count, &tl->arrow_total,
                  AN_TIMELINE_ARROWS_MAX, sizeof *tl->arrows, is_oom))
        return;
    const struct send_slot *sent = send_find(b, ev->obj, false);
    struct an_tl_arrow *a = &tl->arrows[tl->arrow_count++];
    *a = (struct an_tl_arrow){
        .seq = ev->seq, .msg_id = ev->obj, .conversation = ev->ref ? ev->ref : ev->obj,
        .end_ns = ev->time_ns, .source_node = source, .target_node = target,
        .traffic_class = is_delivered ? ev->aux : 0, .drop_reason = is_delivered ? 0 : ev->aux,
        .is_delivered = is_delivered, .is_duplicated = sent && sent->is_duplicated,
        .is_corrupted = sent && sent->is_corrupted};
    if (is_delivered) { /* arg is the transit time: the send is end - transit */
        a->has_send = ev->arg >= 0 && ev->arg <= ev->time_ns;
        a->send_ns = a->has_send ? ev->time_ns - ev->arg : ev->time_ns;
    } else {
        a->has_send = sent != NULL;
        a->send_ns = sent ? sent->send_ns : ev->time_ns;
    }
}

static void add_mark(struct builder *b, const struct sim_event *ev, bool *is_oom)
{
    struct an_timeline *tl = b->tl;
    if (!is_lane(b, ev->node)) return;
    if (!room_for((void **)&tl->marks, &tl->mark_count, &tl->mark_total, AN_TIMELINE_MARKS_MAX,
                  sizeof *tl->marks, is_oom))
        return;
    tl->marks[tl->mark_count++] = (struct an_tl_mark){
        .seq = ev->seq, .time_ns = ev->time_ns, .node = ev->node,
        .peer = is_lane(b, ev->peer) ? ev->peer : SIM_NODE_NONE, .kind = ev->kind,
        .aux = ev->aux, .obj = ev->obj, .arg = ev->arg};
}

#define NOT_KEPT INT64_MAX /* the handle of an open span past the bound */

/* Keeps span (its text copied from its fault's); returns its index + 1, or NOT_KEPT. */
static int64_t span_keep(struct builder *b, const struct an_tl_span *span, bool *is_oom)
{
    struct an_timeline *tl = b->tl;
    if (!room_for((void **)&tl->spans, &tl->span_count, &tl->span_total, AN_TIMELINE_SPANS_MAX,
                  sizeof *tl->spans, is_oom))
        return NOT_KEPT;
    int64_t fault = span->fault;
    const char *text = fault >= 0 && (size_t)fault < b->fault_count ? b->faults[fault].text : NULL;
    char *copy = text ? strdup(text) : NULL;
    if (text && !copy) *is_oom = true;
    tl->spans[tl->span_count] = *span;
    tl->spans[tl->span_count].text = copy;
    return (int64_t)++tl->span_count;
}

/* Opens a span at ev into *open (which must be free): kept at once in the window, pending
 * before it. */
static void span_open(struct builder *b, int64_t *open, enum an_tl_span_kind kind,
                      const struct sim_event *ev, uint32_t node, uint32_t peer, int64_t fault,
                      bool *is_oom)
{
    SIM_ASSERT(*open == 0);
    struct an_tl_span span = {
        .kind = kind, .node = node, .peer = peer,
        .start_ns = ev->time_ns > b->cfg->from_ns ? ev->time_ns : b->cfg->from_ns,
        .end_ns = b->cfg->to_ns, .is_open_end = true, .start_seq = ev->seq, .fault = fault};
    if (b->is_window_begun) {
        *open = span_keep(b, &span, is_oom);
        return;
    }
    if (b->pending_count == b->pending_cap) {
        size_t cap = b->pending_cap ? b->pending_cap * 2 : 64;
        struct pending_span *grown = realloc(b->pending, cap * sizeof *grown);
        if (!grown) {
            *is_oom = true;
            return;
        }
        b->pending = grown;
        b->pending_cap = cap;
    }
    b->pending[b->pending_count++] = (struct pending_span){span, open};
    *open = -(int64_t)b->pending_count;
}

/* Closes the span *open refers to at t (0: nothing open). A pending one ended before the
 * window and is forgotten (the last pending takes its place). */
static void span_close(struct builder *b, int64_t *open, int64_t t)
{
    if (*open == 0) return;
    if (*open < 0) {
        SIM_ASSERT(!b->is_window_begun && t < b->cfg->from_ns);
        size_t k = (size_t)(-*open - 1);
        SIM_ASSERT(k < b->pending_count && b->pending[k].open == open);
        b->pending[k] = b->pending[--b->pending_count];
        if (k < b->pending_count) *b->pending[k].open = -(int64_t)(k + 1);
        *open = 0;
        return;
    }
    if (*open == NOT_KEPT) {
        *open = 0;
        return;
    }
    struct an_tl_span *s = &b->tl->spans[*open - 1];
    *open = 0;
    s->is_open_end = t > b->cfg->to_ns;
    /* the stream's times do not decrease, so t >= from_ns; a damaged record is clamped */
    s->end_ns = t < b->cfg->from_ns ? b->cfg->from_ns : t < b->cfg->to_ns ? t : b->cfg->to_ns;
}

/* By the seq that opened them (unique in a sound record; a damaged one still sorts the
 * same way every time). */
static int compare_pending_seq(const void *a, const void *b)
{
    const struct an_tl_span *x = &((const struct pending_span *)a)->span;
    const struct an_tl_span *y = &((const struct pending_span *)b)->span;
    if (x->start_seq != y->start_seq) return x->start_seq < y->start_seq ? -1 : 1;
    if (x->kind != y->kind) return x->kind < y->kind ? -1 : 1;
    if (x->node != y->node) return x->node < y->node ? -1 : 1;
    if (x->peer != y->peer) return x->peer < y->peer ? -1 : 1;
    return (x->fault > y->fault) - (x->fault < y->fault);
}

/* The window begins (or the stream ended before it): the intervals still open are kept,
 * in the order they opened, as if they had been kept all along. */
static void begin_window(struct builder *b, bool *is_oom)
{
    SIM_ASSERT(!b->is_window_begun);
    b->is_window_begun = true;
    if (b->pending_count) /* else pending may be NULL, which qsort must not get */
        qsort(b->pending, b->pending_count, sizeof *b->pending, compare_pending_seq);
    for (size_t i = 0; i < b->pending_count; i++)
        *b->pending[i].open = span_keep(b, &b->pending[i].span, is_oom);
    free(b->pending);
    b->pending = NULL;
    b->pending_count = b->pending_cap = 0;
}

static bool is_side_drawn(const struct builder *b, uint32_t node)
{
    return node == SIM_NODE_NONE || is_lane(b, node);
}

/* Ends the intervals of every open fault of group g (a heal names it). */
static void heal_group(struct builder *b, int64_t g, int64_t t)
{
    struct fault_row *group = &b->faults[g];
    for (int64_t i = group->first_open, next; i >= 0; i = next) {
        struct fault_row *f = &b->faults[i];
        next = f->next_open;
        span_close(b, &b->open_fault[i], t);
        f->next_open = -1;
        f->is_open_listed = false;
    }
    group->first_open = -1;
}

static void on_fault(struct builder *b, const struct sim_event *ev, bool *is_oom)
{
    uint64_t index = ev->obj;
    if (index >= b->fault_count) return; /* a fault the record does not list: a mark only */
    struct fault_row *f = &b->faults[index];
    if (ev->aux == SIM_FAULT_PARTITION || ev->aux == SIM_FAULT_CUT) {
        if (!is_side_drawn(b, ev->node) && !is_side_drawn(b, ev->peer)) return;
        if (ev->node != SIM_NODE_NONE && ev->peer != SIM_NODE_NONE &&
            (!is_lane(b, ev->node) || !is_lane(b, ev->peer)))
            return;
        span_close(b, &b->open_fault[index], ev->time_ns); /* a flap re-cuts */
        span_open(b, &b->open_fault[index], ev->aux == SIM_FAULT_CUT ? AN_TL_CUT : AN_TL_PARTITION,
                  ev, ev->node, ev->peer, (int64_t)index, is_oom);
        struct fault_row *group = &b->faults[f->group];
        if (!f->is_open_listed) {
            f->is_open_listed = true;
            f->next_open = group->first_open;
            group->first_open = (int64_t)index;
        }
        if (!group->is_group_listed) {
            SIM_ASSERT(b->open_group_count < b->fault_count); /* each group listed once */
            group->is_group_listed = true;
            b->open_groups[b->open_group_count++] = f->group;
        }
    } else if (ev->aux == SIM_FAULT_HEAL) {
        if (f->heals >= 0) {
            heal_group(b, f->heals, ev->time_ns);
            return;
        }
        for (size_t i = 0; i < b->open_group_count; i++) { /* no name: every cut heals */
            heal_group(b, b->open_groups[i], ev->time_ns);
            b->faults[b->open_groups[i]].is_group_listed = false;
        }
        b->open_group_count = 0;
    }
}

/* One event of the stream (time <= to_ns). */
static void take(struct builder *b, const struct sim_event *ev, bool *is_oom)
{
    bool is_in = in_window(b, ev->time_ns);
    uint32_t node = ev->node;
    switch (ev->kind) {
    case SIM_EV_SEND:
        if (is_in && is_lane(b, node) && is_lane(b, ev->peer)) {
            struct send_slot *s = send_find(b, ev->obj, true);
            if (s) s->send_ns = ev->time_ns;
            else b->tl->is_truncated = true;
        }
        break;
    case SIM_EV_DUPLICATE:
    case SIM_EV_CORRUPT: {
        struct send_slot *s = send_find(b, ev->obj, false);
        if (s && ev->kind == SIM_EV_DUPLICATE) s->is_duplicated = true;
        if (s && ev->kind == SIM_EV_CORRUPT) s->is_corrupted = true;
        if (is_in) add_mark(b, ev, is_oom);
        break;
    }
    case SIM_EV_DELIVER:
    case SIM_EV_DROP:
        if (is_in) add_arrow(b, ev, is_oom);
        break;
    case SIM_EV_PAUSE:
        if (is_lane(b, node) && b->open_pause[node] == 0)
            span_open(b, &b->open_pause[node], AN_TL_PAUSE, ev, node, SIM_NODE_NONE,
                      ev->aux == SIM_PAUSE_BY_FAULT ? (int64_t)ev->obj : -1, is_oom);
        break;
    case SIM_EV_RESUME:
        if (is_lane(b, node)) span_close(b, &b->open_pause[node], ev->time_ns);
        break;
    case SIM_EV_CRASH:
        if (!is_lane(b, node)) break;
        span_close(b, &b->open_pause[node], ev->time_ns);
        if (b->open_crash[node] == 0)
            span_open(b, &b->open_crash[node], AN_TL_CRASH, ev, node, SIM_NODE_NONE, -1, is_oom);
        break;
    case SIM_EV_RESTART:
        if (is_lane(b, node)) span_close(b, &b->open_crash[node], ev->time_ns);
        break;
    case SIM_EV_FAULT:
        on_fault(b, ev, is_oom);
        if (is_in && ev->aux != SIM_FAULT_PARTITION && ev->aux != SIM_FAULT_CUT &&
            ev->aux != SIM_FAULT_HEAL && ev->aux != SIM_FAULT_CRASH &&
            ev->aux != SIM_FAULT_RESTART && ev->aux != SIM_FAULT_PAUSE)
            add_mark(b, ev, is_oom); /* clock steps and drift: the rest are drawn as spans */
        break;
    case SIM_EV_TIMEOUT:
    case SIM_EV_NOTE: /* a model's violation is drawn with the violations */
    case SIM_EV_CLAIM:
    case SIM_EV_CLOCK_STEP:
    case SIM_EV_SUSPECT:
    case SIM_EV_TRUST:
    case SIM_EV_LIE:    /* a Byzantine node's lie, its truth in the hover text */
    case SIM_EV_ATTACK: /* an attacker on a link */
        if (is_in) add_mark(b, ev, is_oom);
        break;
    default: break;
    }
}

/* --- violations, before the stream (it looks for the events they name) ------------------- */

/* The seqs a violation's text names: each "seq " followed by digits, in order. */
static void parse_named(struct an_tl_violation *v)
{
    const char *p = v->text;
    while (p && (p = strstr(p, "seq ")) && v->named_count < AN_TIMELINE_NAMED_MAX) {
        p += 4;
        if (*p < '0' || *p > '9') continue;
        char *after = NULL;
        unsigned long long seq = strtoull(p, &after, 10);
        v->named[v->named_count++] = (uint64_t)seq;
        p = after;
    }
}

static int compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int load_violations(struct builder *b, sqlite3 *sq, int64_t run_id)
{
    struct an_timeline *tl = b->tl;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(sq, "SELECT seq, node, time_ns, source, text FROM violations"
                           " WHERE run_id = ?1 AND time_ns BETWEEN ?2 AND ?3 ORDER BY seq, rowid",
                           -1, &s, NULL) != SQLITE_OK) {
        snprintf(b->err, b->err_bytes, "reading violations: %s", sqlite3_errmsg(sq));
        return -1;
    }
    sqlite3_bind_int64(s, 1, run_id);
    sqlite3_bind_int64(s, 2, b->cfg->from_ns);
    sqlite3_bind_int64(s, 3, b->cfg->to_ns);
    int rc;
    bool is_oom = false;
    while (!is_oom && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        bool has_node = sqlite3_column_type(s, 1) != SQLITE_NULL;
        int64_t node = sqlite3_column_int64(s, 1);
        if (has_node && (node < 0 || node >= (int64_t)tl->nodes.count)) {
            snprintf(b->err, b->err_bytes, "damaged record: a violation names node %" PRId64,
                     node);
            sqlite3_finalize(s);
            return -1;
        }
        if (has_node && !is_lane(b, (uint32_t)node)) continue;
        if (!room_for((void **)&tl->violations, &tl->violation_count, &tl->violation_total,
                      AN_TIMELINE_VIOLATIONS_MAX, sizeof *tl->violations, &is_oom))
            continue;
        struct an_tl_violation *v = &tl->violations[tl->violation_count++];
        *v = (struct an_tl_violation){
            .seq = (uint64_t)sqlite3_column_int64(s, 0), .time_ns = sqlite3_column_int64(s, 2),
            .node = has_node ? (uint32_t)node : SIM_NODE_NONE,
            .source = dup_text(sqlite3_column_text(s, 3)),
            .text = dup_text(sqlite3_column_text(s, 4))};
        parse_named(v);
    }
    if (!is_oom && rc != SQLITE_DONE) {
        snprintf(b->err, b->err_bytes, "reading violations: %s", sqlite3_errmsg(sq));
        sqlite3_finalize(s);
        return -1;
    }
    sqlite3_finalize(s);
    /* the events to find: each violation's own and those it names */
    size_t n = 0;
    b->named_seqs = calloc(tl->violation_count * (AN_TIMELINE_NAMED_MAX + 1) + 1,
                           sizeof *b->named_seqs);
    if (is_oom || !b->named_seqs) {
        snprintf(b->err, b->err_bytes, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < tl->violation_count; i++) {
        b->named_seqs[n++] = tl->violations[i].seq;
        for (size_t k = 0; k < tl->violations[i].named_count; k++)
            b->named_seqs[n++] = tl->violations[i].named[k];
    }
    qsort(b->named_seqs, n, sizeof *b->named_seqs, compare_u64);
    size_t unique = 0;
    for (size_t i = 0; i < n; i++)
        if (unique == 0 || b->named_seqs[unique - 1] != b->named_seqs[i])
            b->named_seqs[unique++] = b->named_seqs[i];
    b->named_seq_count = unique;
    tl->named = calloc(unique + 1, sizeof *tl->named);
    if (!tl->named) {
        snprintf(b->err, b->err_bytes, "out of memory");
        return -1;
    }
    return 0;
}

static void note_named(struct builder *b, const struct sim_event *ev)
{
    if (!b->named_seq_count || !is_lane(b, ev->node)) return;
    if (!bsearch(&ev->seq, b->named_seqs, b->named_seq_count, sizeof *b->named_seqs,
                 compare_u64))
        return;
    SIM_ASSERT(b->tl->named_count < b->named_seq_count); /* seqs are unique in the stream */
    b->tl->named[b->tl->named_count++] = (struct an_tl_named){ev->seq, ev->time_ns, ev->node,
                                                              ev->kind};
}

/* --- annotations, after the stream: the texts of notes and claims ------------------------ */

static int compare_mark_seq(const void *key, const void *item)
{
    uint64_t seq = *(const uint64_t *)key, other = ((const struct an_tl_mark *)item)->seq;
    return seq < other ? -1 : seq > other;
}

static int attach_annotations(struct builder *b, sqlite3 *sq, int64_t run_id)
{
    struct an_timeline *tl = b->tl;
    if (!tl->mark_count) return 0;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(sq, "SELECT seq, kind, text FROM annotations WHERE run_id = ?1"
                           " AND seq BETWEEN ?2 AND ?3 ORDER BY seq, rowid", -1, &s,
                           NULL) != SQLITE_OK) {
        snprintf(b->err, b->err_bytes, "reading annotations: %s", sqlite3_errmsg(sq));
        return -1;
    }
    sqlite3_bind_int64(s, 1, run_id);
    sqlite3_bind_int64(s, 2, (int64_t)tl->marks[0].seq);
    sqlite3_bind_int64(s, 3, (int64_t)tl->marks[tl->mark_count - 1].seq);
    int rc, status = 0;
    while (status == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        uint64_t seq = (uint64_t)sqlite3_column_int64(s, 0);
        struct an_tl_mark *m = bsearch(&seq, tl->marks, tl->mark_count, sizeof *tl->marks,
                                       compare_mark_seq);
        const unsigned char *kind = sqlite3_column_text(s, 1), *text = sqlite3_column_text(s, 2);
        if (!m || !text) continue;
        size_t had = m->text ? strlen(m->text) : 0;
        if (had + 2 >= AN_TIMELINE_TEXT_BYTES_MAX) continue;
        char *grown = realloc(m->text, AN_TIMELINE_TEXT_BYTES_MAX);
        if (!grown) {
            snprintf(b->err, b->err_bytes, "out of memory");
            status = -1;
            break;
        }
        m->text = grown;
        snprintf(m->text + had, AN_TIMELINE_TEXT_BYTES_MAX - had, "%s%s: %s", had ? "; " : "",
                 kind ? (const char *)kind : "?", (const char *)text);
    }
    if (status == 0 && rc != SQLITE_DONE) {
        snprintf(b->err, b->err_bytes, "reading annotations: %s", sqlite3_errmsg(sq));
        status = -1;
    }
    sqlite3_finalize(s);
    return status;
}

/* --- clocks ------------------------------------------------------------------------------ */

/* Ticks at a round step (1, 2 or 5 times a power of ten ns) giving about ten of them. */
static void choose_ticks(struct an_timeline *tl)
{
    int64_t span_ns = tl->to_ns - tl->from_ns;
    int64_t want_ns = span_ns / 10 > 0 ? span_ns / 10 : 1;
    int64_t step_ns = 1;
    for (int64_t decade = 1; decade <= INT64_MAX / 10; decade *= 10) { /* want <= max/10 */
        step_ns = decade >= want_ns       ? decade
                  : 2 * decade >= want_ns ? 2 * decade
                  : 5 * decade >= want_ns ? 5 * decade
                                          : 0;
        if (step_ns) break;
    }
    SIM_ASSERT(step_ns >= want_ns);
    tl->tick_ns = step_ns;
    int64_t first = tl->from_ns / step_ns * step_ns;
    if (first < tl->from_ns) first += step_ns;
    tl->first_tick_ns = first;
    tl->tick_count = first > tl->to_ns ? 0 : (uint32_t)((tl->to_ns - first) / step_ns + 1);
    SIM_ASSERT(tl->tick_count <= AN_TIMELINE_TICKS_MAX);
}

static void note_reading(struct an_timeline *tl, const struct sim_event *ev)
{
    if (ev->node >= tl->nodes.count || tl->lane_of[ev->node] < 0) return;
    if (ev->time_ns < tl->first_tick_ns || ev->time_ns > tl->to_ns || !tl->tick_count) return;
    uint64_t k = (uint64_t)((ev->time_ns - tl->first_tick_ns) / tl->tick_ns);
    if (k >= tl->tick_count) return;
    struct an_tl_reading *r = &tl->readings[(size_t)tl->lane_of[ev->node] * tl->tick_count + k];
    if (!r->is_set) *r = (struct an_tl_reading){true, ev->time_ns, ev->mono_ns, ev->wall_ns};
}

const struct an_tl_reading *an_timeline_reading(const struct an_timeline *tl, uint32_t lane,
                                                uint32_t tick)
{
    SIM_ASSERT(lane < tl->lane_count);
    SIM_ASSERT(tick < tl->tick_count);
    return &tl->readings[(size_t)lane * tl->tick_count + tick];
}

/* --- the whole ---------------------------------------------------------------------------- */

static int choose_lanes(struct builder *b)
{
    struct an_timeline *tl = b->tl;
    tl->lane_of = malloc((tl->nodes.count + 1) * sizeof *tl->lane_of);
    if (!tl->lane_of) {
        snprintf(b->err, b->err_bytes, "out of memory");
        return -1;
    }
    for (uint32_t i = 0; i < tl->nodes.count; i++) {
        tl->lane_of[i] = -1;
        if (b->cfg->is_lane && !b->cfg->is_lane[i]) continue;
        if (tl->lane_count == AN_TIMELINE_LANES_MAX) {
            snprintf(b->err, b->err_bytes, "more than %u nodes to draw: choose some with"
                     " --nodes", AN_TIMELINE_LANES_MAX);
            return -2;
        }
        tl->lane_of[i] = (int32_t)tl->lane_count;
        tl->lanes[tl->lane_count++] = i;
    }
    return 0;
}

static int stream(struct builder *b, struct an_db *db, const struct an_run *run)
{
    struct an_timeline *tl = b->tl;
    struct an_event_iter *it = NULL;
    if (an_events_open(db, run, &it, b->err, b->err_bytes) != 0) return -1;
    struct sim_event ev;
    int rc;
    bool is_oom = false;
    while (!is_oom && (rc = an_events_next(it, &ev, b->err, b->err_bytes)) == 1) {
        if (ev.time_ns > b->cfg->to_ns) break;
        if (!b->is_window_begun && ev.time_ns >= b->cfg->from_ns) begin_window(b, &is_oom);
        take(b, &ev, &is_oom);
        if (!in_window(b, ev.time_ns)) continue;
        note_named(b, &ev);
        note_reading(tl, &ev);
    }
    an_events_close(it);
    if (!is_oom && rc >= 0 && !b->is_window_begun) begin_window(b, &is_oom);
    if (is_oom) snprintf(b->err, b->err_bytes, "out of memory");
    return is_oom || rc < 0 ? -1 : 0;
}

int an_timeline_build(struct an_db *db, const struct an_run *run,
                      const struct an_timeline_config *cfg, struct an_timeline *tl, char *err,
                      size_t err_bytes)
{
    SIM_ASSERT(cfg->to_ns >= cfg->from_ns);
    *tl = (struct an_timeline){.from_ns = cfg->from_ns, .to_ns = cfg->to_ns,
                               .wall_start_ns = cfg->wall_start_ns};
    struct builder b = {.tl = tl, .cfg = cfg, .err = err, .err_bytes = err_bytes};
    sqlite3 *sq = an_db_sqlite(db);
    if (an_nodes_load(db, run->id, &tl->nodes, err, err_bytes) != 0) return -1;
    int status = choose_lanes(&b);
    if (status == 0) status = load_faults(&b, sq, run->id);
    if (status == 0) {
        choose_ticks(tl);
        size_t nodes = (size_t)tl->nodes.count + 1;
        b.sends = calloc(SENDS_SLOTS, sizeof *b.sends);
        b.open_pause = calloc(nodes, sizeof *b.open_pause);
        b.open_crash = calloc(nodes, sizeof *b.open_crash);
        b.open_fault = calloc(b.fault_count + 1, sizeof *b.open_fault);
        b.open_groups = calloc(b.fault_count + 1, sizeof *b.open_groups);
        tl->readings = calloc((size_t)tl->lane_count * tl->tick_count + 1, sizeof *tl->readings);
        if (!b.sends || !b.open_pause || !b.open_crash || !b.open_fault || !b.open_groups ||
            !tl->readings) {
            snprintf(err, err_bytes, "out of memory");
            status = -1;
        }
    }
    if (status == 0) status = load_violations(&b, sq, run->id);
    if (status == 0) status = stream(&b, db, run);
    if (status == 0) status = attach_annotations(&b, sq, run->id);
    if (status == 0)
        tl->is_truncated = tl->is_truncated || tl->arrow_total > tl->arrow_count ||
                           tl->mark_total > tl->mark_count || tl->span_total > tl->span_count ||
                           tl->violation_total > tl->violation_count;
    for (size_t i = 0; i < b.fault_count; i++) {
        free(b.faults[i].name);
        free(b.faults[i].text);
    }
    free(b.faults);
    free(b.sends);
    free(b.open_pause);
    free(b.open_crash);
    free(b.open_fault);
    free(b.open_groups);
    free(b.pending);
    free(b.named_seqs);
    if (status != 0) an_timeline_free(tl);
    return status;
}

void an_timeline_free(struct an_timeline *tl)
{
    for (size_t i = 0; i < tl->mark_count; i++) free(tl->marks[i].text);
    for (size_t i = 0; i < tl->span_count; i++) free(tl->spans[i].text);
    for (size_t i = 0; i < tl->violation_count; i++) {
        free(tl->violations[i].source);
        free(tl->violations[i].text);
    }
    free(tl->marks);
    free(tl->spans);
    free(tl->violations);
    free(tl->arrows);
    free(tl->named);
    free(tl->readings);
    free(tl->lane_of);
    an_nodes_free(&tl->nodes);
    *tl = (struct an_timeline){0};
}
