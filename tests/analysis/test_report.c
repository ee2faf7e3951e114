/* tests/analysis/test_report.c - what `murphy report` reads back from a record agrees with
 * what the run emitted. How: a scenario runs in-process with the recorder and a counting
 * observer; then the record is read back (an_db, an_events, an_report) and compared with
 * the live counts: every event decodes to exactly what was emitted, message fates match,
 * ops match, and the latency percentiles equal GSL's quantiles over the live latencies. */
#include <criterion/criterion.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis/db.h"
#include "analysis/report.h"
#include "models/models.h"
#include "sim/record.h"
#include "sim/world.h"

static const char scenario[] =
    "[scenario]\nduration = 5s\n"
    "[node.server]\nmodel = echo_server\nservice_time = exponential 1ms\n"
    "[node.client]\nmodel = client\ncount = 2\ntarget = server\ntimeout = 20ms\n"
    "[link.default]\ndelay = lognormal 1ms 0.6\nloss = 2%\nduplicate = 1%\n"
    "[faults]\ngc = at 2s pause server for 300ms\n";

#define EVENTS_MAX 200000

struct live {
    struct sim_event *events;
    size_t count;
    uint64_t sends, delivers, drops, ok_ops;
    int64_t invoke_ns[8192];
    double latency_ns[8192];
};

static void observe(void *ctx, const struct sim_event *ev, const struct sim_event_text *text)
{
    (void)text;
    struct live *l = ctx;
    cr_assert_lt(l->count, EVENTS_MAX);
    l->events[l->count++] = *ev;
    if (ev->kind == SIM_EV_SEND) l->sends++;
    if (ev->kind == SIM_EV_DELIVER) l->delivers++;
    if (ev->kind == SIM_EV_DROP) l->drops++;
    if (ev->kind == SIM_EV_OP_INVOKE && ev->obj < 8192) l->invoke_ns[ev->obj] = ev->time_ns;
    if (ev->kind == SIM_EV_OP_COMPLETE && ev->aux == MURPHY_OP_OK && ev->obj < 8192)
        l->latency_ns[l->ok_ops++] = (double)(ev->time_ns - l->invoke_ns[ev->obj]);
}

static uint64_t fate(const struct an_report *r, const char *name)
{
    for (size_t i = 0; i < r->fate_count; i++)
        if (strcmp(r->fates[i].name, name) == 0) return r->fates[i].count;
    return 0;
}

Test(an_report, record_reads_back_what_the_run_emitted)
{
    char dir[] = "/tmp/murphy-test-report-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char db_path[256];
    snprintf(db_path, sizeof db_path, "%s/r.db", dir);

    struct sim_scenario scn;
    struct sim_diag diag;
    cr_assert_eq(sim_scn_load_text("report.ini", scenario, sizeof scenario - 1, NULL, 0,
                                   models_builtin(), &scn, &diag), 0, "%s", diag.message);
    struct sim_world *world;
    cr_assert_eq(sim_world_create(&scn, 7, &world, &diag), 0);
    struct sim_recorder *rec;
    cr_assert_eq(sim_rec_open(db_path, &rec, &diag), 0, "%s", diag.message);
    struct sim_run_meta meta = {.program_version = "test", .host = "test", .platform = "test"};
    int64_t run_id;
    cr_assert_eq(sim_rec_begin_run(rec, world, &meta, &run_id, &diag), 0);
    static struct live l;
    l.events = calloc(EVENTS_MAX, sizeof *l.events);
    struct sim_observer rec_obs = sim_rec_observer(rec), live_obs = {&l, observe};
    sim_world_add_observer(world, &rec_obs);
    sim_world_add_observer(world, &live_obs);
    sim_world_run(world, UINT64_MAX, NULL);
    struct sim_run_result result = {.status = "ok", .end_reason = "test",
                                    .event_count = sim_world_event_count(world),
                                    .event_hash = sim_world_hash(world)};
    cr_assert_eq(sim_rec_end_run(rec, &result, &diag), 0, "%s", diag.message);
    sim_rec_close(rec);

    struct an_db *db;
    struct an_run run;
    char err[AN_ERR_BYTES];
    cr_assert_eq(an_db_open(db_path, &db, err, sizeof err), 0, "%s", err);
    cr_assert_eq(an_run_load(db, 0, &run, err, sizeof err), 0, "%s", err);
    cr_assert_eq(run.event_count, l.count);
    cr_assert_eq(run.event_hash, sim_world_hash(world));

    struct an_event_iter *it;
    cr_assert_eq(an_events_open(db, &run, &it, err, sizeof err), 0, "%s", err);
    struct sim_event ev;
    size_t n = 0;
    int rc;
    while ((rc = an_events_next(it, &ev, err, sizeof err)) > 0) {
        cr_assert(sim_event_equal(&ev, &l.events[n]), "event %zu decodes differently", n);
        n++;
    }
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_eq(n, l.count);
    an_events_close(it);

    struct an_report r;
    cr_assert_eq(an_report_build(db, &run, &r, err, sizeof err), 0, "%s", err);
    cr_assert_eq(fate(&r, "send"), l.sends);
    cr_assert_eq(fate(&r, "deliver"), l.delivers);
    uint64_t drops = 0;
    for (size_t i = 0; i < r.fate_count; i++)
        if (strncmp(r.fates[i].name, "drop: ", 6) == 0) drops += r.fates[i].count;
    cr_assert_eq(drops, l.drops);
    cr_assert_gt(l.drops, 0, "the scenario loses messages: a floor for the comparison");
    cr_assert_eq(r.op_count, 1);
    cr_assert_eq(r.ops[0].ok, l.ok_ops);
    cr_assert_gt(l.ok_ops, 100, "liveness floor: most operations succeed");
    gsl_sort(l.latency_ns, 1, l.ok_ops);
    for (int q = 0; q < 5; q++)
        cr_assert_float_eq(r.ops[0].latency_ns[q],
                           gsl_stats_quantile_from_sorted_data(l.latency_ns, 1, l.ok_ops,
                                                               an_report_quantiles[q]),
                           1e-9, "quantile %d", q);
    an_run_free(&run);
    an_db_close(db);
    sim_world_destroy(world);
    sim_scn_free(&scn);
    free(l.events);
}
