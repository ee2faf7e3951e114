/* tests/checks/test_lease_oracle.c - the "lease" oracle (checks/lease.c) counts grants,
 * accepted and refused writes, and reports every lost update at its accept event, naming
 * the intervening write and both holders. How: synthetic claim streams, as the lease
 * models would make them, are fed by the shared fixture (oracle_fixture.h) to the oracle
 * of a small scenario (for node names); the violations and metrics it reports are
 * compared with what lease.h promises. Also:
 * a conflict older than the oracle's ring is still reported (by version only), and an
 * oracle that saw no lease claim reports no metric. */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "checks/lease.h"

#include "oracle_fixture.h"

/* node indexes in file order */
enum { LOCK = 0, STORE = 1, CLIENT0 = 2, CLIENT1 = 3 };

static const char *const scenario_text =
    "[scenario]\nduration = 1s\n"
    "[node.lock]\nmodel = lease_server\n"
    "[node.store]\nmodel = store_server\n"
    "[node.client]\nmodel = lease_client\ncount = 2\nlock = lock\nstore = store\n";

/* Feeds a claim (at 1 us per event fed); returns its seq. */
static uint64_t claim(struct feed *f, uint32_t node, const char *name, int64_t a, int64_t b)
{
    return feed_claim(f, node, (int64_t)(f->seq + 1) * 1000, name, a, b);
}

/* Any other event: ignored by the oracle. */
static void other(struct feed *f)
{
    feed_event(f, (struct sim_event){.node = CLIENT0, .peer = SIM_NODE_NONE,
                                     .kind = SIM_EV_NOTE, .obj = 7, .ref = 7},
               "store.accept");
}

static void assert_contains(const char *text, const char *needle)
{
    cr_assert_not_null(strstr(text, needle), "expected '%s' in: %s", needle, text);
}

Test(oracle_lease, one_writer_at_a_time_is_no_conflict)
{
    struct feed f;
    feed_open(&f, &oracle_lease, scenario_text);
    for (int64_t token = 1; token <= 5; token++) {
        claim(&f, LOCK, "lease.grant", CLIENT0 + (token % 2), token);
        other(&f);
        claim(&f, STORE, "store.accept", token, token - 1);
    }
    claim(&f, STORE, "store.reject", 2, 5);
    claim(&f, STORE, "store.reject_read", 3, 5);
    claim(&f, STORE, "store.reject_read", 4, 5);
    feed_finish(&f, 0);
    cr_assert_eq(f.violation_count, 0, "%s", f.last_text);
    cr_assert_eq(feed_metric(&f, "lease.grants"), 5);
    cr_assert_eq(feed_metric(&f, "lease.writes_accepted"), 5);
    cr_assert_eq(feed_metric(&f, "lease.stale_rejected"), 1);
    cr_assert_eq(feed_metric(&f, "lease.stale_reads_rejected"), 2);
    cr_assert_eq(feed_metric(&f, "lease.conflicts"), 0);
    feed_close(&f);
}

/* The stale holder (token 1) read version 0, paused; token 2 read and wrote version 1;
 * token 1 writes on version 0: a lost update at that accept. */
Test(oracle_lease, a_write_on_an_old_version_is_a_conflict_naming_both)
{
    struct feed f;
    feed_open(&f, &oracle_lease, scenario_text);
    uint64_t grant1 = claim(&f, LOCK, "lease.grant", CLIENT0, 1);
    uint64_t grant2 = claim(&f, LOCK, "lease.grant", CLIENT1, 2);
    uint64_t between = claim(&f, STORE, "store.accept", 2, 0);
    uint64_t stale = claim(&f, STORE, "store.accept", 1, 0);
    feed_finish(&f, 0);
    cr_assert_eq(f.violation_count, 1);
    cr_assert_eq(f.last_seq, stale, "reported at the accept that lost the update");
    const char *text = f.last_text;
    char want[128];
    snprintf(want, sizeof want, "client.0 (token 1, granted at seq %" PRIu64 ")", grant1);
    assert_contains(text, want);
    snprintf(want, sizeof want, "client.1 (token 2, granted at seq %" PRIu64 ")", grant2);
    assert_contains(text, want);
    snprintf(want, sizeof want, "version 1 had been written at seq %" PRIu64, between);
    assert_contains(text, want);
    assert_contains(text, "wrote on version 0");
    assert_contains(text, "the store was at version 1, so 1 update(s) are lost");
    cr_assert_eq(feed_metric(&f, "lease.conflicts"), 1);
    cr_assert_eq(feed_metric(&f, "lease.writes_accepted"), 2);
    feed_close(&f);
}

/* The newer holder's update can be the one lost: it read, then the stale holder wrote. */
Test(oracle_lease, the_newer_holder_can_lose_its_update)
{
    struct feed f;
    feed_open(&f, &oracle_lease, scenario_text);
    claim(&f, LOCK, "lease.grant", CLIENT0, 1);
    claim(&f, LOCK, "lease.grant", CLIENT1, 2);
    uint64_t stale = claim(&f, STORE, "store.accept", 1, 0);
    uint64_t lost = claim(&f, STORE, "store.accept", 2, 0);
    feed_finish(&f, 0);
    cr_assert_eq(f.violation_count, 1);
    cr_assert_eq(f.last_seq, lost);
    char want[64];
    snprintf(want, sizeof want, "had been written at seq %" PRIu64 " by client.0", stale);
    assert_contains(f.last_text, want);
    assert_contains(f.last_text, "lost update: client.1 (token 2");
    feed_close(&f);
}

/* Memory is a ring: a write older than it is still a conflict, named by version only;
 * a token whose grant left the ring is "an unknown holder". */
Test(oracle_lease, conflicts_beyond_the_ring_are_still_reported)
{
    struct feed f;
    feed_open(&f, &oracle_lease, scenario_text);
    int64_t writes = LEASE_ORACLE_RING + 10;
    for (int64_t token = 1; token <= writes; token++) {
        claim(&f, LOCK, "lease.grant", CLIENT1, token);
        claim(&f, STORE, "store.accept", token, token - 1);
    }
    claim(&f, STORE, "store.accept", 1, 0); /* token 1, granted long ago, on version 0 */
    feed_finish(&f, 0);
    cr_assert_eq(f.violation_count, 1);
    assert_contains(f.last_text, "an unknown holder (token 1)");
    assert_contains(f.last_text, "version 1 had been written (too long ago");
    char want[96];
    snprintf(want, sizeof want, "so %" PRId64 " update(s) are lost", writes);
    assert_contains(f.last_text, want);
    feed_close(&f);
}

/* A store that claims a write on a version it never reached is itself broken. */
Test(oracle_lease, a_write_on_a_future_version_is_a_violation)
{
    struct feed f;
    feed_open(&f, &oracle_lease, scenario_text);
    claim(&f, LOCK, "lease.grant", CLIENT0, 1);
    claim(&f, STORE, "store.accept", 1, 3);
    feed_finish(&f, 0);
    cr_assert_eq(f.violation_count, 1);
    assert_contains(f.last_text, "on version 3, which it had not reached (it was at 0)");
    cr_assert_eq(feed_metric(&f, "lease.conflicts"), 0);
    feed_close(&f);
}

/* Two stores are counted apart: writes to one never move the other's version. */
Test(oracle_lease, stores_keep_their_own_versions)
{
    struct feed f;
    feed_open(&f, &oracle_lease, scenario_text);
    claim(&f, LOCK, "lease.grant", CLIENT0, 1);
    claim(&f, STORE, "store.accept", 1, 0);
    claim(&f, CLIENT1, "store.accept", 1, 0); /* another node acting as a store */
    feed_finish(&f, 0);
    cr_assert_eq(f.violation_count, 0, "%s", f.last_text);
    feed_close(&f);
}

Test(oracle_lease, no_claims_no_metrics)
{
    struct feed f;
    feed_open(&f, &oracle_lease, scenario_text);
    other(&f);
    claim(&f, CLIENT0, "something.else", 1, 2);
    feed_finish(&f, 0);
    cr_assert_eq(f.metric_count, 0);
    cr_assert_eq(f.violation_count, 0);
    feed_close(&f);
}
