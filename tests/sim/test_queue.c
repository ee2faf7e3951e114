/* tests/sim/test_queue.c - proves that the pending-event queue (sim/queue.h) is a 4-ary
 * min-heap on (time_ns, seq) with the promises its header makes: entries at one instant
 * pop in push order, popped times never decrease, sim_queue_filter keeps the survivors in
 * the order they would have popped, and pushing before the last popped time aborts.
 * How: long deterministic sequences of random pushes and pops (times from a fixed-seed
 * stream, many ties on purpose) are mirrored in a plain array; every pop must equal the
 * array's minimum under the same total order (time, then seq), every drain must equal
 * the array sorted with qsort, and the heap layout is checked after every operation both
 * by sim_queue_is_heap and by an independent walk over children 4i+1 .. 4i+4. */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/queue.h"
#include "sim/rng.h"

/* The total order the queue promises, written independently of queue.c. */
static int entry_cmp(const void *pa, const void *pb)
{
    const struct sim_qentry *a = pa, *b = pb;
    if (a->time_ns != b->time_ns) return a->time_ns < b->time_ns ? -1 : 1;
    if (a->seq != b->seq) return a->seq < b->seq ? -1 : 1;
    return 0;
}

/* Independent check of the 4-ary layout: children of i are 4i+1 .. 4i+4. */
static bool layout_is_4ary_heap(const struct sim_queue *q)
{
    for (size_t i = 0; i < q->count; i++) {
        for (size_t c = 4 * i + 1; c <= 4 * i + 4 && c < q->count; c++)
            if (entry_cmp(&q->heap[c], &q->heap[i]) < 0) return false;
    }
    return true;
}

/* A plain array kept beside the queue: its minimum is found by a linear scan while
 * pushes and pops interleave, and it is sorted with qsort for every drain. */
struct reference {
    struct sim_qentry *items;
    size_t count;
    size_t cap;
};

static void ref_push(struct reference *r, struct sim_qentry e)
{
    if (r->count == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 256;
        r->items = realloc(r->items, r->cap * sizeof *r->items);
        cr_assert_not_null(r->items);
    }
    r->items[r->count++] = e;
}

/* The reference's minimum under entry_cmp, by a linear scan (no heap involved). */
static size_t ref_min_index(const struct reference *r)
{
    size_t best = 0;
    for (size_t i = 1; i < r->count; i++)
        if (entry_cmp(&r->items[i], &r->items[best]) < 0) best = i;
    return best;
}

static struct sim_qentry ref_pop_min(struct reference *r)
{
    cr_assert_gt(r->count, 0u);
    size_t best = ref_min_index(r);
    struct sim_qentry min = r->items[best];
    r->items[best] = r->items[--r->count];
    return min;
}

static void expect_same_entry(const struct sim_qentry *got, const struct sim_qentry *want,
                              size_t step)
{
    cr_assert_eq(got->time_ns, want->time_ns, "step %zu: time %" PRId64 " != %" PRId64, step,
                 got->time_ns, want->time_ns);
    cr_assert_eq(got->seq, want->seq, "step %zu: seq %" PRIu64 " != %" PRIu64, step, got->seq,
                 want->seq);
    cr_assert_eq(got->type, want->type, "step %zu", step);
    cr_assert_eq(got->a, want->a, "step %zu", step);
    cr_assert_eq(got->b, want->b, "step %zu", step);
}

Test(sim_queue, empty_queue_pops_nothing)
{
    struct sim_queue q;
    cr_assert_eq(sim_queue_init(&q, 0), 0);
    struct sim_qentry e = {0};
    cr_assert_null(sim_queue_peek(&q));
    cr_assert_not(sim_queue_pop(&q, &e));
    cr_assert(sim_queue_is_heap(&q));
    sim_queue_deinit(&q);
}

Test(sim_queue, same_instant_entries_pop_in_push_order)
{
    struct sim_queue q;
    cr_assert_eq(sim_queue_init(&q, 0), 0);
    /* 1000 entries at one instant (past the initial capacity, so the heap also grows),
     * interleaved with entries at other instants so ties sit all over the heap */
    uint32_t pushed = 0;
    for (uint32_t i = 0; i < 1000; i++) {
        uint64_t seq = sim_queue_push(&q, 500, 1, i, UINT64_C(1000) - i);
        cr_assert_eq(seq, (uint64_t)pushed++, "seq is the push count");
        sim_queue_push(&q, (int64_t)(i % 7) * 200, 2, i, 0);
        pushed++;
    }
    struct sim_qentry e;
    uint32_t next = 0;
    int64_t last = INT64_MIN;
    while (sim_queue_pop(&q, &e)) {
        cr_assert_geq(e.time_ns, last);
        last = e.time_ns;
        if (e.type != 1) continue;
        cr_assert_eq(e.time_ns, 500);
        cr_assert_eq(e.a, next, "same-instant entry %u popped where %u was due", e.a, next);
        cr_assert_eq(e.b, UINT64_C(1000) - next);
        next++;
    }
    cr_assert_eq(next, 1000u);
    sim_queue_deinit(&q);
}

Test(sim_queue, popped_times_never_decrease)
{
    struct sim_queue q;
    cr_assert_eq(sim_queue_init(&q, 0), 0);
    gsl_rng *rng = sim_rng_open(7, "test/queue/monotone");
    cr_assert_not_null(rng);
    int64_t last = INT64_MIN;
    size_t pops = 0;
    for (int step = 0; step < 20000; step++) {
        if (q.count == 0 || sim_rng_below(rng, 3) != 0) {
            /* anywhere from the last popped instant to a little later; many ties */
            int64_t base = last == INT64_MIN ? 0 : last;
            sim_queue_push(&q, base + (int64_t)sim_rng_below(rng, 50), 0, 0, 0);
        } else {
            struct sim_qentry e;
            cr_assert(sim_queue_pop(&q, &e));
            cr_assert_geq(e.time_ns, last, "pop %zu went back in time", pops);
            last = e.time_ns;
            pops++;
        }
    }
    struct sim_qentry e;
    while (sim_queue_pop(&q, &e)) {
        cr_assert_geq(e.time_ns, last);
        last = e.time_ns;
    }
    cr_assert_gt(pops, 1000u);
    gsl_rng_free(rng);
    sim_queue_deinit(&q);
}

Test(sim_queue, random_push_pop_matches_sorted_reference)
{
    /* three seeds, 6000 operations each; times in a narrow window so that ties (broken by
     * seq) are common, and the queue grows past several capacities */
    for (uint64_t seed = 1; seed <= 3; seed++) {
        struct sim_queue q;
        cr_assert_eq(sim_queue_init(&q, 0), 0);
        struct reference ref = {0};
        gsl_rng *rng = sim_rng_open(seed, "test/queue/reference");
        int64_t floor_ns = 0;
        size_t step = 0;
        for (; step < 6000; step++) {
            bool do_push = ref.count == 0 || sim_rng_below(rng, 100) < 60;
            if (do_push) {
                int64_t t = floor_ns + (int64_t)sim_rng_below(rng, 64);
                uint32_t a = (uint32_t)sim_rng_below(rng, 1000);
                uint64_t b = sim_rng_u64(rng);
                uint64_t seq = sim_queue_push(&q, t, (uint32_t)step, a, b);
                cr_assert_neq(seq, UINT64_MAX);
                ref_push(&ref, (struct sim_qentry){t, seq, (uint32_t)step, a, b});
            } else {
                struct sim_qentry want = ref_pop_min(&ref), got;
                cr_assert(sim_queue_pop(&q, &got));
                expect_same_entry(&got, &want, step);
                floor_ns = got.time_ns; /* pushes may not precede the last pop */
            }
            cr_assert_eq(q.count, ref.count);
            cr_assert(sim_queue_is_heap(&q), "seed %" PRIu64 " step %zu", seed, step);
            cr_assert(layout_is_4ary_heap(&q), "seed %" PRIu64 " step %zu", seed, step);
            if (ref.count)
                expect_same_entry(sim_queue_peek(&q), &ref.items[ref_min_index(&ref)], step);
        }
        /* drain: the rest pops in exactly the reference's sorted order */
        qsort(ref.items, ref.count, sizeof *ref.items, entry_cmp);
        for (size_t i = 0; i < ref.count; i++) {
            struct sim_qentry got;
            cr_assert(sim_queue_pop(&q, &got));
            expect_same_entry(&got, &ref.items[i], step + i);
        }
        cr_assert_eq(q.count, 0u);
        free(ref.items);
        gsl_rng_free(rng);
        sim_queue_deinit(&q);
    }
}

Test(sim_queue, is_heap_detects_a_broken_layout)
{
    struct sim_queue q;
    cr_assert_eq(sim_queue_init(&q, 0), 0);
    for (int64_t t = 0; t < 20; t++) sim_queue_push(&q, t, 0, 0, 0);
    cr_assert(sim_queue_is_heap(&q));
    /* the 4-ary checker must look at every child: break the last child of the root */
    struct sim_qentry saved = q.heap[4];
    q.heap[4].time_ns = -1;
    cr_assert_not(sim_queue_is_heap(&q));
    q.heap[4] = saved;
    /* and a tie broken against seq */
    q.heap[5].time_ns = q.heap[1].time_ns;
    q.heap[5].seq = 0;
    q.heap[1].seq = 1000;
    cr_assert_not(sim_queue_is_heap(&q));
    sim_queue_deinit(&q);
}

static bool keep_even_a(void *ctx, const struct sim_qentry *e)
{
    size_t *calls = ctx;
    (*calls)++;
    return e->a % 2 == 0;
}

static bool keep_none(void *ctx, const struct sim_qentry *e)
{
    (void)ctx;
    (void)e;
    return false;
}

static bool keep_all(void *ctx, const struct sim_qentry *e)
{
    (void)ctx;
    (void)e;
    return true;
}

Test(sim_queue, filter_keeps_the_order_of_survivors)
{
    /* sizes around the 4-ary boundaries (1, 4, 5, 20, 21 ...) and a large one */
    static const size_t sizes[] = {1, 2, 4, 5, 6, 16, 20, 21, 22, 85, 86, 1000, 5000};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        struct sim_queue q;
        cr_assert_eq(sim_queue_init(&q, 0), 0);
        struct reference ref = {0};
        gsl_rng *rng = sim_rng_open(s + 1, "test/queue/filter");
        for (size_t i = 0; i < sizes[s]; i++) {
            int64_t t = (int64_t)sim_rng_below(rng, 16); /* many ties */
            uint32_t a = (uint32_t)sim_rng_below(rng, 100);
            uint64_t seq = sim_queue_push(&q, t, 0, a, i);
            ref_push(&ref, (struct sim_qentry){t, seq, 0, a, i});
        }
        /* pop a few first, so the filter works on a heap that has been sifted down */
        for (size_t i = 0; i < sizes[s] / 10; i++) {
            struct sim_qentry got, want = ref_pop_min(&ref);
            cr_assert(sim_queue_pop(&q, &got));
            expect_same_entry(&got, &want, i);
        }
        size_t before = q.count, calls = 0;
        sim_queue_filter(&q, keep_even_a, &calls);
        cr_assert_eq(calls, before, "keep() sees every entry exactly once");
        size_t kept = 0;
        for (size_t i = 0; i < ref.count; i++)
            if (ref.items[i].a % 2 == 0) ref.items[kept++] = ref.items[i];
        ref.count = kept;
        cr_assert_eq(q.count, kept, "size %zu", sizes[s]);
        cr_assert(sim_queue_is_heap(&q));
        cr_assert(layout_is_4ary_heap(&q));
        qsort(ref.items, ref.count, sizeof *ref.items, entry_cmp);
        for (size_t i = 0; i < ref.count; i++) {
            struct sim_qentry got;
            cr_assert(sim_queue_pop(&q, &got));
            expect_same_entry(&got, &ref.items[i], i);
        }
        cr_assert_eq(q.count, 0u);
        free(ref.items);
        gsl_rng_free(rng);
        sim_queue_deinit(&q);
    }
}

Test(sim_queue, filter_to_nothing_and_to_everything)
{
    struct sim_queue q;
    cr_assert_eq(sim_queue_init(&q, 0), 0);
    for (uint32_t i = 0; i < 100; i++) sim_queue_push(&q, (int64_t)(99 - i), 0, i, 0);
    sim_queue_filter(&q, keep_all, NULL);
    cr_assert_eq(q.count, 100u);
    cr_assert(sim_queue_is_heap(&q));
    struct sim_qentry e;
    cr_assert(sim_queue_pop(&q, &e));
    cr_assert_eq(e.a, 99u);
    sim_queue_filter(&q, keep_none, NULL);
    cr_assert_eq(q.count, 0u);
    cr_assert_null(sim_queue_peek(&q));
    /* still usable afterwards, and seq keeps counting from where it was */
    uint64_t seq = sim_queue_push(&q, 50, 0, 7, 0);
    cr_assert_eq(seq, UINT64_C(100));
    cr_assert(sim_queue_pop(&q, &e));
    cr_assert_eq(e.a, 7u);
    sim_queue_deinit(&q);
}

Test(sim_queue, push_at_the_last_popped_instant_is_allowed)
{
    struct sim_queue q;
    cr_assert_eq(sim_queue_init(&q, 0), 0);
    sim_queue_push(&q, 100, 0, 1, 0);
    struct sim_qentry e;
    cr_assert(sim_queue_pop(&q, &e));
    cr_assert_neq(sim_queue_push(&q, 100, 0, 2, 0), UINT64_MAX);
    cr_assert(sim_queue_pop(&q, &e));
    cr_assert_eq(e.a, 2u);
    cr_assert_eq(e.time_ns, 100);
    sim_queue_deinit(&q);
}

Test(sim_queue, push_in_the_past_aborts, .signal = SIGABRT)
{
    struct sim_queue q;
    cr_assert_eq(sim_queue_init(&q, 0), 0);
    sim_queue_push(&q, 100, 0, 0, 0);
    struct sim_qentry e;
    cr_assert(sim_queue_pop(&q, &e));
    sim_queue_push(&q, 99, 0, 0, 0); /* before the last popped time: a kernel bug */
    cr_assert_fail("pushing in the past must abort");
}
