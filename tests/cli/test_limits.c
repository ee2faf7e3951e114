/* tests/cli/test_limits.c - bounds of docs/limits.md that no other suite reaches: each is
 * refused with exit 2 and a message naming the bound, never a crash or a silent cut:
 * node groups (SIM_GROUPS_MAX), link rules (SIM_LINK_RULES_MAX), the nemesis's nodes
 * (SIM_NEMESIS_NODES_MAX), seeds of a search (CLI_SEEDS_MAX), worker processes
 * (CLI_JOBS_MAX) and a line of a JSONL history (AN_HISTORY_LINE_BYTES_MAX). And one below
 * each scenario bound still loads. How: generated inputs, the real binary. */
#include <criterion/criterion.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spawn.h"

TestSuite(limits, .init = tmp_setup, .fini = tmp_teardown);

/* A growing text buffer for generated scenarios. */
struct text {
    char *s;
    size_t len, cap;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct text *t, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(t->s ? t->s + t->len : NULL, t->s ? t->cap - t->len : 0, fmt, ap);
        va_end(ap);
        cr_assert_geq(n, 0);
        if (t->s && t->len + (size_t)n < t->cap) {
            t->len += (size_t)n;
            return;
        }
        t->cap = (t->cap + (size_t)n + 1) * 2;
        t->s = realloc(t->s, t->cap);
        cr_assert_not_null(t->s);
    }
}

/* Runs `murphy run FILE --no-db` on text; asserts the exit and a piece of stderr. */
static void run_expect(const struct text *t, int exit_code, const char *needle)
{
    write_file(tmp_path("limit.ini"), t->s, t->len);
    struct spawn_result r;
    murphy(&r, "run", tmp_path("limit.ini"), "--no-db", "--quiet", NULL);
    assert_exit(&r, exit_code);
    if (needle) cr_assert(strstr(r.err, needle), "no '%s' in: %s", needle, r.err);
    spawn_result_free(&r);
}

static void groups(struct text *t, int count)
{
    put(t, "[scenario]\nduration = 10ms\n");
    for (int i = 0; i < count; i++) put(t, "[node.g%d]\nmodel = echo_server\n", i);
}

Test(limits, node_groups)
{
    struct text t = {0};
    groups(&t, 1024);
    run_expect(&t, 0, NULL);
    t.len = 0;
    groups(&t, 1025);
    run_expect(&t, 2, "1025 node groups pass SIM_GROUPS_MAX (1024)");
    free(t.s);
}

static void link_rules(struct text *t, int count)
{
    put(t, "[scenario]\nduration = 10ms\n[node.a]\nmodel = echo_server\ncount = 70\n"
           "[node.b]\nmodel = echo_server\ncount = 70\n");
    for (int i = 0; i < count; i++) put(t, "[link.a.%d->b.%d]\nloss = 1%%\n", i / 70, i % 70);
}

Test(limits, link_rules)
{
    struct text t = {0};
    link_rules(&t, 4095); /* with [link.default], 4096 */
    run_expect(&t, 0, NULL);
    t.len = 0;
    link_rules(&t, 4096);
    run_expect(&t, 2, "SIM_LINK_RULES_MAX");
    free(t.s);
}

Test(limits, nemesis_nodes)
{
    struct text t = {0};
    put(&t, "[scenario]\nduration = 1s\n[node.n]\nmodel = elect_node\ncount = 17\npeers = n\n"
            "[nemesis]\nevery = constant 1s\nkinds = pause\npause_for = constant 10ms\n");
    run_expect(&t, 2, "past SIM_NEMESIS_NODES_MAX (16)");
    free(t.s);
}

Test(limits, seeds_jobs_and_history_lines)
{
    struct spawn_result r;
    murphy(&r, "search", "split-brain", "--seeds", "1..10000001", "--db", tmp_path("s.db"), NULL);
    assert_exit(&r, 2);
    cr_assert(strstr(r.err, "at most 10000000 seeds"), "%s", r.err);
    spawn_result_free(&r);
    murphy(&r, "search", "split-brain", "--seeds", "1..2", "--jobs", "257", "--db",
           tmp_path("s.db"), NULL);
    assert_exit(&r, 2);
    cr_assert(strstr(r.err, "--jobs must be within 1..256"), "%s", r.err);
    spawn_result_free(&r);
    /* one history line past 64 KiB: named by file and line, nothing read past it */
    size_t bytes = 70000;
    char *line = malloc(bytes + 128);
    cr_assert_not_null(line);
    int head = snprintf(line, 128, "{\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\"value\":\"");
    memset(line + head, 'v', bytes);
    memcpy(line + head + bytes, "\"}\n", 3);
    write_file(tmp_path("big.jsonl"), line, (size_t)head + bytes + 3);
    free(line);
    murphy(&r, "check", "--history", tmp_path("big.jsonl"), NULL);
    assert_exit(&r, 2);
    cr_assert(strstr(r.err, "big.jsonl:1: a line longer than 65536 bytes"), "%s", r.err);
    spawn_result_free(&r);
}
