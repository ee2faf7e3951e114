/* cli/cmd_run.c - `murphy run`: one scenario, one seed, recorded to SQLite. */
#include "cli.h"
#include "model_libs.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "checks/cause.h"
#include "checks/oracle.h"
#include "analysis/metrics.h"
#include "models/models.h"
#include "sim/world.h"

#define OVERRIDES_MAX 256

static const char usage[] =
    "usage: murphy run SCENARIO [--seed N] [--set SECTION.KEY=VALUE]... [--db FILE]\n"
    "                  [--no-db] [--stop-at SEQ] [--quiet] [--check-determinism]\n"
    "                  [--model-lib FILE.so]...\n"
    "\n"
    "Runs SCENARIO (a path, or a name found by `murphy list`) with one seed and records\n"
    "every event to the database (default murphy.db). Prints the run id, the event-stream\n"
    "hash, a short report and the command that reproduces the run.\n"
    "\n"
    "  --seed N        the run's seed, in [0, 2^63); default 1\n"
    "  --set K=V       override any scenario key, e.g. --set link.default.loss=5%\n"
    "                  (K is SECTION.KEY; the section may contain dots: link.a->b.loss)\n"
    "  --db FILE       the database to append the run to; default murphy.db\n"
    "  --no-db         record nothing (the hash is the same either way); the run's\n"
    "                  metrics are printed as `metric: NAME VALUE UNIT` lines instead\n"
    "  --stop-at SEQ   stop at the step that emits event SEQ; the run is incomplete. Under\n"
    "                  a debugger, `break sim_debug_break` stops just before SEQ is emitted\n"
    "  --quiet         print only the hash line and the reproducing command\n"
    "  --check-determinism  then replay the run in a fresh process (murphy replay) and\n"
    "                  name the first event that differs; exit 4 if any does\n"
    "  --model-lib FILE.so  load models (and oracles) from a library built against\n"
    "                  libmurphy; its path and SHA-256 are recorded with the run\n"
    "\n"
    "exit status: 0 ok, 1 an invariant was violated, 2 bad usage or scenario,\n"
    "3 database error, 128+N killed by signal N (the run is kept, marked incomplete)\n";

struct run_args {
    const char *scenario;
    uint64_t seed;
    const char *overrides[OVERRIDES_MAX];
    size_t override_count;
    const char *db_path;
    uint64_t stop_at_seq;
    bool is_quiet;
    bool is_checking_determinism;
};

static int parse_args(int argc, char **argv, struct run_args *a)
{
    *a = (struct run_args){.seed = 1, .db_path = "murphy.db", .stop_at_seq = UINT64_MAX};
    int status = CLI_EXIT_OK;
    for (int i = 1; i < argc && status == CLI_EXIT_OK; i++) {
        const char *v = NULL;
        if (cli_opt(argc, argv, &i, "--seed", &v, &status)) {
            if (v && cli_parse_seed(v, &a->seed) != 0) status = CLI_EXIT_USAGE;
        } else if (cli_opt(argc, argv, &i, "--set", &v, &status)) {
            if (!v) break;
            if (a->override_count == OVERRIDES_MAX) {
                cli_error("more than %d --set options", OVERRIDES_MAX);
                status = CLI_EXIT_USAGE;
            } else a->overrides[a->override_count++] = v;
        } else if (cli_opt(argc, argv, &i, "--db", &v, &status)) {
            a->db_path = v;
        } else if (cli_opt(argc, argv, &i, "--stop-at", &v, &status)) {
            if (v && cli_parse_u64(v, "--stop-at", &a->stop_at_seq) != 0) status = CLI_EXIT_USAGE;
        } else if (strcmp(argv[i], "--no-db") == 0) {
            a->db_path = NULL;
        } else if (strcmp(argv[i], "--quiet") == 0) {
            a->is_quiet = true;
        } else if (strcmp(argv[i], "--check-determinism") == 0) {
            a->is_checking_determinism = true;
        } else {
            status = cli_scenario_arg("run", argv[i], &a->scenario);
        }
    }
    if (status == CLI_EXIT_OK && a->is_checking_determinism && !a->db_path) {
        cli_error("run: --check-determinism compares against the record; drop --no-db");
        status = CLI_EXIT_USAGE;
    }
    if (status == CLI_EXIT_OK) status = cli_scenario_given("run", a->scenario);
    return status;
}

struct run_state {
    struct sim_recorder *rec;
    struct oracle_set *oracles;
    struct an_accs *accs;
    bool is_quiet;
};

/* An oracle's violation: recorded, and told on stderr as it happens (with --no-db it is
 * the only trace). */
static void oracle_violation(void *ctx, const struct sim_event *at, const char *oracle,
                             const char *text)
{
    struct run_state *st = ctx;
    char source[64];
    snprintf(source, sizeof source, "oracle:%s", oracle);
    if (st->rec) sim_rec_violation(st->rec, at, source, text);
    if (!st->is_quiet) fprintf(stderr, "murphy: violation (%s) at seq %" PRIu64 ": %s\n",
                               source, at->seq, text);
}

static void oracle_metric(void *ctx, const char *name, double value, const char *unit)
{
    struct run_state *st = ctx;
    if (st->rec) sim_rec_metric(st->rec, name, value, unit);
    /* with --no-db nothing else keeps them: printed, exactly (%.17g round-trips) */
    else if (!st->is_quiet) {
        char safe[1024];
        printf("metric: %s %.17g %s\n", cli_safe(name, safe, sizeof safe), value, unit);
    }
}

static void oracle_annotate(void *ctx, const struct sim_event *at, const char *kind,
                            const char *text)
{
    struct run_state *st = ctx;
    if (st->rec) sim_rec_annotate(st->rec, at->seq, at->node, kind, text);
}

static void label_cause(void *ctx, uint64_t seq, uint32_t node, uint64_t msg_id, enum cause c)
{
    (void)msg_id;
    struct run_state *st = ctx;
    if (st->rec) sim_rec_annotate(st->rec, seq, node, "timeout_cause", cause_name(c));
}

static const char *status_of(enum sim_run_end end, uint64_t violations)
{
    if (end == SIM_END_NO_MEMORY) return "error";
    if (end == SIM_END_INTERRUPTED || end == SIM_END_STOP_AT) return "incomplete";
    return violations ? "violated" : "ok";
}

static int finish(struct sim_world *world, struct run_state *st, enum sim_run_end end,
                  int64_t run_id, const struct run_args *a, const char *path)
{
    struct sim_recorder *rec = st->rec;
    oracle_set_finish(st->oracles, sim_world_now_ns(world));
    struct an_metric_sink sink = {st, oracle_metric};
    an_accs_finish(st->accs, sim_world_now_ns(world), &sink);
    uint64_t violations =
        sim_world_violation_count(world) + oracle_set_violation_count(st->oracles);
    const char *status = status_of(end, violations);
    uint64_t hash = sim_world_hash(world);
    int exit_status = strcmp(status, "violated") == 0 ? CLI_EXIT_VIOLATED : CLI_EXIT_OK;
    if (end == SIM_END_NO_MEMORY) {
        cli_error("out of memory at event %" PRIu64 " (%.3f s simulated): the run stops there,"
                  " marked error", sim_world_event_count(world),
                  (double)sim_world_now_ns(world) * 1e-9);
        exit_status = CLI_EXIT_IO;
    }
    /* what stdout says after `status:`: how the run ended or, when the record failed, why;
     * stdout and the record must agree (the record says `error` then) */
    char reason[SIM_DIAG_MESSAGE_MAX + 32];
    snprintf(reason, sizeof reason, "%s", sim_run_end_name(end));
    if (rec) {
        char ended_at[32];
        cli_now_iso(ended_at, sizeof ended_at);
        struct sim_run_result result = {
            .status = status, .end_reason = sim_run_end_name(end), .ended_at = ended_at,
            .end_ns = sim_world_now_ns(world), .event_count = sim_world_event_count(world),
            .event_hash = hash, .violation_count = violations,
            .clamp_count = sim_world_clamp_count(world),
        };
        struct sim_diag diag;
        if (sim_rec_end_run(rec, &result, &diag) != 0) {
            cli_error("%s: %s", a->db_path, diag.message);
            exit_status = CLI_EXIT_IO;
            status = "error";
            snprintf(reason, sizeof reason, "recording failed: %s", diag.message);
        }
    }
    if (exit_status != CLI_EXIT_IO && !a->is_quiet && rec) {
        int rc = cli_report_run(a->db_path, (uint64_t)run_id);
        if (rc != CLI_EXIT_OK) exit_status = rc;
        putchar('\n');
    }
    if (rec) printf("run: %" PRId64 " in %s\n", run_id, a->db_path);
    printf("status: %s (%s)\nevents: %" PRIu64 "\nhash: %016" PRIx64 "\n", status, reason,
           sim_world_event_count(world), hash);
    cli_print_reproduce(stdout, path, a->seed, (char *const *)a->overrides, a->override_count,
                        a->db_path, a->stop_at_seq);
    if (end == SIM_END_INTERRUPTED) return 128 + (int)cli_interrupt;
    return exit_status;
}

/* Replays the run just recorded in a fresh process: a second run in this process would
 * hide the usual culprits (statics, uninitialised memory, addresses). */
static int check_determinism(const char *db_path, int64_t run_id)
{
    char run[32];
    snprintf(run, sizeof run, "%" PRId64, run_id);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        cli_error("--check-determinism: cannot start a second process");
        return CLI_EXIT_IO;
    }
    if (pid == 0) {
        /* the same libraries, by the paths recorded: replay checks their SHA-256 again */
        char *argv[6 + 2 * CLI_MODEL_LIBS_MAX + 1] = {"murphy", "replay", (char *)db_path,
                                                      "--run", run};
        size_t argc = 5;
        for (size_t i = 0; i < cli_model_lib_count(); i++) {
            argv[argc++] = "--model-lib";
            argv[argc++] = (char *)cli_model_lib_path(i);
        }
        argv[argc] = NULL;
        execv("/proc/self/exe", argv);
        _exit(CLI_EXIT_IO);
    }
    int wstatus = 0;
    while (waitpid(pid, &wstatus, 0) < 0) {}
    if (!WIFEXITED(wstatus)) return CLI_EXIT_IO;
    return WEXITSTATUS(wstatus);
}

int cmd_run(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return CLI_EXIT_OK;
    }
    struct run_args a;
    int status = parse_args(argc, argv, &a);
    if (status != CLI_EXIT_OK) return status;
    char path[4096];
    struct sim_scenario scn;
    status = cli_load_scenario(a.scenario, a.overrides, a.override_count, path, sizeof path,
                               &scn);
    if (status != CLI_EXIT_OK) return status;
    struct sim_diag diag;
    struct run_state st = {.is_quiet = a.is_quiet};
    struct sim_world *world = NULL;
    struct cause_oracle *oracle = cause_oracle_create(label_cause, &st);
    struct oracle_report report = {&st, oracle_violation, oracle_metric, oracle_annotate};
    st.oracles = oracle_set_create(&report, &scn);
    struct an_run_shape shape = {scn.node_count, scn.duration_ns};
    st.accs = an_accs_create(&shape);
    if (!st.oracles || !st.accs) {
        cause_oracle_destroy(oracle);
        oracle = NULL;
    }
    int64_t run_id = 0;
    int rc = oracle ? sim_world_create(&scn, a.seed, &world, &diag)
                    : sim_diag_set(&diag, SIM_ENOMEM, path, 0, 0,
                                   "out of memory creating the oracles");
    if (rc == SIM_OK && a.db_path) {
        struct sim_run_meta meta;
        struct cli_meta_buf buf;
        cli_run_meta(&meta, &buf);
        rc = cli_rec_open(a.db_path, &st.rec, &diag);
        if (rc == SIM_OK) rc = sim_rec_begin_run(st.rec, world, &meta, &run_id, &diag);
        if (rc != SIM_OK) snprintf(diag.file, sizeof diag.file, "%s", a.db_path);
    }
    if (rc == SIM_OK) {
        if (st.rec) {
            struct sim_observer rec_obs = sim_rec_observer(st.rec);
            sim_world_add_observer(world, &rec_obs);
        }
        struct sim_observer oracle_obs = cause_oracle_observer(oracle);
        sim_world_add_observer(world, &oracle_obs);
        struct sim_observer oracles_obs = oracle_set_observer(st.oracles);
        sim_world_add_observer(world, &oracles_obs);
        struct sim_observer accs_obs = an_accs_observer(st.accs);
        sim_world_add_observer(world, &accs_obs);
        cli_catch_signals();
        if (!a.is_quiet)
            fprintf(stderr, "murphy: running %s (%s), seed %" PRIu64 "\n", scn.name, path, a.seed);
        enum sim_run_end end = sim_world_run(world, a.stop_at_seq, &cli_interrupt);
        status = finish(world, &st, end, run_id, &a, path);
        if (a.is_checking_determinism && end != SIM_END_INTERRUPTED &&
            (status == CLI_EXIT_OK || status == CLI_EXIT_VIOLATED)) {
            sim_rec_close(st.rec); /* the replay reads everything this run wrote */
            st.rec = NULL;
            int replay_status = check_determinism(a.db_path, run_id);
            if (replay_status != CLI_EXIT_OK) status = replay_status;
        }
    } else {
        char text[2048];
        sim_diag_format(&diag, text, sizeof text);
        fprintf(stderr, "%s\n", text);
        status = cli_exit_for(rc);
    }
    sim_rec_close(st.rec);
    cause_oracle_destroy(oracle);
    oracle_set_destroy(st.oracles);
    an_accs_destroy(st.accs);
    sim_world_destroy(world);
    sim_scn_free(&scn);
    return status;
}
