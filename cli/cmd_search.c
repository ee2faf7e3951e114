/* cli/cmd_search.c - `murphy search`: runs one scenario over many seeds in-process and
 * without recording (cli/run_once.h), then re-runs every seed whose run was violated with
 * the recorder, so the database holds full records of the failing seeds only.
 *
 * The re-runs happen in the parent, after every worker (cli/workers.h) has reported, in
 * seed order: the database is opened by one process only, and its run ids follow the
 * seeds whatever --jobs was. A run is a function of (scenario, overrides, seed), so the
 * recorded re-run is the run that failed; its hash is checked against the first. */
#include "cli.h"
#include "model_libs.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "models/models.h"
#include "run_once.h"
#include "search_store.h"
#include "workers.h"

#define OVERRIDES_MAX 256

static const char usage[] =
    "usage: murphy search SCENARIO --seeds A..B [--set K=V]... [--jobs J] [--shard K/N]\n"
    "                     [--db FILE] [--keep N|all] [--quiet] [--model-lib FILE.so]...\n"
    "\n"
    "Runs SCENARIO once per seed, in-process and without recording events (the oracles\n"
    "and accumulators run live, as in `murphy run`), looking for seeds that break an\n"
    "invariant. Each failing seed is run again with the recorder into --db (the run is a\n"
    "function of its seed, so it is the same run, checked by its hash): the database holds\n"
    "full records of the failing seeds only, to read with log, report and replay. For each\n"
    "one it prints its first violation and the command that reproduces it; at the end, the\n"
    "seeds run, how many failed and the seeds per second.\n"
    "\n"
    "  --seeds A..B    the seeds (or a list: 1,5,9)\n"
    "  --set K=V       override a scenario key for every seed, as for murphy run\n"
    "  --jobs J        J worker processes on this machine (default 1)\n"
    "  --shard K/N     search only the seeds S with S = K (mod N): N machines with\n"
    "                  K = 1..N search the whole range between them, and a seed's shard\n"
    "                  does not depend on the range\n"
    "  --db FILE       where failing runs are recorded; default murphy.db (not created\n"
    "                  when no seed fails)\n"
    "  --keep N        record (and print in full) only the first N failing seeds, in seed\n"
    "                  order; the others are listed by number, to run one by one (a\n"
    "                  failing run of a minute's simulation is megabytes of events, and a\n"
    "                  scenario that fails on every seed would otherwise fill the disk);\n"
    "                  default 20, `all` for every one\n"
    "  --quiet         print only the failing seeds and the summary\n"
    "\n"
    "Progress goes to stderr when it is a terminal. Interrupted by SIGINT or SIGTERM, a\n"
    "search stores the seeds it has run in --db; the same command again resumes it\n"
    "(\"resumed: K of N done\") and runs only the rest.\n"
    "\n"
    "exit status: 0 no seed failed, 1 some seed failed, 2 bad usage or scenario, 3 database\n"
    "or worker error, 4 a re-run differed from its first run, 128+N interrupted by signal N\n";

struct search_args {
    const char *scenario;
    const char *overrides[OVERRIDES_MAX];
    size_t override_count;
    const char *seeds_text;
    uint64_t jobs;
    uint64_t shard_k, shard_n;
    const char *db_path;
    uint64_t keep;      /* failing seeds recorded at most */
    bool is_quiet;
};

static int parse_args(int argc, char **argv, struct search_args *a)
{
    *a = (struct search_args){.jobs = 1, .shard_k = 1, .shard_n = 1, .db_path = "murphy.db",
                              .keep = 20};
    const struct cli_batch_opts batch = {a->overrides, &a->override_count, OVERRIDES_MAX,
                                         &a->seeds_text, &a->jobs, &a->shard_k, &a->shard_n,
                                         &a->db_path};
    int status = CLI_EXIT_OK;
    for (int i = 1; i < argc && status == CLI_EXIT_OK; i++) {
        const char *v = NULL;
        if (cli_batch_opt("search", argc, argv, &i, &batch, &status)) {
            continue;
        } else if (cli_opt(argc, argv, &i, "--keep", &v, &status)) {
            if (v && strcmp(v, "all") == 0) a->keep = UINT64_MAX;
            else if (v && cli_parse_u64(v, "--keep", &a->keep) != 0) status = CLI_EXIT_USAGE;
        } else if (strcmp(argv[i], "--quiet") == 0) {
            a->is_quiet = true;
        } else {
            status = cli_scenario_arg("search", argv[i], &a->scenario);
        }
    }
    if (status == CLI_EXIT_OK) status = cli_scenario_given("search", a->scenario);
    if (status == CLI_EXIT_OK && !a->seeds_text) {
        cli_error("search: which seeds? (--seeds 1..1000)");
        status = CLI_EXIT_USAGE;
    }
    return status;
}

/* What the workers and the parent share. */
struct search {
    const struct search_args *a;
    const char *path;   /* the scenario file */
    uint64_t *seeds;    /* this shard's, in --seeds order */
    size_t seed_count;
    struct cli_run_result *results; /* seed_count slots, filled as runs come back */
    size_t done;
    size_t failing;
};

static void progress(const struct search *s)
{
    if (isatty(STDERR_FILENO))
        fprintf(stderr, "\rmurphy: search %zu/%zu seeds, %zu failing%s", s->done,
                s->seed_count, s->failing, s->done == s->seed_count ? "\n" : "");
}

static int run_seed(const struct search *s, uint64_t seed, const char *db_path,
                    struct cli_run_result *out)
{
    return cli_run_once(s->path, s->a->overrides, s->a->override_count, seed, db_path, NULL,
                        out);
}

static bool keep(struct search *s, size_t index, const struct cli_run_result *r)
{
    if (index >= s->seed_count || s->seeds[index] != r->seed) return false;
    s->results[index] = *r;
    s->done++;
    if (strcmp(r->status, "violated") == 0) s->failing++;
    progress(s);
    return true;
}

/* A worker: seeds j, j+J, ... of the shard; each result prefixed by its index. */
static int worker(void *ctx, size_t j, int fd)
{
    struct search *s = ctx;
    for (size_t k = j; k < s->seed_count; k += (size_t)s->a->jobs) {
        if (s->results[k].status[0]) continue; /* resumed: run before */
        struct {
            uint64_t index;
            struct cli_run_result result;
        } record;
        memset(&record, 0, sizeof record); /* padding too: the bytes go down a pipe */
        record.index = k;
        int status = run_seed(s, s->seeds[k], NULL, &record.result);
        if (status != CLI_EXIT_OK) return status;
        if (!cli_worker_send(fd, &record, sizeof record)) return CLI_EXIT_IO;
    }
    return CLI_EXIT_OK;
}

static bool receive(void *ctx, const unsigned char *bytes, size_t len)
{
    struct {
        uint64_t index;
        struct cli_run_result result;
    } record;
    if (len != sizeof record) return false;
    memcpy(&record, bytes, sizeof record);
    struct cli_run_result *r = &record.result;
    if (!memchr(r->status, '\0', sizeof r->status) ||
        !memchr(r->first_violation_source, '\0', sizeof r->first_violation_source) ||
        !memchr(r->first_violation_text, '\0', sizeof r->first_violation_text))
        return false;
    return keep(ctx, (size_t)record.index, r);
}

static int run_all(struct search *s)
{
    if (s->a->jobs > 1) {
        struct cli_workers w = {(size_t)s->a->jobs, "search", s, worker, receive};
        int status = cli_workers_run(&w);
        if (status == CLI_EXIT_OK && !cli_interrupt && s->done != s->seed_count) {
            cli_error("search: %zu of %zu runs came back", s->done, s->seed_count);
            status = CLI_EXIT_IO;
        }
        return status;
    }
    for (size_t k = 0; k < s->seed_count; k++) {
        if (s->results[k].status[0]) continue; /* resumed: run before */
        struct cli_run_result r;
        int status = run_seed(s, s->seeds[k], NULL, &r);
        if (status != CLI_EXIT_OK) return status;
        keep(s, k, &r);
    }
    return CLI_EXIT_OK;
}

/* Records a failing seed (unless a resumed search did: first->run_id) and prints it;
 * returns an exit status. */
static int record_failing(const struct search *s, struct cli_run_result *first)
{
    struct cli_run_result again = *first;
    int status = first->run_id ? CLI_EXIT_OK : run_seed(s, first->seed, s->a->db_path, &again);
    if (status != CLI_EXIT_OK) return status;
    first->run_id = again.run_id;
    if (again.event_hash != first->event_hash || strcmp(again.status, first->status) != 0) {
        cli_error("search: seed %" PRIu64 " ran differently when recorded (hash %016" PRIx64
                  " %s, then %016" PRIx64 " %s): the run is not a function of its seed",
                  first->seed, first->event_hash, first->status, again.event_hash,
                  again.status);
        return CLI_EXIT_DIVERGED;
    }
    char source[CLI_RUN_SOURCE_BYTES * 4], text[CLI_RUN_TEXT_BYTES * 4];
    printf("seed %" PRIu64 ": violated (%" PRIu64 " violations), first at seq %" PRIu64
           " (%s): %s\n", first->seed, first->violations, first->first_violation_seq,
           cli_safe(first->first_violation_source, source, sizeof source),
           cli_safe(first->first_violation_text, text, sizeof text));
    printf("  run: %" PRId64 " in %s\n  ", again.run_id, s->a->db_path);
    cli_print_reproduce(stdout, s->path, first->seed, (char *const *)s->a->overrides,
                        s->a->override_count, NULL, UINT64_MAX);
    return CLI_EXIT_OK;
}

static double wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The key's overrides: the --set arguments in order, one per line. */
static int join_overrides(const char *const *overrides, size_t count, struct search_key *key)
{
    size_t bytes = 1;
    for (size_t i = 0; i < count; i++) bytes += strlen(overrides[i]) + 1;
    char *out = malloc(bytes);
    if (!out) return CLI_EXIT_IO;
    size_t at = 0;
    for (size_t i = 0; i < count; i++) {
        size_t n = strlen(overrides[i]);
        memcpy(out + at, overrides[i], n);
        out[at + n] = '\n';
        at += n + 1;
    }
    out[at] = '\0';
    key->overrides = out;
    return CLI_EXIT_OK;
}

/* This shard's seeds: those equal to K modulo N, in --seeds order. */
static int shard_seeds(const struct search_args *a, struct search *s)
{
    uint64_t *all = NULL;
    size_t count = 0;
    if (cli_parse_seeds(a->seeds_text, &all, &count) != 0) return CLI_EXIT_USAGE;
    s->seed_count = 0;
    for (size_t i = 0; i < count; i++)
        if (all[i] % a->shard_n == a->shard_k % a->shard_n)
            all[s->seed_count++] = all[i]; /* i >= seed_count: never overwrites one unread */
    s->seeds = all;
    s->results = calloc(s->seed_count ? s->seed_count : 1, sizeof *s->results);
    return s->results ? CLI_EXIT_OK : CLI_EXIT_IO;
}

int cmd_search(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return CLI_EXIT_OK;
    }
    struct search_args a;
    int status = parse_args(argc, argv, &a);
    if (status != CLI_EXIT_OK) return status;
    char path[4096];
    /* load once before any run, so a bad scenario or --set fails fast, named */
    struct sim_scenario scn;
    status = cli_load_scenario(a.scenario, a.overrides, a.override_count, path, sizeof path,
                               &scn);
    if (status != CLI_EXIT_OK) return status;
    sim_scn_free(&scn);
    struct search s = {.a = &a, .path = path};
    status = shard_seeds(&a, &s);
    struct search_key key = {cli_read_file(path), NULL, cli_model_libs_record()};
    size_t resumed = 0;
    if (status == CLI_EXIT_OK && !key.scenario_text) {
        cli_error("%s: cannot read it", path);
        status = CLI_EXIT_USAGE;
    }
    if (status == CLI_EXIT_OK) status = join_overrides(a.overrides, a.override_count, &key);
    if (status == CLI_EXIT_OK)
        status = search_progress_load(a.db_path, &key, s.seeds, s.seed_count, s.results,
                                      &resumed);
    for (size_t k = 0; status == CLI_EXIT_OK && k < s.seed_count; k++) {
        s.done += s.results[k].status[0] != '\0';
        s.failing += strcmp(s.results[k].status, "violated") == 0;
    }
    if (status == CLI_EXIT_OK && resumed)
        printf("resumed: %zu of %zu done (progress in %s)\n", resumed, s.seed_count, a.db_path);
    double started = wall_s();
    if (status == CLI_EXIT_OK) {
        cli_catch_signals();
        if (a.jobs > s.seed_count) a.jobs = s.seed_count ? s.seed_count : 1;
        if (!a.is_quiet)
            fprintf(stderr, "murphy: searching %s: %zu seeds (shard %" PRIu64 "/%" PRIu64
                    "), %" PRIu64 " jobs\n", path, s.seed_count, a.shard_k, a.shard_n, a.jobs);
        status = run_all(&s);
        if (cli_interrupt) status = 128 + (int)cli_interrupt;
    }
    double wall = wall_s() - started;
    size_t failing = 0, recorded = 0;
    for (size_t k = 0; status == CLI_EXIT_OK && k < s.seed_count; k++) {
        if (strcmp(s.results[k].status, "violated") != 0) continue;
        if (failing++ < a.keep) {
            status = record_failing(&s, &s.results[k]);
            recorded++;
        } else {
            /* past --keep: the seed's number only, on one line with the others */
            printf("%s%" PRIu64, failing == a.keep + 1 ? "not recorded (--keep): seeds " : ",",
                   s.results[k].seed);
        }
        if (cli_interrupt) status = 128 + (int)cli_interrupt;
    }
    if (failing > a.keep) printf("\n");
    if (status > 128) { /* interrupted: keep what is done for the same command */
        int saved = search_progress_save(a.db_path, &key, s.results, s.seed_count);
        if (saved != CLI_EXIT_OK) status = saved;
        else
            fprintf(stderr, "murphy: search interrupted: %zu of %zu seeds done, stored in %s;"
                    " run the same command again to resume\n", s.done, s.seed_count,
                    a.db_path);
    } else if (status == CLI_EXIT_OK && resumed) {
        status = search_progress_clear(a.db_path, &key);
    }
    if (status == CLI_EXIT_OK) {
        printf("search: %zu seeds, %zu failing", s.seed_count, failing);
        if (wall > 0 && s.seed_count > resumed) /* the seeds run this time */
            printf(", %.1f seeds per second", (double)(s.seed_count - resumed) / wall);
        printf(" (%.3g s searching, %" PRIu64 " jobs)\n", wall, a.jobs);
        if (failing)
            printf("recorded: %zu failing runs in %s%s\n", recorded, a.db_path,
                   recorded < failing ? " (the first, by seed; --keep all for every one)" : "");
        status = failing ? CLI_EXIT_VIOLATED : CLI_EXIT_OK;
    }
    free(s.seeds);
    free(s.results);
    free((char *)key.scenario_text);
    free((char *)key.overrides);
    return status;
}
