/* tests/plugin/wrong_version.c - a model library that claims another API version than
 * this murphy's: registration must refuse it with a clear error (exit 2), before reading
 * anything else of what it returns. */
#include "murphy/murphy.h"

const struct murphy_plugin *murphy_plugin(void)
{
    static const struct murphy_plugin plugin = {.api_version = MURPHY_API_VERSION + 998,
                                                .name = "from-the-future"};
    return &plugin;
}
