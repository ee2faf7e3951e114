/* tests/models/model_run.c - see model_run.h. */
#include "model_run.h"

#include <criterion/criterion.h>

#include <string.h>

#include "sim/scenario.h"

void model_run(const char *text, const char *set, const struct murphy_model_set *models,
               struct sim_observer observer)
{
    struct sim_scenario scn;
    struct sim_diag diag;
    const char *sets[] = {set};
    cr_assert_eq(sim_scn_load_text("t.ini", text, strlen(text), set ? sets : NULL, set ? 1 : 0,
                                   models, &scn, &diag), 0, "%s", diag.message);
    struct sim_world *world = NULL;
    cr_assert_eq(sim_world_create(&scn, 1, &world, &diag), 0, "%s", diag.message);
    cr_assert_eq(sim_world_add_observer(world, &observer), 0);
    sim_world_run(world, UINT64_MAX, NULL);
    cr_assert_eq(sim_world_violation_count(world), 0, "a model saw its invariant break");
    sim_world_destroy(world);
    sim_scn_free(&scn);
}
