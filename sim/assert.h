/* sim/assert.h - assertions that stay on in every build. They catch our bugs, never bad
 * input. A failure prints the expression, file:line and the running simulation's seed,
 * scenario and now_ns, so that `murphy run SCENARIO --seed N` reproduces it, then aborts. */
#ifndef SIM_ASSERT_H
#define SIM_ASSERT_H

#include <stdint.h>

#define SIM_ASSERT(cond) \
    ((cond) ? (void)0 : sim__assert_fail(#cond, __FILE__, __LINE__))

/* A place the code must never reach (a switch over a closed set, say). */
#define SIM_UNREACHABLE(what) sim__assert_fail("unreachable: " what, __FILE__, __LINE__)

/* O(n) consistency checks; on in every build we ship, including CI. */
#define SIM_ASSERT_SLOW(cond) SIM_ASSERT(cond)

_Noreturn void sim__assert_fail(const char *expr, const char *file, int line);

/* What an assertion failure reports about the run in progress. The one piece of mutable
 * process-wide state in the kernel, written only when a run starts or ends and read only
 * on the way to abort(): it never influences a run. */
struct sim_assert_context {
    const char *scenario;
    uint64_t seed;
    const int64_t *now_ns;
};
void sim__assert_set_context(const struct sim_assert_context *context);

#endif
