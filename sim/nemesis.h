/* sim/nemesis.h - the nemesis: random faults drawn from their own stream.
 *
 * From the scenario's [nemesis] section (struct sim_nemesis_cfg) and one stream, draws
 * faults at random times and appends them to a fault table as if they had been listed:
 * each drawn fault is named nemesis.K (K = 1, 2, ...) and is parsed from its text, a valid
 * [faults] value with exact times ("at 12.5s partition node.0,node.3 / node.1 for 3.2s"),
 * by the scenario's own fault parser. So pasting `nemesis.K = TEXT` lines into [faults]
 * in place of the [nemesis] section gives the same faults, and the same run. */
#ifndef SIM_NEMESIS_H
#define SIM_NEMESIS_H

#include <gsl/gsl_rng.h>

#include "diag.h"
#include "scenario.h"

/* Draws the nemesis's faults from rng (the run's stream "nemesis") and appends them to
 * table (which the caller owns, frees with free(table->faults), and has filled with the
 * scenario's faults first). Does nothing when the nemesis is off. Returns 0, or a negative
 * SIM_E* code with diag filled (more faults than SIM_FAULTS_MAX). */
int sim_nemesis_draw(const struct sim_scenario *scn, gsl_rng *rng,
                     struct sim_fault_table *table, struct sim_diag *diag);

#endif
