/* plugin.c - the entry point `murphy --model-lib` looks up (murphy/plugin.h): this
 * library's models and oracle. Everything returned is const. */
#include <murphy/murphy.h>

#include "tpc.h"

const struct murphy_plugin *murphy_plugin(void)
{
    static const struct murphy_model *const models[] = {&tpc_coordinator, &tpc_participant};
    static const struct murphy_oracle *const oracles[] = {&tpc_atomicity};
    static const struct murphy_plugin plugin = {
        .api_version = MURPHY_API_VERSION,
        .name = "two-phase-commit",
        .set = {.models = models, .model_count = sizeof models / sizeof models[0],
                .oracles = oracles, .oracle_count = sizeof oracles / sizeof oracles[0]},
    };
    return &plugin;
}
