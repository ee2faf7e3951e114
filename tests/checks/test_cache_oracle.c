/* tests/checks/test_cache_oracle.c - the `cache` oracle judges hits and expiries against
 * true expiry (put time + ttl) to the nanosecond, names the put in each violation, and
 * keeps a bounded memory of puts per key. How: synthetic claim events (as cache_client
 * and cache_server emit them) are fed to the oracle through its oracle_def by the shared
 * fixture (oracle_fixture.h), and the violations and metrics it reports are compared. */
#include <criterion/criterion.h>

#include <string.h>

#include "checks/cache.h"

#include "oracle_fixture.h"

#define TTL_NS INT64_C(1000000000)

/* Emits a claim of node 0 at true time t_ns; returns its seq. */
static uint64_t claim(struct feed *f, int64_t t_ns, const char *name, uint64_t a, uint64_t b)
{
    return feed_claim(f, 0, t_ns, name, (int64_t)a, (int64_t)b);
}

static uint64_t put(struct feed *f, int64_t t_ns, uint64_t key, uint64_t version)
{
    return claim(f, t_ns, "cache.put", key << 32 | version, (uint64_t)TTL_NS);
}

Test(cache_oracle, a_hit_is_stale_from_put_plus_ttl_on)
{
    struct feed f;
    feed_open(&f, &oracle_cache, NULL);
    uint64_t put_seq = put(&f, 5000, 3, 7);
    claim(&f, 5000 + TTL_NS - 1, "cache.hit", 3, 7); /* the last live nanosecond */
    cr_assert_eq(f.violation_count, 0);
    uint64_t stale_seq = claim(&f, 5000 + TTL_NS, "cache.hit", 3, 7);
    cr_assert_eq(f.violation_count, 1);
    cr_assert_eq(f.last_seq, stale_seq);
    char named[32];
    snprintf(named, sizeof named, "put at seq %llu,", (unsigned long long)put_seq);
    cr_assert_not_null(strstr(f.last_text, named), "%s", f.last_text);
    cr_assert_not_null(strstr(f.last_text, "stale read: key 3 version 7"), "%s",
                       f.last_text);
    feed_finish(&f, 0);
    cr_assert_eq(feed_metric(&f, "cache.stale_reads"), 1);
    cr_assert_eq(feed_metric(&f, "cache.hits"), 2);
    cr_assert_eq(feed_metric(&f, "cache.early_drops"), 0);
    feed_close(&f);
}

Test(cache_oracle, an_expiry_is_early_before_put_plus_ttl)
{
    struct feed f;
    feed_open(&f, &oracle_cache, NULL);
    put(&f, 0, 1, 1);
    put(&f, 10, 2, 1);
    claim(&f, TTL_NS, "cache.expired", 1, 1); /* exactly on time */
    cr_assert_eq(f.violation_count, 0);
    claim(&f, TTL_NS + 9, "cache.expired", 2, 1); /* 1 ns early */
    cr_assert_eq(f.violation_count, 1);
    cr_assert_not_null(strstr(f.last_text, "early drop: key 2 version 1"), "%s",
                       f.last_text);
    cr_assert_not_null(strstr(f.last_text, "0.000000001s before"), "%s", f.last_text);
    feed_finish(&f, 0);
    cr_assert_eq(feed_metric(&f, "cache.early_drops"), 1);
    cr_assert_eq(feed_metric(&f, "cache.expiries"), 2);
    feed_close(&f);
}

/* A hit is judged against its own version's put, not the key's newest. */
Test(cache_oracle, versions_of_one_key_are_told_apart)
{
    struct feed f;
    feed_open(&f, &oracle_cache, NULL);
    put(&f, 0, 4, 1);
    put(&f, TTL_NS / 2, 4, 2);
    claim(&f, TTL_NS + 1, "cache.hit", 4, 2); /* version 2 lives until 1.5 s */
    cr_assert_eq(f.violation_count, 0);
    claim(&f, TTL_NS + 2, "cache.hit", 4, 1); /* version 1 died at 1 s */
    cr_assert_eq(f.violation_count, 1);
    feed_close(&f);
}

/* Memory per key is CACHE_ORACLE_PUTS_KEPT puts: an older version is no longer judged. */
Test(cache_oracle, memory_per_key_is_bounded)
{
    struct feed f;
    feed_open(&f, &oracle_cache, NULL);
    for (uint64_t v = 1; v <= 100; v++) put(&f, (int64_t)v, 9, v);
    claim(&f, 10 * TTL_NS, "cache.hit", 9, 1);
    cr_assert_eq(f.violation_count, 0, "version 1 was forgotten");
    claim(&f, 10 * TTL_NS, "cache.hit", 9, 100);
    cr_assert_eq(f.violation_count, 1, "the newest version is remembered");
    feed_finish(&f, 0);
    cr_assert_eq(feed_metric(&f, "cache.unjudged"), 1);
    cr_assert_eq(feed_metric(&f, "cache.puts"), 100);
    feed_close(&f);
}

/* No put claimed: the run had no cache, and the oracle reports no metric. */
Test(cache_oracle, silent_without_a_cache)
{
    struct feed f;
    feed_open(&f, &oracle_cache, NULL);
    claim(&f, 1, "lease.grant", 1, 2);
    claim(&f, 2, "cache.hit", 1, 1);
    feed_finish(&f, 0);
    cr_assert_eq(f.metric_count, 0);
    cr_assert_eq(f.violation_count, 0);
    feed_close(&f);
}
