/* sim/dist.c - delay distributions over GSL's samplers; see dist.h. Sampling draws a
 * fixed pattern of numbers per distribution so that a changed parameter moves values,
 * not the stream position of later draws (except where GSL itself rejects, as in the
 * truncated normal). */
#include "dist.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "assert.h"
#include "empirical.h"
#include "units.h"

struct dist_name {
    const char *name;
    enum sim_dist_kind kind;
    int duration_args; /* how many leading arguments are durations */
    int shape_args;    /* then how many plain numbers */
};

static const struct dist_name dist_names[] = {
    {"constant", SIM_DIST_CONSTANT, 1, 0},   {"uniform", SIM_DIST_UNIFORM, 2, 0},
    {"normal", SIM_DIST_NORMAL, 2, 0},       {"lognormal", SIM_DIST_LOGNORMAL, 1, 1},
    {"pareto", SIM_DIST_PARETO, 1, 1},       {"exponential", SIM_DIST_EXPONENTIAL, 1, 0},
};
#define DIST_NAME_COUNT (sizeof dist_names / sizeof dist_names[0])

static const char *const dist_usage =
    "expected one of: constant D | uniform LOW HIGH | normal MEAN SD | lognormal MEDIAN "
    "SIGMA | pareto SCALE ALPHA | exponential MEAN | empirical FILE (durations with units)";

static int parse_shape(const char *word, double *shape, char *err, size_t err_bytes)
{
    /* Shapes are ratios of sizes, never times; a positive finite decimal. */
    char *end = NULL;
    double v = strtod(word, &end);
    if (end == word || *end != '\0' || !isfinite(v) || v <= 0.0) {
        snprintf(err, err_bytes, "expected a positive number for the shape, got '%.60s'",
                 word);
        return -1;
    }
    *shape = v;
    return 0;
}

int sim_dist_parse(const char *text, struct sim_dist *dist, char *err, size_t err_bytes)
{
    char buf[256];
    if (strlen(text) >= sizeof buf) {
        snprintf(err, err_bytes, "distribution text too long; %s", dist_usage);
        return -1;
    }
    snprintf(buf, sizeof buf, "%s", text);
    char *words[4] = {0};
    int count = sim_split_words(buf, words, 4);
    if (count <= 0) {
        snprintf(err, err_bytes, "%s, got '%.60s'", dist_usage, text);
        return -1;
    }
    const struct dist_name *dn = NULL;
    for (size_t i = 0; i < DIST_NAME_COUNT; i++)
        if (strcmp(words[0], dist_names[i].name) == 0) dn = &dist_names[i];
    if (!dn || count != 1 + dn->duration_args + dn->shape_args) {
        snprintf(err, err_bytes, "%s, got '%.60s'", dist_usage, text);
        return -1;
    }
    *dist = (struct sim_dist){.kind = dn->kind};
    int64_t *durations[2] = {&dist->a_ns, &dist->b_ns};
    char uerr[256];
    for (int i = 0; i < dn->duration_args; i++) {
        if (sim_units_parse(words[1 + i], SIM_UNIT_DURATION, durations[i], uerr,
                            sizeof uerr) != 0) {
            snprintf(err, err_bytes, "%s: %s", dn->name, uerr);
            return -1;
        }
        if (*durations[i] < 0 || *durations[i] > SIM_DELAY_NS_MAX) {
            snprintf(err, err_bytes, "%s: '%s' must be within [0ns, 86400s]", dn->name,
                     words[1 + i]);
            return -1;
        }
    }
    if (dn->shape_args && parse_shape(words[1 + dn->duration_args], &dist->shape, err,
                                      err_bytes) != 0)
        return -1;
    if (dist->kind == SIM_DIST_UNIFORM && dist->b_ns < dist->a_ns) {
        snprintf(err, err_bytes, "uniform: LOW must not exceed HIGH, got '%.60s'", text);
        return -1;
    }
    if ((dist->kind == SIM_DIST_LOGNORMAL || dist->kind == SIM_DIST_PARETO) &&
        dist->a_ns <= 0) {
        snprintf(err, err_bytes, "%s: the first argument must be above 0ns", dn->name);
        return -1;
    }
    return 0;
}

char *sim_dist_format(const struct sim_dist *dist, char *out, size_t out_bytes)
{
    char a[32], b[32];
    sim_units_format_ns(dist->a_ns, a, sizeof a);
    sim_units_format_ns(dist->b_ns, b, sizeof b);
    switch (dist->kind) {
    case SIM_DIST_CONSTANT: snprintf(out, out_bytes, "constant %s", a); break;
    case SIM_DIST_UNIFORM: snprintf(out, out_bytes, "uniform %s %s", a, b); break;
    case SIM_DIST_NORMAL: snprintf(out, out_bytes, "normal %s %s", a, b); break;
    case SIM_DIST_LOGNORMAL: snprintf(out, out_bytes, "lognormal %s %.17g", a, dist->shape); break;
    case SIM_DIST_PARETO: snprintf(out, out_bytes, "pareto %s %.17g", a, dist->shape); break;
    case SIM_DIST_EXPONENTIAL: snprintf(out, out_bytes, "exponential %s", a); break;
    case SIM_DIST_EMPIRICAL:
        snprintf(out, out_bytes, "empirical %s xxh3:%016llx", dist->table->path,
                 (unsigned long long)dist->table->file_hash);
        break;
    }
    return out;
}

int64_t sim_delay_round(double delay_ns, bool *is_clamped)
{
    bool clamped = false;
    int64_t ns;
    /* '>' not '>=': exactly the maximum is representable and was not clamped (dist.h:
     * only values above it are), so it must not raise a CLAMP event. */
    if (isnan(delay_ns) || delay_ns > (double)SIM_DELAY_NS_MAX) {
        ns = SIM_DELAY_NS_MAX;
        clamped = true;
    } else if (delay_ns < 0.0) {
        ns = 0;
        clamped = true;
    } else {
        ns = (int64_t)llround(delay_ns);
        if (ns > SIM_DELAY_NS_MAX) ns = SIM_DELAY_NS_MAX; /* rounding at the edge */
    }
    if (is_clamped) *is_clamped = clamped;
    SIM_ASSERT(ns >= 0);
    SIM_ASSERT(ns <= SIM_DELAY_NS_MAX);
    return ns;
}

int64_t sim_dist_sample_ns(const struct sim_dist *dist, gsl_rng *rng, bool *is_clamped)
{
    double a = (double)dist->a_ns, b = (double)dist->b_ns, x = 0.0;
    switch (dist->kind) {
    case SIM_DIST_CONSTANT:
        if (is_clamped) *is_clamped = false;
        return dist->a_ns; /* draws nothing */
    case SIM_DIST_UNIFORM: x = gsl_ran_flat(rng, a, b); break;
    case SIM_DIST_NORMAL:
        /* Truncated at 0: mean + Z with Z drawn from N(0, sd) conditioned on Z >= -mean.
         * gsl_ran_gaussian_tail rejects internally for such a low bound. */
        x = b > 0.0 ? a + gsl_ran_gaussian_tail(rng, -a, b) : a;
        break;
    case SIM_DIST_LOGNORMAL: x = gsl_ran_lognormal(rng, log(a), dist->shape); break;
    case SIM_DIST_PARETO: x = gsl_ran_pareto(rng, dist->shape, a); break;
    case SIM_DIST_EXPONENTIAL: x = gsl_ran_exponential(rng, a); break;
    case SIM_DIST_EMPIRICAL: x = (double)sim_empirical_sample_ns(dist->table, rng); break;
    }
    return sim_delay_round(x, is_clamped);
}

double sim_dist_mean_ns(const struct sim_dist *dist)
{
    double a = (double)dist->a_ns, b = (double)dist->b_ns;
    switch (dist->kind) {
    case SIM_DIST_CONSTANT: return a;
    case SIM_DIST_UNIFORM: return (a + b) / 2.0;
    case SIM_DIST_NORMAL: {
        if (b <= 0.0) return a;
        /* mean of N(a, b) truncated below at 0 */
        double alpha = -a / b;
        double phi = exp(-alpha * alpha / 2.0) / sqrt(2.0 * 3.14159265358979323846);
        double big_phi = 0.5 * erfc(alpha / sqrt(2.0));
        return a + b * phi / big_phi;
    }
    case SIM_DIST_LOGNORMAL: return a * exp(dist->shape * dist->shape / 2.0);
    case SIM_DIST_PARETO: return dist->shape > 1.0 ? dist->shape * a / (dist->shape - 1.0)
                                                   : INFINITY;
    case SIM_DIST_EXPONENTIAL: return a;
    case SIM_DIST_EMPIRICAL: return dist->table->mean_ns;
    }
    return 0.0;
}
