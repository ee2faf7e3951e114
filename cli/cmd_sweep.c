/* cli/cmd_sweep.c - `murphy sweep`: one scenario over a grid of settings times a range of
 * seeds, each run in-process with no event recording; the oracles and the accumulators
 * are fed live and only their metrics, the hash and the status are kept (sweep.h).
 *
 * A run executes as cli/run_once.h says (as `murphy run` would). --jobs forks workers
 * (cli/workers.h) before any database is opened; each runs its round-robin slice and
 * sends its rows to the parent, which alone writes the database. */
#include "cli.h"
#include "model_libs.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "models/models.h"
#include "sim/units.h"
#include "sim/world.h"
#include "run_once.h"
#include "grid.h"
#include "sweep.h"
#include "workers.h"

#define SETS_MAX GRID_SETS_MAX
#define RUNS_MAX 10000000u

static const char usage[] =
    "usage: murphy sweep SCENARIO --set KEY=SPEC... --seeds A..B [--jobs J] [--shard K/N]\n"
    "                    [--db FILE] [--full] [--csv FILE] [--commands] [--quiet]\n"
    "                    [--model-lib FILE.so]...\n"
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
    "Rows are stored as runs end (committed every 0.5 s). Interrupted (SIGINT, SIGTERM,\n"
    "or killed), the same command again resumes the unfinished sweep: it prints\n"
    "\"resumed: K of N done\" and runs only the rest.\n"
    "\n"
    "exit status: 0 done (violations are results, counted in the table), 2 bad usage or\n"
    "scenario, 3 database or worker error, 128+N interrupted by signal N\n";

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
    const struct cli_batch_opts batch = {a->sets, &a->set_count, SETS_MAX, &a->seeds, &a->jobs,
                                         &a->shard_k, &a->shard_n, &a->db_path};
    int status = CLI_EXIT_OK;
    for (int i = 1; i < argc && status == CLI_EXIT_OK; i++) {
        const char *v = NULL;
        if (cli_batch_opt("sweep", argc, argv, &i, &batch, &status)) {
            continue;
        } else if (cli_opt(argc, argv, &i, "--csv", &v, &status)) {
            a->csv_path = v;
        } else if (strcmp(argv[i], "--commands") == 0) {
            a->is_printing_commands = true;
        } else if (strcmp(argv[i], "--quiet") == 0) {
            a->is_quiet = true;
        } else if (strcmp(argv[i], "--full") == 0) {
            a->is_full = true;
        } else {
            status = cli_scenario_arg("sweep", argv[i], &a->scenario);
        }
    }
    if (status == CLI_EXIT_OK) status = cli_scenario_given("sweep", a->scenario);
    if (status == CLI_EXIT_OK && !a->seeds) {
        cli_error("sweep: which seeds? (--seeds 1..20)");
        status = CLI_EXIT_USAGE;
    }
    return status;
}

static int parse_seeds(const char *text, struct plan *plan)
{
    size_t count = 0;
    if (cli_parse_seeds(text, &plan->seeds, &count) != 0) return -1;
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
static int build_points(struct plan *plan, struct grid_axis *axes, size_t axis_count)
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

struct row_sink {
    struct sweep_row *row;
    bool is_out_of_memory;
};

static void on_metric(void *ctx, const char *name, double value, const char *unit)
{
    struct row_sink *sink = ctx;
    struct sweep_row *row = sink->row;
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
    struct row_sink sink = {row, false};
    struct cli_run_metrics metrics = {&sink, on_metric};
    struct cli_run_result result;
    int status = cli_run_once(plan->spec.scenario_path, sets, set_count, seed, full_db,
                              &metrics, &result);
    row->event_hash = result.event_hash;
    row->event_count = result.event_count;
    row->end_ns = result.end_ns;
    row->violations = result.violations;
    row->run_id = result.run_id;
    snprintf(row->status, sizeof row->status, "%s", result.status);
    if (status == CLI_EXIT_OK && sink.is_out_of_memory) status = CLI_EXIT_IO;
    return status;
}

/* ---- rows over a pipe ---------------------------------------------------------------- */

/* A row as a record. */
static bool encode_row(const struct sweep_row *r, struct cli_buf *b)
{
    uint64_t mc = r->metric_count;
    bool ok = cli_buf_put(b, &r->point, sizeof r->point) &&
              cli_buf_put(b, &r->seed, sizeof r->seed) &&
              cli_buf_put(b, &r->event_hash, sizeof r->event_hash) &&
              cli_buf_put(b, &r->event_count, sizeof r->event_count) &&
              cli_buf_put(b, &r->end_ns, sizeof r->end_ns) &&
              cli_buf_put(b, &r->violations, sizeof r->violations) &&
              cli_buf_put(b, &r->run_id, sizeof r->run_id) &&
              cli_buf_put(b, r->status, sizeof r->status) && cli_buf_put(b, &mc, sizeof mc);
    for (size_t m = 0; ok && m < r->metric_count; m++)
        ok = cli_buf_put(b, &r->metrics[m], sizeof r->metrics[m]);
    return ok;
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

/* ---- the slices ---------------------------------------------------------------------- */

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

/* The runs still to do: the shard's tasks whose (point, seed) a resumed sweep has not
 * stored (done: sorted by (point, seed)). */
struct pending {
    uint64_t *tasks; /* shard-local indices, ascending */
    size_t count;
    size_t stored;   /* rows stored so far, resumed ones included */
    size_t total;    /* the shard's runs */
};

static int row_order(const void *key, const void *item)
{
    const struct sweep_row *a = key, *b = item;
    if (a->point != b->point) return a->point < b->point ? -1 : 1;
    return (a->seed > b->seed) - (a->seed < b->seed);
}

static bool is_done(const struct sweep_row *done, size_t done_count, uint32_t point,
                    uint64_t seed)
{
    const struct sweep_row key = {.point = point, .seed = seed};
    return done_count && bsearch(&key, done, done_count, sizeof *done, row_order) != NULL;
}

static int plan_pending(const struct plan *plan, const struct sweep_args *a,
                        uint64_t task_count, const struct sweep_row *done, size_t done_count,
                        struct pending *t)
{
    t->tasks = malloc((task_count ? task_count : 1) * sizeof *t->tasks);
    if (!t->tasks) return CLI_EXIT_IO;
    t->count = 0;
    t->total = (size_t)task_count;
    for (uint64_t k = 0; k < task_count; k++) {
        uint32_t point;
        uint64_t seed;
        task_of(plan, a, k, &point, &seed);
        if (!is_done(done, done_count, point, seed)) t->tasks[t->count++] = k;
    }
    t->stored = t->total - t->count;
    return CLI_EXIT_OK;
}

struct jobs_ctx {
    const struct plan *plan;
    const struct sweep_args *a;
    struct pending *pending;
    struct sweep_writer *writer;
    int store_status; /* the first failed commit */
};

/* A worker: runs to-do entries j, j+J, ... and streams their rows to fd. An interrupted
 * run sends nothing: only whole runs are stored. */
static int worker(void *ctx, size_t j, int fd)
{
    const struct jobs_ctx *c = ctx;
    for (size_t i = j; i < c->pending->count; i += (size_t)c->a->jobs) {
        uint32_t point;
        uint64_t seed;
        task_of(c->plan, c->a, c->pending->tasks[i], &point, &seed);
        struct sweep_row row;
        int status = run_one(c->plan, point, seed, c->a->is_full ? c->a->db_path : NULL, &row);
        struct cli_buf b = {0};
        bool ok = status == CLI_EXIT_OK && encode_row(&row, &b) &&
                  cli_worker_send(fd, b.bytes, b.len);
        free(b.bytes);
        free(row.metrics);
        if (status != CLI_EXIT_OK) return status;
        if (!ok) return CLI_EXIT_IO;
    }
    return CLI_EXIT_OK;
}

static int store_row(struct jobs_ctx *c, struct sweep_row *row)
{
    int status = sweep_writer_add(c->writer, row);
    free(row->metrics);
    if (status != CLI_EXIT_OK) return status;
    c->pending->stored++;
    progress(c->pending->stored, c->pending->total);
    return CLI_EXIT_OK;
}

static bool receive_row(void *ctx, const unsigned char *bytes, size_t len)
{
    struct jobs_ctx *c = ctx;
    struct sweep_row row;
    if (!decode_row(bytes, len, &row)) {
        free(row.metrics);
        return false;
    }
    int status = store_row(c, &row);
    if (status != CLI_EXIT_OK && c->store_status == CLI_EXIT_OK) c->store_status = status;
    return status == CLI_EXIT_OK;
}

static int run_jobs(struct jobs_ctx *c)
{
    struct cli_workers w = {(size_t)c->a->jobs, "sweep", c, worker, receive_row};
    int status = cli_workers_run(&w);
    if (c->store_status != CLI_EXIT_OK) status = c->store_status;
    if (status == CLI_EXIT_OK && !cli_interrupt && c->pending->stored != c->pending->total) {
        cli_error("sweep: %zu of %zu runs came back", c->pending->stored, c->pending->total);
        status = CLI_EXIT_IO;
    }
    return status;
}

static int run_here(struct jobs_ctx *c)
{
    for (size_t i = 0; i < c->pending->count; i++) {
        uint32_t point;
        uint64_t seed;
        task_of(c->plan, c->a, c->pending->tasks[i], &point, &seed);
        struct sweep_row row;
        int status = run_one(c->plan, point, seed, c->a->is_full ? c->a->db_path : NULL, &row);
        if (status == CLI_EXIT_OK) status = store_row(c, &row);
        else free(row.metrics);
        if (status != CLI_EXIT_OK) return status;
    }
    return CLI_EXIT_OK;
}

static double wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- the command --------------------------------------------------------------------- */

/* Loads every point once before any run, so a bad value fails fast, naming its --set. */
static int check_points(struct plan *plan)
{
    for (uint32_t p = 0; p < plan->spec.point_count; p++) {
        const char *sets[2 * SETS_MAX];
        size_t n = point_overrides(plan, p, sets);
        struct sim_scenario scn;
        struct sim_diag diag;
        int rc = sim_scn_load(plan->spec.scenario_path, sets, n, cli_models(), &scn, &diag);
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
    struct grid_axis *axes = calloc(SETS_MAX, sizeof *axes);
    size_t axis_count = 0;
    char path[4096];
    if (!axes) return CLI_EXIT_IO;
    if (grid_parse(a.sets, a.set_count, plan.base, &plan.base_count, axes, &axis_count) != 0 ||
        parse_seeds(a.seeds, &plan) != 0 ||
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
        plan.spec.scenario_text = cli_read_file(path);
        plan.spec.model_libs = strdup(cli_model_libs_record());
        if (!plan.spec.model_libs) {
            cli_error("out of memory");
            status = CLI_EXIT_IO;
        }
        if (!plan.spec.scenario_text) {
            cli_error("%s: cannot read it", path);
            status = CLI_EXIT_USAGE;
        }
    }
    grid_axes_free(axes, axis_count);
    free(axes);
    if (status == CLI_EXIT_OK) status = check_points(&plan);
    char shard[64];
    snprintf(shard, sizeof shard, "%" PRIu64 "/%" PRIu64, a.shard_k, a.shard_n);
    double started = wall_s();
    uint64_t total = (uint64_t)plan.spec.point_count * plan.spec.seed_count;
    uint64_t task_count =
        total >= a.shard_k ? (total - a.shard_k) / a.shard_n + 1 : 0;
    struct sweep_row *done = NULL;
    size_t done_count = 0;
    int64_t sweep_id = 0;
    struct pending pending = {0};
    struct sweep_writer *writer = NULL;
    if (status == CLI_EXIT_OK)
        status = sweep_resume_find(a.db_path, &plan.spec, shard, &sweep_id, &done, &done_count);
    if (status == CLI_EXIT_OK) status = plan_pending(&plan, &a, task_count, done, done_count, &pending);
    sweep_rows_free(done, done_count);
    if (status == CLI_EXIT_OK && sweep_id)
        printf("resumed: %zu of %zu done (sweep %" PRId64 " in %s)\n", pending.stored, pending.total,
               sweep_id, a.db_path);
    if (status == CLI_EXIT_OK)
        status = sweep_writer_open(a.db_path, &plan.spec, shard, sweep_id, &writer);
    if (status == CLI_EXIT_OK) {
        cli_catch_signals();
        if (a.jobs > pending.count) a.jobs = pending.count ? pending.count : 1;
        struct jobs_ctx c = {&plan, &a, &pending, writer, CLI_EXIT_OK};
        status = a.jobs > 1 ? run_jobs(&c) : run_here(&c);
        if (cli_interrupt) status = 128 + (int)cli_interrupt;
        /* what came back is committed whatever happened; finished only if all did */
        int stored = sweep_writer_finish(writer, status == CLI_EXIT_OK, &sweep_id);
        if (stored != CLI_EXIT_OK) status = stored;
        else if (status != CLI_EXIT_OK)
            fprintf(stderr, "murphy: sweep unfinished: %zu of %zu runs stored as sweep %" PRId64
                    " in %s; run the same command again to resume\n", pending.stored, pending.total,
                    sweep_id, a.db_path);
    }
    sweep_writer_close(writer);
    double wall = wall_s() - started;
    struct sweep_spec stored_spec = {0};
    struct sweep_row *rows = NULL;
    size_t row_count = 0;
    /* the table is read back: the resumed rows and the new ones, as merge would see them */
    if (status == CLI_EXIT_OK)
        status = sweep_store_read(a.db_path, sweep_id, &stored_spec, &rows, &row_count);
    if (status == CLI_EXIT_OK) {
        if (a.csv_path) status = sweep_write_csv(a.csv_path, &plan.spec, rows, row_count);
        if (status == CLI_EXIT_OK) {
            /* the cost of a resumed sweep's earlier runs is unknown: not printed */
            cli_sweep_summary(stdout, &plan.spec, rows, row_count,
                              pending.stored > pending.count ? -1 : wall, a.is_quiet);
            for (size_t i = 0; a.is_printing_commands && i < row_count; i++)
                sweep_print_rerun(stdout, &plan.spec, &rows[i]);
            printf("sweep: %" PRId64 " in %s (shard %s)\n", sweep_id, a.db_path, shard);
        }
    }
    free(pending.tasks);
    sweep_rows_free(rows, row_count);
    sweep_spec_free(&stored_spec);
    plan_free(&plan);
    return status;
}
