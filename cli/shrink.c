/* cli/shrink.c - the shrinking search; see shrink.h. Knows lines and their text only: what
 * a test run is (a scenario text, a seed, a violation kind) is the caller's, behind
 * s->test. Invariant: s->lines always fail (only a failing candidate replaces them), and
 * s->runs never passes s->max_runs. */
#include "shrink.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sim/assert.h"
#include "sim/units.h"

#define WORDS_MAX 12 /* as the scenario loader splits a fault */

static bool is_blank(char c) { return c == ' ' || c == '\t'; }

static void append(char *out, size_t out_bytes, size_t *n, const char *s, size_t len)
{
    for (size_t i = 0; i < len && *n + 1 < out_bytes; i++) out[(*n)++] = s[i];
    out[*n] = '\0';
}

void shrink_kind(const char *text, char *out, size_t out_bytes)
{
    SIM_ASSERT(out_bytes > 0);
    size_t head = strcspn(text, ":");
    size_t first_blank = strcspn(text, " \t");
    size_t n = 0;
    out[0] = '\0';
    if (head > 0 && first_blank >= head) { /* one word: a numbered invariant ("K1") */
        append(out, out_bytes, &n, text, head);
        return;
    }
    for (size_t i = 0; i < head;) {
        if (is_blank(text[i])) {
            i++;
            continue;
        }
        size_t end = i;
        bool has_digit = false;
        while (end < head && !is_blank(text[end])) {
            has_digit |= text[end] >= '0' && text[end] <= '9';
            end++;
        }
        if (n > 0) append(out, out_bytes, &n, " ", 1);
        if (has_digit) append(out, out_bytes, &n, "#", 1);
        else append(out, out_bytes, &n, text + i, end - i);
        i = end;
    }
}

struct state {
    struct shrink_search *s;
    struct shrink_line *scratch; /* a candidate's lines */
    bool *drop;                  /* per line of s->lines: left out of the candidate */
    size_t capacity;             /* slots of both: the count the search began with */
    int status;                  /* an exit status a test returned */
};

static bool is_stopped(const struct state *st)
{
    return st->status != 0 || st->s->is_budget_spent;
}

/* Splits a copy of text into buf; returns the word count (-1: too many). */
static int words_of(const char *text, char *buf, size_t buf_bytes, char **w)
{
    snprintf(buf, buf_bytes, "%s", text);
    return sim_split_words(buf, w, WORDS_MAX);
}

/* One test run, within the budget; false when the search must stop. */
static bool run_test(struct state *st, const struct shrink_line *lines, size_t count,
                     bool *fails)
{
    struct shrink_search *s = st->s;
    *fails = false;
    if (s->runs >= s->max_runs) {
        s->is_budget_spent = true;
        return false;
    }
    s->runs++;
    st->status = s->test(s->ctx, lines, count, fails);
    if (s->progress) s->progress(s->ctx, s);
    return st->status == 0;
}

/* Is line j `at T heal NAME` naming a line left out? (The loader looks for NAME among
 * the faults before it, so only earlier lines count.) */
static bool heals_dropped(const struct state *st, size_t j)
{
    char buf[SHRINK_TEXT_BYTES];
    char *w[WORDS_MAX];
    if (words_of(st->s->lines[j].text, buf, sizeof buf, w) != 4 || strcmp(w[2], "heal") != 0)
        return false;
    for (size_t i = 0; i < j; i++)
        if (st->drop[i] && strcmp(st->s->lines[i].name, w[3]) == 0) return true;
    return false;
}

/* Runs the lines without those marked in drop (and without the heals naming them: one
 * ascending pass suffices, a heal naming only earlier lines). A failing candidate becomes
 * the lines. Clears drop; returns whether the candidate was taken. */
static bool try_drop(struct state *st)
{
    struct shrink_search *s = st->s;
    for (size_t j = 0; j < s->count; j++)
        if (!st->drop[j] && heals_dropped(st, j)) st->drop[j] = true;
    size_t kept = 0;
    for (size_t i = 0; i < s->count; i++)
        if (!st->drop[i]) st->scratch[kept++] = s->lines[i];
    bool fails = false;
    if (kept < s->count && run_test(st, st->scratch, kept, &fails) && fails) {
        memcpy(s->lines, st->scratch, kept * sizeof *s->lines);
        s->count = kept;
    }
    memset(st->drop, 0, st->capacity * sizeof *st->drop);
    return fails;
}

/* Runs the lines with line i replaced; a failing candidate becomes the lines. */
static bool try_line(struct state *st, size_t i, const struct shrink_line *line)
{
    struct shrink_search *s = st->s;
    memcpy(st->scratch, s->lines, s->count * sizeof *s->lines);
    st->scratch[i] = *line;
    bool fails = false;
    if (run_test(st, st->scratch, s->count, &fails) && fails) s->lines[i] = *line;
    return fails;
}

/* ddmin's complements: remove one of `parts` chunks; on success go coarser by one, when
 * none can go go finer, until chunks would be single lines (remove_singles' work). */
static void remove_chunks(struct state *st)
{
    size_t parts = 2;
    while (!is_stopped(st) && st->s->count >= 2) {
        size_t count = st->s->count;
        if (parts > count) parts = count;
        size_t chunk = (count + parts - 1) / parts;
        if (chunk == 1) return;
        bool is_removed = false;
        for (size_t start = 0; start < count && !is_removed && !is_stopped(st); start += chunk) {
            for (size_t i = start; i < start + chunk && i < count; i++) st->drop[i] = true;
            is_removed = try_drop(st);
        }
        if (is_removed) parts = parts > 2 ? parts - 1 : 2;
        else parts *= 2;
    }
}

/* Each line alone, pass after pass until a whole pass removes nothing; returns true when
 * such a pass finished (the lines are then 1-minimal). */
static bool remove_singles(struct state *st)
{
    for (;;) {
        bool is_removed = false;
        for (size_t i = 0; i < st->s->count && !is_stopped(st);) {
            st->drop[i] = true;
            if (try_drop(st)) is_removed = true; /* slot i now holds the next line */
            else i++;
        }
        if (is_stopped(st)) return false;
        if (!is_removed) return true;
    }
}

/* The line's words joined by one blank, word `at` replaced by `word`; false if too long. */
static bool rewrite(const struct shrink_line *from, char **w, int n, int at, const char *word,
                    struct shrink_line *to)
{
    *to = *from;
    size_t len = 0;
    to->text[0] = '\0';
    for (int k = 0; k < n; k++) {
        int wrote = snprintf(to->text + len, sizeof to->text - len, "%s%s", k ? " " : "",
                             k == at ? word : w[k]);
        if (wrote < 0 || (size_t)wrote >= sizeof to->text - len) return false;
        len += (size_t)wrote;
    }
    return true;
}

/* Halves each `for D` while the lines still fail. Returns whether any line changed. */
static bool shorten(struct state *st)
{
    struct shrink_search *s = st->s;
    bool is_changed = false;
    for (size_t i = 0; i < s->count && !is_stopped(st); i++) {
        char buf[SHRINK_TEXT_BYTES], at[32];
        char *w[WORDS_MAX];
        int n = words_of(s->lines[i].text, buf, sizeof buf, w);
        int64_t for_ns;
        if (n < 5 || strcmp(w[n - 2], "for") != 0 ||
            sim_units_parse(w[n - 1], SIM_UNIT_DURATION, &for_ns, NULL, 0) != 0)
            continue;
        bool is_line_changed = false;
        while (!is_stopped(st) && for_ns / 2 >= SHRINK_FOR_NS_MIN) {
            struct shrink_line line;
            if (!rewrite(&s->lines[i], w, n, n - 1, sim_units_format_ns(for_ns / 2, at, sizeof at),
                         &line) || !try_line(st, i, &line))
                break;
            for_ns /= 2;
            is_line_changed = true;
        }
        if (is_line_changed) s->shortened++;
        is_changed |= is_line_changed;
    }
    return is_changed;
}

/* Does this action start something? (A heal or restart ends one: delaying it would make
 * the fault it ends longer, not smaller; a flap's `until` bounds its start.) */
static bool is_delayable(const char *action)
{
    static const char *const actions[] = {"partition", "cut", "degrade", "crash", "pause", "step",
                                          "drift"};
    for (size_t k = 0; k < sizeof actions / sizeof actions[0]; k++)
        if (strcmp(action, actions[k]) == 0) return true;
    return false;
}

/* How late line i (starting `action` at at_ns) may start: before the end of the run, and
 * before the first later line that would end it (a `heal` naming it or healing all, for a
 * partition, cut or degrade; any `restart`, for a crash, whose nodes this does not
 * compare), so that delaying never turns a bounded fault into one that lasts to the end. */
static int64_t delay_bound_ns(const struct shrink_search *s, size_t i, const char *action,
                              int64_t at_ns)
{
    bool is_link = strcmp(action, "partition") == 0 || strcmp(action, "cut") == 0 ||
                   strcmp(action, "degrade") == 0;
    bool is_crash = strcmp(action, "crash") == 0;
    int64_t bound_ns = s->end_ns;
    for (size_t k = 0; k < s->count && (is_link || is_crash); k++) {
        char buf[SHRINK_TEXT_BYTES];
        char *w[WORDS_MAX];
        int n = words_of(s->lines[k].text, buf, sizeof buf, w);
        int64_t end_ns;
        if (k == i || n < 3 || sim_units_parse(w[1], SIM_UNIT_DURATION, &end_ns, NULL, 0) != 0 ||
            end_ns <= at_ns || end_ns >= bound_ns)
            continue;
        bool is_end = is_link ? strcmp(w[2], "heal") == 0 &&
                                    (n == 3 || strcmp(w[3], s->lines[i].name) == 0)
                              : strcmp(w[2], "restart") == 0;
        if (is_end) bound_ns = end_ns;
    }
    return bound_ns;
}

/* Pushes each starting fault later while the lines still fail: by half the time left to
 * the end, halving the step whenever that passes, SHRINK_DELAY_TRIES tries per line. */
static bool delay(struct state *st)
{
    struct shrink_search *s = st->s;
    bool is_changed = false;
    for (size_t i = 0; i < s->count && !is_stopped(st); i++) {
        char buf[SHRINK_TEXT_BYTES], at[32];
        char *w[WORDS_MAX];
        int n = words_of(s->lines[i].text, buf, sizeof buf, w);
        int64_t at_ns;
        if (n < 3 || !is_delayable(w[2]) ||
            sim_units_parse(w[1], SIM_UNIT_DURATION, &at_ns, NULL, 0) != 0 || at_ns >= s->end_ns)
            continue;
        int64_t bound_ns = delay_bound_ns(s, i, w[2], at_ns);
        int64_t step_ns = (bound_ns - at_ns) / 2;
        bool is_line_changed = false;
        for (int tries = 0; tries < SHRINK_DELAY_TRIES && step_ns >= SHRINK_FOR_NS_MIN &&
                            !is_stopped(st); tries++) {
            struct shrink_line line;
            const char *later = sim_units_format_ns(at_ns + step_ns, at, sizeof at);
            if (rewrite(&s->lines[i], w, n, 1, later, &line) && try_line(st, i, &line)) {
                at_ns += step_ns;
                is_line_changed = true;
                if (step_ns > (bound_ns - at_ns) / 2) step_ns = (bound_ns - at_ns) / 2;
            } else {
                step_ns /= 2;
            }
        }
        if (is_line_changed) s->delayed++;
        is_changed |= is_line_changed;
    }
    return is_changed;
}

int shrink_search(struct shrink_search *s)
{
    SIM_ASSERT(s->count <= SHRINK_LINES_MAX);
    SIM_ASSERT(s->test != NULL);
    s->runs = 0;
    s->is_budget_spent = s->is_one_minimal = false;
    s->shortened = s->delayed = 0;
    struct state st = {.s = s, .capacity = s->count ? s->count : 1};
    st.scratch = calloc(st.capacity, sizeof *st.scratch);
    st.drop = calloc(st.capacity, sizeof *st.drop);
    if (!st.scratch || !st.drop) {
        free(st.scratch);
        free(st.drop);
        cli_error("shrink: out of memory");
        return CLI_EXIT_IO;
    }
    if (s->count > 0) { /* perhaps it fails with no fault at all */
        for (size_t i = 0; i < s->count; i++) st.drop[i] = true;
        try_drop(&st);
    }
    remove_chunks(&st);
    bool is_one_minimal = remove_singles(&st);
    bool is_shortened = shorten(&st);
    bool is_delayed = delay(&st);
    if (is_shortened || is_delayed) is_one_minimal = remove_singles(&st);
    s->is_one_minimal = is_one_minimal && !is_stopped(&st);
    SIM_ASSERT(s->runs <= s->max_runs);
    free(st.scratch);
    free(st.drop);
    return st.status;
}
