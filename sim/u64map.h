/* sim/u64map.h - a map from non-zero 64-bit ids to pointers (open addressing, linear
 * probing, backward-shift deletion). Iteration order is never exposed, so hash order
 * cannot reach behaviour or output. */
#ifndef SIM_U64MAP_H
#define SIM_U64MAP_H

#include <stddef.h>
#include <stdint.h>

/* A 64-bit finaliser (MurmurHash3's fmix64): spreads keys over hash slots. */
static inline uint64_t sim_mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x *= UINT64_C(0xc4ceb9fe1a85ec53);
    x ^= x >> 33;
    return x;
}

struct sim_u64map {
    uint64_t *keys; /* 0 marks an empty slot */
    void **values;
    size_t cap;     /* a power of two */
    size_t count;
};

/* Inserts or replaces; returns 0, or -1 on allocation failure. key must not be 0. */
int sim_u64map_put(struct sim_u64map *map, uint64_t key, void *value);
void *sim_u64map_get(const struct sim_u64map *map, uint64_t key);
/* Removes and returns the value, or NULL if absent. */
void *sim_u64map_take(struct sim_u64map *map, uint64_t key);
/* Calls fn on every value in ascending key order (sorted, so deterministic). */
int sim_u64map_each_sorted(const struct sim_u64map *map, void (*fn)(void *ctx, uint64_t key,
                           void *value), void *ctx);
void sim_u64map_free(struct sim_u64map *map);

#endif
