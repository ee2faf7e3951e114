/* sim/queue.c - 4-ary min-heap on (time_ns, seq); see queue.h. */
#include "queue.h"

#include <stdlib.h>
#include <string.h>

#include "assert.h"

static inline bool entry_before(const struct sim_qentry *a, const struct sim_qentry *b)
{
    if (a->time_ns != b->time_ns) return a->time_ns < b->time_ns;
    return a->seq < b->seq; /* seq is unique, so the order is total */
}

int sim_queue_init(struct sim_queue *q, size_t initial_cap)
{
    memset(q, 0, sizeof *q);
    if (initial_cap < 64) initial_cap = 64;
    q->heap = calloc(initial_cap, sizeof *q->heap);
    if (!q->heap) return -1;
    q->cap = initial_cap;
    q->last_popped_ns = INT64_MIN;
    return 0;
}

void sim_queue_deinit(struct sim_queue *q)
{
    free(q->heap);
    memset(q, 0, sizeof *q);
}

static void sift_up(struct sim_qentry *heap, size_t i)
{
    struct sim_qentry moving = heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 4;
        if (!entry_before(&moving, &heap[parent])) break;
        heap[i] = heap[parent];
        i = parent;
    }
    heap[i] = moving;
}

static void sift_down(struct sim_qentry *heap, size_t count, size_t i)
{
    struct sim_qentry moving = heap[i];
    for (;;) {
        size_t first = 4 * i + 1;
        if (first >= count) break;
        size_t last = first + 4 < count ? first + 4 : count;
        size_t best = first;
        for (size_t c = first + 1; c < last; c++)
            if (entry_before(&heap[c], &heap[best])) best = c;
        if (!entry_before(&heap[best], &moving)) break;
        heap[i] = heap[best];
        i = best;
    }
    heap[i] = moving;
}

uint64_t sim_queue_push(struct sim_queue *q, int64_t time_ns, uint32_t type, uint32_t a,
                        uint64_t b)
{
    SIM_ASSERT(time_ns >= q->last_popped_ns);
    if (q->count == q->cap) {
        size_t cap = q->cap * 2;
        struct sim_qentry *heap = realloc(q->heap, cap * sizeof *heap);
        if (!heap) return UINT64_MAX;
        q->heap = heap;
        q->cap = cap;
    }
    uint64_t seq = q->next_seq++;
    q->heap[q->count] = (struct sim_qentry){time_ns, seq, type, a, b};
    sift_up(q->heap, q->count);
    q->count++;
    return seq;
}

bool sim_queue_pop(struct sim_queue *q, struct sim_qentry *out)
{
    if (q->count == 0) return false;
    *out = q->heap[0];
    SIM_ASSERT(out->time_ns >= q->last_popped_ns);
    q->last_popped_ns = out->time_ns;
    q->count--;
    if (q->count) {
        q->heap[0] = q->heap[q->count];
        sift_down(q->heap, q->count, 0);
    }
    return true;
}

void sim_queue_filter(struct sim_queue *q, bool (*keep)(void *ctx, const struct sim_qentry *e),
                      void *ctx)
{
    size_t kept = 0;
    for (size_t i = 0; i < q->count; i++)
        if (keep(ctx, &q->heap[i])) q->heap[kept++] = q->heap[i];
    q->count = kept;
    /* Floyd's bottom-up build; (time_ns, seq) keys are unique, so the pop order of the
     * survivors is exactly what it was. */
    for (size_t i = kept / 4 + 1; i-- > 0;)
        if (i < kept) sift_down(q->heap, kept, i);
}

bool sim_queue_is_heap(const struct sim_queue *q)
{
    for (size_t i = 1; i < q->count; i++)
        if (entry_before(&q->heap[i], &q->heap[(i - 1) / 4])) return false;
    return true;
}
