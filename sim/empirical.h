/* sim/empirical.h - delay distributions measured on a real network: a file of samples,
 * one duration per line ("1.234ms"; '#' comments and blank lines allowed), drawn with
 * GSL's discrete sampler over the distinct values weighted by how often each occurs.
 *
 * A table is loaded once per scenario (sim_scn_load) and shared by every link or model
 * parameter that names the file; the scenario owns it. The file's XXH3 is kept and shown
 * in the distribution's text ("empirical rtt.txt xxh3:0123..."), which the record stores
 * with the run's links: replay needs the same file, and a different one is visible there. */
#ifndef SIM_EMPIRICAL_H
#define SIM_EMPIRICAL_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "diag.h"

#define SIM_EMPIRICAL_SAMPLES_MAX 1000000u
#define SIM_EMPIRICAL_FILE_BYTES_MAX (64u * 1024u * 1024u)
#define SIM_EMPIRICAL_PATH_BYTES 512u

struct sim_empirical {
    char path[SIM_EMPIRICAL_PATH_BYTES]; /* as written in the scenario */
    uint64_t file_hash;                 /* XXH3-64 of the file's bytes */
    size_t sample_count;
    size_t value_count;                 /* distinct values */
    int64_t *values_ns;                 /* ascending */
    gsl_ran_discrete_t *sampler;        /* weights: each value's count */
    double mean_ns;
};

/* Loads `path` (relative paths against base_dir; base_dir may be ""). Returns 0 with
 * *out owned by the caller (sim_empirical_free), or a negative SIM_E* code with diag
 * naming the samples file and its line. */
int sim_empirical_load(const char *path, const char *base_dir, struct sim_empirical **out,
                       struct sim_diag *diag);
void sim_empirical_free(struct sim_empirical *table);
/* One draw: a measured value. Draws exactly one number from rng (gsl_ran_discrete). */
int64_t sim_empirical_sample_ns(const struct sim_empirical *table, gsl_rng *rng);

#endif
