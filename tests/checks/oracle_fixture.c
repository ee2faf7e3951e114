/* tests/checks/oracle_fixture.c - feeds synthetic events to one oracle and keeps its
 * report; see oracle_fixture.h. Events get dense seqs in feeding order, as in a run. */
#include "oracle_fixture.h"

#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "models/models.h"

static void on_violation(void *ctx, const struct sim_event *at, const char *oracle,
                         const char *text)
{
    struct feed *f = ctx;
    cr_assert_str_eq(oracle, f->def->name);
    f->violation_count++;
    f->last_seq = at->seq;
    snprintf(f->last_text, sizeof f->last_text, "%s", text);
}

static void on_metric(void *ctx, const char *name, double value, const char *unit)
{
    struct feed *f = ctx;
    cr_assert_str_eq(unit, "count");
    cr_assert_lt(f->metric_count, FEED_METRICS_MAX, "more metrics than kept: %s", name);
    snprintf(f->metric_name[f->metric_count], sizeof f->metric_name[0], "%s", name);
    f->metric_value[f->metric_count++] = value;
}

static void on_annotate(void *ctx, const struct sim_event *at, const char *kind,
                        const char *text)
{
    struct feed *f = ctx;
    f->annotation_count++;
    f->last_annotation_seq = at->seq;
    snprintf(f->last_annotation, sizeof f->last_annotation, "%s: %s", kind, text);
}

void feed_open(struct feed *f, const struct oracle_def *def, const char *scenario_text)
{
    memset(f, 0, sizeof *f);
    f->def = def;
    f->report = (struct oracle_report){f, on_violation, on_metric, on_annotate};
    if (scenario_text) {
        struct sim_diag diag;
        cr_assert_eq(sim_scn_load_text("t.ini", scenario_text, strlen(scenario_text), NULL, 0,
                                       models_builtin(), &f->scn, &diag), 0, "%s",
                     diag.message);
        f->has_scn = true;
    }
    f->oracle = def->create(&f->report, f->has_scn ? &f->scn : NULL);
    cr_assert_not_null(f->oracle);
}

void feed_close(struct feed *f)
{
    f->def->destroy(f->oracle);
    if (f->has_scn) sim_scn_free(&f->scn);
}

void feed_finish(struct feed *f, int64_t end_ns)
{
    f->def->finish(f->oracle, end_ns);
}

uint64_t feed_event(struct feed *f, struct sim_event ev, const char *text)
{
    ev.seq = f->seq++;
    struct sim_event_text texts = {{text, NULL, NULL}};
    f->def->on_event(f->oracle, &ev, &texts);
    return ev.seq;
}

uint64_t feed_claim(struct feed *f, uint32_t node, int64_t time_ns, const char *name,
                    int64_t a, int64_t b)
{
    return feed_event(f, (struct sim_event){.time_ns = time_ns, .node = node,
                                            .peer = SIM_NODE_NONE, .kind = SIM_EV_CLAIM,
                                            .obj = (uint64_t)a, .ref = (uint64_t)b},
                      name);
}

double feed_metric(const struct feed *f, const char *name)
{
    for (size_t i = 0; i < f->metric_count; i++)
        if (strcmp(f->metric_name[i], name) == 0) return f->metric_value[i];
    cr_assert_fail("no metric %s", name);
    return -1;
}
