/* sim/oracle_host.c - murphy_oracle_violation and murphy_oracle_metric (murphy/oracle.h):
 * forwarded to whoever drives the oracle (checks/public.c). Holds no state. */
#include "oracle_host.h"

#include "assert.h"

void murphy_oracle_violation(struct murphy_oracle_ctx *ctx, const char *text)
{
    SIM_ASSERT(ctx != NULL);
    SIM_ASSERT(text != NULL);
    ctx->violation(ctx->host, ctx->def, text);
}

void murphy_oracle_metric(struct murphy_oracle_ctx *ctx, const char *name, double value,
                          const char *unit)
{
    SIM_ASSERT(ctx != NULL);
    SIM_ASSERT(name != NULL);
    ctx->metric(ctx->host, ctx->def, name, value, unit ? unit : "");
}
