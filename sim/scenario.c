/* sim/scenario.c - builds a runnable scenario from an INI file and --set overrides.
 *
 * Every key is consumed by exactly one reader below; whatever is left over is an unknown
 * key and an error that points at it. Values are parsed by the one unit parser
 * (units.c) and the distribution parser (dist.c); every error names file, line, column
 * and what was expected. Nothing here runs anything: the result is plain data. */
#include "scenario.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assert.h"
#include "empirical.h"
#include "units.h"

#define DEFAULT_MAX_EVENTS UINT64_C(1000000000)
/* 2025-01-01T00:00:00Z: what a node's wall clock reads at true time 0 without offset */
#define DEFAULT_WALL_START_NS (INT64_C(1735689600) * SIM_NS_PER_S)
#define DEFAULT_INBOX_MAX 10000u
#define DEFAULT_QUEUE_MAX 1000u

__extension__ typedef __int128 i128;

struct loader {
    struct sim_ini ini;
    struct sim_scenario *scn;
    const struct murphy_model_set *models;
    struct sim_diag *diag;
};

static int entry_error(struct loader *ld, const struct sim_ini_entry *e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* An error about one entry: "'key' <what is wrong>", at the value's position. */
static int entry_error(struct loader *ld, const struct sim_ini_entry *e, const char *fmt, ...)
{
    char message[SIM_DIAG_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    return sim_diag_set(ld->diag, SIM_EINPUT, e->file, e->line, e->column, "'%s' %s", e->key,
                        message);
}

static int section_line(const struct loader *ld, const char *section)
{
    for (size_t i = 0; i < ld->ini.section_count; i++)
        if (strcmp(ld->ini.sections[i], section) == 0) return ld->ini.section_lines[i];
    return 0;
}

static struct sim_ini_entry *take(struct loader *ld, const char *section, const char *key)
{
    struct sim_ini_entry *e = sim_ini_find(&ld->ini, section, key);
    if (e) e->is_used = true;
    return e;
}

/* --- values ----------------------------------------------------------------------------- */

static int parse_units(struct loader *ld, const struct sim_ini_entry *e, enum sim_unit_kind kind,
                       int64_t lo, int64_t hi, const char *range_text, int64_t *out)
{
    char err[256];
    if (sim_units_parse(e->value, kind, out, err, sizeof err) != 0)
        return entry_error(ld, e, "%s", err);
    if (*out < lo || *out > hi) {
        char message[512];
        snprintf(message, sizeof message, "must be within %s, got '%.60s'", range_text, e->value);
        return entry_error(ld, e, "%s", message);
    }
    return 0;
}

static int parse_ratio(struct loader *ld, const struct sim_ini_entry *e, int64_t *ppb)
{
    return parse_units(ld, e, SIM_UNIT_RATIO, 0, SIM_PPB_ONE, "[0, 1] (0% to 100%)", ppb);
}

static int parse_duration(struct loader *ld, const struct sim_ini_entry *e, int64_t lo,
                          int64_t hi, int64_t *ns)
{
    char range[96], a[32], b[32];
    snprintf(range, sizeof range, "[%s, %s]", sim_units_format_ns(lo, a, sizeof a),
             sim_units_format_ns(hi, b, sizeof b));
    return parse_units(ld, e, SIM_UNIT_DURATION, lo, hi, range, ns);
}

/* `empirical FILE`: the table for FILE, loaded once per scenario (relative to the
 * scenario file's directory) and shared by every key that names it. */
static int parse_empirical(struct loader *ld, const struct sim_ini_entry *e, const char *file,
                           struct sim_dist *dist)
{
    struct sim_scenario *scn = ld->scn;
    for (size_t i = 0; i < scn->empirical_count; i++)
        if (strcmp(scn->empiricals[i]->path, file) == 0) {
            *dist = (struct sim_dist){.kind = SIM_DIST_EMPIRICAL, .table = scn->empiricals[i]};
            return 0;
        }
    char dir[1024];
    const char *slash = strrchr(scn->path, '/');
    size_t dir_bytes = slash ? (size_t)(slash - scn->path) : 0;
    if (dir_bytes >= sizeof dir) return entry_error(ld, e, "has a scenario path too long%s", "");
    memcpy(dir, scn->path, dir_bytes);
    dir[dir_bytes] = '\0';
    if (slash && dir_bytes == 0) snprintf(dir, sizeof dir, "/");
    struct sim_empirical **grown =
        realloc(scn->empiricals, (scn->empirical_count + 1) * sizeof *grown);
    if (!grown) return sim_diag_set(ld->diag, SIM_ENOMEM, NULL, 0, 0, "out of memory");
    scn->empiricals = grown;
    struct sim_diag inner;
    int rc = sim_empirical_load(file, dir, &scn->empiricals[scn->empirical_count], &inner);
    if (rc != 0) {
        /* both places: the samples file's line, and the scenario key that named it */
        char where[SIM_DIAG_MESSAGE_MAX];
        sim_diag_format(&inner, where, sizeof where);
        return entry_error(ld, e, "names samples that cannot be used: %s", where);
    }
    *dist = (struct sim_dist){.kind = SIM_DIST_EMPIRICAL,
                              .table = scn->empiricals[scn->empirical_count++]};
    return 0;
}

static int parse_dist(struct loader *ld, const struct sim_ini_entry *e, struct sim_dist *dist)
{
    char err[512];
    if (strncmp(e->value, "empirical", 9) == 0 && (e->value[9] == ' ' || e->value[9] == '\t' ||
                                                   e->value[9] == '\0')) {
        char buf[SIM_EMPIRICAL_PATH_BYTES + 16], *w[3] = {0};
        snprintf(buf, sizeof buf, "%s", e->value);
        if (strlen(e->value) >= sizeof buf || sim_split_words(buf, w, 3) != 2)
            return entry_error(ld, e, "expected 'empirical FILE' (one file of measured samples, "
                               "one duration per line), got '%.60s'", e->value);
        return parse_empirical(ld, e, w[1], dist);
    }
    if (sim_dist_parse(e->value, dist, err, sizeof err) != 0) return entry_error(ld, e, "%s", err);
    return 0;
}

static int parse_bool(struct loader *ld, const struct sim_ini_entry *e, int64_t *out)
{
    if (strcmp(e->value, "true") == 0) *out = 1;
    else if (strcmp(e->value, "false") == 0) *out = 0;
    else return entry_error(ld, e, "expected true or false, got '%.60s'", e->value);
    return 0;
}

static bool is_name(const char *s)
{
    if (!*s || strlen(s) >= SIM_NAME_BYTES_MAX) return false;
    for (; *s; s++) {
        char c = *s;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-';
        if (!ok) return false;
    }
    return true;
}

/* Resolves "group", "group.3" or "*" to a range of nodes; -1 if unknown. */
static int resolve_nodes(const struct sim_scenario *scn, const char *ref,
                         struct sim_node_range *range)
{
    if (strcmp(ref, "*") == 0) {
        *range = (struct sim_node_range){0, scn->node_count};
        return 0;
    }
    for (uint32_t g = 0; g < scn->group_count; g++) {
        const struct sim_group *grp = &scn->groups[g];
        size_t len = strlen(grp->name);
        if (strcmp(ref, grp->name) == 0) {
            *range = (struct sim_node_range){grp->first_node, grp->node_count};
            return 0;
        }
        if (grp->node_count > 1 && strncmp(ref, grp->name, len) == 0 && ref[len] == '.') {
            char *end = NULL;
            const char *digits = ref + len + 1;
            if (*digits < '0' || *digits > '9') return -1;
            unsigned long i = strtoul(digits, &end, 10);
            if (*end || i >= grp->node_count) return -1;
            *range = (struct sim_node_range){grp->first_node + (uint32_t)i, 1};
            return 0;
        }
    }
    return -1;
}

static void node_names_hint(const struct sim_scenario *scn, char *out, size_t out_bytes)
{
    size_t used = 0;
    out[0] = '\0';
    for (uint32_t g = 0; g < scn->group_count && used + 1 < out_bytes; g++) {
        int n = snprintf(out + used, out_bytes - used, "%s%s", g ? ", " : "", scn->groups[g].name);
        if (n < 0) break;
        used += (size_t)n;
    }
}

static int parse_group_ref(struct loader *ld, const struct sim_ini_entry *e, const char *ref,
                           struct sim_node_range *range)
{
    if (resolve_nodes(ld->scn, ref, range) == 0) return 0;
    char hint[512], message[768];
    node_names_hint(ld->scn, hint, sizeof hint);
    snprintf(message, sizeof message,
             "names no node: expected a group (%s), GROUP.INDEX or *, got '%.60s'", hint, ref);
    return entry_error(ld, e, "%s", message);
}

/* --- [scenario] --------------------------------------------------------------------------- */

static int load_header(struct loader *ld)
{
    struct sim_scenario *scn = ld->scn;
    if (!section_line(ld, "scenario") && !sim_ini_find(&ld->ini, "scenario", "duration"))
        return sim_diag_set(ld->diag, SIM_EINPUT, ld->ini.file, 0, 0,
                            "expected a [scenario] section with at least 'duration = TIME'");
    struct sim_ini_entry *e = take(ld, "scenario", "name");
    if (e) {
        if (!is_name(e->value))
            return entry_error(ld, e, "expected letters, digits, '_' or '-' (at most 63), got "
                               "'%.60s'", e->value);
        snprintf(scn->name, sizeof scn->name, "%s", e->value);
    } else {
        const char *base = strrchr(scn->path, '/');
        base = base ? base + 1 : scn->path;
        size_t len = strcspn(base, ".");
        if (len >= sizeof scn->name) len = sizeof scn->name - 1;
        memcpy(scn->name, base, len);
        scn->name[len] = '\0';
    }
    e = take(ld, "scenario", "duration");
    if (!e)
        return sim_diag_set(ld->diag, SIM_EINPUT, ld->ini.file, section_line(ld, "scenario"), 0,
                            "[scenario] needs 'duration = TIME' (e.g. 60s)");
    if (parse_duration(ld, e, 1, SIM_RUN_NS_MAX, &scn->duration_ns) != 0) return SIM_EINPUT;
    scn->max_events = DEFAULT_MAX_EVENTS;
    e = take(ld, "scenario", "max_events");
    if (e) {
        int64_t v;
        if (parse_units(ld, e, SIM_UNIT_INT, 1, (int64_t)SIM_EVENTS_MAX_LIMIT, "[1, 2^48]", &v))
            return SIM_EINPUT;
        scn->max_events = (uint64_t)v;
    }
    scn->wall_start_ns = DEFAULT_WALL_START_NS;
    e = take(ld, "scenario", "wall_start");
    if (e && parse_duration(ld, e, 0, INT64_C(4102444800) * SIM_NS_PER_S, &scn->wall_start_ns))
        return SIM_EINPUT;
    scn->leap_at_ns = -1;
    e = take(ld, "scenario", "leap_at");
    if (e && parse_duration(ld, e, 0, SIM_RUN_NS_MAX, &scn->leap_at_ns)) return SIM_EINPUT;
    e = take(ld, "scenario", "clock_sample");
    if (e && parse_duration(ld, e, 0, SIM_RUN_NS_MAX, &scn->clock_sample_ns)) return SIM_EINPUT;
    take(ld, "scenario", "description"); /* free text for `murphy explain` */
    return 0;
}

/* --- [node.GROUP] ---------------------------------------------------------------------------- */

static const struct murphy_model *find_model(const struct murphy_model_set *set, const char *name)
{
    for (size_t i = 0; i < set->model_count; i++)
        if (strcmp(set->models[i]->name, name) == 0) return set->models[i];
    return NULL;
}

static int unknown_model(struct loader *ld, const struct sim_ini_entry *e)
{
    char known[512] = "";
    size_t used = 0;
    for (size_t i = 0; i < ld->models->model_count && used + 1 < sizeof known; i++) {
        int n = snprintf(known + used, sizeof known - used, "%s%s", i ? ", " : "",
                         ld->models->models[i]->name);
        if (n < 0) break;
        used += (size_t)n;
    }
    char message[768];
    snprintf(message, sizeof message, "names no model: expected one of %s, got '%.60s'", known,
             e->value);
    return entry_error(ld, e, "%s", message);
}

/* First pass: groups, their models, counts and node indexes, so that node names can be
 * resolved by everything that follows. */
static int load_groups(struct loader *ld)
{
    struct sim_scenario *scn = ld->scn;
    size_t cap = 0;
    for (size_t s = 0; s < ld->ini.section_count; s++)
        if (strncmp(ld->ini.sections[s], "node.", 5) == 0) cap++;
    if (cap > SIM_GROUPS_MAX)
        return sim_diag_set(ld->diag, SIM_ELIMIT, ld->ini.file, 0, 0,
                            "%zu node groups pass SIM_GROUPS_MAX (%u)", cap, SIM_GROUPS_MAX);
    scn->groups = calloc(cap ? cap : 1, sizeof *scn->groups);
    if (!scn->groups) return sim_diag_set(ld->diag, SIM_ENOMEM, NULL, 0, 0, "out of memory");
    for (size_t s = 0; s < ld->ini.section_count; s++) {
        const char *section = ld->ini.sections[s];
        if (strncmp(section, "node.", 5) != 0) continue;
        int line = ld->ini.section_lines[s];
        const char *name = section + 5;
        if (!is_name(name))
            return sim_diag_set(ld->diag, SIM_EINPUT, ld->ini.file, line, 0,
                                "[%s]: expected a group name of letters, digits, '_' or '-' "
                                "(at most 63)", section);
        struct sim_group *g = &scn->groups[scn->group_count++];
        snprintf(g->name, sizeof g->name, "%s", name);
        struct sim_ini_entry *e = take(ld, section, "model");
        if (!e)
            return sim_diag_set(ld->diag, SIM_EINPUT, ld->ini.file, line, 0,
                                "[%s] needs 'model = NAME'", section);
        g->model = find_model(ld->models, e->value);
        if (!g->model) return unknown_model(ld, e);
        int64_t count = 1;
        e = take(ld, section, "count");
        if (e && parse_units(ld, e, SIM_UNIT_INT, 1, SIM_NODES_MAX, "[1, SIM_NODES_MAX = 65535]",
                             &count))
            return SIM_EINPUT;
        if (scn->node_count + (uint64_t)count > SIM_NODES_MAX)
            return sim_diag_set(ld->diag, SIM_ELIMIT, e ? e->file : ld->ini.file,
                                e ? e->line : line, e ? e->column : 0,
                                "[%s] brings the node total past SIM_NODES_MAX (65535)", section);
        /* node names "GROUP.N" must fit, or two nodes would share a name (and a stream) */
        char last_name[32] = "";
        int suffix = count > 1 ? snprintf(last_name, sizeof last_name, ".%lld",
                                          (long long)(count - 1)) : 0;
        if (strlen(name) + (size_t)suffix >= SIM_NAME_BYTES_MAX)
            return sim_diag_set(ld->diag, SIM_EINPUT, ld->ini.file, line, 0,
                                "[%s]: with count %lld its node names (%s%s) pass %u bytes; "
                                "use a shorter group name", section, (long long)count, name,
                                last_name, SIM_NAME_BYTES_MAX - 1);
        g->first_node = scn->node_count;
        g->node_count = (uint32_t)count;
        scn->node_count += (uint32_t)count;
    }
    for (uint32_t a = 0; a < scn->group_count; a++)
        for (uint32_t b = 0; b < a; b++)
            if (strcmp(scn->groups[a].name, scn->groups[b].name) == 0)
                return sim_diag_set(ld->diag, SIM_EINPUT, ld->ini.file, 0, 0,
                                    "two groups named '%s'", scn->groups[a].name);
    return 0;
}

static int load_param(struct loader *ld, const char *section, struct sim_param_value *v)
{
    const struct murphy_param_spec *spec = v->spec;
    struct sim_ini_entry *e = take(ld, section, spec->name);
    struct sim_ini_entry fallback = {.key = (char *)spec->name, .file = ld->ini.file};
    if (!e) {
        if (!spec->default_text)
            return sim_diag_set(ld->diag, SIM_EINPUT, ld->ini.file, section_line(ld, section), 0,
                                "[%s] needs '%s' (%s)", section, spec->name,
                                spec->help ? spec->help : "required by its model");
        fallback.value = (char *)spec->default_text;
        fallback.line = section_line(ld, section);
        e = &fallback;
    }
    bool bounded = spec->value_min != 0 || spec->value_max != 0;
    int64_t lo = bounded ? spec->value_min : 0, hi = bounded ? spec->value_max : INT64_MAX;
    char range[96];
    snprintf(range, sizeof range, "[%lld, %lld]", (long long)lo, (long long)hi);
    switch (spec->kind) {
    case MURPHY_PARAM_DURATION:
        return parse_duration(ld, e, lo, bounded ? hi : SIM_RUN_NS_MAX, &v->i64);
    case MURPHY_PARAM_INT: return parse_units(ld, e, SIM_UNIT_INT, lo, hi, range, &v->i64);
    case MURPHY_PARAM_RATIO:
        return parse_units(ld, e, SIM_UNIT_RATIO, lo, bounded ? hi : SIM_PPB_ONE,
                           bounded ? range : "[0, 1] (0% to 100%)", &v->i64);
    case MURPHY_PARAM_BOOL: return parse_bool(ld, e, &v->i64);
    case MURPHY_PARAM_DIST: return parse_dist(ld, e, &v->dist);
    case MURPHY_PARAM_GROUP: {
        struct sim_node_range r;
        if (parse_group_ref(ld, e, e->value, &r) != 0) return SIM_EINPUT;
        v->group_first = r.first;
        v->group_count = r.count;
        return 0;
    }
    }
    return entry_error(ld, e, "has a parameter kind the kernel does not know%s", "");
}

/* One word out of a fixed list; its index, or an error listing them. */
static int parse_choice(struct loader *ld, const struct sim_ini_entry *e,
                        const char *const *choices, int choice_count, int *out)
{
    char list[256] = "";
    size_t used = 0;
    for (int i = 0; i < choice_count; i++) {
        if (strcmp(e->value, choices[i]) == 0) {
            *out = i;
            return 0;
        }
        int n = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", choices[i]);
        if (n > 0 && (size_t)n < sizeof list - used) used += (size_t)n;
    }
    return entry_error(ld, e, "expected one of %s, got '%.60s'", list, e->value);
}

static const char *const sync_names[] = {"none", "step", "slew", "ntpd"};
static const char *const leap_names[] = {"none", "step", "smear"};

/* The clock keys of a group: offset, drift, read jitter, leap policy and sync. */
static int load_clock(struct loader *ld, const char *section, struct sim_clock_cfg *c)
{
    *c = (struct sim_clock_cfg){
        .sync_every_ns = sim_s(64),             /* ntpd's shortest poll interval */
        .slew_max_ppb = 500000,                 /* ntpd: 500 ppm */
        .step_threshold_ns = sim_ms(128),       /* ntpd: 128 ms */
    };
    struct sim_ini_entry *e = take(ld, section, "clock_offset");
    if (e && parse_duration(ld, e, -SIM_RUN_NS_MAX, SIM_RUN_NS_MAX, &c->offset_ns))
        return SIM_EINPUT;
    e = take(ld, section, "clock_drift");
    if (e && parse_units(ld, e, SIM_UNIT_RATIO, -SIM_DRIFT_PPB_LIMIT, SIM_DRIFT_PPB_LIMIT,
                         "[-100000ppm, 100000ppm]", &c->drift_ppb))
        return SIM_EINPUT;
    e = take(ld, section, "clock_jitter");
    if (e && parse_duration(ld, e, 0, SIM_CLOCK_JITTER_NS_LIMIT, &c->jitter_ns)) return SIM_EINPUT;
    int choice = 0;
    e = take(ld, section, "clock_leap");
    if (e && parse_choice(ld, e, leap_names, 3, &choice) != 0) return SIM_EINPUT;
    c->leap = (enum sim_leap_policy)choice;
    if (c->leap != SIM_LEAP_NONE && ld->scn->leap_at_ns < 0)
        return entry_error(ld, e, "needs [scenario] leap_at = TIME (when the leap second is)%s",
                           "");
    choice = 0;
    e = take(ld, section, "clock_sync");
    if (e && parse_choice(ld, e, sync_names, 4, &choice) != 0) return SIM_EINPUT;
    c->sync = (enum sim_sync_policy)choice;
    e = take(ld, section, "clock_sync_every");
    if (e && parse_duration(ld, e, SIM_NS_PER_MS, SIM_RUN_NS_MAX, &c->sync_every_ns))
        return SIM_EINPUT;
    struct sim_ini_entry *error_entry = e = take(ld, section, "clock_sync_error");
    if (e && parse_duration(ld, e, 0, sim_s(3600), &c->sync_error_ns)) return SIM_EINPUT;
    struct sim_ini_entry *server_entry = e = take(ld, section, "clock_sync_server");
    if (e) {
        struct sim_node_range r;
        if (parse_group_ref(ld, e, e->value, &r) != 0) return SIM_EINPUT;
        if (r.count != 1)
            return entry_error(ld, e, "names %u nodes; expected one time server", r.count);
        c->has_sync_server = true;
        c->sync_server = r.first;
    }
    e = take(ld, section, "clock_slew_max");
    if (e && parse_units(ld, e, SIM_UNIT_RATIO, 1, SIM_SLEW_PPB_LIMIT, "[1ppb, 100000ppm]",
                         &c->slew_max_ppb))
        return SIM_EINPUT;
    e = take(ld, section, "clock_step_threshold");
    if (e && parse_duration(ld, e, 0, sim_s(3600), &c->step_threshold_ns)) return SIM_EINPUT;
    if (c->sync == SIM_SYNC_NONE && (server_entry || error_entry))
        return entry_error(ld, server_entry ? server_entry : error_entry,
                           "needs clock_sync = step, slew or ntpd in [%s]", section);
    return 0;
}

/* The GC keys of a group: pauses drawn from gc_every (time between) and gc_pause. */
static int load_gc(struct loader *ld, const char *section, struct sim_gc_cfg *gc)
{
    *gc = (struct sim_gc_cfg){0};
    struct sim_ini_entry *every = take(ld, section, "gc_every");
    struct sim_ini_entry *length = take(ld, section, "gc_pause");
    struct sim_ini_entry *notice = take(ld, section, "gc_notice");
    if (!every && !length && !notice) return 0;
    if (!every || !length)
        return entry_error(ld, every ? every : length ? length : notice,
                           "needs both 'gc_every = DIST' (time between pauses) and 'gc_pause "
                           "= DIST' (their length) in [%s]", section);
    if (strcmp(every->value, "none") == 0) return 0; /* switched off, e.g. by --set */
    if (parse_dist(ld, every, &gc->every) != 0 || parse_dist(ld, length, &gc->length) != 0)
        return SIM_EINPUT;
    if (notice && parse_duration(ld, notice, 0, sim_s(3600), &gc->notice_ns)) return SIM_EINPUT;
    gc->is_on = true;
    return 0;
}

/* Second pass: clocks, inbox bound and model parameters. */
static int load_group_settings(struct loader *ld, struct sim_group *g)
{
    char section[SIM_NAME_BYTES_MAX + 8];
    snprintf(section, sizeof section, "node.%s", g->name);
    if (load_clock(ld, section, &g->clock) != 0 || load_gc(ld, section, &g->gc) != 0)
        return SIM_EINPUT;
    struct sim_ini_entry *e;
    /* every wall reading of the run must fit int64: start + offset + duration * (1+drift) */
    i128 wall_start = (i128)ld->scn->wall_start_ns + g->clock.offset_ns;
    i128 wall_end = wall_start + ld->scn->duration_ns +
                    (i128)ld->scn->duration_ns * g->clock.drift_ppb / SIM_PPB_ONE;
    if (wall_end > INT64_MAX || wall_start < 0)
        return sim_diag_set(ld->diag, SIM_EINPUT, ld->ini.file, section_line(ld, section), 0,
                            "[%s]: wall_start + clock_offset + duration (with drift) leaves the "
                            "range of wall-clock time (1970 to 2262)", section);
    int64_t inbox = DEFAULT_INBOX_MAX;
    e = take(ld, section, "inbox_max");
    if (e && parse_units(ld, e, SIM_UNIT_INT, 0, SIM_INBOX_MAX_LIMIT, "[0, 1000000]", &inbox))
        return SIM_EINPUT;
    g->inbox_max = (uint32_t)inbox;
    g->params = calloc(g->model->param_count ? g->model->param_count : 1, sizeof *g->params);
    if (!g->params) return sim_diag_set(ld->diag, SIM_ENOMEM, NULL, 0, 0, "out of memory");
    for (size_t i = 0; i < g->model->param_count; i++) {
        g->params[i].spec = &g->model->params[i];
        if (load_param(ld, section, &g->params[i]) != 0) return SIM_EINPUT;
    }
    return 0;
}

/* --- [link.*] --------------------------------------------------------------------------------- */

static const char *const link_key_names[SIM_LINK_KEY_COUNT] = {
    [SIM_LINK_DELAY] = "delay",         [SIM_LINK_LOSS] = "loss",
    [SIM_LINK_DUPLICATE] = "duplicate", [SIM_LINK_CORRUPT] = "corrupt",
    [SIM_LINK_REORDER] = "reorder",     [SIM_LINK_REORDER_DELAY] = "reorder_delay",
    [SIM_LINK_BANDWIDTH] = "bandwidth", [SIM_LINK_QUEUE] = "queue",
    [SIM_LINK_ATTACK] = "attack",       [SIM_LINK_ATTACK_RATE] = "attack_rate",
};

/* "corrupt", "forge,replay", or "none": the attacker's repertoire on a link. */
static int parse_attack(struct loader *ld, struct sim_ini_entry *e, unsigned *mask)
{
    *mask = 0;
    if (strcmp(e->value, "none") == 0) return 0;
    char buf[128];
    if (strlen(e->value) >= sizeof buf)
        return entry_error(ld, e, "expected 'none' or a comma list of corrupt, forge, replay%s",
                           "");
    snprintf(buf, sizeof buf, "%s", e->value);
    for (char *word = strtok(buf, ","); word; word = strtok(NULL, ",")) {
        int kind = sim_attack_kind_from_name(word);
        if (kind < 0)
            return entry_error(ld, e, "'%.40s' is no attack: expected 'none' or a comma list "
                               "of corrupt, forge, replay", word);
        *mask |= 1u << kind;
    }
    if (!*mask) return entry_error(ld, e, "expected 'none' or a comma list of corrupt, forge, "
                                   "replay%s", "");
    return 0;
}

static int load_link_key(struct loader *ld, struct sim_ini_entry *e, enum sim_link_key key,
                         struct sim_link_cfg *cfg)
{
    int64_t v = 0;
    switch (key) {
    case SIM_LINK_DELAY: return parse_dist(ld, e, &cfg->delay);
    case SIM_LINK_LOSS: return parse_ratio(ld, e, &cfg->loss_ppb);
    case SIM_LINK_DUPLICATE: return parse_ratio(ld, e, &cfg->duplicate_ppb);
    case SIM_LINK_CORRUPT: return parse_ratio(ld, e, &cfg->corrupt_ppb);
    case SIM_LINK_REORDER: return parse_ratio(ld, e, &cfg->reorder_ppb);
    case SIM_LINK_REORDER_DELAY:
        return parse_duration(ld, e, 0, SIM_DELAY_NS_MAX / 2, &cfg->reorder_delay_ns);
    case SIM_LINK_BANDWIDTH:
        if (strcmp(e->value, "unlimited") == 0) {
            cfg->bandwidth_bps = 0;
            return 0;
        }
        return parse_units(ld, e, SIM_UNIT_BANDWIDTH, 1, INT64_C(1000000000000000),
                           "[1bps, 1000000Gbps] or 'unlimited'", &cfg->bandwidth_bps);
    case SIM_LINK_QUEUE:
        if (parse_units(ld, e, SIM_UNIT_INT, 1, SIM_LINK_QUEUE_MAX_LIMIT, "[1, 1000000]", &v))
            return SIM_EINPUT;
        cfg->queue_max = (uint32_t)v;
        return 0;
    case SIM_LINK_ATTACK: return parse_attack(ld, e, &cfg->attack_mask);
    case SIM_LINK_ATTACK_RATE: return parse_ratio(ld, e, &cfg->attack_ppb);
    case SIM_LINK_KEY_COUNT: break;
    }
    SIM_UNREACHABLE("unknown link key");
    return SIM_EINPUT;
}

static int load_link_rule(struct loader *ld, const char *section, int line,
                          struct sim_link_rule *rule)
{
    const char *spec = section + 5; /* after "link." */
    snprintf(rule->text, sizeof rule->text, "%s", spec);
    if (strcmp(spec, "default") != 0) {
        const char *arrow = strstr(spec, "<->");
        size_t arrow_len = 3;
        rule->is_both_ways = arrow != NULL;
        if (!arrow) {
            arrow = strstr(spec, "->");
            arrow_len = 2;
        }
        char a[SIM_NAME_BYTES_MAX + 8] = "", b[SIM_NAME_BYTES_MAX + 8] = "";
        size_t a_len = arrow ? (size_t)(arrow - spec) : 0;
        if (!arrow || a_len == 0 || a_len >= sizeof a || strlen(arrow + arrow_len) >= sizeof b)
            return sim_diag_set(ld->diag, SIM_EINPUT, ld->ini.file, line, 0,
                                "[%s]: expected [link.default], [link.A->B] or [link.A<->B] "
                                "with A, B a group, GROUP.INDEX or *", section);
        memcpy(a, spec, a_len);
        snprintf(b, sizeof b, "%s", arrow + arrow_len);
        if (resolve_nodes(ld->scn, a, &rule->source) != 0 ||
            resolve_nodes(ld->scn, b, &rule->target) != 0) {
            char hint[512];
            node_names_hint(ld->scn, hint, sizeof hint);
            return sim_diag_set(ld->diag, SIM_EINPUT, ld->ini.file, line, 0,
                                "[%s]: '%s' or '%s' names no node: expected a group (%s), "
                                "GROUP.INDEX or *", section, a, b, hint);
        }
    } else {
        rule->source = rule->target = (struct sim_node_range){0, ld->scn->node_count};
    }
    for (int k = 0; k < SIM_LINK_KEY_COUNT; k++) {
        struct sim_ini_entry *e = take(ld, section, link_key_names[k]);
        if (!e) continue;
        if (load_link_key(ld, e, (enum sim_link_key)k, &rule->cfg) != 0) return SIM_EINPUT;
        rule->set_mask |= 1u << k;
    }
    return 0;
}

static int load_links(struct loader *ld)
{
    struct sim_scenario *scn = ld->scn;
    size_t cap = 1;
    for (size_t s = 0; s < ld->ini.section_count; s++)
        if (strncmp(ld->ini.sections[s], "link.", 5) == 0) cap++;
    if (cap > SIM_LINK_RULES_MAX)
        return sim_diag_set(ld->diag, SIM_ELIMIT, ld->ini.file, 0, 0,
                            "%zu link sections pass SIM_LINK_RULES_MAX (%u)", cap,
                            SIM_LINK_RULES_MAX);
    scn->link_rules = calloc(cap, sizeof *scn->link_rules);
    if (!scn->link_rules) return sim_diag_set(ld->diag, SIM_ENOMEM, NULL, 0, 0, "out of memory");
    struct sim_link_rule *def = &scn->link_rules[0];
    snprintf(def->text, sizeof def->text, "default");
    def->source = def->target = (struct sim_node_range){0, scn->node_count};
    def->cfg = (struct sim_link_cfg){
        .delay = {.kind = SIM_DIST_CONSTANT, .a_ns = SIM_NS_PER_MS},
        .queue_max = DEFAULT_QUEUE_MAX,
    };
    def->set_mask = (1u << SIM_LINK_KEY_COUNT) - 1;
    scn->link_rule_count = 1;
    bool has_default = section_line(ld, "link.default") != 0; /* or only from --set */
    for (size_t i = 0; i < ld->ini.entry_count && !has_default; i++)
        has_default = strcmp(ld->ini.entries[i].section, "link.default") == 0;
    if (has_default) {
        unsigned mask = def->set_mask;
        if (load_link_rule(ld, "link.default", section_line(ld, "link.default"), def) != 0)
            return SIM_EINPUT;
        def->set_mask = mask;
    }
    for (size_t s = 0; s < ld->ini.section_count; s++) {
        const char *section = ld->ini.sections[s];
        if (strncmp(section, "link.", 5) != 0 || strcmp(section, "link.default") == 0) continue;
        struct sim_link_rule *rule = &scn->link_rules[scn->link_rule_count++];
        if (load_link_rule(ld, section, ld->ini.section_lines[s], rule) != 0) return SIM_EINPUT;
    }
    return 0;
}

static bool in_range(struct sim_node_range r, uint32_t node)
{
    return node >= r.first && node - r.first < r.count;
}

void sim_scn_link_cfg(const struct sim_scenario *scn, uint32_t source, uint32_t target,
                      struct sim_link_cfg *cfg)
{
    *cfg = scn->link_rules[0].cfg;
    for (uint32_t i = 1; i < scn->link_rule_count; i++) {
        const struct sim_link_rule *r = &scn->link_rules[i];
        bool match = (in_range(r->source, source) && in_range(r->target, target)) ||
                     (r->is_both_ways && in_range(r->source, target) &&
                      in_range(r->target, source));
        if (!match) continue;
        const struct sim_link_cfg *c = &r->cfg;
        if (r->set_mask & (1u << SIM_LINK_DELAY)) cfg->delay = c->delay;
        if (r->set_mask & (1u << SIM_LINK_LOSS)) cfg->loss_ppb = c->loss_ppb;
        if (r->set_mask & (1u << SIM_LINK_DUPLICATE)) cfg->duplicate_ppb = c->duplicate_ppb;
        if (r->set_mask & (1u << SIM_LINK_CORRUPT)) cfg->corrupt_ppb = c->corrupt_ppb;
        if (r->set_mask & (1u << SIM_LINK_REORDER)) cfg->reorder_ppb = c->reorder_ppb;
        if (r->set_mask & (1u << SIM_LINK_REORDER_DELAY))
            cfg->reorder_delay_ns = c->reorder_delay_ns;
        if (r->set_mask & (1u << SIM_LINK_BANDWIDTH)) cfg->bandwidth_bps = c->bandwidth_bps;
        if (r->set_mask & (1u << SIM_LINK_QUEUE)) cfg->queue_max = c->queue_max;
        if (r->set_mask & (1u << SIM_LINK_ATTACK)) cfg->attack_mask = c->attack_mask;
        if (r->set_mask & (1u << SIM_LINK_ATTACK_RATE)) cfg->attack_ppb = c->attack_ppb;
    }
}

/* --- [faults] --------------------------------------------------------------------------------- */

static const char *const fault_usage =
    "expected 'at TIME partition A / B [for D]', 'at TIME cut A -> B [for D]', "
    "'at TIME degrade A -> B loss RATIO [for D]' (or A <-> B), 'at TIME heal [FAULT]', "
    "'at TIME crash NODES [for D]', 'at TIME restart NODES', 'at TIME pause NODES for D', "
    "'at TIME step NODES by D' (D may be negative), 'at TIME drift NODES to RATE' (e.g. "
    "200ppm), 'at TIME flap A / B every D until TIME' or 'at TIME byzantine NODES "
    "POLICY[,POLICY...] [ratio R] [to NODES] [extra D] [copies N]' (policies: alter, "
    "corrupt, drop, delay, duplicate, replay, flood); A, B and NODES are refs (group, "
    "GROUP.INDEX or *) or comma lists of them (node.0,node.3)";

#define FAULT_WORDS_MAX 16

/* Fault names are keys, and may hold '.' (the nemesis names its faults nemesis.1, ...). */
static bool is_fault_name(const char *s)
{
    if (!*s || strlen(s) >= SIM_NAME_BYTES_MAX || *s == '.') return false;
    for (; *s; s++) {
        char c = *s;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-' || c == '.';
        if (!ok) return false;
    }
    return true;
}

static int range_order(const void *a, const void *b)
{
    const struct sim_node_range *x = a, *y = b;
    return (x->first > y->first) - (x->first < y->first);
}

bool sim_node_set_has(const struct sim_node_set *set, uint32_t node)
{
    for (uint32_t i = 0; i < set->range_count; i++)
        if (node >= set->ranges[i].first && node - set->ranges[i].first < set->ranges[i].count)
            return true;
    return false;
}

uint32_t sim_node_set_count(const struct sim_node_set *set)
{
    uint32_t count = 0;
    for (uint32_t i = 0; i < set->range_count; i++) count += set->ranges[i].count;
    return count;
}

/* "A", or "A,B,C": every ref resolved, then sorted and merged so each node is in one
 * range; a list that still needs more than SIM_FAULT_SIDE_RANGES_MAX ranges is an
 * error. Merging first keeps "node.0,node.1,node.2" within one range. */
static int parse_node_list(struct loader *ld, const struct sim_ini_entry *e, const char *word,
                           struct sim_node_set *set)
{
    struct sim_node_range found[SIM_FAULT_TEXT_BYTES / 2];
    size_t found_count = 0;
    char buf[SIM_FAULT_TEXT_BYTES];
    if (strlen(word) >= sizeof buf)
        return entry_error(ld, e, "has a node list longer than %zu bytes; use groups",
                           sizeof buf - 1);
    snprintf(buf, sizeof buf, "%s", word);
    char *rest = buf;
    for (;;) {
        char *comma = strchr(rest, ',');
        if (comma) *comma = '\0';
        if (!*rest)
            return entry_error(ld, e, "has an empty name in the node list '%.60s'", word);
        SIM_ASSERT(found_count < sizeof found / sizeof found[0]);
        if (parse_group_ref(ld, e, rest, &found[found_count]) != 0) return SIM_EINPUT;
        found_count++;
        if (!comma) break;
        rest = comma + 1;
    }
    qsort(found, found_count, sizeof found[0], range_order);
    *set = (struct sim_node_set){0};
    for (size_t i = 0; i < found_count; i++) {
        struct sim_node_range *last = set->range_count ? &set->ranges[set->range_count - 1] : NULL;
        if (last && found[i].first <= last->first + last->count) { /* overlaps or touches */
            uint32_t end = found[i].first + found[i].count;
            if (end > last->first + last->count) last->count = end - last->first;
            continue;
        }
        if (set->range_count == SIM_FAULT_SIDE_RANGES_MAX)
            return entry_error(ld, e, "lists nodes in more than %u separate runs in '%.60s'; "
                               "use groups or fewer nodes", SIM_FAULT_SIDE_RANGES_MAX, word);
        set->ranges[set->range_count++] = found[i];
    }
    SIM_ASSERT(set->range_count > 0);
    return 0;
}

static struct sim_fault *add_fault(struct loader *ld, const struct sim_ini_entry *e,
                                   size_t *cap)
{
    struct sim_scenario *scn = ld->scn;
    if (scn->fault_count >= SIM_FAULTS_MAX) {
        sim_diag_set(ld->diag, SIM_ELIMIT, e->file, e->line, e->column,
                     "faults pass SIM_FAULTS_MAX (%u), counting expansions", SIM_FAULTS_MAX);
        return NULL;
    }
    if (scn->fault_count == *cap) {
        size_t new_cap = *cap ? *cap * 2 : 16;
        struct sim_fault *faults = realloc(scn->faults, new_cap * sizeof *faults);
        if (!faults) {
            sim_diag_set(ld->diag, SIM_ENOMEM, NULL, 0, 0, "out of memory");
            return NULL;
        }
        scn->faults = faults;
        *cap = new_cap;
    }
    struct sim_fault *f = &scn->faults[scn->fault_count++];
    *f = (struct sim_fault){.line = e->line, .heal_fault = UINT32_MAX};
    snprintf(f->name, sizeof f->name, "%s", e->key);
    snprintf(f->text, sizeof f->text, "%s", e->value);
    return f;
}

/* Why add_fault returned NULL (its diagnostic is set): the bound, or memory. */
static int add_fault_error(const struct loader *ld)
{
    return ld->scn->fault_count >= SIM_FAULTS_MAX ? SIM_ELIMIT : SIM_ENOMEM;
}

static int time_word(struct loader *ld, const struct sim_ini_entry *e, const char *word,
                     int64_t *ns)
{
    char err[256];
    if (sim_units_parse(word, SIM_UNIT_DURATION, ns, err, sizeof err) != 0)
        return entry_error(ld, e, "%s", err);
    if (*ns < 0 || *ns > SIM_RUN_NS_MAX)
        return entry_error(ld, e, "times must be within [0ns, 100 years], got '%.60s'", word);
    return 0;
}

/* Adds the fault that undoes `source` after `after_ns` (a heal or a restart). */
static int add_undo(struct loader *ld, const struct sim_ini_entry *e, size_t *cap,
                    uint32_t source, int64_t after_ns)
{
    struct sim_fault *f = add_fault(ld, e, cap);
    if (!f) return add_fault_error(ld);
    const struct sim_fault *src = &ld->scn->faults[source];
    bool is_crash = src->action == SIM_FAULT_CRASH;
    f->action = is_crash ? SIM_FAULT_RESTART : SIM_FAULT_HEAL;
    f->a = is_crash ? src->a : (struct sim_node_set){0};
    f->heal_fault = is_crash ? UINT32_MAX : source;
    if (sim_add_ns(src->at_ns, after_ns, &f->at_ns) != 0 || f->at_ns > SIM_RUN_NS_MAX)
        return entry_error(ld, e, "ends past the longest run (100 years)%s", "");
    char at[32];
    snprintf(f->text, sizeof f->text, "at %s %s (end of '%s')",
             sim_units_format_ns(f->at_ns, at, sizeof at), is_crash ? "restart" : "heal",
             src->name);
    return 0;
}

static int fault_two_sides(struct loader *ld, const struct sim_ini_entry *e, char **w, int n,
                           const char *sep, struct sim_fault *f)
{
    if (n < 6 || strcmp(w[4], sep) != 0) return entry_error(ld, e, "%s", fault_usage);
    if (parse_node_list(ld, e, w[3], &f->a) != 0) return SIM_EINPUT;
    return parse_node_list(ld, e, w[5], &f->b);
}

/* at T degrade A -> B loss RATIO | at T degrade A <-> B loss RATIO */
static int load_degrade(struct loader *ld, const struct sim_ini_entry *e, char **w, int n,
                        struct sim_fault *f)
{
    f->action = SIM_FAULT_DEGRADE;
    if (n != 8 || strcmp(w[6], "loss") != 0) return entry_error(ld, e, "%s", fault_usage);
    f->is_both_ways = strcmp(w[4], "<->") == 0;
    if (fault_two_sides(ld, e, w, n, f->is_both_ways ? "<->" : "->", f) != 0) return SIM_EINPUT;
    char err[256];
    if (sim_units_parse(w[7], SIM_UNIT_RATIO, &f->loss_ppb, err, sizeof err) != 0)
        return entry_error(ld, e, "%s", err);
    if (f->loss_ppb < 0 || f->loss_ppb > SIM_PPB_ONE)
        return entry_error(ld, e, "a degradation's loss must be within [0, 1], got '%.60s'",
                           w[7]);
    return 0;
}

static int load_flap(struct loader *ld, const struct sim_ini_entry *e, char **w, int n,
                     size_t *cap, uint32_t first)
{
    /* at T flap A / B every P until U: cut at T, heal at T+P, cut at T+2P, ... before U */
    int64_t period_ns, until_ns;
    if (n != 10 || strcmp(w[6], "every") != 0 || strcmp(w[8], "until") != 0)
        return entry_error(ld, e, "%s", fault_usage);
    if (time_word(ld, e, w[7], &period_ns) || time_word(ld, e, w[9], &until_ns)) return SIM_EINPUT;
    if (period_ns <= 0) return entry_error(ld, e, "the flap period must be above 0ns%s", "");
    if (until_ns <= ld->scn->faults[first].at_ns)
        return entry_error(ld, e, "flaps until %s, which is not after it starts", w[9]);
    struct sim_fault proto = ld->scn->faults[first];
    proto.action = SIM_FAULT_PARTITION;
    ld->scn->faults[first] = proto;
    uint32_t cut = first;
    for (;;) {
        /* heal this cut one period after it began; cut again one period later */
        if (add_undo(ld, e, cap, cut, period_ns) != 0) return SIM_EINPUT;
        int64_t next_ns = ld->scn->faults[cut].at_ns + 2 * period_ns;
        if (next_ns >= until_ns) return 0;
        struct sim_fault *f = add_fault(ld, e, cap);
        if (!f) return add_fault_error(ld);
        *f = proto;
        f->at_ns = next_ns;
        char at[32];
        snprintf(f->text, sizeof f->text, "at %s partition (flap '%s')",
                 sim_units_format_ns(f->at_ns, at, sizeof at), proto.name);
        cut = ld->scn->fault_count - 1;
    }
}

/* at T step NODES by D | at T drift NODES to RATE */
static int load_clock_fault(struct loader *ld, const struct sim_ini_entry *e, char **w, int n,
                            struct sim_fault *f)
{
    bool is_step = w[2][0] == 's';
    if (n != 6 || strcmp(w[4], is_step ? "by" : "to") != 0)
        return entry_error(ld, e, "%s", fault_usage);
    if (parse_node_list(ld, e, w[3], &f->a) != 0) return SIM_EINPUT;
    char err[256];
    if (is_step) {
        f->action = SIM_FAULT_STEP;
        if (sim_units_parse(w[5], SIM_UNIT_DURATION, &f->duration_ns, err, sizeof err) != 0)
            return entry_error(ld, e, "%s", err);
        if (f->duration_ns < -SIM_CLOCK_STEP_NS_LIMIT || f->duration_ns > SIM_CLOCK_STEP_NS_LIMIT)
            return entry_error(ld, e, "steps must be within 10 years either way, got '%.60s'",
                               w[5]);
        return 0;
    }
    f->action = SIM_FAULT_DRIFT;
    if (sim_units_parse(w[5], SIM_UNIT_RATIO, &f->drift_ppb, err, sizeof err) != 0)
        return entry_error(ld, e, "%s", err);
    if (f->drift_ppb < -SIM_DRIFT_PPB_LIMIT || f->drift_ppb > SIM_DRIFT_PPB_LIMIT)
        return entry_error(ld, e, "drift must be within [-100000ppm, 100000ppm], got '%.60s'",
                           w[5]);
    return 0;
}

/* True when the model has a byz_alter hook (a table of API version 2 or later). */
static bool has_alter_hook(const struct murphy_model *model)
{
    return model->api_version >= 2 && model->byz_alter != NULL;
}

static int byz_policies(struct loader *ld, const struct sim_ini_entry *e, const char *word,
                        unsigned *mask)
{
    char buf[SIM_FAULT_TEXT_BYTES];
    snprintf(buf, sizeof buf, "%s", word);
    *mask = 0;
    for (char *p = strtok(buf, ","); p; p = strtok(NULL, ",")) {
        int policy = sim_byz_policy_from_name(p);
        if (policy < 0)
            return entry_error(ld, e, "'%.40s' is no Byzantine policy: expected alter, "
                               "corrupt, drop, delay, duplicate, replay or flood", p);
        *mask |= 1u << policy;
    }
    if (!*mask) return entry_error(ld, e, "names no Byzantine policy%s", "");
    return 0;
}

/* at T byzantine NODES POLICY[,POLICY...] [ratio R] [to NODES] [extra D] [copies N] */
static int load_byzantine(struct loader *ld, const struct sim_ini_entry *e, char **w, int n,
                          struct sim_fault *f)
{
    f->action = SIM_FAULT_BYZANTINE;
    f->byz_ratio_ppb = SIM_PPB_ONE;
    f->byz_copies = 1;
    if (n < 5 || (n - 5) % 2 != 0) return entry_error(ld, e, "%s", fault_usage);
    if (parse_node_list(ld, e, w[3], &f->a) != 0) return SIM_EINPUT;
    if (byz_policies(ld, e, w[4], &f->byz_policy_mask) != 0) return SIM_EINPUT;
    char err[256];
    for (int i = 5; i < n; i += 2) {
        const char *key = w[i], *value = w[i + 1];
        int64_t v = 0;
        if (strcmp(key, "ratio") == 0) {
            if (sim_units_parse(value, SIM_UNIT_RATIO, &f->byz_ratio_ppb, err, sizeof err))
                return entry_error(ld, e, "%s", err);
            if (f->byz_ratio_ppb < 0 || f->byz_ratio_ppb > SIM_PPB_ONE)
                return entry_error(ld, e, "a Byzantine ratio must be within [0, 1], got '%.60s'",
                                   value);
        } else if (strcmp(key, "to") == 0) {
            if (parse_node_list(ld, e, value, &f->byz_to) != 0) return SIM_EINPUT;
        } else if (strcmp(key, "extra") == 0) {
            if (time_word(ld, e, value, &f->byz_extra_ns) != 0) return SIM_EINPUT;
            if (f->byz_extra_ns > SIM_DELAY_NS_MAX / 2)
                return entry_error(ld, e, "the extra delay must be at most 12 hours, got "
                                   "'%.60s'", value);
        } else if (strcmp(key, "copies") == 0) {
            if (sim_units_parse(value, SIM_UNIT_INT, &v, err, sizeof err) != 0)
                return entry_error(ld, e, "%s", err);
            if (v < 1 || v > SIM_BYZ_COPIES_MAX)
                return entry_error(ld, e, "copies must be within [1, %u], got '%.60s'",
                                   SIM_BYZ_COPIES_MAX, value);
            f->byz_copies = (uint32_t)v;
        } else {
            return entry_error(ld, e, "has '%.40s' where ratio, to, extra or copies was "
                               "expected; %s", key, fault_usage);
        }
    }
    if ((f->byz_policy_mask & (1u << SIM_BYZ_DELAY)) && f->byz_extra_ns <= 0)
        return entry_error(ld, e, "the delay policy needs 'extra D' (D > 0ns)%s", "");
    if (f->byz_policy_mask & (1u << SIM_BYZ_ALTER)) {
        for (uint32_t r = 0; r < f->a.range_count; r++)
            for (uint32_t i = 0; i < f->a.ranges[r].count; i++) {
                const struct sim_group *g = sim_scn_node_group(ld->scn, f->a.ranges[r].first + i);
                if (!has_alter_hook(g->model))
                    return entry_error(ld, e, "asks 'alter' of a node of model '%.60s', which "
                                       "has no byz_alter hook (murphy/model.h)", g->model->name);
            }
    }
    return 0;
}

static int load_fault(struct loader *ld, const struct sim_ini_entry *e, size_t *cap)
{
    if (!is_fault_name(e->key)) return entry_error(ld, e, "is not a usable fault name%s", "");
    char buf[SIM_FAULT_TEXT_BYTES];
    char *w[FAULT_WORDS_MAX] = {0};
    if (strlen(e->value) >= sizeof buf) return entry_error(ld, e, "is too long; %s", fault_usage);
    snprintf(buf, sizeof buf, "%s", e->value);
    int n = sim_split_words(buf, w, FAULT_WORDS_MAX);
    if (n < 3 || strcmp(w[0], "at") != 0) return entry_error(ld, e, "%s", fault_usage);
    struct sim_fault *f = add_fault(ld, e, cap);
    if (!f) return add_fault_error(ld);
    uint32_t index = ld->scn->fault_count - 1;
    if (time_word(ld, e, w[1], &f->at_ns) != 0) return SIM_EINPUT;
    const char *action = w[2];
    int64_t for_ns = -1;
    int rest = n;
    if (n >= 2 && strcmp(w[n - 2], "for") == 0) {
        if (time_word(ld, e, w[n - 1], &for_ns) != 0) return SIM_EINPUT;
        rest = n - 2;
    }
    int rc = 0;
    if (strcmp(action, "partition") == 0 || strcmp(action, "cut") == 0) {
        bool is_cut = action[0] == 'c';
        f->action = is_cut ? SIM_FAULT_CUT : SIM_FAULT_PARTITION;
        if (rest != 6) return entry_error(ld, e, "%s", fault_usage);
        rc = fault_two_sides(ld, e, w, rest, is_cut ? "->" : "/", f);
    } else if (strcmp(action, "degrade") == 0) {
        rc = load_degrade(ld, e, w, rest, f);
    } else if (strcmp(action, "flap") == 0) {
        if (fault_two_sides(ld, e, w, n, "/", f) != 0) return SIM_EINPUT;
        return load_flap(ld, e, w, n, cap, index);
    } else if (strcmp(action, "heal") == 0) {
        f->action = SIM_FAULT_HEAL;
        if (rest == 4) {
            for (uint32_t i = 0; i < index && f->heal_fault == UINT32_MAX; i++)
                if (strcmp(ld->scn->faults[i].name, w[3]) == 0) f->heal_fault = i;
            if (f->heal_fault == UINT32_MAX)
                return entry_error(ld, e, "heals '%.60s', which names no earlier fault", w[3]);
        }
        if ((rest != 3 && rest != 4) || for_ns >= 0) { /* a heal has no duration */
            return entry_error(ld, e, "%s", fault_usage);
        }
    } else if (strcmp(action, "crash") == 0 || strcmp(action, "restart") == 0 ||
               strcmp(action, "pause") == 0) {
        f->action = action[0] == 'c' ? SIM_FAULT_CRASH
                    : action[0] == 'r' ? SIM_FAULT_RESTART : SIM_FAULT_PAUSE;
        bool needs_for = f->action == SIM_FAULT_PAUSE;
        bool refuses_for = f->action == SIM_FAULT_RESTART;
        if (rest != 4 || (needs_for && for_ns <= 0) || (refuses_for && for_ns >= 0))
            return entry_error(ld, e, "%s", fault_usage);
        rc = parse_node_list(ld, e, w[3], &f->a);
        if (f->action == SIM_FAULT_PAUSE) {
            f->duration_ns = for_ns;
            return rc;
        }
    } else if (strcmp(action, "step") == 0 || strcmp(action, "drift") == 0) {
        return load_clock_fault(ld, e, w, n, f);
    } else if (strcmp(action, "byzantine") == 0) {
        if (for_ns >= 0) /* a lie cannot be taken back; a node stays Byzantine */
            return entry_error(ld, e, "a byzantine fault has no 'for D'; %s", fault_usage);
        return load_byzantine(ld, e, w, n, f);
    } else {
        return entry_error(ld, e, "%s", fault_usage);
    }
    if (rc == 0 && for_ns >= 0 && f->action != SIM_FAULT_HEAL)
        rc = add_undo(ld, e, cap, index, for_ns);
    return rc;
}

static int load_faults(struct loader *ld)
{
    size_t cap = 0;
    for (size_t i = 0; i < ld->ini.entry_count; i++) {
        struct sim_ini_entry *e = &ld->ini.entries[i];
        if (strcmp(e->section, "faults") != 0) continue;
        e->is_used = true;
        int rc = load_fault(ld, e, &cap);
        if (rc != 0) return rc;
    }
    return 0;
}

/* --- [nemesis] -------------------------------------------------------------------------------- */

static const char *const nemesis_kind_names[SIM_NEMESIS_KIND_COUNT] = {
    [SIM_NEMESIS_PARTITION] = "partition", [SIM_NEMESIS_CUT] = "cut",
    [SIM_NEMESIS_PAUSE] = "pause",         [SIM_NEMESIS_CRASH] = "crash",
    [SIM_NEMESIS_STEP] = "step",           [SIM_NEMESIS_LOSS] = "loss",
};
/* the key giving each kind's length (a step's size) */
static const char *const nemesis_length_keys[SIM_NEMESIS_KIND_COUNT] = {
    [SIM_NEMESIS_PARTITION] = "partition_for", [SIM_NEMESIS_CUT] = "cut_for",
    [SIM_NEMESIS_PAUSE] = "pause_for",         [SIM_NEMESIS_CRASH] = "crash_for",
    [SIM_NEMESIS_STEP] = "step_by",            [SIM_NEMESIS_LOSS] = "loss_for",
};

#define NEMESIS_KEYS \
    "nodes, start, end, every, kinds, partition_for, cut_for, pause_for, crash_for, " \
    "loss_for, step_by, loss"

/* kinds = partition:3, cut, pause:2 ... : each listed kind once, weight 1 unless given. */
static int parse_nemesis_kinds(struct loader *ld, const struct sim_ini_entry *e,
                               struct sim_nemesis_cfg *nem)
{
    char buf[512];
    if (strlen(e->value) >= sizeof buf) return entry_error(ld, e, "is too long%s", "");
    snprintf(buf, sizeof buf, "%s", e->value);
    bool is_listed[SIM_NEMESIS_KIND_COUNT] = {0};
    int64_t total = 0;
    for (char *item = strtok(buf, ","); item; item = strtok(NULL, ",")) {
        char *w[3] = {0};
        char *colon = strchr(item, ':');
        if (colon) *colon = ' ';
        int n = sim_split_words(item, w, 3);
        int k = 0;
        while (n >= 1 && k < SIM_NEMESIS_KIND_COUNT && strcmp(w[0], nemesis_kind_names[k]) != 0)
            k++;
        if (n < 1 || n > 2 || k == SIM_NEMESIS_KIND_COUNT)
            return entry_error(ld, e, "expected a comma list of KIND or KIND:WEIGHT with KIND "
                               "one of partition, cut, pause, crash, step, loss, got '%.60s'",
                               e->value);
        if (is_listed[k])
            return entry_error(ld, e, "lists '%s' twice%s", nemesis_kind_names[k], "");
        is_listed[k] = true;
        int64_t weight = 1;
        char err[256];
        if (n == 2 && sim_units_parse(w[1], SIM_UNIT_INT, &weight, err, sizeof err) != 0)
            return entry_error(ld, e, "has a weight for '%s' that is not a whole number: %s",
                               nemesis_kind_names[k], err);
        if (weight < 0 || weight > SIM_NEMESIS_WEIGHT_MAX)
            return entry_error(ld, e, "weights must be within [0, %d], got %lld for '%s'",
                               SIM_NEMESIS_WEIGHT_MAX, (long long)weight, nemesis_kind_names[k]);
        nem->weights[k] = weight;
        total += weight;
    }
    if (total == 0) return entry_error(ld, e, "needs at least one kind of weight above 0%s", "");
    return 0;
}

static int parse_nemesis_nodes(struct loader *ld, const struct sim_ini_entry *e,
                               struct sim_nemesis_cfg *nem)
{
    struct sim_node_set set;
    if (parse_node_list(ld, e, e->value, &set) != 0) return SIM_EINPUT;
    if (sim_node_set_count(&set) > SIM_NEMESIS_NODES_MAX)
        return entry_error(ld, e, "names %u nodes, past SIM_NEMESIS_NODES_MAX (%u)",
                           sim_node_set_count(&set), SIM_NEMESIS_NODES_MAX);
    nem->node_count = 0;
    size_t name_bytes = 0;
    for (uint32_t r = 0; r < set.range_count; r++)
        for (uint32_t i = 0; i < set.ranges[r].count; i++) {
            uint32_t node = set.ranges[r].first + i;
            char name[SIM_NAME_BYTES_MAX];
            name_bytes += strlen(sim_scn_node_name(ld->scn, node, name, sizeof name)) + 1;
            nem->nodes[nem->node_count++] = node;
        }
    /* every drawn fault must fit a [faults] line: both sides' names, plus the words,
     * two times and a ratio (at most 100 bytes) */
    if (name_bytes + 100 >= SIM_FAULT_TEXT_BYTES)
        return entry_error(ld, e, "has node names too long to fit a fault line (%zu bytes of "
                           "names, at most %u); use shorter group names or fewer nodes",
                           name_bytes, SIM_FAULT_TEXT_BYTES - 101);
    return 0;
}

static int load_nemesis(struct loader *ld)
{
    struct sim_nemesis_cfg *nem = &ld->scn->nemesis;
    *nem = (struct sim_nemesis_cfg){0};
    bool has_section = section_line(ld, "nemesis") != 0;
    for (size_t i = 0; i < ld->ini.entry_count && !has_section; i++)
        has_section = strcmp(ld->ini.entries[i].section, "nemesis") == 0;
    if (!has_section) return 0;
    struct sim_ini_entry *every = take(ld, "nemesis", "every");
    if (!every)
        return sim_diag_set(ld->diag, SIM_EINPUT, ld->ini.file, section_line(ld, "nemesis"), 0,
                            "[nemesis] needs 'every = DIST' (the time between faults, e.g. "
                            "exponential 2s) and 'kinds = LIST'");
    if (strcmp(every->value, "none") == 0) { /* switched off, e.g. by --set */
        for (size_t i = 0; i < ld->ini.entry_count; i++)
            if (strcmp(ld->ini.entries[i].section, "nemesis") == 0)
                ld->ini.entries[i].is_used = true;
        return 0;
    }
    if (parse_dist(ld, every, &nem->every) != 0) return SIM_EINPUT;
    struct sim_ini_entry *e = take(ld, "nemesis", "kinds");
    if (!e)
        return sim_diag_set(ld->diag, SIM_EINPUT, ld->ini.file, section_line(ld, "nemesis"), 0,
                            "[nemesis] needs 'kinds = LIST' (e.g. partition:2, pause, crash)");
    if (parse_nemesis_kinds(ld, e, nem) != 0) return SIM_EINPUT;
    struct sim_ini_entry star = {.key = "nodes", .value = "*", .file = ld->ini.file,
                                 .line = section_line(ld, "nemesis")};
    e = take(ld, "nemesis", "nodes");
    if (parse_nemesis_nodes(ld, e ? e : &star, nem) != 0) return SIM_EINPUT;
    bool needs_two = nem->weights[SIM_NEMESIS_PARTITION] || nem->weights[SIM_NEMESIS_CUT] ||
                     nem->weights[SIM_NEMESIS_LOSS];
    if (needs_two && nem->node_count < 2)
        return entry_error(ld, e ? e : &star, "names %u node; partitions, cuts and loss "
                           "bursts need at least 2", nem->node_count);
    nem->end_ns = ld->scn->duration_ns;
    e = take(ld, "nemesis", "start");
    if (e && parse_duration(ld, e, 0, SIM_RUN_NS_MAX, &nem->start_ns)) return SIM_EINPUT;
    e = take(ld, "nemesis", "end");
    if (e && parse_duration(ld, e, 0, SIM_RUN_NS_MAX, &nem->end_ns)) return SIM_EINPUT;
    if (nem->end_ns <= nem->start_ns)
        return entry_error(ld, e ? e : every, "needs end (default: the duration) after start%s",
                           "");
    for (int k = 0; k < SIM_NEMESIS_KIND_COUNT; k++) {
        e = take(ld, "nemesis", nemesis_length_keys[k]);
        if (!e && nem->weights[k] > 0)
            return sim_diag_set(ld->diag, SIM_EINPUT, ld->ini.file, section_line(ld, "nemesis"),
                                0, "[nemesis] lists kind '%s', which needs '%s = DIST'",
                                nemesis_kind_names[k], nemesis_length_keys[k]);
        if (e && parse_dist(ld, e, &nem->lengths[k]) != 0) return SIM_EINPUT;
    }
    e = take(ld, "nemesis", "loss");
    if (!e && nem->weights[SIM_NEMESIS_LOSS] > 0)
        return sim_diag_set(ld->diag, SIM_EINPUT, ld->ini.file, section_line(ld, "nemesis"), 0,
                            "[nemesis] lists kind 'loss', which needs 'loss = RATIO' (the "
                            "extra loss of a burst, e.g. 50%%)");
    if (e && parse_ratio(ld, e, &nem->loss_ppb) != 0) return SIM_EINPUT;
    nem->is_on = true;
    return 0;
}

/* --- faults outside the file ------------------------------------------------------------------ */

int sim_scn_append_fault(const struct sim_scenario *scn, const char *name, const char *text,
                         struct sim_fault_table *table, struct sim_diag *diag)
{
    /* a view of the scenario whose fault table is `table`: the loader's fault code
     * appends to it and resolves names in the scenario's groups, and nothing else of the
     * loader is touched (no ini, no models) */
    struct sim_scenario view = *scn;
    view.faults = table->faults;
    view.fault_count = table->count;
    memset(diag, 0, sizeof *diag);
    struct loader ld = {.scn = &view, .diag = diag};
    ld.ini.file = "nemesis";
    struct sim_ini_entry e = {.section = "faults", .key = (char *)name, .value = (char *)text,
                              .file = "nemesis", .line = 0};
    size_t cap = table->cap;
    int rc = load_fault(&ld, &e, &cap);
    table->faults = view.faults;
    table->count = view.fault_count;
    table->cap = cap;
    return rc;
}

int sim_scn_format_nodes(const struct sim_scenario *scn, const struct sim_node_set *set,
                         char *out, size_t out_bytes)
{
    size_t used = 0;
    out[0] = '\0';
    for (uint32_t r = 0; r < set->range_count; r++) {
        const struct sim_node_range *range = &set->ranges[r];
        const struct sim_group *g = sim_scn_node_group(scn, range->first);
        bool is_whole_group = range->first == g->first_node && range->count == g->node_count;
        for (uint32_t i = 0; i < (is_whole_group ? 1 : range->count); i++) {
            char name[SIM_NAME_BYTES_MAX];
            const char *word = is_whole_group ? g->name
                                              : sim_scn_node_name(scn, range->first + i, name,
                                                                  sizeof name);
            int n = snprintf(out + used, out_bytes - used, "%s%s", used ? "," : "", word);
            if (n < 0 || (size_t)n >= out_bytes - used) return -1;
            used += (size_t)n;
        }
    }
    return 0;
}

/* --- the whole file --------------------------------------------------------------------------- */

static bool is_known_section(const char *section)
{
    return strcmp(section, "scenario") == 0 || strcmp(section, "faults") == 0 ||
           strcmp(section, "nemesis") == 0 ||
           strncmp(section, "node.", 5) == 0 || strncmp(section, "link.", 5) == 0;
}

static void expected_keys(const struct loader *ld, const char *section, char *out, size_t bytes)
{
    static const char *const scenario_keys =
        "name, duration, max_events, wall_start, leap_at, clock_sample, description";
    const char *fixed = NULL;
    if (strcmp(section, "scenario") == 0) fixed = scenario_keys;
    else if (strcmp(section, "nemesis") == 0) fixed = NEMESIS_KEYS;
    else if (strncmp(section, "link.", 5) == 0)
        fixed = "delay, loss, duplicate, corrupt, reorder, reorder_delay, bandwidth, queue";
    if (fixed) {
        snprintf(out, bytes, "%s", fixed);
        return;
    }
    size_t used =
        (size_t)snprintf(out, bytes, "model, count, inbox_max, clock_offset, clock_drift, "
                         "clock_jitter, clock_leap, clock_sync, clock_sync_every, "
                         "clock_sync_error, clock_sync_server, clock_slew_max, "
                         "clock_step_threshold, gc_every, gc_pause, gc_notice");
    for (uint32_t g = 0; g < ld->scn->group_count; g++) {
        const struct sim_group *grp = &ld->scn->groups[g];
        if (strcmp(section + 5, grp->name) != 0) continue;
        for (size_t i = 0; i < grp->model->param_count && used + 1 < bytes; i++) {
            int n = snprintf(out + used, bytes - used, ", %s", grp->model->params[i].name);
            if (n < 0) break;
            used += (size_t)n;
        }
    }
}

#define EXPECTED_SECTIONS \
    "expected [scenario], [node.GROUP], [link.default], [link.A->B], [link.A<->B], [faults] " \
    "or [nemesis]"

static int check_leftovers(struct loader *ld)
{
    /* A section made by --set has no header line (0): its entry below names the override
     * ("--set", argument index) instead of pointing at the file with no line. */
    for (size_t s = 0; s < ld->ini.section_count; s++)
        if (!is_known_section(ld->ini.sections[s]) && ld->ini.section_lines[s] > 0)
            return sim_diag_set(ld->diag, SIM_EINPUT, ld->ini.file, ld->ini.section_lines[s], 0,
                                "unknown section [%s]: " EXPECTED_SECTIONS,
                                ld->ini.sections[s]);
    for (size_t i = 0; i < ld->ini.entry_count; i++) {
        struct sim_ini_entry *e = &ld->ini.entries[i];
        if (e->is_used) continue;
        if (!is_known_section(e->section))
            return sim_diag_set(ld->diag, SIM_EINPUT, e->file, e->line, 0,
                                "unknown section [%s] for key '%s': " EXPECTED_SECTIONS,
                                e->section, e->key);
        /* only now: expected_keys reads past "node." in a section it assumes is known */
        char keys[1024];
        expected_keys(ld, e->section, keys, sizeof keys);
        return sim_diag_set(ld->diag, SIM_EINPUT, e->file, e->line, 1,
                            "unknown key '%s' in [%s]; expected one of: %s", e->key, e->section,
                            keys);
    }
    return 0;
}

static char *copy_string(const char *s)
{
    size_t bytes = strlen(s) + 1;
    char *copy = malloc(bytes);
    if (copy) memcpy(copy, s, bytes);
    return copy;
}

static int copy_inputs(struct sim_scenario *scn, const char *path, const char *text,
                       size_t text_bytes, const char *const *overrides, size_t override_count)
{
    scn->path = copy_string(path);
    scn->text = malloc(text_bytes + 1);
    scn->overrides = calloc(override_count ? override_count : 1, sizeof *scn->overrides);
    if (!scn->path || !scn->text || !scn->overrides) return -1;
    memcpy(scn->text, text, text_bytes);
    scn->text[text_bytes] = '\0';
    scn->text_bytes = text_bytes;
    for (size_t i = 0; i < override_count; i++) {
        scn->overrides[i] = copy_string(overrides[i]);
        if (!scn->overrides[i]) return -1;
        scn->override_count = i + 1;
    }
    return 0;
}

int sim_scn_load_text(const char *path, const char *text, size_t text_bytes,
                      const char *const *overrides, size_t override_count,
                      const struct murphy_model_set *models, struct sim_scenario *scn,
                      struct sim_diag *diag)
{
    memset(scn, 0, sizeof *scn);
    memset(diag, 0, sizeof *diag);
    struct loader ld = {.scn = scn, .models = models, .diag = diag};
    scn->models = models;
    int rc = SIM_ENOMEM;
    if (copy_inputs(scn, path, text, text_bytes, overrides, override_count) != 0) {
        sim_diag_set(diag, rc, path, 0, 0, "out of memory");
        goto fail;
    }
    rc = sim_ini_parse(path, text, text_bytes, &ld.ini, diag);
    for (size_t i = 0; rc == 0 && i < override_count; i++)
        rc = sim_ini_override(&ld.ini, overrides[i], (int)i + 1, diag);
    if (rc == 0) rc = load_header(&ld);
    if (rc == 0) rc = load_groups(&ld);
    for (uint32_t g = 0; rc == 0 && g < scn->group_count; g++) {
        /* version 1 tables lack the fields appended since (byz_alter): read as absent */
        int version = scn->groups[g].model->api_version;
        if (version != MURPHY_API_VERSION && version != 1)
            rc = sim_diag_set(diag, SIM_EINPUT, path, 0, 0,
                              "model '%s' was built for API version %d, this murphy has %d",
                              scn->groups[g].model->name, scn->groups[g].model->api_version,
                              MURPHY_API_VERSION);
        else rc = load_group_settings(&ld, &scn->groups[g]);
    }
    if (rc == 0 && scn->node_count == 0)
        rc = sim_diag_set(diag, SIM_EINPUT, path, 0, 0,
                          "expected at least one [node.GROUP] section with 'model = NAME'");
    if (rc == 0) rc = load_links(&ld);
    if (rc == 0) rc = load_faults(&ld);
    if (rc == 0) rc = load_nemesis(&ld);
    if (rc == 0) rc = check_leftovers(&ld);
fail:
    sim_ini_free(&ld.ini);
    if (rc != 0) sim_scn_free(scn);
    return rc;
}

int sim_scn_load(const char *path, const char *const *overrides, size_t override_count,
                 const struct murphy_model_set *models, struct sim_scenario *scn,
                 struct sim_diag *diag)
{
    memset(scn, 0, sizeof *scn);
    memset(diag, 0, sizeof *diag);
    FILE *fp = fopen(path, "rb");
    if (!fp) /* no memory for the FILE is the machine's fault, not the input's */
        return sim_diag_set(diag, errno == ENOMEM ? SIM_ENOMEM : SIM_EINPUT, path, 0, 0,
                            "cannot read the scenario: %s", strerror(errno));
    size_t cap = SIM_INI_FILE_BYTES_MAX + 1;
    char *text = malloc(cap);
    if (!text) {
        fclose(fp);
        return sim_diag_set(diag, SIM_ENOMEM, path, 0, 0, "out of memory");
    }
    size_t got = fread(text, 1, cap, fp);
    int read_error = ferror(fp);
    fclose(fp);
    int rc;
    if (read_error)
        rc = sim_diag_set(diag, SIM_EINPUT, path, 0, 0, "cannot read the scenario (is it a "
                          "directory?)");
    else if (got > SIM_INI_FILE_BYTES_MAX)
        rc = sim_diag_set(diag, SIM_ELIMIT, path, 0, 0, "the scenario is larger than %u bytes",
                          SIM_INI_FILE_BYTES_MAX);
    else
        rc = sim_scn_load_text(path, text, got, overrides, override_count, models, scn, diag);
    free(text);
    return rc;
}

void sim_scn_free(struct sim_scenario *scn)
{
    for (uint32_t g = 0; scn->groups && g < scn->group_count; g++) free(scn->groups[g].params);
    free(scn->groups);
    free(scn->link_rules);
    free(scn->faults);
    for (size_t i = 0; scn->overrides && i < scn->override_count; i++) free(scn->overrides[i]);
    for (size_t i = 0; i < scn->empirical_count; i++) sim_empirical_free(scn->empiricals[i]);
    free(scn->empiricals);
    free(scn->overrides);
    free(scn->path);
    free(scn->text);
    memset(scn, 0, sizeof *scn);
}

const struct sim_group *sim_scn_node_group(const struct sim_scenario *scn, uint32_t index)
{
    SIM_ASSERT(index < scn->node_count);
    for (uint32_t g = 0; g < scn->group_count; g++)
        if (index - scn->groups[g].first_node < scn->groups[g].node_count &&
            index >= scn->groups[g].first_node)
            return &scn->groups[g];
    SIM_UNREACHABLE("every node belongs to a group");
    return NULL;
}

const char *sim_scn_node_name(const struct sim_scenario *scn, uint32_t index, char *out,
                              size_t out_bytes)
{
    const struct sim_group *g = sim_scn_node_group(scn, index);
    /* a name cut to fit out is still a fine label; the length is looked at so that gcc,
     * inlining this into a caller with a small buffer, does not warn about the cut */
    int length = g->node_count == 1
                     ? snprintf(out, out_bytes, "%s", g->name)
                     : snprintf(out, out_bytes, "%s.%u", g->name, index - g->first_node);
    SIM_ASSERT(length >= 0);
    return out;
}
