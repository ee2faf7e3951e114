/* cli/grid.c - the grammar of a sweep's --set arguments (see grid.h). */
#include "grid.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sim/units.h"

/* Where text has `needle` outside double quotes, or NULL. */
static const char *find_unquoted(const char *text, const char *needle)
{
    bool is_quoted = false;
    size_t len = strlen(needle);
    for (const char *p = text; *p; p++) {
        if (*p == '"') is_quoted = !is_quoted;
        else if (!is_quoted && strncmp(p, needle, len) == 0) return p;
    }
    return NULL;
}

static int add_value(struct grid_axis *axis, const char *key, size_t key_len, const char *value,
                     size_t value_len, const char *arg)
{
    if (axis->count == GRID_VALUES_MAX) {
        cli_error("--set '%s': more than %d values", arg, GRID_VALUES_MAX);
        return -1;
    }
    char *v = malloc(key_len + value_len + 2);
    if (!v) return -1;
    memcpy(v, key, key_len);
    v[key_len] = '=';
    memcpy(v + key_len + 1, value, value_len);
    v[key_len + 1 + value_len] = '\0';
    axis->values[axis->count++] = v;
    return 0;
}

/* A plain number: digits with at most one '.', an optional leading '-'. */
static bool parse_number(const char *text, double *out, int *decimals)
{
    const char *p = text;
    if (*p == '-') p++;
    if (!*p) return false;
    int dots = 0;
    *decimals = 0;
    for (; *p; p++) {
        if (*p == '.') {
            if (dots++) return false;
        } else if (*p < '0' || *p > '9') return false;
        else if (dots) ++*decimals;
    }
    char *end = NULL;
    *out = strtod(text, &end);
    return *end == '\0';
}

/* "A..B/STEP" into values: durations when A parses as one, else plain numbers. */
static int expand_range(struct grid_axis *axis, const char *key, size_t key_len, const char *spec,
                        const char *arg)
{
    const char *dots = strstr(spec, "..");
    const char *slash = dots ? strchr(dots, '/') : NULL;
    if (!dots || !slash) {
        cli_error("--set '%s': a range is A..B/STEP, e.g. 100ms..500ms/100ms", arg);
        return -1;
    }
    char a[64], b[64], step[64];
    size_t la = (size_t)(dots - spec), lb = (size_t)(slash - dots - 2);
    if (la >= sizeof a || lb >= sizeof b || strlen(slash + 1) >= sizeof step) {
        cli_error("--set '%s': range bounds too long", arg);
        return -1;
    }
    memcpy(a, spec, la);
    a[la] = '\0';
    memcpy(b, dots + 2, lb);
    b[lb] = '\0';
    snprintf(step, sizeof step, "%s", slash + 1);
    int64_t a_ns, b_ns, step_ns;
    double an, bn, sn;
    int ad, bd, sd;
    if (sim_units_parse(a, SIM_UNIT_DURATION, &a_ns, NULL, 0) == 0) {
        if (sim_units_parse(b, SIM_UNIT_DURATION, &b_ns, NULL, 0) != 0 ||
            sim_units_parse(step, SIM_UNIT_DURATION, &step_ns, NULL, 0) != 0 || step_ns <= 0 ||
            b_ns < a_ns) {
            cli_error("--set '%s': a duration range needs A <= B and a positive STEP, all "
                      "with units (100ms..500ms/100ms)", arg);
            return -1;
        }
        if ((uint64_t)(b_ns - a_ns) / (uint64_t)step_ns >= GRID_VALUES_MAX) {
            cli_error("--set '%s': more than %d values", arg, GRID_VALUES_MAX);
            return -1;
        }
        for (int64_t v = a_ns; v <= b_ns; v += step_ns) {
            char text[64];
            sim_units_format_ns(v, text, sizeof text);
            if (add_value(axis, key, key_len, text, strlen(text), arg) != 0) return -1;
            if (b_ns - v < step_ns) break; /* no overflow past b */
        }
        return 0;
    }
    if (!parse_number(a, &an, &ad) || !parse_number(b, &bn, &bd) ||
        !parse_number(step, &sn, &sd) || sn <= 0 || bn < an) {
        cli_error("--set '%s': a range needs A <= B and a positive STEP, plain numbers or "
                  "durations with units", arg);
        return -1;
    }
    double steps = (bn - an) / sn;
    if (steps >= GRID_VALUES_MAX) {
        cli_error("--set '%s': more than %d values", arg, GRID_VALUES_MAX);
        return -1;
    }
    int decimals = ad > sd ? ad : sd;
    /* a + i*step, not repeated addition, and B included despite rounding */
    for (long i = 0; i <= (long)(steps + 1e-9); i++) {
        char text[64];
        snprintf(text, sizeof text, "%.*f", decimals, an + (double)i * sn);
        if (add_value(axis, key, key_len, text, strlen(text), arg) != 0) return -1;
    }
    return 0;
}

/* "V1,V2,..." into values, each unquoted if it was in double quotes. */
static int expand_list(struct grid_axis *axis, const char *key, size_t key_len, const char *spec,
                       const char *arg)
{
    for (const char *item = spec;;) {
        const char *comma = find_unquoted(item, ",");
        size_t len = comma ? (size_t)(comma - item) : strlen(item);
        const char *v = item;
        if (len >= 2 && v[0] == '"' && v[len - 1] == '"') {
            v++;
            len -= 2;
        }
        if (len == 0 || memchr(v, '"', len)) {
            cli_error("--set '%s': empty or badly quoted value in the list", arg);
            return -1;
        }
        if (add_value(axis, key, key_len, v, len, arg) != 0) return -1;
        if (!comma) return 0;
        item = comma + 1;
    }
}

void grid_axes_free(struct grid_axis *axes, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t v = 0; v < axes[i].count; v++) free(axes[i].values[v]);
}

int grid_parse(const char *const *sets, size_t set_count, const char **base, size_t *base_count,
               struct grid_axis *axes, size_t *axis_count)
{
    *axis_count = 0;
    *base_count = 0;
    assert(set_count <= GRID_SETS_MAX);
    for (size_t i = 0; i < set_count; i++) {
        const char *arg = sets[i];
        const char *eq = strchr(arg, '=');
        if (!eq || eq == arg) {
            cli_error("--set '%s': expected SECTION.KEY=VALUE", arg);
            return -1;
        }
        if (strchr(arg, '\n')) {
            cli_error("--set '%s': a value may not hold a newline", arg);
            return -1;
        }
        const char *spec = eq + 1;
        size_t key_len = (size_t)(eq - arg);
        bool is_range = find_unquoted(spec, "..") != NULL;
        bool is_list = find_unquoted(spec, ",") != NULL;
        if (!is_range && !is_list) {
            base[(*base_count)++] = arg;
            continue;
        }
        struct grid_axis *axis = &axes[(*axis_count)++];
        axis->count = 0;
        int rc = is_range ? expand_range(axis, arg, key_len, spec, arg)
                          : expand_list(axis, arg, key_len, spec, arg);
        if (rc != 0) return -1;
    }
    return 0;
}

