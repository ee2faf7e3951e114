/* murphy/plugin.h - a library of models (and oracles) loaded with `murphy run --model-lib
 * FILE.so`: what it exports and how murphy checks it.
 *
 * A model library is a shared object built against libmurphy (find_package(murphy) or
 * pkg-config murphy). It exports exactly one function, MURPHY_PLUGIN_ENTRY, returning a
 * constant description of its models and oracles. murphy loads a library only when the
 * command line names it, never because a scenario or a database mentions it; it records
 * the library's path and SHA-256 with every run, and `murphy replay` refuses a run whose
 * library is not given or whose SHA-256 differs.
 *
 * Registration checks, each a clear error (exit 2) rather than a crash:
 *   - plugin->api_version == MURPHY_API_VERSION (read before any other field, so a
 *     library built against another version is refused without being trusted further);
 *   - every model's and oracle's api_version too; names non-empty and not already taken
 *     (by an in-tree model or another library).
 *
 *   const struct murphy_plugin *murphy_plugin(void)
 *   {
 *       static const struct murphy_model *const models[] = {&tpc_coordinator, &tpc_worker};
 *       static const struct murphy_oracle *const oracles[] = {&tpc_atomicity};
 *       static const struct murphy_plugin plugin = {
 *           .api_version = MURPHY_API_VERSION, .name = "two-phase-commit",
 *           .set = {.models = models, .model_count = 2, .oracles = oracles,
 *                   .oracle_count = 1},
 *       };
 *       return &plugin;
 *   }
 *
 * Everything it returns is borrowed by murphy for as long as the process runs (const
 * statics, as above: never mutable ones, see murphy/model.h). */
#ifndef MURPHY_PLUGIN_H
#define MURPHY_PLUGIN_H

#include <stddef.h>

#include "murphy/model.h"

/* The symbol murphy looks up with dlsym(). */
#define MURPHY_PLUGIN_ENTRY "murphy_plugin"

struct murphy_plugin {
    int api_version;             /* MURPHY_API_VERSION; must stay the first field */
    const char *name;            /* for messages ("two-phase-commit") */
    struct murphy_model_set set; /* its models and oracles (murphy/model.h) */
};

/* The entry point a model library defines (declared here so the compiler checks its type),
 * visible even when the library hides its other symbols (-fvisibility=hidden). */
#if defined(__GNUC__)
#define MURPHY_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define MURPHY_PLUGIN_EXPORT
#endif
MURPHY_PLUGIN_EXPORT const struct murphy_plugin *murphy_plugin(void);

#endif
