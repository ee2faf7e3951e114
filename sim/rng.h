/* sim/rng.h - named random streams on GSL.
 *
 * Every component that draws (a node's workload, a link's traffic class, a fault
 * source) owns one stream, seeded from a 64-bit mix of (run seed, stream name). So
 * adding a node leaves every other stream alone, and seeds that differ only above bit 32
 * give different runs: GSL's own seeding (taus2's LCG keeps 32 bits of the seed) is not
 * used. The generator is xoshiro256** registered as a gsl_rng_type ("murphy-xoshiro256ss")
 * whose set() takes the full 64-bit key and expands it with splitmix64, so every GSL
 * sampler can draw from it. State is 32 bytes per stream. */
#ifndef SIM_RNG_H
#define SIM_RNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

/* The gsl_rng_type of our generator; usable with gsl_rng_alloc. */
extern const gsl_rng_type *const sim_rng_type_xoshiro;

/* The key of a stream: a 64-bit mix of the run seed and the stream's name. */
uint64_t sim_rng_key(uint64_t run_seed, const char *stream_name);

/* Allocates and seeds a stream; NULL on allocation failure. Caller frees with
 * gsl_rng_free. */
gsl_rng *sim_rng_open(uint64_t run_seed, const char *stream_name);

/* Set of the keys in use by one run, so two streams can never coincide silently. */
struct sim_rng_keys {
    uint64_t *slots; /* open addressing; 0 marks empty */
    size_t slot_count;
    size_t key_count;
    bool has_zero;   /* the key 0, which cannot live in a slot */
};
/* Adds key; returns 1 if added, 0 if it was already present (a collision: the caller
 * treats it as an error), -1 on allocation failure. */
int sim_rng_keys_add(struct sim_rng_keys *keys, uint64_t key);
void sim_rng_keys_free(struct sim_rng_keys *keys);

/* Draws: uniform on [0, 1) with 53 bits; a chance with an integer threshold in ppb (no
 * floating point, so the same draw means the same outcome on every platform). */
double sim_rng_uniform(gsl_rng *rng);
bool sim_rng_chance_ppb(gsl_rng *rng, int64_t ppb);
uint64_t sim_rng_u64(gsl_rng *rng);
/* Uniform integer in [0, bound) without modulo bias, for any 64-bit bound > 0. */
uint64_t sim_rng_below(gsl_rng *rng, uint64_t bound);

#endif
