/* cli/cmd_shrink.c - `murphy shrink`: cuts a failing run's fault schedule down to the few
 * faults that matter, keeping its seed and the kind of its first violation.
 *
 * The run is rebuilt from its record alone: the stored scenario text without its
 * [faults] and [nemesis] sections (and without --set faults.* / nemesis.* overrides),
 * plus one [faults] line per fault name of the `faults` table, its value the text of the
 * name's first fault (for a listed fault, the line as written; a nemesis writes a listed
 * equivalent). That rebuilt run must show the violation kind before anything is cut. The
 * search is cli/shrink.c; each candidate runs in-process without a record (run_once.h);
 * the result is recorded as a new run whose scenario text is the shrunk one, so replay,
 * log and why work on it. */
#include "cli.h"
#include "model_libs.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "models/models.h"
#include "run_once.h"
#include "shrink.h"

#define MAX_RUNS_DEFAULT 2000u

static const char usage[] =
    "usage: murphy shrink DB [--run ID] [--out FILE.ini] [--db OUT.db] [--max-runs N]\n"
    "                     [--quiet] [--model-lib FILE.so]...\n"
    "\n"
    "Shrinks the fault schedule of a violated run (the newest unless --run) with the same\n"
    "seed, keeping the kind of its first violation: the same source (oracle:elect, model)\n"
    "and the same text up to its first ':' with numbers as '#' (\"two leaders in term #\"),\n"
    "so that it cannot slip to another bug. The unit is a [faults] line (a nemesis' drawn\n"
    "faults count as lines nemesis.1, nemesis.2, ...). It tries no fault at all, removes\n"
    "chunks (halves, quarters, ...), then single lines until none can go, halves each\n"
    "`for D` and pushes each fault's `at T` later while the run still fails, and ends\n"
    "1-minimal: removing any one remaining line (with the `heal` lines naming it) makes\n"
    "the violation kind go away. Prints the faults as lines to paste, records the shrunk\n"
    "run (scenario text included) and prints how to reproduce it.\n"
    "\n"
    "  --run ID        the run to shrink (default: the newest)\n"
    "  --out FILE.ini  also write the shrunk scenario to FILE.ini\n"
    "  --db OUT.db     record the shrunk run there (default: DB itself)\n"
    "  --max-runs N    test runs allowed, the rebuilt run included (default 2000); when\n"
    "                  they run out the result still fails but may not be 1-minimal, and\n"
    "                  shrink says so\n"
    "  --quiet         no progress line\n"
    "\n"
    "exit status: 0 shrunk, 2 bad usage or a run without violations, 3 I/O or database\n"
    "error, 4 the run rebuilt from its record does not show its violation (or the shrunk\n"
    "run recorded differently), 128+N interrupted by signal N\n";

struct shrink_args {
    const char *db_path;
    uint64_t run_id;
    const char *out_path;
    const char *out_db;
    uint64_t max_runs;
    bool is_quiet;
};

static int parse_args(int argc, char **argv, struct shrink_args *a)
{
    *a = (struct shrink_args){.max_runs = MAX_RUNS_DEFAULT};
    int status = CLI_EXIT_OK;
    for (int i = 1; i < argc && status == CLI_EXIT_OK; i++) {
        const char *v = NULL;
        if (cli_opt(argc, argv, &i, "--run", &v, &status)) {
            if (v && cli_parse_u64(v, "--run", &a->run_id) != 0) status = CLI_EXIT_USAGE;
        } else if (cli_opt(argc, argv, &i, "--out", &v, &status)) {
            a->out_path = v;
        } else if (cli_opt(argc, argv, &i, "--db", &v, &status)) {
            a->out_db = v;
        } else if (cli_opt(argc, argv, &i, "--max-runs", &v, &status)) {
            if (v && (cli_parse_u64(v, "--max-runs", &a->max_runs) != 0 || a->max_runs < 1)) {
                cli_error("shrink: --max-runs must be at least 1");
                status = CLI_EXIT_USAGE;
            }
        } else if (strcmp(argv[i], "--quiet") == 0) {
            a->is_quiet = true;
        } else if (argv[i][0] == '-' || a->db_path) {
            cli_error("shrink: unexpected '%s' (see murphy shrink --help)", argv[i]);
            status = CLI_EXIT_USAGE;
        } else a->db_path = argv[i];
    }
    if (status == CLI_EXIT_OK && !a->db_path) {
        cli_error("shrink: which database? (see murphy shrink --help)");
        status = CLI_EXIT_USAGE;
    }
    return status;
}

/* What every test run shares. */
struct job {
    const struct an_run *run;
    char source[CLI_RUN_SOURCE_BYTES];   /* the target: the first violation's source */
    char kind[SHRINK_KIND_BYTES];        /* and kind (shrink_kind) */
    char *base;                          /* the scenario text without its faults */
    size_t base_bytes;
    const char **overrides;              /* the run's, without faults.* and nemesis.* */
    size_t override_count;
    char *text;                          /* the last candidate's scenario text */
    size_t text_bytes, text_cap;
    bool has_target;                     /* the run going on has shown the kind */
    uint64_t fail_hash;                  /* the hash of the last run that failed */
    size_t lines_before;
    bool is_progress;
};

static int db_error(sqlite3 *db, const char *what)
{
    cli_error("reading %s: %s", what, sqlite3_errmsg(db));
    return CLI_EXIT_IO;
}

static int read_target(struct an_db *db, struct job *job)
{
    sqlite3 *sql = an_db_sqlite(db);
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(sql, "SELECT source, text FROM violations WHERE run_id = ?1"
                           " ORDER BY seq, rowid LIMIT 1", -1, &s, NULL) != SQLITE_OK)
        return db_error(sql, "violations");
    sqlite3_bind_int64(s, 1, job->run->id);
    int rc = sqlite3_step(s);
    int status = CLI_EXIT_OK;
    if (rc == SQLITE_ROW) {
        const char *source = (const char *)sqlite3_column_text(s, 0);
        const char *text = (const char *)sqlite3_column_text(s, 1);
        snprintf(job->source, sizeof job->source, "%s", source ? source : "");
        shrink_kind(text ? text : "", job->kind, sizeof job->kind);
    } else if (rc == SQLITE_DONE) {
        cli_error("shrink: run %" PRId64 " has no violation: nothing to shrink (shrink keeps a"
                  " failing run failing the same way)", job->run->id);
        status = CLI_EXIT_USAGE;
    } else {
        status = db_error(sql, "violations");
    }
    sqlite3_finalize(s);
    return status;
}

/* A name or value from the record goes into scenario text: printable ASCII only, no
 * blanks at either end, no quote first (the INI reader would unquote it), so that it
 * reads back as the one line it was. */
static bool is_safe_value(const char *s, size_t max_bytes, bool is_name)
{
    size_t len = strlen(s);
    if (len == 0 || len >= max_bytes || s[0] == ' ' || s[len - 1] == ' ' || s[0] == '"')
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c > 0x7e) return false;
        if (is_name && !strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                               "0123456789_.-", c))
            return false;
    }
    return true;
}

/* One line per fault name, in the order of each name's first fault, with its text. */
static int read_lines(struct an_db *db, const struct an_run *run, struct shrink_line **lines,
                      size_t *count)
{
    sqlite3 *sql = an_db_sqlite(db);
    sqlite3_stmt *s = NULL;
    /* SQLite takes a bare column of a min() aggregate from the row holding the minimum */
    if (sqlite3_prepare_v2(sql, "SELECT name, text, min(fault) FROM faults WHERE run_id = ?1"
                           " GROUP BY name ORDER BY min(fault)", -1, &s, NULL) != SQLITE_OK)
        return db_error(sql, "faults");
    sqlite3_bind_int64(s, 1, run->id);
    *lines = calloc(SHRINK_LINES_MAX, sizeof **lines);
    *count = 0;
    int status = *lines ? CLI_EXIT_OK : CLI_EXIT_IO;
    int rc;
    while (status == CLI_EXIT_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(s, 0);
        const char *text = (const char *)sqlite3_column_text(s, 1);
        if (*count == SHRINK_LINES_MAX || !name || !text ||
            !is_safe_value(name, sizeof (*lines)->name, true) ||
            !is_safe_value(text, sizeof (*lines)->text, false)) {
            cli_error("shrink: run %" PRId64 ": fault %zu of the record is damaged (more than"
                      " %u names, or a name or text that is no [faults] line)", run->id,
                      *count + 1, SHRINK_LINES_MAX);
            status = CLI_EXIT_IO;
            break;
        }
        snprintf((*lines)[*count].name, sizeof (*lines)->name, "%s", name);
        snprintf((*lines)[*count].text, sizeof (*lines)->text, "%s", text);
        (*count)++;
    }
    if (status == CLI_EXIT_OK && rc != SQLITE_DONE) status = db_error(sql, "faults");
    sqlite3_finalize(s);
    return status;
}

static bool is_fault_section(const char *section)
{
    return strcmp(section, "faults") == 0 || strcmp(section, "nemesis") == 0;
}

/* Is 1-based line `line` inside a [faults] or [nemesis] section (header to next header)? */
static bool is_fault_line(const struct sim_ini *ini, int line)
{
    for (size_t k = 0; k < ini->section_count; k++) {
        int next = k + 1 < ini->section_count ? ini->section_lines[k + 1] : INT32_MAX;
        if (line >= ini->section_lines[k] && line < next) return is_fault_section(ini->sections[k]);
    }
    return false;
}

/* The stored text without its [faults] and [nemesis] sections, ending with a newline. */
static int base_text(const struct an_run *run, struct job *job)
{
    struct sim_ini ini = {0};
    struct sim_diag diag;
    if (sim_ini_parse(run->scenario_path, run->scenario_text, run->scenario_text_bytes, &ini,
                      &diag) != 0) {
        fprintf(stderr, "murphy: the stored scenario of run %" PRId64 " no longer parses:\n",
                run->id);
        cli_diag(&diag);
        sim_ini_free(&ini);
        return CLI_EXIT_DIVERGED;
    }
    job->base = malloc(run->scenario_text_bytes + 2);
    if (!job->base) {
        sim_ini_free(&ini);
        return CLI_EXIT_IO;
    }
    size_t n = 0;
    int line = 1;
    const char *p = run->scenario_text, *end = p + run->scenario_text_bytes;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *next = eol ? eol + 1 : end;
        if (!is_fault_line(&ini, line)) {
            memcpy(job->base + n, p, (size_t)(next - p));
            n += (size_t)(next - p);
        }
        p = next;
        line++;
    }
    if (n > 0 && job->base[n - 1] != '\n') job->base[n++] = '\n';
    job->base[n] = '\0';
    job->base_bytes = n;
    sim_ini_free(&ini);
    return CLI_EXIT_OK;
}

static int keep_overrides(const struct an_run *run, struct job *job)
{
    job->overrides = calloc(run->override_count + 1, sizeof *job->overrides);
    if (!job->overrides) return CLI_EXIT_IO;
    for (size_t i = 0; i < run->override_count; i++) {
        const char *o = run->overrides[i];
        if (strncmp(o, "faults.", 7) != 0 && strncmp(o, "nemesis.", 8) != 0)
            job->overrides[job->override_count++] = o;
    }
    return CLI_EXIT_OK;
}

/* The scenario text with these lines as its [faults], into job->text. */
static int build_text(struct job *job, const struct shrink_line *lines, size_t count)
{
    static const char header[] = "\n# the faults murphy shrink kept\n[faults]\n";
    /* a blank line before the header, unless the text ends with one already */
    bool has_blank = job->base_bytes < 2 || job->base[job->base_bytes - 2] == '\n';
    size_t need = job->base_bytes + sizeof header + 1;
    for (size_t i = 0; i < count; i++) need += strlen(lines[i].name) + strlen(lines[i].text) + 4;
    if (need > job->text_cap) {
        char *text = realloc(job->text, need);
        if (!text) {
            cli_error("shrink: out of memory");
            return CLI_EXIT_IO;
        }
        job->text = text;
        job->text_cap = need;
    }
    size_t n = 0;
    memcpy(job->text, job->base, job->base_bytes);
    n += job->base_bytes;
    if (count > 0) n += (size_t)snprintf(job->text + n, need - n, "%s", header + has_blank);
    for (size_t i = 0; i < count; i++)
        n += (size_t)snprintf(job->text + n, need - n, "%s = %s\n", lines[i].name, lines[i].text);
    job->text_bytes = n;
    return CLI_EXIT_OK;
}

static void watch(void *ctx, uint64_t seq, const char *source, const char *text)
{
    (void)seq;
    struct job *job = ctx;
    if (job->has_target || strcmp(source, job->source) != 0) return;
    char kind[SHRINK_KIND_BYTES];
    shrink_kind(text ? text : "", kind, sizeof kind);
    job->has_target = strcmp(kind, job->kind) == 0;
}

/* One candidate, in-process and unrecorded, with the run's seed. */
static int test(void *ctx, const struct shrink_line *lines, size_t count, bool *fails)
{
    struct job *job = ctx;
    int status = build_text(job, lines, count);
    if (status != CLI_EXIT_OK) return status;
    job->has_target = false;
    struct cli_run_violations violations = {job, watch};
    struct cli_run_result r;
    status = cli_run_once_text(job->run->scenario_path, job->text, job->text_bytes,
                               job->overrides, job->override_count, job->run->seed, NULL, NULL,
                               &violations, &r);
    if (status != CLI_EXIT_OK) return status;
    *fails = job->has_target;
    if (*fails) job->fail_hash = r.event_hash;
    return CLI_EXIT_OK;
}

static void progress(void *ctx, const struct shrink_search *s)
{
    struct job *job = ctx;
    if (job->is_progress)
        fprintf(stderr, "\rmurphy: shrink: %" PRIu64 " runs, %zu of %zu lines left   ", s->runs,
                s->count, job->lines_before);
}

/* Loads job->text to count its faults (expansions included) and read its duration. */
static int load_text(const struct job *job, uint32_t *fault_count, int64_t *duration_ns)
{
    struct sim_scenario scn;
    struct sim_diag diag;
    int rc = sim_scn_load_text(job->run->scenario_path, job->text, job->text_bytes,
                               job->overrides, job->override_count, cli_models(), &scn,
                               &diag);
    if (rc != SIM_OK) {
        fprintf(stderr, "murphy: run %" PRId64 " rebuilt from its record does not load:\n",
                job->run->id);
        cli_diag_overrides(&diag, job->overrides, job->override_count);
        return CLI_EXIT_DIVERGED;
    }
    *fault_count = scn.fault_count;
    *duration_ns = scn.duration_ns;
    sim_scn_free(&scn);
    return CLI_EXIT_OK;
}

static double wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Reads what the search needs from the record; the database is closed again after. */
static int prepare(const struct shrink_args *a, struct an_run *run, struct job *job,
                   struct shrink_line **lines, size_t *count)
{
    struct an_db *db = NULL;
    int status = cli_open_run(a->db_path, a->run_id, &db, run);
    if (status != CLI_EXIT_OK) return status;
    /* a run of a model library shrinks only with that very library (as replay) */
    status = cli_model_libs_match(run->model_libs);
    if (status != CLI_EXIT_OK) {
        an_db_close(db);
        return status;
    }
    job->run = run;
    status = read_target(db, job);
    if (status == CLI_EXIT_OK) status = read_lines(db, run, lines, count);
    an_db_close(db);
    if (status == CLI_EXIT_OK) status = base_text(run, job);
    if (status == CLI_EXIT_OK) status = keep_overrides(run, job);
    return status;
}

/* The rebuilt run, every line kept, must show the kind: else the record and this murphy
 * disagree and shrinking would chase something else. */
static int check_rebuilt(struct job *job, const struct shrink_line *lines, size_t count,
                         uint32_t *faults_before, int64_t *duration_ns)
{
    int status = build_text(job, lines, count);
    if (status == CLI_EXIT_OK) status = load_text(job, faults_before, duration_ns);
    bool fails = false;
    if (status == CLI_EXIT_OK) status = test(job, lines, count, &fails);
    if (status != CLI_EXIT_OK) return status;
    char kind[SHRINK_KIND_BYTES * 4], source[CLI_RUN_SOURCE_BYTES * 4];
    cli_safe(job->kind, kind, sizeof kind);
    cli_safe(job->source, source, sizeof source);
    if (!fails) {
        cli_error("shrink: run %" PRId64 " rebuilt from its record (seed %" PRIu64 ", %zu fault"
                  " lines) shows no %s violation \"%s\": was it recorded by another murphy?",
                  job->run->id, job->run->seed, count, source, kind);
        return CLI_EXIT_DIVERGED;
    }
    printf("target: %s \"%s\" (the first violation of run %" PRId64 ", seed %" PRIu64 ")\n",
           source, kind, job->run->id, job->run->seed);
    bool is_same = job->run->has_hash && job->fail_hash == job->run->event_hash;
    printf("rebuilt: %zu fault lines, %" PRIu32 " faults; %s (hash %016" PRIx64 ")\n", count,
           *faults_before, is_same ? "the same run as recorded" : "not the recorded run's hash,"
           " but the same violation kind", job->fail_hash);
    return CLI_EXIT_OK;
}

static int write_out(const char *path, const struct job *job)
{
    FILE *f = fopen(path, "w");
    bool ok = f && fwrite(job->text, 1, job->text_bytes, f) == job->text_bytes;
    if (f && fclose(f) != 0) ok = false;
    if (!ok) {
        cli_error("shrink: cannot write %s", path);
        return CLI_EXIT_IO;
    }
    printf("wrote: %s\n", path);
    return CLI_EXIT_OK;
}

/* Records the shrunk run (job->text) and checks it is the run that failed last. */
static int record(const struct shrink_args *a, struct job *job)
{
    const char *db_path = a->out_db ? a->out_db : a->db_path;
    struct cli_run_result r;
    job->has_target = false;
    struct cli_run_violations violations = {job, watch};
    int status = cli_run_once_text(job->run->scenario_path, job->text, job->text_bytes,
                                   job->overrides, job->override_count, job->run->seed, db_path,
                                   NULL, &violations, &r);
    if (status != CLI_EXIT_OK) return status;
    if (r.event_hash != job->fail_hash || !job->has_target) {
        cli_error("shrink: the shrunk run recorded as run %" PRId64 " differs from the one"
                  " tested (hash %016" PRIx64 ", then %016" PRIx64 ")", r.run_id, job->fail_hash,
                  r.event_hash);
        return CLI_EXIT_DIVERGED;
    }
    printf("run: %" PRId64 " in %s\nstatus: %s\nevents: %" PRIu64 "\nhash: %016" PRIx64 "\n",
           r.run_id, db_path, r.status, r.event_count, r.event_hash);
    if (a->out_path) {
        cli_print_reproduce(stdout, a->out_path, job->run->seed, (char *const *)job->overrides,
                            job->override_count, NULL, UINT64_MAX);
    } else {
        printf("reproduce: murphy replay ");
        cli_print_quoted(stdout, db_path);
        printf(" --run %" PRId64, r.run_id);
        cli_print_model_libs(stdout);
        printf("   (--out FILE.ini writes the scenario to run)\n");
    }
    return CLI_EXIT_OK;
}

static void print_result(const struct shrink_search *s, const struct job *job,
                         uint32_t faults_before, uint32_t faults_after, double seconds)
{
    printf("shrunk: %zu -> %zu fault lines (%" PRIu32 " -> %" PRIu32 " faults as run), %" PRIu64
           " runs in %.2f s", job->lines_before, s->count, faults_before, faults_after,
           s->runs + 1, seconds);
    if (s->shortened || s->delayed)
        printf("; %zu shortened, %zu delayed", s->shortened, s->delayed);
    putchar('\n');
    if (s->is_one_minimal)
        printf("1-minimal: yes (removing any one line makes the violation kind go away)\n");
    else if (s->is_budget_spent)
        printf("1-minimal: not proven: --max-runs %" PRIu64 " ended the search (it still "
               "fails)\n", s->max_runs + 1);
    if (s->count == 0) {
        printf("faults to paste: none (the run fails this way without any listed fault)\n");
        return;
    }
    printf("faults to paste:\n[faults]\n");
    for (size_t i = 0; i < s->count; i++)
        printf("%s = %s\n", s->lines[i].name, s->lines[i].text);
}

static int shrink(const struct shrink_args *a, struct job *job, struct shrink_line *lines,
                  size_t count)
{
    double started = wall_s();
    uint32_t faults_before = 0, faults_after = 0;
    int64_t duration_ns = 0;
    job->lines_before = count;
    int status = check_rebuilt(job, lines, count, &faults_before, &duration_ns);
    if (status != CLI_EXIT_OK) return status;
    struct shrink_search s = {
        .lines = lines, .count = count, .end_ns = duration_ns, .max_runs = a->max_runs - 1,
        .ctx = job, .test = test, .progress = progress,
    };
    status = shrink_search(&s);
    if (job->is_progress) fputc('\n', stderr);
    if (status == CLI_EXIT_OK) status = build_text(job, s.lines, s.count);
    if (status == CLI_EXIT_OK) status = load_text(job, &faults_after, &duration_ns);
    if (status != CLI_EXIT_OK) return status;
    print_result(&s, job, faults_before, faults_after, wall_s() - started);
    if (a->out_path) status = write_out(a->out_path, job);
    if (status == CLI_EXIT_OK) status = record(a, job);
    return status;
}

int cmd_shrink(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return CLI_EXIT_OK;
    }
    struct shrink_args a;
    int status = parse_args(argc, argv, &a);
    if (status != CLI_EXIT_OK) return status;
    struct an_run run;
    memset(&run, 0, sizeof run);
    struct job job = {.is_progress = !a.is_quiet && isatty(STDERR_FILENO)};
    struct shrink_line *lines = NULL;
    size_t count = 0;
    status = prepare(&a, &run, &job, &lines, &count);
    if (status == CLI_EXIT_OK) {
        cli_catch_signals();
        status = shrink(&a, &job, lines, count);
        if (cli_interrupt) status = 128 + (int)cli_interrupt;
    }
    free(lines);
    free(job.base);
    free(job.text);
    free(job.overrides);
    if (job.run) an_run_free(&run);
    return status;
}
