/* sim/units.h - the one parser for numbers with units in scenario text and overrides.
 *
 * Exact for decimals: "0.3s" is 300000000 ns, computed in integers, never through a
 * double. A value finer than its unit's resolution ("0.5ns", "0.0000000001") is an
 * error rather than silently rounded; so is overflow of int64. Signs are accepted
 * ("-50ms" for a clock offset); callers check ranges. */
#ifndef SIM_UNITS_H
#define SIM_UNITS_H

#include <stddef.h>
#include <stdint.h>

#define SIM_NS_PER_US INT64_C(1000)
#define SIM_NS_PER_MS INT64_C(1000000)
#define SIM_NS_PER_S INT64_C(1000000000)
#define SIM_PPB_ONE INT64_C(1000000000) /* a ratio of 1 in parts per billion */

static inline int64_t sim_us(int64_t us) { return us * SIM_NS_PER_US; }
static inline int64_t sim_ms(int64_t ms) { return ms * SIM_NS_PER_MS; }
static inline int64_t sim_s(int64_t s) { return s * SIM_NS_PER_S; }

enum sim_unit_kind {
    /* ns us ms s min h; a unit is required ("250" alone is an error) */
    SIM_UNIT_DURATION,
    /* "2%", "35ppm", "10ppb", or a plain decimal "0.02"; result in ppb */
    SIM_UNIT_RATIO,
    /* a plain integer, no unit, no fraction */
    SIM_UNIT_INT,
    /* bps kbps Mbps Gbps (decimal, as network people mean them); result in bits/s */
    SIM_UNIT_BANDWIDTH,
    /* B KiB MiB GiB (binary) or kB MB GB (decimal); result in bytes */
    SIM_UNIT_BYTES,
};

/* Parses the whole of text (leading/trailing blanks allowed) as a value of `kind`.
 * Returns 0 and sets *value, or -1 and writes a one-line reason into err (what was
 * expected and what was found), e.g. "expected a duration with a unit (ns, us, ms, s,
 * min, h), got '250'". err may be NULL. */
int sim_units_parse(const char *text, enum sim_unit_kind kind, int64_t *value, char *err,
                    size_t err_bytes);

/* Writes a duration the way a person reads it back ("1.5s", "250us", "0ns"): exact,
 * using the largest unit that keeps it exact. Returns out. */
char *sim_units_format_ns(int64_t ns, char *out, size_t out_bytes);

/* Splits text in place at blanks (spaces, tabs) into at most words_max words; returns
 * the count, or -1 when there are more. Used for multi-word values (distributions,
 * faults). */
int sim_split_words(char *text, char **words, int words_max);

/* Checked arithmetic on times: returns -1 on int64 overflow, 0 otherwise. */
int sim_add_ns(int64_t a_ns, int64_t b_ns, int64_t *sum_ns);

#endif
