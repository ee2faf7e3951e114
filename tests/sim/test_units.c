/* tests/sim/test_units.c - proves that sim_units_parse is exact and strict, and that
 * sim_units_format_ns prints what it parses back. How: decimals whose binary doubles are
 * inexact ("0.3s", "0.02") are compared with exact integers; every malformed shape the
 * header promises to reject is fed in and must fail with a message naming what was
 * expected; int64 edges (overflow, INT64_MIN) are probed; and formatting is round-tripped
 * over a deterministic sweep of values across every unit. */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#include "sim/units.h"

static int64_t parse_ok(const char *text, enum sim_unit_kind kind)
{
    int64_t value = -12345;
    char err[256] = "";
    int status = sim_units_parse(text, kind, &value, err, sizeof err);
    cr_assert_eq(status, 0, "'%s' should parse, got error: %s", text, err);
    return value;
}

/* Asserts that text is rejected and returns the message in err. */
static void parse_fails(const char *text, enum sim_unit_kind kind, char *err, size_t err_bytes)
{
    int64_t value = -12345;
    err[0] = '\0';
    int status = sim_units_parse(text, kind, &value, err, err_bytes);
    cr_assert_eq(status, -1, "'%s' should be rejected, got %" PRId64, text, value);
    cr_assert_eq(value, -12345, "'%s': value must be left alone on error", text);
    cr_assert_neq(err[0], '\0', "'%s': an error needs a message", text);
    cr_assert_lt(strlen(err), 200u, "'%s': message too long: %s", text, err);
}

Test(sim_units, decimal_seconds_are_exact)
{
    cr_assert_eq(parse_ok("0.3s", SIM_UNIT_DURATION), INT64_C(300000000));
    cr_assert_eq(parse_ok("1.5s", SIM_UNIT_DURATION), INT64_C(1500000000));
    cr_assert_eq(parse_ok("0.1s", SIM_UNIT_DURATION), INT64_C(100000000));
    cr_assert_eq(parse_ok("0.000000001s", SIM_UNIT_DURATION), INT64_C(1));
    cr_assert_eq(parse_ok("0.30000000000000000000s", SIM_UNIT_DURATION), INT64_C(300000000),
                 "trailing zeros add no precision");
}

Test(sim_units, every_duration_unit)
{
    cr_assert_eq(parse_ok("7ns", SIM_UNIT_DURATION), INT64_C(7));
    cr_assert_eq(parse_ok("250us", SIM_UNIT_DURATION), INT64_C(250000));
    cr_assert_eq(parse_ok("250ms", SIM_UNIT_DURATION), sim_ms(250));
    cr_assert_eq(parse_ok("2s", SIM_UNIT_DURATION), sim_s(2));
    cr_assert_eq(parse_ok("1.5min", SIM_UNIT_DURATION), sim_s(90));
    cr_assert_eq(parse_ok("2h", SIM_UNIT_DURATION), sim_s(7200));
    cr_assert_eq(parse_ok("0.001h", SIM_UNIT_DURATION), sim_ms(3600));
    cr_assert_eq(parse_ok("1.5us", SIM_UNIT_DURATION), INT64_C(1500));
}

Test(sim_units, blanks_around_and_between_are_accepted)
{
    cr_assert_eq(parse_ok("  250ms\t", SIM_UNIT_DURATION), sim_ms(250));
    cr_assert_eq(parse_ok("250 ms", SIM_UNIT_DURATION), sim_ms(250));
    cr_assert_eq(parse_ok("\t2 %  ", SIM_UNIT_RATIO), INT64_C(20000000));
    cr_assert_eq(parse_ok(" 42 ", SIM_UNIT_INT), INT64_C(42));
}

Test(sim_units, signs)
{
    cr_assert_eq(parse_ok("-50ms", SIM_UNIT_DURATION), -sim_ms(50));
    cr_assert_eq(parse_ok("+50ms", SIM_UNIT_DURATION), sim_ms(50));
    cr_assert_eq(parse_ok("-0.5s", SIM_UNIT_DURATION), -sim_ms(500));
    cr_assert_eq(parse_ok("-0s", SIM_UNIT_DURATION), INT64_C(0));
    cr_assert_eq(parse_ok("-7", SIM_UNIT_INT), INT64_C(-7));
}

Test(sim_units, ratios_in_ppb)
{
    cr_assert_eq(parse_ok("35ppm", SIM_UNIT_RATIO), INT64_C(35000));
    cr_assert_eq(parse_ok("2%", SIM_UNIT_RATIO), INT64_C(20000000));
    cr_assert_eq(parse_ok("0.02", SIM_UNIT_RATIO), INT64_C(20000000));
    cr_assert_eq(parse_ok("100%", SIM_UNIT_RATIO), SIM_PPB_ONE);
    cr_assert_eq(parse_ok("1", SIM_UNIT_RATIO), SIM_PPB_ONE);
    cr_assert_eq(parse_ok("10ppb", SIM_UNIT_RATIO), INT64_C(10));
    cr_assert_eq(parse_ok("0.5%", SIM_UNIT_RATIO), INT64_C(5000000));
    cr_assert_eq(parse_ok("0.001ppm", SIM_UNIT_RATIO), INT64_C(1));
    cr_assert_eq(parse_ok("0.000000001", SIM_UNIT_RATIO), INT64_C(1));
}

Test(sim_units, bandwidth_in_bits_per_second)
{
    cr_assert_eq(parse_ok("1Gbps", SIM_UNIT_BANDWIDTH), INT64_C(1000000000));
    cr_assert_eq(parse_ok("100Mbps", SIM_UNIT_BANDWIDTH), INT64_C(100000000));
    cr_assert_eq(parse_ok("64kbps", SIM_UNIT_BANDWIDTH), INT64_C(64000));
    cr_assert_eq(parse_ok("64Kbps", SIM_UNIT_BANDWIDTH), INT64_C(64000));
    cr_assert_eq(parse_ok("9600bps", SIM_UNIT_BANDWIDTH), INT64_C(9600));
    cr_assert_eq(parse_ok("2.5Gbps", SIM_UNIT_BANDWIDTH), INT64_C(2500000000));
}

Test(sim_units, bytes_binary_and_decimal)
{
    cr_assert_eq(parse_ok("64KiB", SIM_UNIT_BYTES), INT64_C(65536));
    cr_assert_eq(parse_ok("1MiB", SIM_UNIT_BYTES), INT64_C(1048576));
    cr_assert_eq(parse_ok("2GiB", SIM_UNIT_BYTES), INT64_C(2147483648));
    cr_assert_eq(parse_ok("512B", SIM_UNIT_BYTES), INT64_C(512));
    cr_assert_eq(parse_ok("1.5kB", SIM_UNIT_BYTES), INT64_C(1500));
    cr_assert_eq(parse_ok("3MB", SIM_UNIT_BYTES), INT64_C(3000000));
    cr_assert_eq(parse_ok("1GB", SIM_UNIT_BYTES), INT64_C(1000000000));
    cr_assert_eq(parse_ok("0.5KiB", SIM_UNIT_BYTES), INT64_C(512));
}

Test(sim_units, plain_integers)
{
    cr_assert_eq(parse_ok("0", SIM_UNIT_INT), INT64_C(0));
    cr_assert_eq(parse_ok("9223372036854775807", SIM_UNIT_INT), INT64_MAX);
    cr_assert_eq(parse_ok("-9223372036854775808", SIM_UNIT_INT), INT64_MIN);
    char err[256];
    parse_fails("1.5", SIM_UNIT_INT, err, sizeof err);
    cr_expect(strstr(err, "integer") != NULL, "message: %s", err);
    parse_fails("1.0", SIM_UNIT_INT, err, sizeof err);
    parse_fails("3s", SIM_UNIT_INT, err, sizeof err);
    parse_fails("9223372036854775808", SIM_UNIT_INT, err, sizeof err);
    cr_expect(strstr(err, "range") != NULL, "message: %s", err);
}

Test(sim_units, finer_than_the_base_unit_is_an_error)
{
    char err[256];
    parse_fails("0.5ns", SIM_UNIT_DURATION, err, sizeof err);
    cr_expect_str_eq(err, "'0.5ns' is finer than 1 ns");
    parse_fails("1.0000000001s", SIM_UNIT_DURATION, err, sizeof err);
    cr_expect(strstr(err, "finer than 1 ns") != NULL, "message: %s", err);
    parse_fails("0.0000000001", SIM_UNIT_RATIO, err, sizeof err);
    cr_expect(strstr(err, "finer than 1 ppb") != NULL, "message: %s", err);
    parse_fails("0.5B", SIM_UNIT_BYTES, err, sizeof err);
    cr_expect(strstr(err, "finer than 1 byte") != NULL, "message: %s", err);
    parse_fails("1.5bps", SIM_UNIT_BANDWIDTH, err, sizeof err);
    cr_expect(strstr(err, "finer than 1 bps") != NULL, "message: %s", err);
    parse_fails("0.0000000000000000001s", SIM_UNIT_DURATION, err, sizeof err);
    cr_expect_str_eq(err, "'0.0000000000000000001s' is finer than 1 ns");
    /* 2^-30 GiB is one byte, but 30 decimals pass the 18 the parser keeps: refused, said so */
    parse_fails("0.000000000931322574615478515625GiB", SIM_UNIT_BYTES, err, sizeof err);
    cr_expect(strstr(err, "more than 18 decimals") != NULL, "message: %s", err);
}

Test(sim_units, missing_duration_unit_names_the_accepted_units)
{
    char err[256];
    parse_fails("250", SIM_UNIT_DURATION, err, sizeof err);
    cr_expect_str_eq(err, "expected a duration with a unit (ns, us, ms, s, min, h), got '250'");
    parse_fails("250", SIM_UNIT_BANDWIDTH, err, sizeof err);
    cr_expect(strstr(err, "bps, kbps, Mbps, Gbps") != NULL, "message: %s", err);
    cr_expect(strstr(err, "'250'") != NULL, "message: %s", err);
    parse_fails("64", SIM_UNIT_BYTES, err, sizeof err);
    cr_expect(strstr(err, "KiB") != NULL, "message: %s", err);
    parse_fails("2 parsecs", SIM_UNIT_DURATION, err, sizeof err);
    cr_expect(strstr(err, "ns, us, ms, s, min, h") != NULL, "message: %s", err);
    cr_expect(strstr(err, "'2 parsecs'") != NULL, "message: %s", err);
}

Test(sim_units, overflow_is_an_error)
{
    char err[256];
    parse_fails("9999999999999999999s", SIM_UNIT_DURATION, err, sizeof err);
    cr_expect(strstr(err, "out of range") != NULL, "message: %s", err);
    cr_expect(strstr(err, "'9999999999999999999s'") != NULL, "message: %s", err);
    parse_fails("99999999999999999999999999ns", SIM_UNIT_DURATION, err, sizeof err);
    parse_fails("9223372036854775808ns", SIM_UNIT_DURATION, err, sizeof err);
    parse_fails("3000000h", SIM_UNIT_DURATION, err, sizeof err);
    parse_fails("9000000000GiB", SIM_UNIT_BYTES, err, sizeof err);
    cr_assert_eq(parse_ok("9223372036854775807ns", SIM_UNIT_DURATION), INT64_MAX);
    cr_assert_eq(parse_ok("-9223372036854775808ns", SIM_UNIT_DURATION), INT64_MIN);
    cr_assert_eq(parse_ok("9223372036.854775807s", SIM_UNIT_DURATION), INT64_MAX);
    parse_fails("9223372036.854775808s", SIM_UNIT_DURATION, err, sizeof err);
}

Test(sim_units, malformed_text_is_rejected)
{
    static const char *const bad[] = {
        "", "   ", "1.5.2s", "1 s s", "ms", "1e3s", "+-1s", "--1s", "10msx", "10ms!", "nan",
        "inf", "NaNs", ".5s", "1.s", "s1", "1,5s", "0x10ns", "1 0s", "- 1s", "1\ns", "1s\n2s",
        "10 ms junk",
    };
    char err[256];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        parse_fails(bad[i], SIM_UNIT_DURATION, err, sizeof err);
        cr_expect(strstr(err, "expected") != NULL, "'%s': message: %s", bad[i], err);
    }
    parse_fails("2%%", SIM_UNIT_RATIO, err, sizeof err);
    parse_fails("2 ppm ppm", SIM_UNIT_RATIO, err, sizeof err);
    parse_fails("1Tbps", SIM_UNIT_BANDWIDTH, err, sizeof err);
    parse_fails("1kib", SIM_UNIT_BYTES, err, sizeof err);
    parse_fails("1MS", SIM_UNIT_DURATION, err, sizeof err);
}

Test(sim_units, long_input_is_quoted_truncated)
{
    char text[512];
    memset(text, '7', sizeof text - 2);
    text[sizeof text - 2] = 'x';
    text[sizeof text - 1] = '\0';
    char err[256];
    parse_fails(text, SIM_UNIT_DURATION, err, sizeof err);
    cr_expect(strstr(err, "...'") != NULL, "message: %s", err);
    cr_expect_lt(strlen(err), 200u);
}

Test(sim_units, small_error_buffers_and_null_are_safe)
{
    int64_t value = 0;
    cr_assert_eq(sim_units_parse("250", SIM_UNIT_DURATION, &value, NULL, 0), -1);
    char err[8] = "xxxxxxx";
    cr_assert_eq(sim_units_parse("250", SIM_UNIT_DURATION, &value, err, sizeof err), -1);
    cr_assert_eq(strlen(err), 7u, "message truncated and terminated");
}

Test(sim_units, format_examples)
{
    char out[64];
    cr_assert_str_eq(sim_units_format_ns(1500000000, out, sizeof out), "1.5s");
    cr_assert_str_eq(sim_units_format_ns(250000, out, sizeof out), "250us");
    cr_assert_str_eq(sim_units_format_ns(0, out, sizeof out), "0ns");
    cr_assert_str_eq(sim_units_format_ns(-50000000, out, sizeof out), "-50ms");
    cr_assert_str_eq(sim_units_format_ns(1, out, sizeof out), "1ns");
    cr_assert_str_eq(sim_units_format_ns(999, out, sizeof out), "999ns");
    cr_assert_str_eq(sim_units_format_ns(1001, out, sizeof out), "1.001us");
    cr_assert_str_eq(sim_units_format_ns(sim_s(3600), out, sizeof out), "3600s");
    cr_assert_str_eq(sim_units_format_ns(1000000001, out, sizeof out), "1.000000001s");
    cr_assert_str_eq(sim_units_format_ns(INT64_MIN, out, sizeof out), "-9223372036.854775808s");
    cr_assert_str_eq(sim_units_format_ns(INT64_MAX, out, sizeof out), "9223372036.854775807s");
}

static void expect_round_trip(int64_t ns)
{
    char text[64];
    sim_units_format_ns(ns, text, sizeof text);
    int64_t back = 0;
    char err[256] = "";
    int status = sim_units_parse(text, SIM_UNIT_DURATION, &back, err, sizeof err);
    cr_assert_eq(status, 0, "%" PRId64 " printed as '%s' which does not parse: %s", ns, text,
                 err);
    cr_assert_eq(back, ns, "%" PRId64 " printed as '%s' parsed back as %" PRId64, ns, text,
                 back);
}

Test(sim_units, format_round_trips)
{
    /* every power of ten times small digits, both signs: crosses every unit boundary */
    for (int exponent = 0; exponent <= 18; exponent++) {
        int64_t power = 1;
        for (int i = 0; i < exponent; i++) power *= 10;
        for (int64_t digit = 1; digit <= 9; digit++) {
            for (int64_t offset = -1; offset <= 1; offset++) {
                expect_round_trip(digit * power + offset);
                expect_round_trip(-(digit * power + offset));
            }
        }
    }
    /* a fixed pseudo-random sweep (splitmix64 from a fixed seed), scaled to many sizes */
    uint64_t state = 42;
    for (int i = 0; i < 20000; i++) {
        uint64_t z = (state += UINT64_C(0x9E3779B97F4A7C15));
        z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
        z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
        z ^= z >> 31;
        expect_round_trip((int64_t)(z >> (unsigned)(i % 64)));
        expect_round_trip(-(int64_t)(z >> (unsigned)(i % 63 + 1)));
    }
    expect_round_trip(INT64_MAX);
    expect_round_trip(INT64_MIN);
    expect_round_trip(0);
}

Test(sim_units, checked_add)
{
    int64_t sum = 7;
    cr_assert_eq(sim_add_ns(sim_s(1), sim_ms(500), &sum), 0);
    cr_assert_eq(sum, INT64_C(1500000000));
    cr_assert_eq(sim_add_ns(INT64_MAX, -1, &sum), 0);
    cr_assert_eq(sum, INT64_MAX - 1);
    sum = 7;
    cr_assert_eq(sim_add_ns(INT64_MAX, 1, &sum), -1);
    cr_assert_eq(sum, 7, "sum is left alone on overflow");
    cr_assert_eq(sim_add_ns(INT64_MIN, -1, &sum), -1);
    cr_assert_eq(sim_add_ns(INT64_MIN, INT64_MAX, &sum), 0);
    cr_assert_eq(sum, -1);
}
