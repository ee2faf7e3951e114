/* tests/cli/test_queueing.c - proves that queue_server (models/queue_server.c) is a
 * queue the textbook recognises, and what load does to latency:
 *  - M/M/1 (scenarios/queueing-delay.ini): mean sojourn, measured server-side after the
 *    first 10% of the run (analysis/acc_queue.h), within 5% of 1/(mu - lambda) at
 *    utilisation 0.5, 0.8 and 0.9; p99 grows with utilisation and p99/p50 stays at the
 *    exponential's ln 100 / ln 2 = 6.64 (the M/M/1 sojourn is exponential at every rho);
 *    with constant service (M/D/1) p99/p50 grows with utilisation, from near 1 (the
 *    service time alone) towards the exponential's;
 *  - vm-steal: ops p99 (client-side, ops.echo.p99_ns) with stalls far above without,
 *    same seeds;
 *  - backpressure: with queue_max = 5 past saturation, rejections happen, the client
 *    counts each as a failed op, and no claim shows a queue longer than 5;
 *  - determinism: both scenarios give the same hash in two processes, replay identical,
 *    and the queue metrics fed from the record equal the live ones to the last bit.
 *
 * How many customers. The mean of n consecutive waiting times of an M/M/1 queue has
 * variance sigma^2/n with sigma^2 = rho (2 + 5 rho - 4 rho^2 + rho^3) / (mu^2 (1 - rho)^4)
 * (Daley 1968; the sojourn's is close to it as rho -> 1), so its relative standard error
 * is about 20 / sqrt(n) at rho 0.9 (the correlation time is long: the queue forgets
 * slowly), 8.9 / sqrt(n) at 0.8 and 2.7 / sqrt(n) at 0.5. For 5% to be at least 3.5
 * standard errors: rho 0.9 pools 2 seeds x 1200 s (about 1.9 million customers after
 * warm-up: SE 1.4%), rho 0.8 2 seeds x 600 s (0.86 million: SE 1.0%), rho 0.5 one seed of
 * 600 s (0.27 million: SE 0.5%). Runs use --no-db (the metrics are printed) and take a
 * few seconds each in the optimized build. Under the sanitizers (MURPHY_TEST_SANITIZED)
 * runs are 20 s and one seed, far too few customers for 5%: only liveness and loose
 * bounds are checked (customers served at the Poisson rate, no rejection, the mean within
 * a factor 2 of theory, p50 < p99). */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spawn.h"

#define QUEUEING "queueing-delay"
#define STEAL "vm-steal"
#define SERVICE_MEAN_NS 1e6 /* the scenario's exponential 1ms */
#define SEEDS_MAX 4u

#if MURPHY_TEST_SANITIZED
#define IS_SANITIZED 1
#else
#define IS_SANITIZED 0
#endif

TestSuite(queueing, .init = tmp_setup, .fini = tmp_teardown);

/* The queue metrics one run printed (murphy run --no-db prints `metric:` lines). */
struct queue_metrics {
    double count, mean_ns, p50_ns, p99_ns, queue_max, rejected;
};

static double printed_metric(const char *out, const char *name)
{
    char key[128];
    snprintf(key, sizeof key, "metric: %s ", name);
    const char *at = strstr(out, key);
    cr_assert_not_null(at, "no metric %s in:\n%s", name, out);
    return strtod(at + strlen(key), NULL);
}

static const char *arrival_text(double rho, char *out, size_t out_bytes)
{
    snprintf(out, out_bytes, "node.client.arrival=exponential %.0fns", SERVICE_MEAN_NS / rho);
    return out;
}

/* Runs seed_count seeds (1, 2, ...) of QUEUEING side by side at utilisation rho for
 * duration, with one more --set if extra is not NULL, and returns each run's metrics. */
static void run_queue(double rho, const char *duration, unsigned seed_count, const char *extra,
                      struct queue_metrics *out)
{
    cr_assert_leq(seed_count, SEEDS_MAX);
    struct spawn_child children[SEEDS_MAX];
    char arrival[96], dur[64], seeds[SEEDS_MAX][24];
    arrival_text(rho, arrival, sizeof arrival);
    snprintf(dur, sizeof dur, "scenario.duration=%s", duration);
    for (unsigned i = 0; i < seed_count; i++) {
        snprintf(seeds[i], sizeof seeds[i], "%u", i + 1);
        const char *argv[] = {"run", QUEUEING, "--seed", seeds[i], "--no-db", "--set", arrival,
                              "--set", dur, extra ? "--set" : NULL, extra, NULL};
        cr_assert_eq(spawn_start(&children[i], NULL, argv), 0);
    }
    for (unsigned i = 0; i < seed_count; i++) {
        struct spawn_result r;
        spawn_wait(&children[i], &r, 300.0);
        assert_exit(&r, 0);
        out[i] = (struct queue_metrics){
            printed_metric(r.out, "queue.count"),      printed_metric(r.out, "queue.sojourn_mean_ns"),
            printed_metric(r.out, "queue.sojourn_p50_ns"), printed_metric(r.out, "queue.sojourn_p99_ns"),
            printed_metric(r.out, "queue.queue_max"),  printed_metric(r.out, "queue.rejected")};
        spawn_result_free(&r);
    }
}

/* The seeds' sojourns pooled: the mean over every customer after warm-up. */
static double pooled_mean_ns(const struct queue_metrics *m, unsigned seed_count, double *count)
{
    double sum = 0, n = 0;
    for (unsigned i = 0; i < seed_count; i++) {
        sum += m[i].mean_ns * m[i].count;
        n += m[i].count;
    }
    *count = n;
    return sum / n;
}

/* M/M/1 at rho: the pooled mean sojourn against 1/(mu - lambda). */
static double check_mm1(double rho, const char *duration, unsigned seed_count)
{
    struct queue_metrics m[SEEDS_MAX];
    if (IS_SANITIZED) {
        duration = "20s";
        seed_count = 1;
    }
    run_queue(rho, duration, seed_count, NULL, m);
    double count = 0;
    double mean_ns = pooled_mean_ns(m, seed_count, &count);
    double expected_ns = SERVICE_MEAN_NS / (1.0 - rho); /* 1/(mu - lambda) */
    double seconds = strtod(duration, NULL);
    double arrivals = rho / (SERVICE_MEAN_NS / 1e9) * seconds * 0.9 * seed_count;
    cr_log_info("rho %.1f: %.0f customers, mean sojourn %.4f ms (theory %.4f, %+.2f%%), "
                "p50 %.3f ms, p99 %.3f ms, longest queue %.0f", rho, count, mean_ns / 1e6,
                expected_ns / 1e6, 100 * (mean_ns / expected_ns - 1), m[0].p50_ns / 1e6,
                m[0].p99_ns / 1e6, m[0].queue_max);
    /* liveness: the customers after warm-up are the Poisson count's, within 5% */
    cr_assert_gt(count, 0.95 * arrivals, "%.0f customers, %.0f expected", count, arrivals);
    cr_assert_lt(m[0].p50_ns, m[0].p99_ns);
    cr_assert_eq(m[0].rejected, 0, "an unbounded queue rejected");
    if (IS_SANITIZED) {
        cr_assert(mean_ns > expected_ns / 2 && mean_ns < expected_ns * 2,
                  "mean %.0f ns, theory %.0f", mean_ns, expected_ns);
        return m[0].p99_ns;
    }
    cr_assert(fabs(mean_ns / expected_ns - 1) < 0.05, "rho %.1f: mean %.0f ns, theory %.0f ns",
              rho, mean_ns, expected_ns);
    /* the sojourn is exponential of rate mu - lambda: p99/p50 = ln 100 / ln 2 */
    double ratio = m[0].p99_ns / m[0].p50_ns;
    cr_assert(fabs(ratio / (log(100) / log(2)) - 1) < 0.1, "rho %.1f: p99/p50 %.3f", rho, ratio);
    return m[0].p99_ns;
}

Test(queueing, mm1_mean_sojourn_is_one_over_mu_minus_lambda, .timeout = 600)
{
    double p99_05 = check_mm1(0.5, "600s", 1);
    double p99_08 = check_mm1(0.8, "600s", 2);
    double p99_09 = check_mm1(0.9, "1200s", 2);
    cr_assert(p99_05 < p99_08 && p99_08 < p99_09, "p99 %.0f, %.0f, %.0f ns", p99_05, p99_08,
              p99_09);
}

/* M/D/1: at low utilisation the sojourn is mostly the constant service, so the tail is
 * close to the middle; as rho grows the waiting dominates and p99/p50 grows. */
Test(queueing, md1_tail_ratio_grows_with_utilisation, .timeout = 600)
{
    const double rhos[] = {0.2, 0.5, 0.8, 0.9};
    double previous = 0;
    for (size_t i = 0; i < sizeof rhos / sizeof rhos[0]; i++) {
        struct queue_metrics m;
        run_queue(rhos[i], IS_SANITIZED ? "20s" : "120s", 1,
                  "node.server.service_time=constant 1ms", &m);
        double ratio = m.p99_ns / m.p50_ns;
        cr_log_info("M/D/1 rho %.1f: p50 %.3f ms, p99 %.3f ms, p99/p50 %.3f", rhos[i],
                    m.p50_ns / 1e6, m.p99_ns / 1e6, ratio);
        cr_assert_gt(m.count, 1000); /* liveness */
        cr_assert_geq(m.p50_ns, SERVICE_MEAN_NS * 0.999, "a sojourn shorter than its service");
        cr_assert_gt(ratio, previous, "rho %.1f: p99/p50 %.3f, not above %.3f", rhos[i], ratio,
                     previous);
        previous = ratio;
    }
}

/* extra_set: one --set (NULL: none). */
static double steal_p99_ns(const char *db_path, uint64_t seed, const char *extra_set)
{
    struct recorded rec = record_run(db_path, STEAL, seed, extra_set ? "--set" : NULL, extra_set);
    sqlite3 *db = db_open(db_path, false);
    double p99 = db_metric(db, rec.run_id, "ops.echo.p99_ns");
    cr_assert_gt(db_metric_count(db, rec.run_id, "ops.echo.ok"), 5000); /* liveness */
    db_close(db);
    return p99;
}

Test(queueing, stalls_raise_p99_on_the_same_seeds, .timeout = 600)
{
    unsigned seeds = IS_SANITIZED ? 1u : 3u;
    for (uint64_t seed = 1; seed <= seeds; seed++) {
        double with_ns = steal_p99_ns(tmp_path("with.db"), seed, NULL);
        double without_ns = steal_p99_ns(tmp_path("without.db"), seed, "node.server.gc_every=none");
        cr_log_info("vm-steal seed %" PRIu64 ": p99 %.3f ms with stalls, %.3f ms without", seed,
                    with_ns / 1e6, without_ns / 1e6);
        /* stalls of ~30 ms over ~6% of the time put tens of ms into p99 */
        cr_assert_gt(with_ns, 3 * without_ns, "seed %" PRIu64 ": %.0f vs %.0f ns", seed, with_ns,
                     without_ns);
    }
}

#define CLAIMS                                                                              \
    "WITH c AS (SELECT a.text AS name, e.obj_id AS a, e.ref_id AS b"                       \
    " FROM events e JOIN annotations a ON a.run_id = e.run_id AND a.seq = e.seq"           \
    " AND a.kind = 'claim' WHERE e.run_id = ?1 AND e.kind = 'claim') "

Test(queueing, a_full_queue_rejects_and_never_grows_past_its_limit)
{
    const char *db_path = tmp_path("bp.db");
    char arrival[96];
    const char *extra[] = {"--set", arrival_text(1.2, arrival, sizeof arrival), "--set",
                           "node.server.queue_max=5", "--set", "scenario.duration=10s", NULL};
    struct recorded rec = record_run_argv(db_path, QUEUEING, 1, 0, extra);
    sqlite3 *db = db_open(db_path, false);
    int64_t rejected = db_int(db, CLAIMS "SELECT count(*) FROM c WHERE name='queue.reject'",
                              rec.run_id, 0);
    int64_t served = db_int(db, CLAIMS "SELECT count(*) FROM c WHERE name='queue.sojourn'",
                            rec.run_id, 0);
    int64_t longest = db_int(db, CLAIMS "SELECT max(b) FROM c WHERE name='queue.sojourn'",
                             rec.run_id, 0);
    int64_t reject_at_limit = db_int(db, CLAIMS "SELECT count(*) FROM c WHERE"
                                     " name='queue.reject' AND a = 5", rec.run_id, 0);
    cr_log_info("backpressure: %" PRId64 " served, %" PRId64 " rejected, longest queue %" PRId64,
                served, rejected, longest);
    cr_assert_gt(served, 5000);  /* liveness */
    cr_assert_gt(rejected, 100); /* at rho 1.2 a sixth of arrivals cannot be served */
    cr_assert_eq(longest, 5, "the queue reached %" PRId64 ", limit 5", longest);
    cr_assert_eq(reject_at_limit, rejected, "a rejection with the queue not full");
    /* the client counted every busy reply as a failed op, and the accumulator agrees */
    cr_assert_eq(db_metric_count(db, rec.run_id, "ops.echo.fail"), rejected);
    cr_assert_eq(db_metric_count(db, rec.run_id, "queue.rejected"), rejected);
    cr_assert_eq(db_metric_count(db, rec.run_id, "queue.queue_max"), 5);
    db_close(db);
}

/* The client's window is the other backpressure: with 2 operations open at most and the
 * server saturated, operations beyond the window fail at once ("window full"), and no
 * more than 2 are ever open at one true instant (checked over the ops table). */
Test(queueing, a_full_client_window_fails_operations_at_once)
{
    const char *db_path = tmp_path("win.db");
    char arrival[96];
    const char *extra[] = {"--set", arrival_text(1.2, arrival, sizeof arrival), "--set",
                           "node.client.window=2", "--set", "scenario.duration=10s", NULL};
    struct recorded rec = record_run_argv(db_path, QUEUEING, 1, 0, extra);
    sqlite3 *db = db_open(db_path, false);
    int64_t full = db_int(db, "SELECT count(*) FROM ops WHERE run_id=?1 AND type='fail' AND"
                          " result='window full'", rec.run_id, 0);
    int64_t instant = db_int(db, "SELECT count(*) FROM ops WHERE run_id=?1 AND"
                             " result='window full' AND complete_ns <> invoke_ns", rec.run_id, 0);
    int64_t ok = db_int(db, "SELECT count(*) FROM ops WHERE run_id=?1 AND type='ok'",
                        rec.run_id, 0);
    /* the most operations open at once, per client node: an operation is open from its
     * invoke to its completion; count, at each invoke of an admitted op, the others open */
    int64_t most_open = db_int(db, "SELECT max(n) FROM (SELECT (SELECT count(*) FROM ops o"
                               " WHERE o.run_id=?1 AND o.node=a.node AND o.result IS NOT"
                               " 'window full' AND o.invoke_ns <= a.invoke_ns AND"
                               " (o.complete_ns IS NULL OR o.complete_ns > a.invoke_ns)) AS n"
                               " FROM ops a WHERE a.run_id=?1 AND a.result IS NOT 'window full'"
                               " AND a.op_id % 50 = 0)", rec.run_id, 0);
    cr_log_info("window: %" PRId64 " ok, %" PRId64 " refused, at most %" PRId64 " open",
                ok, full, most_open);
    cr_assert_gt(ok, 1000, "liveness");
    cr_assert_gt(full, 100, "a saturated server fills a window of 2");
    cr_assert_eq(instant, 0, "a window-full failure is immediate");
    cr_assert_leq(most_open, 2, "more than the window open at once");
    db_close(db);
}

Test(queueing, same_hash_in_two_processes_and_replay_is_identical, .timeout = 300)
{
    const char *scenarios[] = {QUEUEING, STEAL};
    for (size_t i = 0; i < 2; i++) {
        const char *extra[] = {"--set", "scenario.duration=5s", NULL};
        struct spawn_child a, b;
        record_run_start(&a, tmp_path("a.db"), scenarios[i], 7, extra);
        record_run_start(&b, tmp_path("b.db"), scenarios[i], 7, extra);
        struct recorded ra = record_run_wait(&a, tmp_path("a.db"), 0);
        struct recorded rb = record_run_wait(&b, tmp_path("b.db"), 0);
        cr_assert_eq(ra.hash, rb.hash, "%s: %016" PRIx64 " vs %016" PRIx64, scenarios[i],
                     ra.hash, rb.hash);
        cr_assert_gt(ra.events, 10000); /* liveness */
        assert_replay_identical(tmp_path("a.db"), &ra);
        assert_metrics_replay_equal_live(tmp_path("a.db"), ra.run_id);
    }
}

/* Background load (models/load.c) beside the queue: Poisson sends at the rate asked for,
 * bursty ones at the on-fraction of it, and the server ignores them: its sojourn claims
 * are the same, value for value, as without the load (the load draws from its own node's
 * stream and a link's background class from a stream of its own). */
static void load_run(const char *db_path, const char *bursty)
{
    const char *extra[] = {"--set", "scenario.duration=60s", "--set", "node.noise.model=load",
                           "--set", "node.noise.target=server", "--set", bursty, NULL};
    record_run_argv(db_path, QUEUEING, 3, 0, bursty ? extra : (const char *const[]){
        "--set", "scenario.duration=60s", NULL});
}

Test(queueing, background_load_is_sent_at_its_rate_and_ignored, .timeout = 300)
{
    load_run(tmp_path("plain.db"), NULL);
    load_run(tmp_path("poisson.db"), "node.noise.bursty=false");
    load_run(tmp_path("bursty.db"), "node.noise.bursty=true");
    const char *sends = "SELECT count(*) FROM events WHERE run_id=?1 AND kind='send' AND"
                        " detail='background'";
    const char *claims = "SELECT count(*) * 1000003 + sum(obj_id % 1000003) FROM events"
                         " WHERE run_id=?1 AND kind='claim'";
    sqlite3 *plain = db_open(tmp_path("plain.db"), false);
    sqlite3 *poisson = db_open(tmp_path("poisson.db"), false);
    sqlite3 *bursty = db_open(tmp_path("bursty.db"), false);
    int64_t poisson_sends = db_int(poisson, sends, 1, 0);
    int64_t bursty_sends = db_int(bursty, sends, 1, 0);
    cr_log_info("load over 60 s: %" PRId64 " Poisson sends (1 ms apart), %" PRId64 " bursty"
                " (on 100 ms / off 900 ms)", poisson_sends, bursty_sends);
    cr_assert_eq(db_int(plain, sends, 1, 0), 0);
    /* 60000 expected, sd 245: 4% is 10 sd */
    cr_assert(poisson_sends > 57600 && poisson_sends < 62400, "%" PRId64, poisson_sends);
    /* a tenth of the time on: 6000 expected; ~60 bursts of exponential length make the sd
     * about 1100 (sqrt(2/60) of the mean): between a third and twice */
    cr_assert(bursty_sends > 2000 && bursty_sends < 12000, "%" PRId64, bursty_sends);
    int64_t plain_claims = db_int(plain, claims, 1, 0);
    cr_assert_gt(plain_claims, 1000003 * INT64_C(20000)); /* liveness: customers served */
    cr_assert_eq(db_int(poisson, claims, 1, 0), plain_claims);
    cr_assert_eq(db_int(bursty, claims, 1, 0), plain_claims);
    db_close(plain);
    db_close(poisson);
    db_close(bursty);
}
