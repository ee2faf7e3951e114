/* tests/checks/oracle_fixture.h - what the suites of claim-judging oracles share: one
 * oracle (any oracle_def) fed synthetic events one at a time, as a run would feed it,
 * with a report that keeps what the oracle said: how many violations, the last one's
 * seq and text, and every metric by name. Every violation must carry the oracle's name
 * and every metric the unit "count". */
#ifndef TESTS_CHECKS_ORACLE_FIXTURE_H
#define TESTS_CHECKS_ORACLE_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "checks/oracle.h"

#define FEED_METRICS_MAX 8

struct feed {
    const struct oracle_def *def;
    struct oracle_report report; /* the oracle may keep a pointer to it */
    struct sim_scenario scn;     /* when opened with a scenario */
    bool has_scn;
    void *oracle;
    uint64_t seq; /* of the next event fed */
    size_t violation_count;
    uint64_t last_seq; /* of the last violation */
    char last_text[1024];
    size_t annotation_count;
    uint64_t last_annotation_seq;
    char last_annotation[128]; /* "kind: text" */
    size_t metric_count;
    char metric_name[FEED_METRICS_MAX][64];
    double metric_value[FEED_METRICS_MAX];
};

/* Creates def's oracle for the scenario text (models_builtin(); NULL: no scenario, as
 * for oracles that name no node); asserts both succeed. f must stay where it is until
 * feed_close. */
void feed_open(struct feed *f, const struct oracle_def *def, const char *scenario_text);
/* Destroys the oracle (finished or not) and frees the scenario. */
void feed_close(struct feed *f);
/* The run ended at true time end_ns: the oracle reports its metrics. */
void feed_finish(struct feed *f, int64_t end_ns);

/* Feeds a claim `name` (a, b) made by node at true time time_ns; returns its seq. */
uint64_t feed_claim(struct feed *f, uint32_t node, int64_t time_ns, const char *name,
                    int64_t a, int64_t b);
/* Feeds any event (its seq is set here) with text as its first text (NULL: none);
 * returns its seq. */
uint64_t feed_event(struct feed *f, struct sim_event ev, const char *text);

/* The value of the metric called name; asserts the oracle reported it. */
double feed_metric(const struct feed *f, const char *name);

#endif
