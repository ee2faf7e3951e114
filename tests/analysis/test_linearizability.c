/* tests/analysis/test_linearizability.c - the linearizability checker on hand-made
 * histories, in-process: each history is small enough to reason about by hand, so each
 * verdict below is the one the definition gives (said in a comment), and a violation's
 * shrunk prefix is checked op by op. Positions are given explicitly (invoke, complete) to
 * set real-time order; 0 for complete means "info" (open forever). */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "analysis/linearizability.h"

static const struct lin_limits LIMITS = {LIN_STEP_BUDGET_DEFAULT, LIN_MEMO_BYTES_DEFAULT};

static void add(struct lin_history *h, int64_t process, enum lin_f f, const char *key,
                const char *value, uint64_t invoke_pos, uint64_t complete_pos)
{
    struct lin_op op = {.process = process, .f = f, .key = (char *)key, .value = (char *)value,
                        .is_open = complete_pos == 0, .invoke_pos = invoke_pos,
                        .complete_pos = complete_pos, .invoke_ns = (int64_t)invoke_pos,
                        .complete_ns = complete_pos ? (int64_t)complete_pos : -1};
    cr_assert_eq(lin_history_add(h, &op), 0);
}

static enum lin_verdict check(const struct lin_history *h, enum lin_model model,
                              struct lin_result *r)
{
    char err[256] = "";
    cr_assert_eq(lin_check(h, model, &LIMITS, r, err, sizeof err), 0, "%s", err);
    return r->verdict;
}

static enum lin_verdict verdict_of(const struct lin_history *h, enum lin_model model)
{
    struct lin_result r;
    enum lin_verdict v = check(h, model, &r);
    lin_result_free(&r);
    return v;
}

#define W LIN_F_WRITE
#define R LIN_F_READ
#define C LIN_F_CAS

Test(linearizability, sequential_history_is_linearizable)
{
    struct lin_history h = {0};
    add(&h, 0, R, "x", "nil", 1, 2);  /* the initial value */
    add(&h, 0, W, "x", "1", 3, 4);
    add(&h, 1, R, "x", "1", 5, 6);
    add(&h, 0, W, "x", "2", 7, 8);
    add(&h, 1, R, "x", "2", 9, 10);
    struct lin_result r;
    cr_expect_eq(check(&h, LIN_MODEL_REGISTER, &r), LIN_LINEARIZABLE);
    cr_expect_eq(r.key_count, 1);
    cr_expect_geq(r.step_count, 5); /* at least one step per op: it did search */
    lin_result_free(&r);
    lin_history_free(&h);
}

Test(linearizability, concurrent_writes_and_a_read_seeing_either)
{
    /* writes of 1 and 2 overlap; a read overlapping both may see 1, 2 or nil */
    const char *seen[] = {"1", "2", "nil"};
    for (size_t i = 0; i < 3; i++) {
        struct lin_history h = {0};
        add(&h, 0, W, "x", "1", 1, 5);
        add(&h, 1, W, "x", "2", 2, 6);
        add(&h, 2, R, "x", seen[i], 3, 7);
        cr_expect_eq(verdict_of(&h, LIN_MODEL_REGISTER), LIN_LINEARIZABLE, "read %s", seen[i]);
        lin_history_free(&h);
    }
    /* a later read sees whichever write was last: either, but not nil */
    for (size_t i = 0; i < 3; i++) {
        struct lin_history h = {0};
        add(&h, 0, W, "x", "1", 1, 5);
        add(&h, 1, W, "x", "2", 2, 6);
        add(&h, 2, R, "x", seen[i], 8, 9);
        cr_expect_eq(verdict_of(&h, LIN_MODEL_REGISTER),
                     i < 2 ? LIN_LINEARIZABLE : LIN_VIOLATED, "read %s after", seen[i]);
        lin_history_free(&h);
    }
}

Test(linearizability, stale_read_after_a_completed_write_is_a_violation)
{
    struct lin_history h = {0};
    add(&h, 0, W, "x", "1", 1, 2);
    add(&h, 0, R, "x", "1", 3, 4);
    add(&h, 0, W, "x", "2", 5, 6);   /* completed... */
    add(&h, 1, R, "x", "1", 7, 8);   /* ...so reading 1 after it is stale */
    add(&h, 1, W, "x", "3", 9, 10);  /* after the violation: not in the shrunk prefix */
    add(&h, 1, R, "x", "3", 11, 12);
    struct lin_result r;
    cr_assert_eq(check(&h, LIN_MODEL_REGISTER, &r), LIN_VIOLATED);
    cr_expect_eq(r.failing_op, 3, "the stale read ends the smallest failing prefix");
    cr_expect_eq(r.witness_count, 4, "the first four ops, no more");
    for (size_t i = 0; i < r.witness_count; i++) {
        cr_expect_eq(r.witness[i], i);
        cr_expect_not(r.witness_is_open[i]);
    }
    cr_expect_null(r.key);
    lin_result_free(&r);
    lin_history_free(&h);
}

Test(linearizability, info_write_may_or_may_not_have_happened)
{
    /* write 2 timed out (info): a later read of 1 (it did not happen) and of 2 (it did)
     * are both accepted; reading 3, which nobody wrote, is not */
    const char *seen[] = {"1", "2", "3"};
    for (size_t i = 0; i < 3; i++) {
        struct lin_history h = {0};
        add(&h, 0, W, "x", "1", 1, 2);
        add(&h, 0, W, "x", "2", 3, 0); /* info: open forever */
        add(&h, 1, R, "x", seen[i], 10, 11);
        cr_expect_eq(verdict_of(&h, LIN_MODEL_REGISTER),
                     i < 2 ? LIN_LINEARIZABLE : LIN_VIOLATED, "read %s", seen[i]);
        lin_history_free(&h);
    }
    /* and it may take effect late: read 1, then 2, then never 1 again */
    struct lin_history h = {0};
    add(&h, 0, W, "x", "1", 1, 2);
    add(&h, 0, W, "x", "2", 3, 0);
    add(&h, 1, R, "x", "1", 10, 11);
    add(&h, 1, R, "x", "2", 12, 13);
    cr_expect_eq(verdict_of(&h, LIN_MODEL_REGISTER), LIN_LINEARIZABLE);
    add(&h, 1, R, "x", "1", 14, 15);
    cr_expect_eq(verdict_of(&h, LIN_MODEL_REGISTER), LIN_VIOLATED, "2 then 1: it happened once");
    lin_history_free(&h);
}

Test(linearizability, kv_splits_per_key)
{
    /* as one register, reading x=1 after y's write of 2 is stale; per key it is fine */
    struct lin_history h = {0};
    add(&h, 0, W, "x", "1", 1, 2);
    add(&h, 1, W, "y", "2", 3, 4);
    add(&h, 0, R, "x", "1", 5, 6);
    add(&h, 1, R, "y", "2", 7, 8);
    struct lin_result r;
    cr_expect_eq(check(&h, LIN_MODEL_KV, &r), LIN_LINEARIZABLE);
    cr_expect_eq(r.key_count, 2);
    lin_result_free(&r);
    cr_expect_eq(verdict_of(&h, LIN_MODEL_REGISTER), LIN_VIOLATED);
    /* a stale read on y alone fails, and the verdict names y */
    add(&h, 2, R, "y", "nil", 9, 10);
    cr_assert_eq(check(&h, LIN_MODEL_KV, &r), LIN_VIOLATED);
    cr_assert_not_null(r.key);
    cr_expect_str_eq(r.key, "y");
    cr_expect_eq(r.failing_op, 4);
    cr_expect_eq(r.witness_count, 3, "y's write, read and the stale read");
    lin_result_free(&r);
    lin_history_free(&h);
}

Test(linearizability, cas_succeeds_only_on_a_match)
{
    struct lin_history h = {0};
    add(&h, 0, W, "x", "1", 1, 2);
    add(&h, 0, C, "x", "1 5", 3, 4);   /* ok: held 1 */
    add(&h, 1, R, "x", "5", 5, 6);
    cr_expect_eq(verdict_of(&h, LIN_MODEL_REGISTER), LIN_LINEARIZABLE);
    add(&h, 1, C, "x", "1 7", 7, 8);   /* ok but it held 5: impossible */
    cr_expect_eq(verdict_of(&h, LIN_MODEL_REGISTER), LIN_VIOLATED);
    lin_history_free(&h);
    /* cas from nil */
    struct lin_history g = {0};
    add(&g, 0, C, "x", "nil 3", 1, 2);
    add(&g, 1, R, "x", "3", 3, 4);
    cr_expect_eq(verdict_of(&g, LIN_MODEL_REGISTER), LIN_LINEARIZABLE);
    lin_history_free(&g);
    /* a cas value that is not "OLD NEW" is an error, not a verdict */
    struct lin_history bad = {0};
    add(&bad, 0, C, "x", "5", 1, 2);
    struct lin_result r;
    char err[256] = "";
    cr_expect_eq(lin_check(&bad, LIN_MODEL_REGISTER, &LIMITS, &r, err, sizeof err), -1);
    cr_expect(strstr(err, "OLD NEW") != NULL, "%s", err);
    lin_history_free(&bad);
}

Test(linearizability, versioned_read_reads_as_its_value)
{
    struct lin_history h = {0};
    add(&h, 0, W, "x", "7", 1, 2);
    add(&h, 1, R, "x", "7@1735689600010000000", 3, 4); /* lww_client's form */
    cr_expect_eq(verdict_of(&h, LIN_MODEL_REGISTER), LIN_LINEARIZABLE);
    lin_history_free(&h);
}

/* 24 writes all overlapping, and a read overlapping them of a value nobody wrote: every
 * subset of the writes (2^24, times the state) is a distinct memo entry before the search
 * can conclude, so a small budget runs out first. */
static void big_concurrent(struct lin_history *h)
{
    for (int i = 0; i < 24; i++) {
        char v[16];
        snprintf(v, sizeof v, "%d", i);
        add(h, i, W, "x", v, (uint64_t)i + 1, 1000 + (uint64_t)i);
    }
    add(h, 99, R, "x", "never", 100, 2000);
}

Test(linearizability, a_budget_forces_unknown)
{
    struct lin_history h = {0};
    big_concurrent(&h);
    struct lin_limits small = {10000, LIN_MEMO_BYTES_DEFAULT};
    struct lin_result r;
    char err[256] = "";
    cr_assert_eq(lin_check(&h, LIN_MODEL_REGISTER, &small, &r, err, sizeof err), 0);
    cr_expect_eq(r.verdict, LIN_UNKNOWN);
    cr_expect(strstr(r.unknown_why, "step budget") != NULL, "%s", r.unknown_why);
    cr_expect_eq(r.step_count, 10001, "stopped at the first step past the budget");
    lin_result_free(&r);
    /* and the memo bound: 64 KiB */
    struct lin_limits tight = {UINT64_MAX, 64 << 10};
    cr_assert_eq(lin_check(&h, LIN_MODEL_REGISTER, &tight, &r, err, sizeof err), 0);
    cr_expect_eq(r.verdict, LIN_UNKNOWN);
    cr_expect(strstr(r.unknown_why, "memo") != NULL, "%s", r.unknown_why);
    cr_expect_leq(r.memo_bytes_peak, 64 << 10);
    lin_result_free(&r);
    lin_history_free(&h);
}

Test(linearizability, a_read_of_a_real_value_in_the_big_history_is_quick)
{
    /* the same 24 writes with a read of one of them: the search finds it at once */
    struct lin_history h = {0};
    for (int i = 0; i < 24; i++) {
        char v[16];
        snprintf(v, sizeof v, "%d", i);
        add(&h, i, W, "x", v, (uint64_t)i + 1, 1000 + (uint64_t)i);
    }
    add(&h, 99, R, "x", "17", 100, 2000);
    struct lin_result r;
    cr_expect_eq(check(&h, LIN_MODEL_REGISTER, &r), LIN_LINEARIZABLE);
    cr_expect_lt(r.step_count, 1000, "took %llu steps", (unsigned long long)r.step_count);
    lin_result_free(&r);
    lin_history_free(&h);
}

/* 40 timed-out writes that no read ever saw, overlapping everything: the checker leaves
 * them out (each may not have happened, and nothing depends on them if it did), so the
 * verdict takes a few steps, where trying each at every place took 2^40 subsets. The
 * verdict is unchanged both ways: a good history stays linearizable, and a stale read
 * still fails. */
Test(linearizability, unobserved_indeterminate_writes_cost_nothing)
{
    for (int is_stale = 0; is_stale < 2; is_stale++) {
        struct lin_history h = {0};
        add(&h, 0, W, "x", "a", 1, 2);
        add(&h, 0, W, "x", "b", 3, 4);
        for (int i = 0; i < 40; i++) {
            char v[32];
            snprintf(v, sizeof v, "lost-%d", i);
            add(&h, 10 + i, W, "x", v, 5 + (uint64_t)i, 0); /* info: never completed */
        }
        add(&h, 1, R, "x", is_stale ? "a" : "b", 100, 101);
        add(&h, 1, R, "x", "b", 102, 103);
        struct lin_limits small = {5000, LIN_MEMO_BYTES_DEFAULT};
        struct lin_result r;
        char err[256] = "";
        cr_assert_eq(lin_check(&h, LIN_MODEL_REGISTER, &small, &r, err, sizeof err), 0, "%s",
                     err);
        cr_expect_eq(r.verdict, is_stale ? LIN_VIOLATED : LIN_LINEARIZABLE);
        cr_expect_lt(r.step_count, 200, "took %llu steps", (unsigned long long)r.step_count);
        lin_result_free(&r);
        lin_history_free(&h);
    }
}

/* An indeterminate write that a read did see is kept: the read is explained by it. */
Test(linearizability, an_indeterminate_write_a_read_saw_is_kept)
{
    struct lin_history h = {0};
    add(&h, 0, W, "x", "a", 1, 2);
    add(&h, 2, W, "x", "maybe", 3, 0);
    add(&h, 1, R, "x", "maybe", 10, 11);
    cr_expect_eq(verdict_of(&h, LIN_MODEL_REGISTER), LIN_LINEARIZABLE);
    lin_history_free(&h);
}

Test(linearizability, failed_ops_are_not_in_the_history_but_open_reads_constrain_nothing)
{
    struct lin_history h = {0};
    add(&h, 0, W, "x", "1", 1, 2);
    add(&h, 1, R, "x", "garbage", 3, 0); /* an info read: its result means nothing */
    add(&h, 0, R, "x", "1", 5, 6);
    cr_expect_eq(verdict_of(&h, LIN_MODEL_REGISTER), LIN_LINEARIZABLE);
    lin_history_free(&h);
}

Test(linearizability, model_names)
{
    enum lin_model m;
    cr_expect_eq(lin_model_parse("register", &m), 0);
    cr_expect_eq(m, LIN_MODEL_REGISTER);
    cr_expect_eq(lin_model_parse("kv", &m), 0);
    cr_expect_eq(m, LIN_MODEL_KV);
    cr_expect_eq(lin_model_parse("queue", &m), -1);
}
