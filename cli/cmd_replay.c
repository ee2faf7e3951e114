/* cli/cmd_replay.c - `murphy replay`: re-executes a recorded run from its stored scenario
 * text, overrides and seed, and compares the new event stream with the recorded one event
 * by event. Reports identity only: an identical replay of a violated run exits 0. */
#include "cli.h"
#include "model_libs.h"

#include <inttypes.h>
#include <string.h>

#include "models/models.h"
#include "sim/world.h"

static const char usage[] =
    "usage: murphy replay DB [--run ID] [--model-lib FILE.so]...\n"
    "\n"
    "Re-runs a recorded run (the newest when --run is not given) from the scenario text,\n"
    "overrides and seed stored with it, and compares every event with the record.\n"
    "Prints 'identical' and exits 0, or names the first event that differs, with what was\n"
    "recorded and what happened now, and exits 4. Says when the program version or the\n"
    "platform differ from the recording's.\n"
    "\n"
    "A run made with --model-lib replays only with the same libraries given again: one\n"
    "missing, or with another SHA-256 than recorded, is refused (exit 4, naming both).\n";

struct comparator {
    struct an_event_iter *it;
    bool has_diverged;
    bool has_ended;           /* the record ran out before the new run did */
    bool has_read_error;
    struct sim_event expected;
    struct sim_event actual;
    char err[AN_ERR_BYTES];
    volatile sig_atomic_t stop;
    uint64_t compared;
};

static void compare(void *ctx, const struct sim_event *ev, const struct sim_event_text *text)
{
    (void)text;
    struct comparator *c = ctx;
    if (c->stop) return;
    int rc = an_events_next(c->it, &c->expected, c->err, sizeof c->err);
    c->actual = *ev;
    if (rc < 0) c->has_read_error = true;
    else if (rc == 0) c->has_ended = true;
    else if (!sim_event_equal(&c->expected, ev)) c->has_diverged = true;
    else {
        c->compared++;
        return;
    }
    c->stop = 1;
}

static void print_event(const char *label, const struct sim_event *ev)
{
    char t[40];
    const char *aux = sim_event_aux_name(ev->kind, ev->aux);
    printf("  %-9s seq %" PRIu64 " time %s node %" PRId64 " %s%s%s peer %" PRId64 " obj %" PRIu64
           " ref %" PRIu64 " arg %" PRId64 " mono %" PRId64 " wall %" PRId64 "\n", label, ev->seq,
           an_format_time(ev->time_ns, t, sizeof t),
           ev->node == SIM_NODE_NONE ? (int64_t)-1 : (int64_t)ev->node,
           sim_event_kind_name(ev->kind) ? sim_event_kind_name(ev->kind) : "?", aux ? "/" : "",
           aux ? aux : "", ev->peer == SIM_NODE_NONE ? (int64_t)-1 : (int64_t)ev->peer, ev->obj,
           ev->ref, ev->arg, ev->mono_ns, ev->wall_ns);
}

static void print_differences(const struct an_run *run)
{
    char safe[256];
    if (strcmp(run->program_version, MURPHY_VERSION) != 0)
        printf("note: recorded by murphy %s, replayed by murphy %s\n",
               cli_safe(run->program_version, safe, sizeof safe), MURPHY_VERSION);
    if (run->hash_format != SIM_HASH_FORMAT_VERSION)
        printf("note: recorded under hash format %d, this murphy uses %d\n", run->hash_format,
               SIM_HASH_FORMAT_VERSION);
    if (strcmp(run->platform, "linux-x86_64-glibc") != 0)
        printf("note: recorded on platform %s, replayed on linux-x86_64-glibc\n",
               cli_safe(run->platform, safe, sizeof safe));
}

/* Compares the finished replay with the record; returns the exit status. */
static int verdict(struct comparator *c, const struct an_run *run, struct sim_world *world)
{
    if (c->has_read_error) {
        cli_error("%s", c->err);
        return CLI_EXIT_IO;
    }
    if (c->has_diverged) {
        printf("diverged at seq %" PRIu64 " (the %" PRIu64 " events before it are identical)\n",
               c->expected.seq, c->compared);
        print_event("recorded", &c->expected);
        print_event("replayed", &c->actual);
        return CLI_EXIT_DIVERGED;
    }
    bool is_incomplete = strcmp(run->status, "ok") != 0 && strcmp(run->status, "violated") != 0;
    if (c->has_ended) {
        if (is_incomplete) {
            char status[64];
            printf("identical for all %" PRIu64 " recorded events (the recorded run is %s: it "
                   "stopped at seq %" PRIu64 ")\n", c->compared,
                   cli_safe(run->status, status, sizeof status), c->actual.seq);
            return CLI_EXIT_OK;
        }
        printf("diverged at seq %" PRIu64 ": the record ends there, the replay goes on\n",
               c->actual.seq);
        print_event("replayed", &c->actual);
        return CLI_EXIT_DIVERGED;
    }
    struct sim_event extra;
    int more = an_events_next(c->it, &extra, c->err, sizeof c->err);
    if (more < 0) { /* a damaged row after the last one compared */
        cli_error("%s", c->err);
        return CLI_EXIT_IO;
    }
    if (more > 0) {
        printf("diverged at seq %" PRIu64 ": the replay ended, the record goes on\n", extra.seq);
        print_event("recorded", &extra);
        return CLI_EXIT_DIVERGED;
    }
    uint64_t hash = sim_world_hash(world);
    if (!is_incomplete && run->has_hash && hash != run->event_hash) {
        printf("diverged: every event matches but the hash differs (recorded %016" PRIx64
               ", replayed %016" PRIx64 ")\n", run->event_hash, hash);
        return CLI_EXIT_DIVERGED;
    }
    char name[256], status[64];
    printf("identical: %" PRIu64 " events, hash %016" PRIx64 " (run %" PRId64 ", %s, seed %"
           PRIu64 ", recorded status %s)\n", c->compared, hash, run->id,
           cli_safe(run->scenario, name, sizeof name), run->seed,
           cli_safe(run->status, status, sizeof status));
    return CLI_EXIT_OK;
}

static int replay_run(struct an_db *db, const struct an_run *run)
{
    struct sim_scenario scn;
    struct sim_diag diag;
    int rc = sim_scn_load_text(run->scenario_path, run->scenario_text, run->scenario_text_bytes,
                               (const char *const *)run->overrides, run->override_count,
                               cli_models(), &scn, &diag);
    if (rc != SIM_OK) {
        fprintf(stderr, "murphy: the stored scenario of run %" PRId64 " no longer loads:\n",
                run->id);
        cli_diag_overrides(&diag, (const char *const *)run->overrides, run->override_count);
        return CLI_EXIT_DIVERGED;
    }
    struct comparator c = {0};
    struct sim_world *world = NULL;
    int status = CLI_EXIT_IO;
    if (an_events_open(db, run, &c.it, c.err, sizeof c.err) != 0) {
        cli_error("%s", c.err);
    } else if (sim_world_create(&scn, run->seed, &world, &diag) != SIM_OK) {
        cli_diag(&diag);
    } else {
        struct sim_observer obs = {&c, compare};
        sim_world_add_observer(world, &obs);
        sim_world_run(world, UINT64_MAX, &c.stop);
        status = verdict(&c, run, world);
    }
    an_events_close(c.it);
    sim_world_destroy(world);
    sim_scn_free(&scn);
    return status;
}

int cmd_replay(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return CLI_EXIT_OK;
    }
    const char *db_path = NULL;
    uint64_t run_id = 0;
    int status = cli_parse_db_args(argc, argv, "replay", &db_path, &run_id);
    if (status != CLI_EXIT_OK) return status;
    struct an_db *db = NULL;
    struct an_run run;
    status = cli_open_run(db_path, run_id, &db, &run);
    if (status != CLI_EXIT_OK) return status;
    print_differences(&run);
    status = cli_model_libs_match(run.model_libs);
    if (status == CLI_EXIT_OK) status = replay_run(db, &run);
    an_run_free(&run);
    an_db_close(db);
    return status;
}
