/* checks/cache.c - the `cache` oracle; see cache.h for what it judges. Keeps, per key, a
 * ring of the newest puts (version, true put time, ttl, seq) in a map keyed by key + 1;
 * a hit or an expiry looks its version up in the ring and compares the event's true time
 * with put time + ttl. */
#include "cache.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/assert.h"
#include "sim/u64map.h"

struct put_record {
    uint64_t version;  /* 0: empty */
    int64_t put_ns;    /* true time of the writer's stamp */
    int64_t ttl_ns;
    uint64_t seq;      /* of the put claim */
};

struct key_puts {
    struct put_record recent[CACHE_ORACLE_PUTS_KEPT];
    uint32_t next; /* the ring's next slot */
};

struct cache_oracle {
    const struct oracle_report *report;
    struct sim_u64map keys; /* key + 1 -> struct key_puts */
    uint64_t puts, hits, expiries, stale_reads, early_drops, unjudged;
};

static void *cache_create(const struct oracle_report *report, const struct sim_scenario *scn)
{
    (void)scn;
    struct cache_oracle *o = calloc(1, sizeof *o);
    if (o) o->report = report;
    return o;
}

static void free_puts(void *ctx, uint64_t key, void *value)
{
    (void)ctx;
    (void)key;
    free(value);
}

static void cache_destroy(void *self)
{
    struct cache_oracle *o = self;
    sim_u64map_each_sorted(&o->keys, free_puts, NULL);
    sim_u64map_free(&o->keys);
    free(o);
}

/* "12.345678901s" (true times and durations in violation texts). */
static const char *format_ns(int64_t ns, char *out, size_t out_bytes)
{
    uint64_t mag = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
    snprintf(out, out_bytes, "%s%" PRIu64 ".%09" PRIu64 "s", ns < 0 ? "-" : "",
             mag / 1000000000u, mag % 1000000000u);
    return out;
}

static void on_put(struct cache_oracle *o, const struct sim_event *ev)
{
    uint64_t key = ev->obj >> 32;
    uint64_t version = ev->obj & 0xffffffffu;
    int64_t ttl_ns = (int64_t)ev->ref;
    if (version == 0 || ttl_ns <= 0) return; /* not a put this oracle can judge */
    o->puts++;
    struct key_puts *k = sim_u64map_get(&o->keys, key + 1);
    if (!k) {
        k = calloc(1, sizeof *k);
        SIM_ASSERT(k != NULL);
        SIM_ASSERT(sim_u64map_put(&o->keys, key + 1, k) == 0);
    }
    SIM_ASSERT(k->next < CACHE_ORACLE_PUTS_KEPT);
    k->recent[k->next] = (struct put_record){version, ev->time_ns, ttl_ns, ev->seq};
    k->next = (k->next + 1) % CACHE_ORACLE_PUTS_KEPT;
}

static const struct put_record *find_put(const struct cache_oracle *o, uint64_t key,
                                         uint64_t version)
{
    if (key > UINT32_MAX || version == 0) return NULL; /* no put claim carries these */
    const struct key_puts *k = sim_u64map_get(&o->keys, key + 1);
    for (int i = 0; k && i < CACHE_ORACLE_PUTS_KEPT; i++)
        if (k->recent[i].version == version) return &k->recent[i];
    return NULL;
}

/* A hit (is_hit) or an expiry of (key, version) at ev: judged against true expiry. */
static void on_judged(struct cache_oracle *o, const struct sim_event *ev, bool is_hit)
{
    const struct put_record *p = find_put(o, ev->obj, ev->ref);
    if (is_hit) o->hits++;
    else o->expiries++;
    if (!p || ev->time_ns < p->put_ns) { /* forgotten, or a model that claims out of order */
        o->unjudged++;
        return;
    }
    int64_t age_ns = ev->time_ns - p->put_ns;
    bool is_live = age_ns < p->ttl_ns;
    if (is_hit == is_live) return;
    if (is_hit) o->stale_reads++;
    else o->early_drops++;
    char at[32], off[32], put_at[32], ttl[32];
    char text[320];
    snprintf(text, sizeof text, "%s: key %" PRIu64 " version %" PRIu64 " %s at true %s, %s %s"
             " (put at seq %" PRIu64 ", true %s, ttl %s)",
             is_hit ? "stale read" : "early drop", ev->obj, ev->ref, is_hit ? "served" : "dropped",
             format_ns(ev->time_ns, at, sizeof at),
             format_ns(is_hit ? age_ns - p->ttl_ns : p->ttl_ns - age_ns, off, sizeof off),
             is_hit ? "after it expired" : "before it expires", p->seq,
             format_ns(p->put_ns, put_at, sizeof put_at), format_ns(p->ttl_ns, ttl, sizeof ttl));
    o->report->violation(o->report->ctx, ev, oracle_cache.name, text);
}

static void cache_on_event(void *self, const struct sim_event *ev,
                           const struct sim_event_text *text)
{
    const char *claim = oracle_claim_name(ev, text);
    if (!claim || strncmp(claim, "cache.", 6) != 0) return;
    struct cache_oracle *o = self;
    if (strcmp(claim, "cache.put") == 0) on_put(o, ev);
    else if (strcmp(claim, "cache.hit") == 0) on_judged(o, ev, true);
    else if (strcmp(claim, "cache.expired") == 0) on_judged(o, ev, false);
}

static void cache_finish(void *self, int64_t end_ns)
{
    (void)end_ns;
    struct cache_oracle *o = self;
    if (o->puts == 0) return; /* no cache in this run */
    const struct oracle_report *r = o->report;
    r->metric(r->ctx, "cache.puts", (double)o->puts, "count");
    r->metric(r->ctx, "cache.hits", (double)o->hits, "count");
    r->metric(r->ctx, "cache.expiries", (double)o->expiries, "count");
    r->metric(r->ctx, "cache.stale_reads", (double)o->stale_reads, "count");
    r->metric(r->ctx, "cache.early_drops", (double)o->early_drops, "count");
    r->metric(r->ctx, "cache.unjudged", (double)o->unjudged, "count");
}

const struct oracle_def oracle_cache = {
    .name = "cache",
    .create = cache_create,
    .on_event = cache_on_event,
    .finish = cache_finish,
    .destroy = cache_destroy,
};
