/* sim/assert.c - the assertion failure path; see assert.h. */
#include "assert.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

static struct sim_assert_context assert_context;

void sim__assert_set_context(const struct sim_assert_context *context)
{
    if (context) assert_context = *context;
    else assert_context = (struct sim_assert_context){0};
}

_Noreturn void sim__assert_fail(const char *expr, const char *file, int line)
{
    fprintf(stderr, "murphy: internal error: assertion '%s' failed at %s:%d\n", expr, file,
            line);
    if (assert_context.scenario) {
        fprintf(stderr, "murphy: while running scenario %s, seed %" PRIu64 ", now_ns %" PRId64
                "\nmurphy: reproduce with: murphy run %s --seed %" PRIu64 "\n",
                assert_context.scenario, assert_context.seed,
                assert_context.now_ns ? *assert_context.now_ns : -1, assert_context.scenario,
                assert_context.seed);
    }
    fflush(stderr);
    abort();
}
