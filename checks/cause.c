/* checks/cause.c - true causes of timeouts; see cause.h for the precedence. Follows
 * requests by message id in two maps (request id -> entry, reply id -> request id) and
 * every node's crash and pause history as epochs, so "did the server crash after this
 * request arrived?" is one comparison. */
#include "cause.h"

#include <stdlib.h>
#include <string.h>

#include "murphy/node.h"
#include "sim/assert.h"
#include "sim/u64map.h"

static const char *const cause_names[CAUSE_COUNT] = {
    [CAUSE_REQUEST_LOST] = "request lost", [CAUSE_SERVER_CRASHED] = "server crashed",
    [CAUSE_SERVER_PAUSED] = "server paused", [CAUSE_QUEUED] = "queued",
    [CAUSE_REPLY_LOST] = "reply lost",     [CAUSE_REPLY_LATE] = "reply late",
    [CAUSE_REQUEST_CORRUPTED] = "request corrupted",
    [CAUSE_REPLY_CORRUPTED] = "reply corrupted",
};

const char *cause_name(enum cause c) { return (unsigned)c < CAUSE_COUNT ? cause_names[c] : NULL; }

int cause_from_name(const char *name)
{
    for (int c = 0; c < CAUSE_COUNT; c++)
        if (strcmp(cause_names[c], name) == 0) return c;
    return -1;
}

struct node_truth {
    bool is_crashed;
    bool is_paused;
    uint64_t crash_epoch; /* crashes so far */
    uint64_t pause_epoch; /* pauses so far */
};

struct request {
    uint32_t server;
    bool is_dropped;
    uint16_t drop_reason;
    bool is_delivered;
    uint64_t crash_epoch; /* the server's, when the request was delivered */
    uint64_t pause_epoch;
    bool is_corrupted;    /* the delivered copy had flipped bits */
    uint64_t reply_id;
    bool is_reply_dropped;
    bool is_reply_corrupted;
    bool is_held;         /* its corrupted reply arrived: kept for a timeout (see below) */
};

/* Requests whose corrupted reply arrived are kept, since a client that checks drops the
 * reply and times out later; one that does not check never times out, so at most this
 * many are held; past the bound they are forgotten at once and their timeouts, if any,
 * go unlabelled. Memory stays bounded whatever the run's length. */
#define HELD_MAX 4096u

struct cause_oracle {
    cause_label_fn on_label;
    void *ctx;
    struct node_truth *nodes;
    uint32_t node_cap;
    struct sim_u64map requests; /* request msg id -> struct request */
    struct sim_u64map replies;  /* reply msg id -> request msg id (as a pointer-sized int) */
    uint64_t counts[CAUSE_COUNT];
    uint32_t held_count;
};

struct cause_oracle *cause_oracle_create(cause_label_fn on_label, void *ctx)
{
    struct cause_oracle *o = calloc(1, sizeof *o);
    if (!o) return NULL;
    o->on_label = on_label;
    o->ctx = ctx;
    return o;
}

static void free_request(void *ctx, uint64_t key, void *value)
{
    (void)ctx;
    (void)key;
    free(value);
}

void cause_oracle_destroy(struct cause_oracle *o)
{
    if (!o) return;
    sim_u64map_each_sorted(&o->requests, free_request, NULL);
    sim_u64map_free(&o->requests);
    sim_u64map_free(&o->replies);
    free(o->nodes);
    free(o);
}

static struct node_truth *truth(struct cause_oracle *o, uint32_t node)
{
    SIM_ASSERT(node != SIM_NODE_NONE);
    if (node >= o->node_cap) {
        uint32_t cap = o->node_cap ? o->node_cap : 64;
        while (cap <= node) cap *= 2;
        struct node_truth *nodes = realloc(o->nodes, cap * sizeof *nodes);
        SIM_ASSERT(nodes != NULL);
        memset(nodes + o->node_cap, 0, (cap - o->node_cap) * sizeof *nodes);
        o->nodes = nodes;
        o->node_cap = cap;
    }
    return &o->nodes[node];
}

static enum cause classify(struct cause_oracle *o, const struct request *r)
{
    const struct node_truth *server = truth(o, r->server);
    if (!r->is_delivered) {
        if (r->is_dropped)
            return r->drop_reason == SIM_DROP_NODE_DOWN ? CAUSE_SERVER_CRASHED : CAUSE_REQUEST_LOST;
        if (server->is_crashed) return CAUSE_SERVER_CRASHED;
        if (server->is_paused) return CAUSE_SERVER_PAUSED;
        return CAUSE_QUEUED;
    }
    if (!r->reply_id) {
        if (r->is_corrupted) return CAUSE_REQUEST_CORRUPTED;
        if (server->is_crashed || server->crash_epoch > r->crash_epoch) return CAUSE_SERVER_CRASHED;
        if (server->is_paused || server->pause_epoch > r->pause_epoch) return CAUSE_SERVER_PAUSED;
        return CAUSE_QUEUED;
    }
    if (r->is_reply_corrupted) return CAUSE_REPLY_CORRUPTED;
    return r->is_reply_dropped ? CAUSE_REPLY_LOST : CAUSE_REPLY_LATE;
}

static void forget(struct cause_oracle *o, uint64_t request_id)
{
    struct request *r = sim_u64map_take(&o->requests, request_id);
    if (!r) return;
    if (r->is_held) o->held_count--;
    if (r->reply_id) sim_u64map_take(&o->replies, r->reply_id);
    free(r);
}

static void on_send(struct cause_oracle *o, const struct sim_event *ev)
{
    if (ev->aux == MURPHY_CLASS_REQUEST) {
        struct request *r = calloc(1, sizeof *r);
        SIM_ASSERT(r != NULL);
        r->server = ev->peer;
        SIM_ASSERT(sim_u64map_put(&o->requests, ev->obj, r) == 0);
        return;
    }
    if (ev->aux != MURPHY_CLASS_REPLY || !ev->ref) return;
    struct request *r = sim_u64map_get(&o->requests, ev->ref);
    if (!r || r->reply_id) return; /* not followed, or a second reply */
    r->reply_id = ev->obj;
    SIM_ASSERT(sim_u64map_put(&o->replies, ev->obj, (void *)(uintptr_t)ev->ref) == 0);
}

static void on_drop(struct cause_oracle *o, const struct sim_event *ev)
{
    struct request *r = sim_u64map_get(&o->requests, ev->obj);
    if (r) {
        if (!r->is_delivered) { r->is_dropped = true; r->drop_reason = ev->aux; }
        return;
    }
    uintptr_t request_id = (uintptr_t)sim_u64map_get(&o->replies, ev->obj);
    if (!request_id) return;
    r = sim_u64map_get(&o->requests, request_id);
    if (r) r->is_reply_dropped = true;
}

/* A CORRUPT event comes before the delivery of the copy whose bits were flipped. */
static void on_corrupt(struct cause_oracle *o, const struct sim_event *ev)
{
    struct request *r = sim_u64map_get(&o->requests, ev->obj);
    if (r) {
        r->is_corrupted = true;
        return;
    }
    uintptr_t request_id = (uintptr_t)sim_u64map_get(&o->replies, ev->obj);
    if (!request_id) return;
    r = sim_u64map_get(&o->requests, request_id);
    if (r) r->is_reply_corrupted = true;
}

static void on_deliver(struct cause_oracle *o, const struct sim_event *ev)
{
    struct request *r = sim_u64map_get(&o->requests, ev->obj);
    if (r) {
        if (r->is_delivered) return; /* a duplicate */
        const struct node_truth *server = truth(o, r->server);
        r->is_delivered = true;
        r->crash_epoch = server->crash_epoch;
        r->pause_epoch = server->pause_epoch;
        return;
    }
    uintptr_t request_id = (uintptr_t)sim_u64map_get(&o->replies, ev->obj);
    if (!request_id) return;
    r = sim_u64map_get(&o->requests, request_id);
    /* answered in time: nothing to explain; unless the answer came corrupted, which a
       client that checks drops, so a timeout may still follow */
    if (r && r->is_reply_corrupted && !r->is_held && o->held_count < HELD_MAX) {
        r->is_held = true;
        o->held_count++;
    } else if (r && !r->is_held) {
        forget(o, request_id);
    }
}

void cause_oracle_event(struct cause_oracle *o, const struct sim_event *ev)
{
    switch (ev->kind) {
    case SIM_EV_SEND: on_send(o, ev); break;
    case SIM_EV_DROP: on_drop(o, ev); break;
    case SIM_EV_DELIVER: on_deliver(o, ev); break;
    case SIM_EV_CORRUPT: on_corrupt(o, ev); break;
    case SIM_EV_CRASH: {
        struct node_truth *t = truth(o, ev->node);
        t->is_crashed = true;
        t->is_paused = false;
        t->crash_epoch++;
        break;
    }
    case SIM_EV_RESTART: truth(o, ev->node)->is_crashed = false; break;
    case SIM_EV_PAUSE: {
        struct node_truth *t = truth(o, ev->node);
        if (t->is_crashed) break;
        t->is_paused = true;
        t->pause_epoch++;
        break;
    }
    case SIM_EV_RESUME: truth(o, ev->node)->is_paused = false; break;
    case SIM_EV_TIMEOUT: {
        struct request *r = sim_u64map_get(&o->requests, ev->obj);
        if (!r) break; /* not a request this oracle follows */
        enum cause c = classify(o, r);
        o->counts[c]++;
        if (o->on_label) o->on_label(o->ctx, ev->seq, ev->node, ev->obj, c);
        forget(o, ev->obj);
        break;
    }
    default: break;
    }
}

static void observe(void *ctx, const struct sim_event *ev, const struct sim_event_text *text)
{
    (void)text;
    cause_oracle_event(ctx, ev);
}

struct sim_observer cause_oracle_observer(struct cause_oracle *o)
{
    return (struct sim_observer){o, observe};
}

uint64_t cause_oracle_count(const struct cause_oracle *o, enum cause c) { return o->counts[c]; }
uint64_t cause_oracle_tracked(const struct cause_oracle *o) { return o->requests.count; }
