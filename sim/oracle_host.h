/* sim/oracle_host.h - the kernel's side of murphy/oracle.h: what stands behind the
 * struct murphy_oracle_ctx handle a model library's oracle receives. The kernel runs no
 * oracle itself: checks/public.c drives them from the event stream and fills this in.
 * It lives in the kernel because a model library links only libmurphy, so the functions
 * its oracles call must be there. */
#ifndef SIM_ORACLE_HOST_H
#define SIM_ORACLE_HOST_H

#include "murphy/oracle.h"

struct murphy_oracle_ctx {
    const struct murphy_oracle *def;
    void *host; /* the driver's own context */
    void (*violation)(void *host, const struct murphy_oracle *def, const char *text);
    void (*metric)(void *host, const struct murphy_oracle *def, const char *name,
                   double value, const char *unit);
};

#endif
