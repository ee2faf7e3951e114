/* tests/models/model_run.h - what the model suites share: run a scenario text (with an
 * optional --set) against a model set to its end, with an observer seeing every event,
 * and assert that no model reported its own invariant broken. */
#ifndef TESTS_MODELS_MODEL_RUN_H
#define TESTS_MODELS_MODEL_RUN_H

#include "murphy/model.h"
#include "sim/world.h"

void model_run(const char *text, const char *set, const struct murphy_model_set *models,
               struct sim_observer observer);

#endif
