/* cli/run_once.c - one run in-process with its oracles and accumulators, recorded or not;
 * see run_once.h. Moved here from cmd_sweep.c so that sweep and search execute a run the
 * same way (and the same way `murphy run` does: the hashes agree). */
#include "run_once.h"

#include <inttypes.h>
#include <stdlib.h>
#include <time.h>
#include <stdio.h>
#include <string.h>

#include "analysis/metrics.h"
#include "checks/cause.h"
#include "checks/oracle.h"
#include "cli.h"
#include "model_libs.h"
#include "models/models.h"
#include "sim/world.h"

struct run_sink {
    struct cli_run_result *out;
    struct sim_recorder *rec; /* what `murphy run` records; NULL without a database */
    const struct cli_run_metrics *metrics;
    const struct cli_run_violations *violations; /* NULL: only the first is kept */
};

/* Keeps the violation at the lowest seq: oracles may report one at an earlier event than
 * the one being observed, so arrival order is not seq order. */
static void note_violation(struct run_sink *sink, uint64_t seq, const char *source,
                           const char *text)
{
    struct cli_run_result *out = sink->out;
    if (sink->violations) sink->violations->violation(sink->violations->ctx, seq, source, text);
    if (out->has_first_violation && out->first_violation_seq <= seq) return;
    out->has_first_violation = true;
    out->first_violation_seq = seq;
    snprintf(out->first_violation_source, sizeof out->first_violation_source, "%s", source);
    snprintf(out->first_violation_text, sizeof out->first_violation_text, "%s",
             text ? text : "");
}

static void on_violation(void *ctx, const struct sim_event *at, const char *oracle,
                         const char *text)
{
    struct run_sink *sink = ctx; /* counted by the oracle set */
    char source[CLI_RUN_SOURCE_BYTES];
    snprintf(source, sizeof source, "oracle:%s", oracle);
    if (sink->rec) sim_rec_violation(sink->rec, at, source, text);
    note_violation(sink, at->seq, source, text);
}

/* A model's murphy_violation travels in the event stream (the recorder stores it as
 * source "model"); watched here so that an unrecorded run can name it too. */
static void on_event(void *ctx, const struct sim_event *ev, const struct sim_event_text *text)
{
    if (ev->kind == SIM_EV_VIOLATION) note_violation(ctx, ev->seq, "model", text->s[0]);
}

static void on_annotate(void *ctx, const struct sim_event *at, const char *kind,
                        const char *text)
{
    struct run_sink *sink = ctx; /* unrecorded, annotations go nowhere */
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
    if (sink->rec) sim_rec_metric(sink->rec, name, value, unit);
    if (sink->metrics) sink->metrics->metric(sink->metrics->ctx, name, value, unit);
}

/* Records the run's end as `murphy run` does. */
static int end_recorded_run(struct sim_recorder *rec, const struct cli_run_result *out,
                            enum sim_run_end end, const char *db_path)
{
    char ended_at[32];
    cli_now_iso(ended_at, sizeof ended_at);
    struct sim_run_result result = {
        .status = out->status, .end_reason = sim_run_end_name(end), .ended_at = ended_at,
        .end_ns = out->end_ns, .event_count = out->event_count,
        .event_hash = out->event_hash, .violation_count = out->violations,
        .clamp_count = out->clamp_count,
    };
    struct sim_diag diag;
    if (sim_rec_end_run(rec, &result, &diag) != 0) {
        cli_error("%s: %s", db_path, diag.message);
        return CLI_EXIT_IO;
    }
    return CLI_EXIT_OK;
}

/* Runs a loaded scenario as cli_run_once describes, and frees it. */
static int run_loaded(struct sim_scenario *scn, uint64_t seed, const char *db_path,
                      const struct cli_run_metrics *metrics,
                      const struct cli_run_violations *violations, struct cli_run_result *out)
{
    struct sim_diag diag;
    struct run_sink sink = {out, NULL, metrics, violations};
    struct oracle_report report = {&sink, on_violation, on_metric, on_annotate};
    struct oracle_set *oracles = oracle_set_create(&report, scn);
    struct an_run_shape shape = {scn->node_count, scn->duration_ns};
    struct an_accs *accs = an_accs_create(&shape);
    /* the timeout-cause labels only annotate the record: unrecorded, not worth their cost */
    struct cause_oracle *causes = db_path ? cause_oracle_create(on_cause, &sink) : NULL;
    struct sim_world *world = NULL;
    int rc = oracles && accs && (causes || !db_path)
                 ? sim_world_create(scn, seed, &world, &diag)
                 : sim_diag_set(&diag, SIM_ENOMEM, scn->path, 0, 0,
                                "out of memory creating the oracles");
    if (rc == SIM_OK && db_path) {
        struct sim_run_meta meta;
        struct cli_meta_buf buf;
        cli_run_meta(&meta, &buf);
        rc = cli_rec_open(db_path, &sink.rec, &diag);
        if (rc == SIM_OK) rc = sim_rec_begin_run(sink.rec, world, &meta, &out->run_id, &diag);
        if (rc != SIM_OK) snprintf(diag.file, sizeof diag.file, "%s", db_path);
    }
    int status = CLI_EXIT_OK;
    if (rc == SIM_OK) {
        /* the observers in the order `murphy run` adds them */
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
        struct sim_observer violation_obs = {&sink, on_event};
        sim_world_add_observer(world, &violation_obs);
        enum sim_run_end end = sim_world_run(world, UINT64_MAX, &cli_interrupt);
        int64_t end_ns = sim_world_now_ns(world);
        oracle_set_finish(oracles, end_ns);
        struct an_metric_sink metric_sink = {&sink, on_metric};
        an_accs_finish(accs, end_ns, &metric_sink);
        out->violations = sim_world_violation_count(world) + oracle_set_violation_count(oracles);
        out->event_hash = sim_world_hash(world);
        out->event_count = sim_world_event_count(world);
        out->end_ns = end_ns;
        out->clamp_count = sim_world_clamp_count(world);
        bool is_incomplete = end == SIM_END_INTERRUPTED || end == SIM_END_STOP_AT;
        snprintf(out->status, sizeof out->status, "%s",
                 end == SIM_END_NO_MEMORY ? "error"
                 : is_incomplete          ? "incomplete"
                 : out->violations        ? "violated"
                                          : "ok");
        if (sink.rec) status = end_recorded_run(sink.rec, out, end, db_path);
        if (end == SIM_END_NO_MEMORY) {
            cli_error("seed %" PRIu64 ": out of memory at event %" PRIu64, seed,
                      out->event_count);
            status = CLI_EXIT_IO;
        }
        if (end == SIM_END_INTERRUPTED) status = 128 + (int)cli_interrupt;
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
    sim_scn_free(scn);
    return status;
}

/* MURPHY_TEST_SLOW_RUN_MS=N: tests of interrupts and resumption make every run of a sweep
 * or search take at least N ms more of wall time, so that a signal lands halfway on a fast
 * machine as on a slow one. It sleeps before the run: nothing simulated changes. */
static void test_throttle(void)
{
    const char *text = getenv("MURPHY_TEST_SLOW_RUN_MS");
    long ms = text ? strtol(text, NULL, 10) : 0;
    if (ms <= 0 || ms > 10000) return;
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && !cli_interrupt) {}
}

int cli_run_once(const char *scenario_path, const char *const *overrides,
                 size_t override_count, uint64_t seed, const char *db_path,
                 const struct cli_run_metrics *metrics, struct cli_run_result *out)
{
    test_throttle();
    memset(out, 0, sizeof *out);
    out->seed = seed;
    struct sim_scenario scn;
    struct sim_diag diag;
    int rc = sim_scn_load(scenario_path, overrides, override_count, cli_models(), &scn,
                          &diag);
    if (rc != SIM_OK) {
        cli_diag_overrides(&diag, overrides, override_count);
        return cli_exit_for(rc);
    }
    return run_loaded(&scn, seed, db_path, metrics, NULL, out);
}

int cli_run_once_text(const char *scenario_path, const char *text, size_t text_bytes,
                      const char *const *overrides, size_t override_count, uint64_t seed,
                      const char *db_path, const struct cli_run_metrics *metrics,
                      const struct cli_run_violations *violations, struct cli_run_result *out)
{
    test_throttle();
    memset(out, 0, sizeof *out);
    out->seed = seed;
    struct sim_scenario scn;
    struct sim_diag diag;
    int rc = sim_scn_load_text(scenario_path, text, text_bytes, overrides, override_count,
                               cli_models(), &scn, &diag);
    if (rc != SIM_OK) {
        cli_diag_overrides(&diag, overrides, override_count);
        return cli_exit_for(rc);
    }
    return run_loaded(&scn, seed, db_path, metrics, violations, out);
}
