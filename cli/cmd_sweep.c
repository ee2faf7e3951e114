/* cli/cmd_sweep.c - `murphy sweep`: one scenario over a grid of settings times a range of
 * seeds, each run in-process with no event recording; the oracles and the accumulators
 * are fed live and only their metrics, the hash and the status are kept (sweep.h).
 *
 * --jobs forks workers before any database is opened. Each worker runs its round-robin
 * slice and sends its rows to the parent over a pipe; the parent alone writes the
 * database. Why a pipe and not a database per worker: nothing to clean up after a crash,
 * no SQLite lock contention, and a worker that dies shows as a short stream and an exit
 * status the parent reports. */
#include "cli.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "analysis/metrics.h"
#include "checks/cause.h"
#include "checks/oracle.h"
#include "models/models.h"
#include "sim/units.h"
#include "sim/world.h"
#include "sweep.h"

#define SETS_MAX 64
#define VALUES_MAX 4096
#define RUNS_MAX 10000000u
#define JOBS_MAX 256

static const char usage[] =
    "usage: murphy sweep SCENARIO --set KEY=SPEC... --seeds A..B [--jobs J] [--shard K/N]\n"
    "                    [--db FILE] [--full] [--csv FILE] [--commands] [--quiet]\n"
    "\n"
    "Runs SCENARIO at every point of a grid of settings, once per seed, in-process and\n"
    "without recording events: each run's oracles and accumulators are fed live, and its\n"
    "hash, status, violations and metrics are stored in the sweep tables of --db. Prints,\n"
    "per grid point, each metric's mean over the seeds with its min and max.\n"
    "\n"
    "  --set K=A..B/STEP  sweep K from A to B (inclusive) in steps: durations\n"
    "                  (100ms..500ms/100ms) or plain numbers (1..9/2, 0.5..1/0.25)\n"
    "  --set K=V1,V2,...  sweep K over the listed values; quote a value holding a comma:\n"
    "                  --set 'K=\"a,b\",c'\n"
    "  --set K=V       a fixed override, as for murphy run\n"
    "                  the grid is the product of the swept keys (the first varies slowest)\n"
    "  --seeds A..B    the seeds (or a list: 1,5,9); every point runs every seed\n"
    "  --jobs J        J worker processes on this machine (default 1)\n"
    "  --shard K/N     run only slice K of N (round-robin over point x seed) and store it;\n"
    "                  fold the slices with `murphy merge OUT.db IN.db...`\n"
    "  --db FILE       where the sweep is stored; default murphy.db\n"
    "  --full          also record every event of every run in --db, as `murphy run`\n"
    "                  would (one run per point x seed, listed in sweep_full_runs), so any\n"
    "                  of them can be read with log, report and replay; without it only\n"
    "                  the summaries are kept\n"
    "  --csv FILE      also write the whole table, in full precision\n"
    "  --commands      print the `murphy run` command that re-runs each (point, seed)\n"
    "  --quiet         print only the summary lines, not the table\n"
    "\n"
    "Common random numbers: every random draw comes from a stream keyed by the seed and\n"
    "what it is for (this link's delays, that node's arrivals), not from one sequence, so\n"
    "the same seed gives the same draws at every point of the grid. Points differ by what\n"
    "the settings change, not by luck, and a difference between points shows with few seeds.\n"
    "\n"
    "Aggregates are summed in (point, seed) order, so --jobs, --shard and merge give the\n"
    "same table exactly. At the end: the worst point's re-run command and the cost in wall\n"
    "seconds per simulated day. Progress goes to stderr when it is a terminal.\n"
    "\n"
    "exit status: 0 done (violations are results, counted in the table), 2 bad usage or\n"
    "scenario, 3 database or worker error, 128+N interrupted by signal N\n";

/* One swept key: its values as --set arguments ("k=v"). */
struct axis {
    char *values[VALUES_MAX];
    size_t count;
};

struct sweep_args {
    const char *scenario;
    const char *sets[SETS_MAX];
    size_t set_count;
    const char *seeds;
    uint64_t jobs;
    uint64_t shard_k, shard_n;
    const char *db_path;
    const char *csv_path;
    bool is_printing_commands;
    bool is_quiet;
    bool is_full;
};

struct plan {
    struct sweep_spec spec;
    const char *base[SETS_MAX];
    size_t base_count;
    uint64_t *seeds;
    /* per point, its overrides as an array (pointers into spec.point_overrides copies) */
    char ***point_sets;
    size_t *point_set_counts;
};

static int parse_args(int argc, char **argv, struct sweep_args *a)
{
    *a = (struct sweep_args){.jobs = 1, .shard_k = 1, .shard_n = 1, .db_path = "murphy.db"};
    int status = CLI_EXIT_OK;
    for (int i = 1; i < argc && status == CLI_EXIT_OK; i++) {
        const char *v = NULL;
        if (cli_opt(argc, argv, &i, "--set", &v, &status)) {
            if (!v) break;
            if (a->set_count == SETS_MAX) {
                cli_error("sweep: more than %d --set options", SETS_MAX);
                status = CLI_EXIT_USAGE;
            } else a->sets[a->set_count++] = v;
        } else if (cli_opt(argc, argv, &i, "--seeds", &v, &status)) {
            a->seeds = v;
        } else if (cli_opt(argc, argv, &i, "--jobs", &v, &status)) {
            if (v && (cli_parse_u64(v, "--jobs", &a->jobs) != 0 || a->jobs < 1 ||
                      a->jobs > JOBS_MAX)) {
                if (a->jobs < 1 || a->jobs > JOBS_MAX)
                    cli_error("--jobs must be within 1..%d, got '%.40s'", JOBS_MAX, v);
                status = CLI_EXIT_USAGE;
            }
        } else if (cli_opt(argc, argv, &i, "--shard", &v, &status)) {
            char *slash = v ? strchr(v, '/') : NULL;
            char k[32] = "", n[32] = "";
            if (slash && slash - v < 31 && strlen(slash + 1) < 31) {
                memcpy(k, v, (size_t)(slash - v));
                snprintf(n, sizeof n, "%s", slash + 1);
            }
            if (v && (!slash || cli_parse_u64(k, "--shard K", &a->shard_k) != 0 ||
                      cli_parse_u64(n, "--shard N", &a->shard_n) != 0 || a->shard_k < 1 ||
                      a->shard_n < 1 || a->shard_k > a->shard_n || a->shard_n > RUNS_MAX)) {
                cli_error("--shard must be K/N with K in 1..N, got '%.40s'", v);
                status = CLI_EXIT_USAGE;
            }
        } else if (cli_opt(argc, argv, &i, "--db", &v, &status)) {
            a->db_path = v;
        } else if (cli_opt(argc, argv, &i, "--csv", &v, &status)) {
            a->csv_path = v;
        } else if (strcmp(argv[i], "--commands") == 0) {
            a->is_printing_commands = true;
        } else if (strcmp(argv[i], "--quiet") == 0) {
            a->is_quiet = true;
        } else if (strcmp(argv[i], "--full") == 0) {
            a->is_full = true;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            cli_error("sweep: unknown option '%s' (see murphy sweep --help)", argv[i]);
            status = CLI_EXIT_USAGE;
        } else if (!a->scenario) {
            a->scenario = argv[i];
        } else {
            cli_error("sweep: one scenario at a time, got '%s' and '%s'", a->scenario, argv[i]);
            status = CLI_EXIT_USAGE;
        }
    }
    if (status == CLI_EXIT_OK && !a->scenario) {
        cli_error("sweep: which scenario? (see murphy sweep --help, murphy list)");
        status = CLI_EXIT_USAGE;
    }
    if (status == CLI_EXIT_OK && !a->seeds) {
        cli_error("sweep: which seeds? (--seeds 1..20)");
        status = CLI_EXIT_USAGE;
    }
    return status;
}

/* ---- grid syntax ----------------------------------------------------------------- */

/* Where text has `needle` outside double quotes, or NULL. */
static const char *find_unquoted(const char *text, const char *needle)
{
    bool is_quoted = false;
    size_t len = strlen(needle);
    for (const char *p = text; *p; p++) {
        if (*p == '"') is_quoted = !is_quoted;
        else if (!is_quoted && strncmp(p, needle, len) == 0) return p;
    }
    return NULL;
}

static int add_value(struct axis *axis, const char *key, size_t key_len, const char *value,
                     size_t value_len, const char *arg)
{
    if (axis->count == VALUES_MAX) {
        cli_error("--set '%s': more than %d values", arg, VALUES_MAX);
        return -1;
    }
    char *v = malloc(key_len + value_len + 2);
    if (!v) return -1;
    memcpy(v, key, key_len);
    v[key_len] = '=';
    memcpy(v + key_len + 1, value, value_len);
    v[key_len + 1 + value_len] = '\0';
    axis->values[axis->count++] = v;
    return 0;
}

/* A plain number: digits with at most one '.', an optional leading '-'. */
static bool parse_number(const char *text, double *out, int *decimals)
{
    const char *p = text;
    if (*p == '-') p++;
    if (!*p) return false;
    int dots = 0;
    *decimals = 0;
    for (; *p; p++) {
        if (*p == '.') {
            if (dots++) return false;
        } else if (*p < '0' || *p > '9') return false;
        else if (dots) ++*decimals;
    }
    char *end = NULL;
    *out = strtod(text, &end);
    return *end == '\0';
}

/* "A..B/STEP" into values: durations when A parses as one, else plain numbers. */
static int expand_range(struct axis *axis, const char *key, size_t key_len, const char *spec,
                        const char *arg)
{
    const char *dots = strstr(spec, "..");
    const char *slash = dots ? strchr(dots, '/') : NULL;
    if (!dots || !slash) {
        cli_error("--set '%s': a range is A..B/STEP, e.g. 100ms..500ms/100ms", arg);
        return -1;
    }
    char a[64], b[64], step[64];
    size_t la = (size_t)(dots - spec), lb = (size_t)(slash - dots - 2);
    if (la >= sizeof a || lb >= sizeof b || strlen(slash + 1) >= sizeof step) {
        cli_error("--set '%s': range bounds too long", arg);
        return -1;
    }
    memcpy(a, spec, la);
    a[la] = '\0';
    memcpy(b, dots + 2, lb);
    b[lb] = '\0';
    snprintf(step, sizeof step, "%s", slash + 1);
    int64_t a_ns, b_ns, step_ns;
    double an, bn, sn;
    int ad, bd, sd;
    if (sim_units_parse(a, SIM_UNIT_DURATION, &a_ns, NULL, 0) == 0) {
        if (sim_units_parse(b, SIM_UNIT_DURATION, &b_ns, NULL, 0) != 0 ||
            sim_units_parse(step, SIM_UNIT_DURATION, &step_ns, NULL, 0) != 0 || step_ns <= 0 ||
            b_ns < a_ns) {
            cli_error("--set '%s': a duration range needs A <= B and a positive STEP, all "
                      "with units (100ms..500ms/100ms)", arg);
            return -1;
        }
        if ((uint64_t)(b_ns - a_ns) / (uint64_t)step_ns >= VALUES_MAX) {
            cli_error("--set '%s': more than %d values", arg, VALUES_MAX);
            return -1;
        }
        for (int64_t v = a_ns; v <= b_ns; v += step_ns) {
            char text[64];
            sim_units_format_ns(v, text, sizeof text);
            if (add_value(axis, key, key_len, text, strlen(text), arg) != 0) return -1;
            if (b_ns - v < step_ns) break; /* no overflow past b */
        }
        return 0;
    }
    if (!parse_number(a, &an, &ad) || !parse_number(b, &bn, &bd) ||
        !parse_number(step, &sn, &sd) || sn <= 0 || bn < an) {
        cli_error("--set '%s': a range needs A <= B and a positive STEP, plain numbers or "
                  "durations with units", arg);
        return -1;
    }
    double steps = (bn - an) / sn;
    if (steps >= VALUES_MAX) {
        cli_error("--set '%s': more than %d values", arg, VALUES_MAX);
        return -1;
    }
    int decimals = ad > sd ? ad : sd;
    /* a + i*step, not repeated addition, and B included despite rounding */
    for (long i = 0; i <= (long)(steps + 1e-9); i++) {
        char text[64];
        snprintf(text, sizeof text, "%.*f", decimals, an + (double)i * sn);
        if (add_value(axis, key, key_len, text, strlen(text), arg) != 0) return -1;
    }
    return 0;
}

/* "V1,V2,..." into values, each unquoted if it was in double quotes. */
static int expand_list(struct axis *axis, const char *key, size_t key_len, const char *spec,
                       const char *arg)
{
    for (const char *item = spec;;) {
        const char *comma = find_unquoted(item, ",");
        size_t len = comma ? (size_t)(comma - item) : strlen(item);
        const char *v = item;
        if (len >= 2 && v[0] == '"' && v[len - 1] == '"') {
            v++;
            len -= 2;
        }
        if (len == 0 || memchr(v, '"', len)) {
            cli_error("--set '%s': empty or badly quoted value in the list", arg);
            return -1;
        }
        if (add_value(axis, key, key_len, v, len, arg) != 0) return -1;
        if (!comma) return 0;
        item = comma + 1;
    }
}

static void free_axes(struct axis *axes, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t v = 0; v < axes[i].count; v++) free(axes[i].values[v]);
}

/* Splits the --set arguments into fixed overrides and swept axes. */
static int parse_grid(const struct sweep_args *a, struct plan *plan, struct axis *axes,
                      size_t *axis_count)
{
    *axis_count = 0;
    for (size_t i = 0; i < a->set_count; i++) {
        const char *arg = a->sets[i];
        const char *eq = strchr(arg, '=');
        if (!eq || eq == arg) {
            cli_error("--set '%s': expected SECTION.KEY=VALUE", arg);
            return -1;
        }
        if (strchr(arg, '\n')) {
            cli_error("--set '%s': a value may not hold a newline", arg);
            return -1;
        }
        const char *spec = eq + 1;
        size_t key_len = (size_t)(eq - arg);
        bool is_range = find_unquoted(spec, "..") != NULL;
        bool is_list = find_unquoted(spec, ",") != NULL;
        if (!is_range && !is_list) {
            plan->base[plan->base_count++] = arg;
            continue;
        }
        struct axis *axis = &axes[(*axis_count)++];
        axis->count = 0;
        int rc = is_range ? expand_range(axis, arg, key_len, spec, arg)
                          : expand_list(axis, arg, key_len, spec, arg);
        if (rc != 0) return -1;
    }
    return 0;
}

static int parse_seeds(const char *text, struct plan *plan)
{
    uint64_t *seeds = NULL;
    size_t count = 0;
    const char *dots = strstr(text, "..");
    if (dots && !strchr(text, ',')) {
        char a[32] = "";
        uint64_t lo, hi;
        if ((size_t)(dots - text) < sizeof a) memcpy(a, text, (size_t)(dots - text));
        if (cli_parse_seed(a, &lo) != 0 || cli_parse_seed(dots + 2, &hi) != 0 || hi < lo ||
            hi - lo >= RUNS_MAX) {
            cli_error("--seeds '%s': expected A..B with A <= B (at most %u seeds)", text,
                      RUNS_MAX);
            return -1;
        }
        count = (size_t)(hi - lo + 1);
        seeds = malloc(count * sizeof *seeds);
        for (size_t i = 0; seeds && i < count; i++) seeds[i] = lo + i;
    } else {
        char *copy = strdup(text);
        seeds = malloc((strlen(text) / 2 + 1) * sizeof *seeds);
        for (char *item = copy; copy && seeds && item;) {
            char *comma = strchr(item, ',');
            if (comma) *comma = '\0';
            if (cli_parse_seed(item, &seeds[count]) != 0) {
                cli_error("--seeds '%s': expected A..B or a list of seeds", text);
                free(copy);
                free(seeds);
                return -1;
            }
            for (size_t j = 0; j < count; j++)
                if (seeds[j] == seeds[count]) {
                    cli_error("--seeds '%s': seed %" PRIu64 " twice", text, seeds[count]);
                    free(copy);
                    free(seeds);
                    return -1;
                }
            count++;
            item = comma ? comma + 1 : NULL;
        }
        free(copy);
    }
    if (!seeds) return -1;
    plan->seeds = seeds;
    plan->spec.seed_count = (uint32_t)count;
    return 0;
}

static char *join_lines(const char *const *items, size_t count)
{
    size_t bytes = 1;
    for (size_t i = 0; i < count; i++) bytes += strlen(items[i]) + 1;
    char *out = malloc(bytes);
    if (!out) return NULL;
    out[0] = '\0';
    for (size_t i = 0; i < count; i++) {
        strcat(out, items[i]);
        strcat(out, "\n");
    }
    return out;
}

/* The product of the axes, the first slowest; point p's overrides. */
static int build_points(struct plan *plan, struct axis *axes, size_t axis_count)
{
    uint64_t points = 1;
    for (size_t i = 0; i < axis_count; i++) {
        points *= axes[i].count;
        if (points * plan->spec.seed_count > RUNS_MAX) {
            cli_error("sweep: more than %u runs in the grid", RUNS_MAX);
            return -1;
        }
    }
    plan->spec.point_count = (uint32_t)points;
    plan->spec.point_overrides = calloc(points, sizeof *plan->spec.point_overrides);
    plan->point_sets = calloc(points, sizeof *plan->point_sets);
    plan->point_set_counts = calloc(points, sizeof *plan->point_set_counts);
    if (!plan->spec.point_overrides || !plan->point_sets || !plan->point_set_counts) return -1;
    for (uint64_t p = 0; p < points; p++) {
        const char *items[SETS_MAX];
        uint64_t rest = p;
        for (size_t i = axis_count; i-- > 0;) {
            items[i] = axes[i].values[rest % axes[i].count];
            rest /= axes[i].count;
        }
        plan->spec.point_overrides[p] = join_lines(items, axis_count);
        plan->point_sets[p] = calloc(axis_count + 1, sizeof(char *));
        if (!plan->spec.point_overrides[p] || !plan->point_sets[p]) return -1;
        for (size_t i = 0; i < axis_count; i++) plan->point_sets[p][i] = strdup(items[i]);
        plan->point_set_counts[p] = axis_count;
    }
    return 0;
}

static void plan_free(struct plan *plan)
{
    for (uint32_t p = 0; plan->point_sets && p < plan->spec.point_count; p++) {
        for (size_t i = 0; plan->point_sets[p] && i < plan->point_set_counts[p]; i++)
            free(plan->point_sets[p][i]);
        free(plan->point_sets[p]);
    }
    free(plan->point_sets);
    free(plan->point_set_counts);
    free(plan->seeds);
    sweep_spec_free(&plan->spec);
}

/* Base overrides then the point's, the order `murphy run --set` gets them in. */
static size_t point_overrides(const struct plan *plan, uint32_t point, const char **out)
{
    size_t n = 0;
    for (size_t i = 0; i < plan->base_count; i++) out[n++] = plan->base[i];
    for (size_t i = 0; i < plan->point_set_counts[point]; i++)
        out[n++] = plan->point_sets[point][i];
    return n;
}

/* ---- one run ----------------------------------------------------------------------- */

struct run_sink {
    struct sweep_row *row;
    struct sim_recorder *rec; /* --full: what `murphy run` records; else NULL */
    bool is_out_of_memory;
};

static void on_violation(void *ctx, const struct sim_event *at, const char *oracle,
                         const char *text)
{
    struct run_sink *sink = ctx; /* counted by the oracle set; recorded with --full */
    char source[64];
    snprintf(source, sizeof source, "oracle:%s", oracle);
    if (sink->rec) sim_rec_violation(sink->rec, at, source, text);
}

static void on_annotate(void *ctx, const struct sim_event *at, const char *kind,
                        const char *text)
{
    struct run_sink *sink = ctx;
    if (sink->rec) sim_rec_annotate(sink->rec, at->seq, at->node, kind, text);
}

static void on_cause(void *ctx, uint64_t seq, uint32_t node, uint64_t msg_id, enum cause c)
{
    (void)msg_id;
    struct run_sink *sink = ctx;
    if (sink->rec) sim_rec_annotate(sink->rec, seq, node, "timeout_cause", cause_name(c));
}

static void on_metric(void *ctx, const char *name, double value, const char *unit)
{
    struct run_sink *sink = ctx;
    struct sweep_row *row = sink->row;
    if (sink->rec) sim_rec_metric(sink->rec, name, value, unit);
    /* NaN is a metric undefined for this run (a mean over no samples): SQLite would store
     * it as NULL, which sweep_metrics refuses. Left out, so the table says "(not every
     * seed)" and merged shards still equal one process. */
    if (isnan(value)) return;
    struct sweep_metric *grown = realloc(row->metrics, (row->metric_count + 1) * sizeof *grown);
    if (!grown) {
        sink->is_out_of_memory = true;
        return;
    }
    row->metrics = grown;
    struct sweep_metric *m = &row->metrics[row->metric_count++];
    snprintf(m->name, sizeof m->name, "%s", name);
    snprintf(m->unit, sizeof m->unit, "%s", unit);
    m->value = value;
}

/* Records a --full run's end as `murphy run` does. */
static int end_full_run(struct sim_recorder *rec, const struct sweep_row *row,
                        enum sim_run_end end, uint64_t clamp_count, const char *db_path)
{
    char ended_at[32];
    cli_now_iso(ended_at, sizeof ended_at);
    struct sim_run_result result = {
        .status = row->status, .end_reason = sim_run_end_name(end), .ended_at = ended_at,
        .end_ns = row->end_ns, .event_count = row->event_count,
        .event_hash = row->event_hash, .violation_count = row->violations,
        .clamp_count = clamp_count,
    };
    struct sim_diag diag;
    if (sim_rec_end_run(rec, &result, &diag) != 0) {
        cli_error("%s: %s", db_path, diag.message);
        return CLI_EXIT_IO;
    }
    return CLI_EXIT_OK;
}

/* Runs (point, seed) as `murphy run --no-db` would, keeping the summary in row; with
 * full_db, as `murphy run --db full_db` would, its run id in row->run_id. */
static int run_one(const struct plan *plan, uint32_t point, uint64_t seed, const char *full_db,
                   struct sweep_row *row)
{
    memset(row, 0, sizeof *row);
    row->point = point;
    row->seed = seed;
    const char *sets[2 * SETS_MAX];
    size_t set_count = point_overrides(plan, point, sets);
    struct sim_scenario scn;
    struct sim_diag diag;
    int rc = sim_scn_load(plan->spec.scenario_path, sets, set_count, models_builtin(), &scn,
                          &diag);
    if (rc != SIM_OK) {
        cli_diag_overrides(&diag, sets, set_count);
        return cli_exit_for(rc);
    }
    struct run_sink sink = {row, NULL, false};
    /* without --full a sweep keeps summaries: annotations go nowhere */
    struct oracle_report report = {&sink, on_violation, on_metric, on_annotate};
    struct oracle_set *oracles = oracle_set_create(&report, &scn);
    struct an_run_shape shape = {scn.node_count, scn.duration_ns};
    struct an_accs *accs = an_accs_create(&shape);
    struct cause_oracle *causes = full_db ? cause_oracle_create(on_cause, &sink) : NULL;
    struct sim_world *world = NULL;
    rc = oracles && accs && (causes || !full_db) ? sim_world_create(&scn, seed, &world, &diag)
                                                 : SIM_ENOMEM;
    if (rc == SIM_OK && full_db) {
        struct sim_run_meta meta;
        struct cli_meta_buf buf;
        cli_run_meta(&meta, &buf);
        rc = sim_rec_open(full_db, &sink.rec, &diag);
        if (rc == SIM_OK) rc = sim_rec_begin_run(sink.rec, &scn, seed, &meta, &row->run_id, &diag);
        if (rc != SIM_OK) snprintf(diag.file, sizeof diag.file, "%s", full_db);
    }
    int status = CLI_EXIT_OK;
    if (rc == SIM_OK) {
        if (sink.rec) {
            struct sim_observer rec_obs = sim_rec_observer(sink.rec);
            sim_world_add_observer(world, &rec_obs);
            struct sim_observer cause_obs = cause_oracle_observer(causes);
            sim_world_add_observer(world, &cause_obs);
        }
        struct sim_observer oracles_obs = oracle_set_observer(oracles);
        sim_world_add_observer(world, &oracles_obs);
        struct sim_observer accs_obs = an_accs_observer(accs);
        sim_world_add_observer(world, &accs_obs);
        enum sim_run_end end = sim_world_run(world, UINT64_MAX, &cli_interrupt);
        int64_t end_ns = sim_world_now_ns(world);
        oracle_set_finish(oracles, end_ns);
        struct an_metric_sink metric_sink = {&sink, on_metric};
        an_accs_finish(accs, end_ns, &metric_sink);
        row->violations = sim_world_violation_count(world) + oracle_set_violation_count(oracles);
        row->event_hash = sim_world_hash(world);
        row->event_count = sim_world_event_count(world);
        row->end_ns = end_ns;
        bool is_incomplete = end == SIM_END_INTERRUPTED || end == SIM_END_STOP_AT;
        snprintf(row->status, sizeof row->status, "%s",
                 is_incomplete ? "incomplete" : row->violations ? "violated" : "ok");
        if (sink.rec)
            status = end_full_run(sink.rec, row, end, sim_world_clamp_count(world), full_db);
        if (end == SIM_END_INTERRUPTED) status = 128 + (int)cli_interrupt;
        if (sink.is_out_of_memory) status = CLI_EXIT_IO;
    } else {
        char text[2048];
        sim_diag_format(&diag, text, sizeof text);
        fprintf(stderr, "%s\n", text);
        status = cli_exit_for(rc);
    }
    sim_rec_close(sink.rec);
    sim_world_destroy(world);
    cause_oracle_destroy(causes);
    oracle_set_destroy(oracles);
    an_accs_destroy(accs);
    sim_scn_free(&scn);
    return status;
}

/* ---- rows over a pipe ---------------------------------------------------------------- */

struct buf {
    unsigned char *bytes;
    size_t len, cap;
};

static bool buf_put(struct buf *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = (b->cap ? b->cap * 2 : 4096) + n;
        unsigned char *grown = realloc(b->bytes, cap);
        if (!grown) return false;
        b->bytes = grown;
        b->cap = cap;
    }
    memcpy(b->bytes + b->len, p, n);
    b->len += n;
    return true;
}

/* A row as a length-prefixed record (host byte order: parent and child are one binary). */
static bool encode_row(const struct sweep_row *r, struct buf *b)
{
    uint32_t len = 0;
    size_t at = b->len;
    uint64_t mc = r->metric_count;
    bool ok = buf_put(b, &len, sizeof len) && buf_put(b, &r->point, sizeof r->point) &&
              buf_put(b, &r->seed, sizeof r->seed) &&
              buf_put(b, &r->event_hash, sizeof r->event_hash) &&
              buf_put(b, &r->event_count, sizeof r->event_count) &&
              buf_put(b, &r->end_ns, sizeof r->end_ns) &&
              buf_put(b, &r->violations, sizeof r->violations) &&
              buf_put(b, &r->run_id, sizeof r->run_id) &&
              buf_put(b, r->status, sizeof r->status) && buf_put(b, &mc, sizeof mc);
    for (size_t m = 0; ok && m < r->metric_count; m++)
        ok = buf_put(b, &r->metrics[m], sizeof r->metrics[m]);
    if (!ok) return false;
    len = (uint32_t)(b->len - at - sizeof len);
    memcpy(b->bytes + at, &len, sizeof len);
    return true;
}

/* Decodes one record of exactly len bytes; false if it is malformed. */
static bool decode_row(const unsigned char *p, size_t len, struct sweep_row *r)
{
    memset(r, 0, sizeof *r);
    size_t head = sizeof r->point + 6 * sizeof(uint64_t) + sizeof r->status + sizeof(uint64_t);
    if (len < head) return false;
    uint64_t mc;
#define TAKE(field) (memcpy(&(field), p, sizeof(field)), p += sizeof(field))
    TAKE(r->point);
    TAKE(r->seed);
    TAKE(r->event_hash);
    TAKE(r->event_count);
    TAKE(r->end_ns);
    TAKE(r->violations);
    TAKE(r->run_id);
    TAKE(r->status);
    TAKE(mc);
#undef TAKE
    if (r->status[sizeof r->status - 1] != '\0' || mc > (len - head) / sizeof *r->metrics ||
        len != head + mc * sizeof *r->metrics)
        return false;
    r->metric_count = (size_t)mc;
    r->metrics = mc ? malloc(mc * sizeof *r->metrics) : NULL;
    if (mc && !r->metrics) return false;
    memcpy(r->metrics, p, mc * sizeof *r->metrics);
    for (size_t m = 0; m < mc; m++) {
        r->metrics[m].name[sizeof r->metrics[m].name - 1] = '\0';
        r->metrics[m].unit[sizeof r->metrics[m].unit - 1] = '\0';
    }
    return true;
}

static bool write_all(int fd, const unsigned char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* ---- the slices ---------------------------------------------------------------------- */

struct collected {
    struct sweep_row *rows;
    size_t count, cap;
};

static bool collect(struct collected *c, const struct sweep_row *row)
{
    if (c->count == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        struct sweep_row *grown = realloc(c->rows, cap * sizeof *grown);
        if (!grown) return false;
        c->rows = grown;
        c->cap = cap;
    }
    c->rows[c->count++] = *row;
    return true;
}

static double wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void progress(size_t done, size_t total)
{
    if (isatty(STDERR_FILENO))
        fprintf(stderr, "\rmurphy: sweep %zu/%zu runs%s", done, total, done == total ? "\n" : "");
}

/* The k-th run of this shard, over the flattened (point, seed) index. */
static void task_of(const struct plan *plan, const struct sweep_args *a, uint64_t k,
                    uint32_t *point, uint64_t *seed)
{
    uint64_t index = (a->shard_k - 1) + k * a->shard_n;
    *point = (uint32_t)(index / plan->spec.seed_count);
    *seed = plan->seeds[index % plan->spec.seed_count];
}

/* A worker: runs tasks j, j+J, ... of the shard and streams their rows to fd. */
static int worker(const struct plan *plan, const struct sweep_args *a, uint64_t task_count,
                  uint64_t j, int fd)
{
    for (uint64_t k = j; k < task_count; k += a->jobs) {
        uint32_t point;
        uint64_t seed;
        task_of(plan, a, k, &point, &seed);
        struct sweep_row row;
        int status = run_one(plan, point, seed, a->is_full ? a->db_path : NULL, &row);
        struct buf b = {0};
        bool ok = status == CLI_EXIT_OK && encode_row(&row, &b) && write_all(fd, b.bytes, b.len);
        free(b.bytes);
        free(row.metrics);
        if (status != CLI_EXIT_OK) return status;
        if (!ok) return CLI_EXIT_IO;
    }
    return CLI_EXIT_OK;
}

/* Forks the workers, reads their rows as they come (poll: a worker never blocks on a
 * full pipe while the parent waits on another), then reaps them. */
static int run_jobs(const struct plan *plan, const struct sweep_args *a, uint64_t task_count,
                    struct collected *out)
{
    size_t jobs = (size_t)a->jobs;
    pid_t pids[JOBS_MAX];
    struct pollfd fds[JOBS_MAX];
    struct buf bufs[JOBS_MAX];
    memset(bufs, 0, sizeof bufs);
    fflush(NULL);
    size_t started = 0;
    for (; started < jobs; started++) {
        int p[2];
        if (pipe(p) != 0) break;
        pid_t pid = fork();
        if (pid < 0) {
            close(p[0]);
            close(p[1]);
            break;
        }
        if (pid == 0) {
            close(p[0]);
            for (size_t i = 0; i < started; i++) close(fds[i].fd);
            int status = worker(plan, a, task_count, started, p[1]);
            close(p[1]);
            _exit(status);
        }
        close(p[1]);
        pids[started] = pid;
        fds[started] = (struct pollfd){.fd = p[0], .events = POLLIN};
    }
    int status = started == jobs ? CLI_EXIT_OK : CLI_EXIT_IO;
    if (status != CLI_EXIT_OK) cli_error("sweep: cannot start %zu workers", jobs);
    size_t open_count = started;
    while (open_count && status == CLI_EXIT_OK) {
        if (poll(fds, started, -1) < 0) {
            if (errno == EINTR) continue;
            status = CLI_EXIT_IO;
            break;
        }
        for (size_t i = 0; i < started; i++) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            unsigned char chunk[65536];
            ssize_t n = read(fds[i].fd, chunk, sizeof chunk);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                close(fds[i].fd);
                fds[i].fd = -1;
                open_count--;
                if (bufs[i].len) status = CLI_EXIT_IO; /* a torn record */
                continue;
            }
            if (!buf_put(&bufs[i], chunk, (size_t)n)) status = CLI_EXIT_IO;
            size_t at = 0;
            while (status == CLI_EXIT_OK && bufs[i].len - at >= sizeof(uint32_t)) {
                uint32_t len;
                memcpy(&len, bufs[i].bytes + at, sizeof len);
                if (bufs[i].len - at - sizeof len < len) break;
                struct sweep_row row;
                if (!decode_row(bufs[i].bytes + at + sizeof len, len, &row) ||
                    !collect(out, &row)) {
                    free(row.metrics);
                    status = CLI_EXIT_IO;
                }
                at += sizeof len + len;
                progress(out->count, (size_t)task_count);
            }
            memmove(bufs[i].bytes, bufs[i].bytes + at, bufs[i].len - at);
            bufs[i].len -= at;
        }
    }
    for (size_t i = 0; i < started; i++) {
        if (fds[i].fd >= 0) close(fds[i].fd);
        free(bufs[i].bytes);
        if (status != CLI_EXIT_OK) kill(pids[i], SIGTERM);
        int wstatus = 0;
        while (waitpid(pids[i], &wstatus, 0) < 0 && errno == EINTR) {}
        int child = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
        if (child != CLI_EXIT_OK && status == CLI_EXIT_OK) {
            cli_error("sweep: worker %zu of %zu failed (exit %d)", i + 1, jobs, child);
            status = child;
        }
    }
    if (status == CLI_EXIT_OK && out->count != task_count) {
        cli_error("sweep: %zu of %" PRIu64 " runs came back", out->count, task_count);
        status = CLI_EXIT_IO;
    }
    return status;
}

static int run_here(const struct plan *plan, const struct sweep_args *a, uint64_t task_count,
                    struct collected *out)
{
    for (uint64_t k = 0; k < task_count; k++) {
        uint32_t point;
        uint64_t seed;
        task_of(plan, a, k, &point, &seed);
        struct sweep_row row;
        int status = run_one(plan, point, seed, a->is_full ? a->db_path : NULL, &row);
        if (status == CLI_EXIT_OK && !collect(out, &row)) status = CLI_EXIT_IO;
        if (status != CLI_EXIT_OK) {
            free(row.metrics);
            return status;
        }
        progress(out->count, (size_t)task_count);
    }
    return CLI_EXIT_OK;
}

/* ---- the command --------------------------------------------------------------------- */

static char *read_whole(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    struct buf b = {0};
    unsigned char chunk[8192];
    size_t n;
    bool ok = true;
    while (ok && (n = fread(chunk, 1, sizeof chunk, f)) > 0) ok = buf_put(&b, chunk, n);
    ok = ok && !ferror(f) && buf_put(&b, "", 1);
    fclose(f);
    if (!ok) {
        free(b.bytes);
        return NULL;
    }
    return (char *)b.bytes;
}

/* Loads every point once before any run, so a bad value fails fast, naming its --set. */
static int check_points(struct plan *plan)
{
    for (uint32_t p = 0; p < plan->spec.point_count; p++) {
        const char *sets[2 * SETS_MAX];
        size_t n = point_overrides(plan, p, sets);
        struct sim_scenario scn;
        struct sim_diag diag;
        int rc = sim_scn_load(plan->spec.scenario_path, sets, n, models_builtin(), &scn, &diag);
        if (rc != SIM_OK) {
            cli_diag_overrides(&diag, sets, n);
            return cli_exit_for(rc);
        }
        if (p == 0 && !plan->spec.scenario) plan->spec.scenario = strdup(scn.name);
        sim_scn_free(&scn);
    }
    return CLI_EXIT_OK;
}

/* The table (unless quiet), the worst point, and the cost. Shared with merge. */
int cli_sweep_summary(FILE *out, const struct sweep_spec *spec, const struct sweep_row *rows,
                      size_t row_count, double wall, bool is_quiet)
{
    if (!is_quiet) sweep_print_table(out, spec, rows, row_count);
    sweep_print_worst(out, spec, rows, row_count);
    double sim_days = 0;
    for (size_t i = 0; i < row_count; i++) sim_days += (double)rows[i].end_ns / 86400e9;
    uint64_t expected = (uint64_t)spec->point_count * spec->seed_count;
    fprintf(out, "runs: %zu of %" PRIu64 " (%" PRIu32 " points x %" PRIu32 " seeds)\n",
            row_count, expected, spec->point_count, spec->seed_count);
    if (wall >= 0 && sim_days > 0)
        fprintf(out, "cost: %.3g wall seconds per simulated day (%.4g simulated days in %.3g s)\n",
                wall / sim_days, sim_days, wall);
    return CLI_EXIT_OK;
}

int cmd_sweep(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return CLI_EXIT_OK;
    }
    struct sweep_args a;
    int status = parse_args(argc, argv, &a);
    if (status != CLI_EXIT_OK) return status;
    struct plan plan = {0};
    struct axis *axes = calloc(SETS_MAX, sizeof *axes);
    size_t axis_count = 0;
    char path[4096];
    if (!axes) return CLI_EXIT_IO;
    if (parse_grid(&a, &plan, axes, &axis_count) != 0 || parse_seeds(a.seeds, &plan) != 0 ||
        build_points(&plan, axes, axis_count) != 0 ||
        cli_find_scenario(a.scenario, path, sizeof path) != 0)
        status = CLI_EXIT_USAGE;
    if (status == CLI_EXIT_OK) {
        const char *swept[SETS_MAX];
        size_t n = 0;
        for (size_t i = 0; i < a.set_count; i++) {
            bool is_base = false;
            for (size_t b = 0; b < plan.base_count; b++) is_base |= plan.base[b] == a.sets[i];
            if (!is_base) swept[n++] = a.sets[i];
        }
        plan.spec.grid = join_lines(swept, n);
        plan.spec.base_overrides = join_lines(plan.base, plan.base_count);
        plan.spec.seeds = strdup(a.seeds);
        plan.spec.scenario_path = strdup(path);
        plan.spec.scenario_text = read_whole(path);
        if (!plan.spec.scenario_text) {
            cli_error("%s: cannot read it", path);
            status = CLI_EXIT_USAGE;
        }
    }
    free_axes(axes, axis_count);
    free(axes);
    if (status == CLI_EXIT_OK) status = check_points(&plan);
    struct collected got = {0};
    double started = wall_s();
    uint64_t total = (uint64_t)plan.spec.point_count * plan.spec.seed_count;
    uint64_t task_count =
        total >= a.shard_k ? (total - a.shard_k) / a.shard_n + 1 : 0;
    if (status == CLI_EXIT_OK) {
        cli_catch_signals();
        if (a.jobs > task_count) a.jobs = task_count ? task_count : 1;
        status = a.jobs > 1 ? run_jobs(&plan, &a, task_count, &got)
                            : run_here(&plan, &a, task_count, &got);
        if (cli_interrupt) status = 128 + (int)cli_interrupt;
    }
    double wall = wall_s() - started;
    if (status == CLI_EXIT_OK) {
        sweep_rows_sort(got.rows, got.count);
        char shard[64];
        snprintf(shard, sizeof shard, "%" PRIu64 "/%" PRIu64, a.shard_k, a.shard_n);
        int64_t sweep_id = 0;
        status = sweep_store_write(a.db_path, &plan.spec, shard, got.rows, got.count, &sweep_id);
        if (status == CLI_EXIT_OK && a.csv_path)
            status = sweep_write_csv(a.csv_path, &plan.spec, got.rows, got.count);
        if (status == CLI_EXIT_OK) {
            cli_sweep_summary(stdout, &plan.spec, got.rows, got.count, wall, a.is_quiet);
            for (size_t i = 0; a.is_printing_commands && i < got.count; i++)
                sweep_print_rerun(stdout, &plan.spec, &got.rows[i]);
            printf("sweep: %" PRId64 " in %s (shard %s)\n", sweep_id, a.db_path, shard);
        }
    }
    sweep_rows_free(got.rows, got.count);
    plan_free(&plan);
    return status;
}
