/* sim/rng.c - xoshiro256** as a GSL generator type, seeded from 64-bit stream keys.
 * Owns no global mutable state: the type table is const and every stream's state lives
 * in its gsl_rng. xoshiro256** is Blackman and Vigna's public-domain generator; the
 * state expansion is splitmix64, as its authors recommend. */
#include "rng.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "assert.h"

struct xoshiro_state {
    uint64_t s[4];
};

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t xoshiro_next(struct xoshiro_state *st)
{
    uint64_t *s = st->s;
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* GSL hands set() an unsigned long, which is 64 bits on the supported platform
 * (Linux x86-64, LP64): the whole key arrives. */
_Static_assert(sizeof(unsigned long) == 8, "stream keys need a 64-bit unsigned long");

static void xoshiro_set(void *vstate, unsigned long key)
{
    struct xoshiro_state *st = vstate;
    uint64_t x = key;
    for (int i = 0; i < 4; i++) st->s[i] = splitmix64(&x);
    /* splitmix64 is a bijection of its counter, so four outputs cannot all be zero. */
}

/* GSL's integer interface promises values in [min, max]; we give the top 32 bits, which
 * are xoshiro256**'s strongest, so gsl_rng_get users see a full 32-bit generator. */
static unsigned long xoshiro_get(void *vstate)
{
    return (unsigned long)(xoshiro_next(vstate) >> 32);
}

static double xoshiro_get_double(void *vstate)
{
    return (double)(xoshiro_next(vstate) >> 11) * 0x1.0p-53;
}

static const gsl_rng_type xoshiro_type = {
    "murphy-xoshiro256ss", 0xffffffffUL, 0, sizeof(struct xoshiro_state),
    xoshiro_set, xoshiro_get, xoshiro_get_double,
};

const gsl_rng_type *const sim_rng_type_xoshiro = &xoshiro_type;

uint64_t sim_rng_key(uint64_t run_seed, const char *stream_name)
{
    /* XXH3 with the run seed as its seed mixes all 64 seed bits into every output bit. */
    return XXH3_64bits_withSeed(stream_name, strlen(stream_name), run_seed);
}

gsl_rng *sim_rng_open(uint64_t run_seed, const char *stream_name)
{
    gsl_rng *rng = gsl_rng_alloc(sim_rng_type_xoshiro);
    if (!rng) return NULL;
    gsl_rng_set(rng, (unsigned long)sim_rng_key(run_seed, stream_name));
    return rng;
}

static int keys_grow(struct sim_rng_keys *keys)
{
    size_t new_count = keys->slot_count ? keys->slot_count * 2 : 256;
    uint64_t *slots = calloc(new_count, sizeof *slots);
    if (!slots) return -1;
    for (size_t i = 0; i < keys->slot_count; i++) {
        uint64_t k = keys->slots[i];
        if (!k) continue;
        size_t j = (size_t)k & (new_count - 1);
        while (slots[j]) j = (j + 1) & (new_count - 1);
        slots[j] = k;
    }
    free(keys->slots);
    keys->slots = slots;
    keys->slot_count = new_count;
    return 0;
}

int sim_rng_keys_add(struct sim_rng_keys *keys, uint64_t key)
{
    if (key == 0) { /* 0 marks empty slots, so the key 0 is remembered apart */
        if (keys->has_zero) return 0;
        keys->has_zero = true;
        keys->key_count++;
        return 1;
    }
    if ((keys->key_count + 1) * 2 > keys->slot_count && keys_grow(keys) != 0) return -1;
    size_t mask = keys->slot_count - 1;
    size_t j = (size_t)key & mask;
    while (keys->slots[j]) {
        if (keys->slots[j] == key) return 0;
        j = (j + 1) & mask;
    }
    keys->slots[j] = key;
    keys->key_count++;
    return 1;
}

void sim_rng_keys_free(struct sim_rng_keys *keys)
{
    free(keys->slots);
    memset(keys, 0, sizeof *keys);
}

uint64_t sim_rng_u64(gsl_rng *rng)
{
    SIM_ASSERT(rng->type == sim_rng_type_xoshiro);
    return xoshiro_next(rng->state);
}

double sim_rng_uniform(gsl_rng *rng) { return gsl_rng_uniform(rng); }

uint64_t sim_rng_below(gsl_rng *rng, uint64_t bound)
{
    SIM_ASSERT(bound > 0);
    /* Lemire's method would need 128-bit products; rejection on the top of the range
     * is simple and exact. */
    uint64_t limit = UINT64_MAX - (UINT64_MAX % bound);
    uint64_t x;
    do x = sim_rng_u64(rng);
    while (x >= limit);
    return x % bound;
}

bool sim_rng_chance_ppb(gsl_rng *rng, int64_t ppb)
{
    SIM_ASSERT(ppb >= 0);
    SIM_ASSERT(ppb <= 1000000000);
    /* Always draw, even for 0 or 1, so that a rate change never shifts later draws. */
    uint64_t x = sim_rng_below(rng, 1000000000u);
    return (int64_t)x < ppb;
}
