/* sim/units.c - numbers with units, parsed and printed exactly; see units.h.
 * Owns the unit tables of each kind. Every value is computed in integers: the integer
 * part times the unit's scale plus the reduced fraction, with every multiply and add
 * checked, so "0.3s" is 300000000 ns and a result that is not a whole number of the
 * base unit (ns, ppb, bits/s, bytes) or does not fit int64 is an error, never rounded.
 * Leaves range checks (a negative timeout, a loss over 100%) to the callers. */
#include "units.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "assert.h"

/* Fraction digits kept after dropping trailing zeros: 10^18 still fits int64. Longer
 * fractions are rejected, though a few (2^-20 GiB) would be whole numbers of bytes. */
#define UNITS_FRACTION_DIGITS_MAX 18
/* How much of the input an error message quotes. */
#define UNITS_QUOTE_BYTES_MAX 60

struct unit_scale {
    const char *name; /* "" for a bare number */
    int64_t scale;    /* base units per one of this unit */
};

struct unit_kind_info {
    const char *expected;  /* "a duration with a unit (...)": what a message asks for */
    const char *base_unit; /* what "finer than 1 ..." names */
    const char *range;     /* what "out of range: ..." says */
    const struct unit_scale *units;
    size_t unit_count;
    bool has_fraction; /* "1.5" allowed */
};

static const struct unit_scale duration_units[] = {
    {"ns", 1},
    {"us", SIM_NS_PER_US},
    {"ms", SIM_NS_PER_MS},
    {"s", SIM_NS_PER_S},
    {"min", 60 * SIM_NS_PER_S},
    {"h", 3600 * SIM_NS_PER_S},
};

static const struct unit_scale ratio_units[] = {
    {"", SIM_PPB_ONE},
    {"%", SIM_PPB_ONE / 100},
    {"ppm", 1000},
    {"ppb", 1},
};

static const struct unit_scale int_units[] = {
    {"", 1},
};

static const struct unit_scale bandwidth_units[] = {
    {"bps", 1},
    {"kbps", 1000},
    {"Kbps", 1000},
    {"Mbps", 1000 * 1000},
    {"Gbps", 1000 * 1000 * 1000},
};

static const struct unit_scale bytes_units[] = {
    {"B", 1},
    {"KiB", INT64_C(1) << 10},
    {"MiB", INT64_C(1) << 20},
    {"GiB", INT64_C(1) << 30},
    {"kB", 1000},
    {"MB", 1000 * 1000},
    {"GB", 1000 * 1000 * 1000},
};

#define UNITS_COUNT(array) (sizeof(array) / sizeof((array)[0]))

#define UNITS_TABLE(array) .units = (array), .unit_count = UNITS_COUNT(array)

/* Indexed by enum sim_unit_kind. */
static const struct unit_kind_info kind_infos[] = {
    [SIM_UNIT_DURATION] = {
        .expected = "a duration with a unit (ns, us, ms, s, min, h)",
        .base_unit = "ns",
        .range = "a duration must fit in 64 bits of ns (about 292 years)",
        UNITS_TABLE(duration_units),
        .has_fraction = true,
    },
    [SIM_UNIT_RATIO] = {
        .expected = "a ratio (2%, 35ppm, 10ppb or a decimal such as 0.02)",
        .base_unit = "ppb",
        .range = "a ratio must fit in 64 bits of ppb",
        UNITS_TABLE(ratio_units),
        .has_fraction = true,
    },
    [SIM_UNIT_INT] = {
        .expected = "an integer (digits, no unit, no fraction)",
        .base_unit = "",
        .range = "an integer must fit in 64 bits",
        UNITS_TABLE(int_units),
        .has_fraction = false,
    },
    [SIM_UNIT_BANDWIDTH] = {
        .expected = "a bandwidth with a unit (bps, kbps, Mbps, Gbps)",
        .base_unit = "bps",
        .range = "a bandwidth must fit in 64 bits of bits/s",
        UNITS_TABLE(bandwidth_units),
        .has_fraction = true,
    },
    [SIM_UNIT_BYTES] = {
        .expected = "a size with a unit (B, KiB, MiB, GiB, kB, MB, GB)",
        .base_unit = "byte",
        .range = "a size must fit in 64 bits of bytes",
        UNITS_TABLE(bytes_units),
        .has_fraction = true,
    },
};

/* The pieces of "-12.500ms": digits are kept as spans of the input. */
struct number_text {
    bool is_negative;
    const char *int_digits;
    size_t int_digit_count;
    const char *fraction_digits;
    size_t fraction_digit_count; /* trailing zeros already dropped */
    bool has_point;
    const char *unit;
    size_t unit_bytes;
};

static bool is_blank(char c) { return c == ' ' || c == '\t'; }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_unit_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '%';
}

/* Copies at most UNITS_QUOTE_BYTES_MAX bytes of text, trimmed, into out, ending in "..."
 * when cut; control bytes become '?' so a message stays one printable line. */
static void quote_input(const char *text, char *out, size_t out_bytes)
{
    SIM_ASSERT(out_bytes > UNITS_QUOTE_BYTES_MAX + 3);
    while (is_blank(*text)) text++;
    size_t length = strlen(text);
    while (length > 0 && is_blank(text[length - 1])) length--;
    bool is_cut = length > UNITS_QUOTE_BYTES_MAX;
    if (is_cut) {
        length = UNITS_QUOTE_BYTES_MAX;
        /* do not end inside a UTF-8 sequence */
        while (length > 0 && ((unsigned char)text[length] & 0xC0) == 0x80) length--;
    }
    for (size_t i = 0; i < length; i++) {
        unsigned char c = (unsigned char)text[i];
        out[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    strcpy(out + length, is_cut ? "..." : "");
}

/* Splits text into sign, digits, point, digits, unit; false if it has another shape. */
static bool split_number(const char *text, struct number_text *number)
{
    const char *p = text;
    while (is_blank(*p)) p++;
    if (*p == '-' || *p == '+') number->is_negative = *p++ == '-';
    number->int_digits = p;
    while (is_digit(*p)) p++;
    number->int_digit_count = (size_t)(p - number->int_digits);
    if (number->int_digit_count == 0) return false;
    if (*p == '.') {
        number->has_point = true;
        number->fraction_digits = ++p;
        while (is_digit(*p)) p++;
        size_t count = (size_t)(p - number->fraction_digits);
        if (count == 0) return false; /* "1." */
        while (count > 0 && number->fraction_digits[count - 1] == '0') count--;
        number->fraction_digit_count = count;
    }
    while (is_blank(*p)) p++;
    number->unit = p;
    while (is_unit_char(*p)) p++;
    number->unit_bytes = (size_t)(p - number->unit);
    while (is_blank(*p)) p++;
    return *p == '\0';
}

static const struct unit_scale *find_unit(const struct unit_kind_info *info, const char *unit,
                                          size_t unit_bytes)
{
    for (size_t i = 0; i < info->unit_count; i++) {
        const char *name = info->units[i].name;
        if (strlen(name) == unit_bytes && memcmp(name, unit, unit_bytes) == 0)
            return &info->units[i];
    }
    return NULL;
}

static int64_t gcd_i64(int64_t a, int64_t b)
{
    SIM_ASSERT(a > 0);
    SIM_ASSERT(b > 0);
    while (b != 0) {
        int64_t r = a % b;
        a = b;
        b = r;
    }
    return a;
}

/* The most decimals a value in this unit can have and still be a whole number of base
 * units: a fraction f / 10^n (f not a multiple of 10) times scale is whole only if
 * 2^n or 5^n divides scale, so n <= max(twos, fives) of scale. */
static size_t decimals_max(int64_t scale)
{
    SIM_ASSERT(scale > 0);
    size_t twos = 0;
    size_t fives = 0;
    for (int64_t s = scale; s % 2 == 0; s /= 2) twos++;
    for (int64_t s = scale; s % 5 == 0; s /= 5) fives++;
    return twos > fives ? twos : fives;
}

/* fraction * scale / 10^digit_count as a whole number; false if it is not one. The
 * fraction is below 10^digit_count, so the result is below scale and cannot overflow. */
static bool scale_fraction(const struct number_text *number, int64_t scale, int64_t *part)
{
    SIM_ASSERT(number->fraction_digit_count <= UNITS_FRACTION_DIGITS_MAX);
    int64_t fraction = 0;
    int64_t denominator = 1;
    for (size_t i = 0; i < number->fraction_digit_count; i++) {
        fraction = fraction * 10 + (number->fraction_digits[i] - '0');
        denominator *= 10;
    }
    if (fraction == 0) {
        *part = 0;
        return true;
    }
    int64_t common = gcd_i64(scale, denominator);
    int64_t reduced_scale = scale / common;
    int64_t reduced_denominator = denominator / common;
    if (fraction % reduced_denominator != 0) return false;
    *part = fraction / reduced_denominator * reduced_scale;
    SIM_ASSERT(*part < scale);
    return true;
}

/* integer digits * scale + fraction part, as a magnitude at most `limit`. */
static bool scale_magnitude(const struct number_text *number, uint64_t scale, uint64_t fraction,
                            uint64_t limit, uint64_t *magnitude)
{
    uint64_t integer = 0;
    for (size_t i = 0; i < number->int_digit_count; i++) {
        uint64_t digit = (uint64_t)(number->int_digits[i] - '0');
        if (__builtin_mul_overflow(integer, UINT64_C(10), &integer)) return false;
        if (__builtin_add_overflow(integer, digit, &integer)) return false;
    }
    uint64_t total = 0;
    if (__builtin_mul_overflow(integer, scale, &total)) return false;
    if (__builtin_add_overflow(total, fraction, &total)) return false;
    if (total > limit) return false;
    *magnitude = total;
    return true;
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int fail(char *err, size_t err_bytes, const char *fmt, ...)
{
    if (err && err_bytes > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_bytes, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int sim_units_parse(const char *text, enum sim_unit_kind kind, int64_t *value, char *err,
                    size_t err_bytes)
{
    SIM_ASSERT(text != NULL);
    SIM_ASSERT(value != NULL);
    SIM_ASSERT((size_t)kind < UNITS_COUNT(kind_infos));
    const struct unit_kind_info *info = &kind_infos[kind];
    char quoted[UNITS_QUOTE_BYTES_MAX + 4];
    quote_input(text, quoted, sizeof quoted);

    struct number_text number = {0};
    if (!split_number(text, &number) || (number.has_point && !info->has_fraction))
        return fail(err, err_bytes, "expected %s, got '%s'", info->expected, quoted);
    const struct unit_scale *unit = find_unit(info, number.unit, number.unit_bytes);
    if (!unit) return fail(err, err_bytes, "expected %s, got '%s'", info->expected, quoted);
    if (number.fraction_digit_count > UNITS_FRACTION_DIGITS_MAX
        && number.fraction_digit_count <= decimals_max(unit->scale)) {
        return fail(err, err_bytes, "'%s' has more than %d decimals; expected %s", quoted,
                    UNITS_FRACTION_DIGITS_MAX, info->expected);
    }
    int64_t fraction = 0;
    if (number.fraction_digit_count > UNITS_FRACTION_DIGITS_MAX
        || !scale_fraction(&number, unit->scale, &fraction)) {
        return fail(err, err_bytes, "'%s' is finer than 1 %s", quoted, info->base_unit);
    }
    /* -(INT64_MAX + 1) is representable, so a negative magnitude may be one larger. */
    uint64_t limit = (uint64_t)INT64_MAX + (number.is_negative ? 1u : 0u);
    uint64_t magnitude = 0;
    if (!scale_magnitude(&number, (uint64_t)unit->scale, (uint64_t)fraction, limit,
                         &magnitude)) {
        return fail(err, err_bytes, "'%s' is out of range: %s", quoted, info->range);
    }
    if (number.is_negative)
        *value = magnitude == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)magnitude;
    else
        *value = (int64_t)magnitude;
    return 0;
}

char *sim_units_format_ns(int64_t ns, char *out, size_t out_bytes)
{
    SIM_ASSERT(out != NULL);
    SIM_ASSERT(out_bytes > 0);
    static const struct unit_scale format_units[] = {
        {"s", SIM_NS_PER_S},
        {"ms", SIM_NS_PER_MS},
        {"us", SIM_NS_PER_US},
        {"ns", 1},
    };
    /* magnitude in uint64 so that INT64_MIN has one */
    uint64_t magnitude = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
    size_t unit_index = 0;
    while (unit_index + 1 < UNITS_COUNT(format_units)
           && magnitude < (uint64_t)format_units[unit_index].scale) {
        unit_index++;
    }
    const struct unit_scale *unit = &format_units[unit_index];
    uint64_t scale = (uint64_t)unit->scale;
    uint64_t whole = magnitude / scale;
    uint64_t rest = magnitude % scale;

    /* rest as exactly as many decimals as the unit has, then drop trailing zeros */
    char decimals[16] = "";
    if (rest != 0) {
        size_t length = 0;
        decimals[length++] = '.';
        for (uint64_t place = scale / 10; place > 0; place /= 10) {
            SIM_ASSERT(length + 1 < sizeof decimals);
            decimals[length++] = (char)('0' + rest / place % 10);
        }
        while (decimals[length - 1] == '0') length--;
        decimals[length] = '\0';
    }
    snprintf(out, out_bytes, "%s%llu%s%s", ns < 0 ? "-" : "", (unsigned long long)whole,
             decimals, unit->name);
    return out;
}

int sim_add_ns(int64_t a_ns, int64_t b_ns, int64_t *sum_ns)
{
    SIM_ASSERT(sum_ns != NULL);
    int64_t sum = 0;
    if (__builtin_add_overflow(a_ns, b_ns, &sum)) return -1;
    *sum_ns = sum;
    return 0;
}

int sim_split_words(char *text, char **words, int words_max)
{
    int count = 0;
    char *p = text;
    for (;;) {
        while (*p == ' ' || *p == '\t') *p++ = '\0';
        if (!*p) return count;
        if (count == words_max) return -1;
        words[count++] = p;
        while (*p && *p != ' ' && *p != '\t') p++;
    }
}
