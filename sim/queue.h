/* sim/queue.h - the pending-event queue: a 4-ary min-heap on (time_ns, seq).
 *
 * `seq` is bumped on every push, so entries at the same instant pop in push order and
 * the order is total (pointers never break ties). A 4-ary heap measured fastest here
 * once the queue outgrows cache (MEASUREMENTS.md). Entries are small plain values; what
 * they mean belongs to the caller (sim/world.c). Cancellation is the caller's: it marks
 * its own record dead and skips the entry when it pops, and compacts with
 * sim_queue_filter when dead entries pile up, so memory follows live events. */
#ifndef SIM_QUEUE_H
#define SIM_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sim_qentry {
    int64_t time_ns;
    uint64_t seq;
    uint32_t type; /* caller's event type */
    uint32_t a;    /* caller's small argument (node index, slot) */
    uint64_t b;    /* caller's wide argument (handle, generation) */
};

struct sim_queue {
    struct sim_qentry *heap;
    size_t count;
    size_t cap;
    uint64_t next_seq;
    int64_t last_popped_ns; /* popped times never decrease (asserted) */
};

int sim_queue_init(struct sim_queue *q, size_t initial_cap);
void sim_queue_deinit(struct sim_queue *q);

/* Schedules; time_ns must not precede the last popped time. Returns the entry's seq, or
 * UINT64_MAX if the heap could not grow. */
uint64_t sim_queue_push(struct sim_queue *q, int64_t time_ns, uint32_t type, uint32_t a,
                        uint64_t b);

/* The earliest entry, or NULL when empty. */
static inline const struct sim_qentry *sim_queue_peek(const struct sim_queue *q)
{
    return q->count ? &q->heap[0] : NULL;
}

/* Removes the earliest entry into *out; false when empty. */
bool sim_queue_pop(struct sim_queue *q, struct sim_qentry *out);

/* Keeps only entries for which keep() is true and restores the heap; O(n). */
void sim_queue_filter(struct sim_queue *q, bool (*keep)(void *ctx, const struct sim_qentry *e),
                      void *ctx);

/* O(n): every parent precedes its children. */
bool sim_queue_is_heap(const struct sim_queue *q);

#endif
