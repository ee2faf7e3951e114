/* sim/u64map.c - see u64map.h. */
#include "u64map.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "assert.h"

static size_t slot_of(uint64_t key, size_t cap) { return (size_t)sim_mix64(key) & (cap - 1); }

static int grow(struct sim_u64map *map)
{
    size_t cap = map->cap ? map->cap * 2 : 64;
    uint64_t *keys = calloc(cap, sizeof *keys);
    void **values = calloc(cap, sizeof *values);
    if (!keys || !values) {
        free(keys);
        free(values);
        return -1;
    }
    for (size_t i = 0; i < map->cap; i++) {
        if (!map->keys[i]) continue;
        size_t j = slot_of(map->keys[i], cap);
        while (keys[j]) j = (j + 1) & (cap - 1);
        keys[j] = map->keys[i];
        values[j] = map->values[i];
    }
    free(map->keys);
    free(map->values);
    map->keys = keys;
    map->values = values;
    map->cap = cap;
    return 0;
}

int sim_u64map_put(struct sim_u64map *map, uint64_t key, void *value)
{
    SIM_ASSERT(key != 0);
    if ((map->count + 1) * 2 > map->cap && grow(map) != 0) return -1;
    size_t j = slot_of(key, map->cap);
    while (map->keys[j] && map->keys[j] != key) j = (j + 1) & (map->cap - 1);
    if (!map->keys[j]) map->count++;
    map->keys[j] = key;
    map->values[j] = value;
    return 0;
}

void *sim_u64map_get(const struct sim_u64map *map, uint64_t key)
{
    if (!map->cap || !key) return NULL;
    for (size_t j = slot_of(key, map->cap); map->keys[j]; j = (j + 1) & (map->cap - 1))
        if (map->keys[j] == key) return map->values[j];
    return NULL;
}

void *sim_u64map_take(struct sim_u64map *map, uint64_t key)
{
    if (!map->cap || !key) return NULL;
    size_t mask = map->cap - 1, j = slot_of(key, map->cap);
    while (map->keys[j] && map->keys[j] != key) j = (j + 1) & mask;
    if (!map->keys[j]) return NULL;
    void *value = map->values[j];
    /* backward-shift deletion: pull later members of the cluster into the hole */
    size_t hole = j;
    for (size_t k = (j + 1) & mask; map->keys[k]; k = (k + 1) & mask) {
        size_t home = slot_of(map->keys[k], map->cap);
        bool stays = hole <= k ? (hole < home && home <= k) : (hole < home || home <= k);
        if (stays) continue;
        map->keys[hole] = map->keys[k];
        map->values[hole] = map->values[k];
        hole = k;
    }
    map->keys[hole] = 0;
    map->values[hole] = NULL;
    map->count--;
    return value;
}

static int compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

int sim_u64map_each_sorted(const struct sim_u64map *map,
                           void (*fn)(void *ctx, uint64_t key, void *value), void *ctx)
{
    uint64_t *keys = malloc((map->count ? map->count : 1) * sizeof *keys);
    if (!keys) return -1;
    size_t n = 0;
    for (size_t i = 0; i < map->cap; i++)
        if (map->keys[i]) keys[n++] = map->keys[i];
    SIM_ASSERT(n == map->count);
    qsort(keys, n, sizeof *keys, compare_u64); /* keys are unique: a total order */
    for (size_t i = 0; i < n; i++) fn(ctx, keys[i], sim_u64map_get(map, keys[i]));
    free(keys);
    return 0;
}

void sim_u64map_free(struct sim_u64map *map)
{
    free(map->keys);
    free(map->values);
    memset(map, 0, sizeof *map);
}
