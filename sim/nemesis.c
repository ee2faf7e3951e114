/* sim/nemesis.c - draws the nemesis's random faults (see nemesis.h).
 *
 * Draws in a fixed pattern per fault: the gap to it, its kind, then what the kind needs
 * (the split of the nodes, or a node; the length; a step's sign). Only the "nemesis"
 * stream is used, so a nemesis changes no other component's draws, and the faults depend
 * on the seed and the [nemesis] keys only. Every drawn fault goes through
 * sim_scn_append_fault as text: the text is the fault. */
#include "nemesis.h"

#include <stdio.h>
#include <string.h>

#include "assert.h"
#include "rng.h"
#include "units.h"

/* A ratio as exact text: "30%", "250ppm" or "7ppb". */
static void format_ratio(int64_t ppb, char *out, size_t out_bytes)
{
    if (ppb % 10000000 == 0) snprintf(out, out_bytes, "%lld%%", (long long)(ppb / 10000000));
    else if (ppb % 1000 == 0) snprintf(out, out_bytes, "%lldppm", (long long)(ppb / 1000));
    else snprintf(out, out_bytes, "%lldppb", (long long)ppb);
}

static enum sim_nemesis_kind draw_kind(const struct sim_nemesis_cfg *nem, gsl_rng *rng)
{
    int64_t total = 0;
    for (int k = 0; k < SIM_NEMESIS_KIND_COUNT; k++) total += nem->weights[k];
    SIM_ASSERT(total > 0);
    int64_t r = (int64_t)sim_rng_below(rng, (uint64_t)total);
    for (int k = 0; k < SIM_NEMESIS_KIND_COUNT; k++) {
        if (r < nem->weights[k]) return (enum sim_nemesis_kind)k;
        r -= nem->weights[k];
    }
    SIM_UNREACHABLE("a draw below the total weight falls in some kind");
    return SIM_NEMESIS_PARTITION;
}

static void set_add(struct sim_node_set *set, uint32_t node)
{
    /* nodes come in ascending order: extend the last range or start one */
    struct sim_node_range *last = set->range_count ? &set->ranges[set->range_count - 1] : NULL;
    if (last && last->first + last->count == node) {
        last->count++;
        return;
    }
    SIM_ASSERT(set->range_count < SIM_FAULT_SIDE_RANGES_MAX);
    set->ranges[set->range_count++] = (struct sim_node_range){node, 1};
}

/* Splits the nemesis's nodes in two: a minority of 1 .. n/2 nodes drawn at random (the
 * interesting side: it cannot form a majority), and the rest. The nodes need not be
 * contiguous (replicas with clients between them), so a side may need a range per node:
 * with at most SIM_NEMESIS_NODES_MAX <= SIM_FAULT_SIDE_RANGES_MAX nodes it always fits. */
static void draw_split(const struct sim_nemesis_cfg *nem, gsl_rng *rng,
                       struct sim_node_set *minority, struct sim_node_set *rest)
{
    _Static_assert(SIM_NEMESIS_NODES_MAX <= SIM_FAULT_SIDE_RANGES_MAX,
                   "any side of a split of the nemesis's nodes fits a fault side");
    uint32_t n = nem->node_count;
    SIM_ASSERT(n >= 2);
    uint32_t size = 1 + (uint32_t)sim_rng_below(rng, n / 2);
    uint32_t order[SIM_NEMESIS_NODES_MAX];
    for (uint32_t i = 0; i < n; i++) order[i] = i;
    bool is_minority[SIM_NEMESIS_NODES_MAX] = {0};
    for (uint32_t i = 0; i < size; i++) { /* partial Fisher-Yates */
        uint32_t j = i + (uint32_t)sim_rng_below(rng, n - i);
        uint32_t t = order[i];
        order[i] = order[j];
        order[j] = t;
        is_minority[order[i]] = true;
    }
    *minority = (struct sim_node_set){0};
    *rest = (struct sim_node_set){0};
    for (uint32_t i = 0; i < n; i++) set_add(is_minority[i] ? minority : rest, nem->nodes[i]);
}

static int64_t draw_length(const struct sim_dist *dist, gsl_rng *rng)
{
    int64_t ns = sim_dist_sample_ns(dist, rng, NULL);
    return ns > 0 ? ns : 1; /* a fault "for 0ns" would be no fault (and a pause needs > 0) */
}

/* The text of one drawn fault at at_ns, drawing what its kind needs. */
static int draw_text(const struct sim_scenario *scn, gsl_rng *rng, int64_t at_ns,
                     enum sim_nemesis_kind kind, char *text, size_t text_bytes)
{
    const struct sim_nemesis_cfg *nem = &scn->nemesis;
    char at[32], length[32], a[SIM_FAULT_TEXT_BYTES], b[SIM_FAULT_TEXT_BYTES], ratio[32];
    sim_units_format_ns(at_ns, at, sizeof at);
    int n = 0;
    if (kind == SIM_NEMESIS_PARTITION || kind == SIM_NEMESIS_CUT || kind == SIM_NEMESIS_LOSS) {
        struct sim_node_set minority, rest;
        draw_split(nem, rng, &minority, &rest);
        bool is_outward = sim_rng_below(rng, 2) == 0; /* a cut's direction */
        sim_units_format_ns(draw_length(&nem->lengths[kind], rng), length, sizeof length);
        const struct sim_node_set *from = kind != SIM_NEMESIS_CUT || is_outward ? &minority : &rest;
        const struct sim_node_set *to = from == &minority ? &rest : &minority;
        if (sim_scn_format_nodes(scn, from, a, sizeof a) != 0 ||
            sim_scn_format_nodes(scn, to, b, sizeof b) != 0)
            return -1;
        format_ratio(nem->loss_ppb, ratio, sizeof ratio);
        if (kind == SIM_NEMESIS_PARTITION)
            n = snprintf(text, text_bytes, "at %s partition %s / %s for %s", at, a, b, length);
        else if (kind == SIM_NEMESIS_CUT)
            n = snprintf(text, text_bytes, "at %s cut %s -> %s for %s", at, a, b, length);
        else
            n = snprintf(text, text_bytes, "at %s degrade %s <-> %s loss %s for %s", at, a, b,
                         ratio, length);
    } else {
        uint32_t node = nem->nodes[sim_rng_below(rng, nem->node_count)];
        char name[SIM_NAME_BYTES_MAX];
        sim_scn_node_name(scn, node, name, sizeof name);
        int64_t length_ns = draw_length(&nem->lengths[kind], rng);
        if (kind == SIM_NEMESIS_STEP) {
            bool is_back = sim_rng_below(rng, 2) == 0;
            sim_units_format_ns(is_back ? -length_ns : length_ns, length, sizeof length);
            n = snprintf(text, text_bytes, "at %s step %s by %s", at, name, length);
        } else {
            sim_units_format_ns(length_ns, length, sizeof length);
            n = snprintf(text, text_bytes, "at %s %s %s for %s", at,
                         kind == SIM_NEMESIS_PAUSE ? "pause" : "crash", name, length);
        }
    }
    return n > 0 && (size_t)n < text_bytes ? 0 : -1;
}

int sim_nemesis_draw(const struct sim_scenario *scn, gsl_rng *rng,
                     struct sim_fault_table *table, struct sim_diag *diag)
{
    const struct sim_nemesis_cfg *nem = &scn->nemesis;
    if (!nem->is_on) return SIM_OK;
    /* Drawn faults are named nemesis.K: a listed one of that form would share a name with
       one (two unrelated faults, a heal that ends both). Listing them is what one does
       after taking the [nemesis] section out (shrink does), not beside it. */
    for (uint32_t i = 0; i < scn->fault_count; i++)
        if (strncmp(scn->faults[i].name, "nemesis.", 8) == 0)
            return sim_diag_set(diag, SIM_EINPUT, scn->path, scn->faults[i].line, 0,
                                "fault '%s': names nemesis.K belong to the faults [nemesis]"
                                " draws; rename it, or remove [nemesis] to list drawn faults",
                                scn->faults[i].name);
    int64_t at_ns = nem->start_ns;
    for (uint32_t k = 1;; k++) {
        int64_t gap_ns = sim_dist_sample_ns(&nem->every, rng, NULL);
        if (sim_add_ns(at_ns, gap_ns, &at_ns) != 0 || at_ns >= nem->end_ns) return SIM_OK;
        enum sim_nemesis_kind kind = draw_kind(nem, rng);
        char name[SIM_NAME_BYTES_MAX], text[SIM_FAULT_TEXT_BYTES];
        snprintf(name, sizeof name, "nemesis.%u", k);
        /* the loader checked that the longest text fits (nodes' names plus 100 bytes) */
        int fits = draw_text(scn, rng, at_ns, kind, text, sizeof text);
        SIM_ASSERT(fits == 0);
        int rc = sim_scn_append_fault(scn, name, text, table, diag);
        if (rc != SIM_OK) return rc;
    }
}
