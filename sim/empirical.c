/* sim/empirical.c - measured delay samples as a distribution; see empirical.h.
 *
 * The values are sorted (qsort with a total order on int64: equal values are
 * interchangeable, so its instability cannot show) and folded into (value, count) pairs,
 * so the sampler's table depends on the file's multiset of samples, not its line order. */
#include "empirical.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "units.h"

static int compare_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y); /* a total order: equal values are interchangeable */
}

static char *read_all(const char *path, size_t *bytes, struct sim_diag *diag, int *rc)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        *rc = sim_diag_set(diag, SIM_EINPUT, path, 0, 0, "cannot read the samples file: %s",
                           strerror(errno));
        return NULL;
    }
    char *text = malloc(SIM_EMPIRICAL_FILE_BYTES_MAX + 2);
    size_t got = text ? fread(text, 1, SIM_EMPIRICAL_FILE_BYTES_MAX + 1, fp) : 0;
    bool is_bad = !text || ferror(fp);
    fclose(fp);
    if (is_bad) {
        free(text);
        *rc = text ? sim_diag_set(diag, SIM_EINPUT, path, 0, 0, "cannot read the samples file")
                   : sim_diag_set(diag, SIM_ENOMEM, path, 0, 0, "out of memory");
        return NULL;
    }
    if (got > SIM_EMPIRICAL_FILE_BYTES_MAX) {
        free(text);
        *rc = sim_diag_set(diag, SIM_ELIMIT, path, 0, 0, "the samples file is larger than %u "
                           "bytes (SIM_EMPIRICAL_FILE_BYTES_MAX)", SIM_EMPIRICAL_FILE_BYTES_MAX);
        return NULL;
    }
    text[got] = '\0';
    *bytes = got;
    return text;
}

/* Parses the samples, one per line, into *values (caller frees); returns the count or
 * a negative SIM_E* code. */
static int parse_samples(const char *path, char *text, size_t bytes, int64_t **values,
                         size_t *count, struct sim_diag *diag)
{
    size_t cap = 1024, n = 0;
    int64_t *v = malloc(cap * sizeof *v);
    if (!v) return sim_diag_set(diag, SIM_ENOMEM, path, 0, 0, "out of memory");
    int line = 0;
    char *p = text, *stop = text + bytes;
    while (p < stop) {
        char *end = memchr(p, '\n', (size_t)(stop - p));
        if (!end) end = stop; /* text[bytes] is a NUL of our own */
        line++;
        if (memchr(p, '\0', (size_t)(end - p))) {
            free(v);
            return sim_diag_set(diag, SIM_EINPUT, path, line, 0, "a NUL byte in a sample");
        }
        *end = '\0';
        char *s = p + strspn(p, " \t\r");
        s[strcspn(s, "\r")] = '\0';
        p = end + 1;
        if (*s == '\0' || *s == '#') continue;
        char err[256];
        int64_t ns = 0;
        if (sim_units_parse(s, SIM_UNIT_DURATION, &ns, err, sizeof err) != 0 || ns < 0) {
            free(v);
            return sim_diag_set(diag, SIM_EINPUT, path, line, 1, "a sample must be a duration "
                                ">= 0ns: %s", ns < 0 ? "got a negative one" : err);
        }
        if (n == SIM_EMPIRICAL_SAMPLES_MAX) {
            free(v);
            return sim_diag_set(diag, SIM_ELIMIT, path, line, 0, "more than %u samples "
                                "(SIM_EMPIRICAL_SAMPLES_MAX)", SIM_EMPIRICAL_SAMPLES_MAX);
        }
        if (n == cap) {
            cap *= 2;
            int64_t *grown = realloc(v, cap * sizeof *grown);
            if (!grown) {
                free(v);
                return sim_diag_set(diag, SIM_ENOMEM, path, 0, 0, "out of memory");
            }
            v = grown;
        }
        v[n++] = ns;
    }
    if (n == 0) {
        free(v);
        return sim_diag_set(diag, SIM_EINPUT, path, 0, 0, "the samples file holds no sample");
    }
    *values = v;
    *count = n;
    return 0;
}

/* Folds sorted samples into distinct values and builds the sampler. */
static int build(struct sim_empirical *t, int64_t *samples, size_t n)
{
    qsort(samples, n, sizeof *samples, compare_i64);
    double *weights = malloc(n * sizeof *weights);
    t->values_ns = malloc(n * sizeof *t->values_ns);
    if (!weights || !t->values_ns) {
        free(weights);
        return -1;
    }
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        sum += (double)samples[i];
        if (t->value_count && t->values_ns[t->value_count - 1] == samples[i]) {
            weights[t->value_count - 1] += 1.0;
            continue;
        }
        t->values_ns[t->value_count] = samples[i];
        weights[t->value_count++] = 1.0;
    }
    t->sample_count = n;
    t->mean_ns = sum / (double)n;
    t->sampler = gsl_ran_discrete_preproc(t->value_count, weights);
    free(weights);
    return t->sampler ? 0 : -1;
}

int sim_empirical_load(const char *path, const char *base_dir, struct sim_empirical **out,
                       struct sim_diag *diag)
{
    *out = NULL;
    char full[2 * SIM_EMPIRICAL_PATH_BYTES + 2];
    if (strlen(path) >= SIM_EMPIRICAL_PATH_BYTES)
        return sim_diag_set(diag, SIM_EINPUT, path, 0, 0, "the samples file's name is too long");
    if (path[0] == '/' || !base_dir || !*base_dir) snprintf(full, sizeof full, "%s", path);
    else snprintf(full, sizeof full, "%s/%s", base_dir, path);
    int rc = 0;
    size_t bytes = 0;
    char *text = read_all(full, &bytes, diag, &rc);
    if (!text) return rc;
    struct sim_empirical *t = calloc(1, sizeof *t);
    int64_t *samples = NULL;
    size_t n = 0;
    if (!t) rc = sim_diag_set(diag, SIM_ENOMEM, full, 0, 0, "out of memory");
    if (t) {
        t->file_hash = XXH3_64bits(text, bytes);
        snprintf(t->path, sizeof t->path, "%s", path);
        rc = parse_samples(full, text, bytes, &samples, &n, diag);
    }
    if (rc == 0 && build(t, samples, n) != 0)
        rc = sim_diag_set(diag, SIM_ENOMEM, full, 0, 0, "out of memory");
    free(samples);
    free(text);
    if (rc != 0) {
        sim_empirical_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

void sim_empirical_free(struct sim_empirical *t)
{
    if (!t) return;
    if (t->sampler) gsl_ran_discrete_free(t->sampler);
    free(t->values_ns);
    free(t);
}

int64_t sim_empirical_sample_ns(const struct sim_empirical *t, gsl_rng *rng)
{
    size_t i = gsl_ran_discrete(rng, t->sampler);
    return t->values_ns[i < t->value_count ? i : t->value_count - 1];
}
