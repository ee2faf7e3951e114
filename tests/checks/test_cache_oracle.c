/* tests/checks/test_cache_oracle.c - the `cache` oracle judges hits and expiries against
 * true expiry (put time + ttl) to the nanosecond, names the put in each violation, and
 * keeps a bounded memory of puts per key. How: synthetic claim events (as cache_client
 * and cache_server emit them) are fed to the oracle through its oracle_def, and the
 * violations and metrics it reports are collected and compared. */
#include <criterion/criterion.h>

#include <string.h>

#include "checks/cache.h"

#define TTL_NS INT64_C(1000000000)

struct collected {
    int violations;
    char last_text[512];
    uint64_t last_seq;
    double metrics[8];
    char metric_names[8][32];
    int metric_count;
};

static void on_violation(void *ctx, const struct sim_event *at, const char *oracle,
                         const char *text)
{
    struct collected *c = ctx;
    cr_assert_str_eq(oracle, "cache");
    c->violations++;
    c->last_seq = at->seq;
    snprintf(c->last_text, sizeof c->last_text, "%s", text);
}

static void on_metric(void *ctx, const char *name, double value, const char *unit)
{
    struct collected *c = ctx;
    cr_assert_str_eq(unit, "count");
    cr_assert_lt(c->metric_count, 8);
    snprintf(c->metric_names[c->metric_count], sizeof c->metric_names[0], "%s", name);
    c->metrics[c->metric_count++] = value;
}

static double metric(const struct collected *c, const char *name)
{
    for (int i = 0; i < c->metric_count; i++)
        if (strcmp(c->metric_names[i], name) == 0) return c->metrics[i];
    cr_assert_fail("no metric %s", name);
    return -1;
}

struct feed {
    const struct oracle_def *def;
    void *self;
    struct collected got;
    struct oracle_report report;
    uint64_t seq;
};

static void feed_open(struct feed *f)
{
    memset(f, 0, sizeof *f);
    f->def = &oracle_cache;
    f->report = (struct oracle_report){&f->got, on_violation, on_metric};
    f->self = f->def->create(&f->report, NULL);
    cr_assert_not_null(f->self);
}

/* Emits a claim at true time t_ns; returns its seq. */
static uint64_t claim(struct feed *f, int64_t t_ns, const char *name, uint64_t a, uint64_t b)
{
    struct sim_event ev = {.seq = f->seq++, .time_ns = t_ns, .node = 0, .peer = SIM_NODE_NONE,
                           .kind = SIM_EV_CLAIM, .obj = a, .ref = b};
    struct sim_event_text text = {{name, NULL, NULL}};
    f->def->on_event(f->self, &ev, &text);
    return ev.seq;
}

static uint64_t put(struct feed *f, int64_t t_ns, uint64_t key, uint64_t version)
{
    return claim(f, t_ns, "cache.put", key << 32 | version, (uint64_t)TTL_NS);
}

Test(cache_oracle, a_hit_is_stale_from_put_plus_ttl_on)
{
    struct feed f;
    feed_open(&f);
    uint64_t put_seq = put(&f, 5000, 3, 7);
    claim(&f, 5000 + TTL_NS - 1, "cache.hit", 3, 7); /* the last live nanosecond */
    cr_assert_eq(f.got.violations, 0);
    uint64_t stale_seq = claim(&f, 5000 + TTL_NS, "cache.hit", 3, 7);
    cr_assert_eq(f.got.violations, 1);
    cr_assert_eq(f.got.last_seq, stale_seq);
    char named[32];
    snprintf(named, sizeof named, "put at seq %llu,", (unsigned long long)put_seq);
    cr_assert_not_null(strstr(f.got.last_text, named), "%s", f.got.last_text);
    cr_assert_not_null(strstr(f.got.last_text, "stale read: key 3 version 7"), "%s",
                       f.got.last_text);
    f.def->finish(f.self, 0);
    cr_assert_eq(metric(&f.got, "cache.stale_reads"), 1);
    cr_assert_eq(metric(&f.got, "cache.hits"), 2);
    cr_assert_eq(metric(&f.got, "cache.early_drops"), 0);
    f.def->destroy(f.self);
}

Test(cache_oracle, an_expiry_is_early_before_put_plus_ttl)
{
    struct feed f;
    feed_open(&f);
    put(&f, 0, 1, 1);
    put(&f, 10, 2, 1);
    claim(&f, TTL_NS, "cache.expired", 1, 1); /* exactly on time */
    cr_assert_eq(f.got.violations, 0);
    claim(&f, TTL_NS + 9, "cache.expired", 2, 1); /* 1 ns early */
    cr_assert_eq(f.got.violations, 1);
    cr_assert_not_null(strstr(f.got.last_text, "early drop: key 2 version 1"), "%s",
                       f.got.last_text);
    cr_assert_not_null(strstr(f.got.last_text, "0.000000001s before"), "%s", f.got.last_text);
    f.def->finish(f.self, 0);
    cr_assert_eq(metric(&f.got, "cache.early_drops"), 1);
    cr_assert_eq(metric(&f.got, "cache.expiries"), 2);
    f.def->destroy(f.self);
}

/* A hit is judged against its own version's put, not the key's newest. */
Test(cache_oracle, versions_of_one_key_are_told_apart)
{
    struct feed f;
    feed_open(&f);
    put(&f, 0, 4, 1);
    put(&f, TTL_NS / 2, 4, 2);
    claim(&f, TTL_NS + 1, "cache.hit", 4, 2); /* version 2 lives until 1.5 s */
    cr_assert_eq(f.got.violations, 0);
    claim(&f, TTL_NS + 2, "cache.hit", 4, 1); /* version 1 died at 1 s */
    cr_assert_eq(f.got.violations, 1);
    f.def->destroy(f.self);
}

/* Memory per key is CACHE_ORACLE_PUTS_KEPT puts: an older version is no longer judged. */
Test(cache_oracle, memory_per_key_is_bounded)
{
    struct feed f;
    feed_open(&f);
    for (uint64_t v = 1; v <= 100; v++) put(&f, (int64_t)v, 9, v);
    claim(&f, 10 * TTL_NS, "cache.hit", 9, 1);
    cr_assert_eq(f.got.violations, 0, "version 1 was forgotten");
    claim(&f, 10 * TTL_NS, "cache.hit", 9, 100);
    cr_assert_eq(f.got.violations, 1, "the newest version is remembered");
    f.def->finish(f.self, 0);
    cr_assert_eq(metric(&f.got, "cache.unjudged"), 1);
    cr_assert_eq(metric(&f.got, "cache.puts"), 100);
    f.def->destroy(f.self);
}

/* No put claimed: the run had no cache, and the oracle reports no metric. */
Test(cache_oracle, silent_without_a_cache)
{
    struct feed f;
    feed_open(&f);
    claim(&f, 1, "lease.grant", 1, 2);
    claim(&f, 2, "cache.hit", 1, 1);
    f.def->finish(f.self, 0);
    cr_assert_eq(f.got.metric_count, 0);
    cr_assert_eq(f.got.violations, 0);
    f.def->destroy(f.self);
}
