/* tests/cli/test_timeline.c - proves `murphy timeline`:
 * - the HTML page runs in a real browser (chromium-headless-shell, or $MURPHY_BROWSER):
 *   the page's own script writes a sentinel into the DOM that the test reads back from
 *   --dump-dom: "ok" with the counts of message arrows, drop marks and violations the page
 *   finds, which must equal SQL counts over the record; any script error turns it into
 *   "error: ..."; node names, violation, fault and note texts made hostile in the record
 *   (markup, "</script>", "<!--", U+2028) come out as text: no element of theirs exists
 *   in the DOM, no script of theirs ran. A missing browser FAILS the test, in CI and
 *   out of it: the page is the product, and an untested page is not a pass;
 * - the SVG is well-formed XML (the browser parses it as image/svg+xml without a
 *   parsererror) with one arrow per delivery of the window, also under --from/--to and
 *   --nodes, crashes and cuts as intervals;
 * - past 20,000 messages it draws exactly 20,000 and says to narrow the window;
 * - a late window of a long run draws as many pause intervals as SQL says overlap it
 *   (stale ones no longer fill the 10,000 kept), and the note names the kind cut short;
 * - heals of 92,000 faults are matched by name: a late window draws as many bands as SQL
 *   pairs, within 10s (a scan per heal took 43s);
 * - SVG titles break lines with &#10;, and U+FFFE/U+FFFF of a name come out as U+FFFD:
 *   xmllint (when installed) and the browser parse the file;
 * - the same run gives the same bytes from two processes, and the run replays;
 * - bad usage exits 2. */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spawn.h"

TestSuite(timeline, .init = tmp_setup, .fini = tmp_teardown);

#define BROWSER_TIMEOUT_S 90.0

static const char *const browsers[] = {
    "/usr/bin/chromium-headless-shell", "/usr/bin/chromium", "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
};

/* The browser to use: $MURPHY_BROWSER, else the first installed of the list. Fails the
 * test when there is none: never a skip. */
static const char *find_browser(void)
{
    const char *chosen = getenv("MURPHY_BROWSER");
    if (chosen && *chosen) {
        cr_assert_eq(access(chosen, X_OK), 0, "MURPHY_BROWSER=%s is not executable", chosen);
        return chosen;
    }
    for (size_t i = 0; i < sizeof browsers / sizeof browsers[0]; i++)
        if (access(browsers[i], X_OK) == 0) return browsers[i];
    cr_assert_fail("no headless browser: install chromium-headless-shell (apt-get install"
                   " chromium-headless-shell; .ci/run does) or set MURPHY_BROWSER%s",
                   getenv("MURPHY_REQUIRE_BROWSER") ? " (MURPHY_REQUIRE_BROWSER is set)" : "");
    return NULL;
}

/* Loads file in the headless browser and returns the DOM after its scripts ran (caller
 * frees with text_free); asserts the browser exited 0 within the time limit. */
static char *browser_dom(const char *file)
{
    const char *browser = find_browser();
    char url[4200], profile[4200], dom_path[4200];
    snprintf(url, sizeof url, "file://%s", file);
    snprintf(profile, sizeof profile, "--user-data-dir=%s", tmp_path("browser-profile"));
    snprintf(dom_path, sizeof dom_path, "%s", tmp_path("dom.html"));
    pid_t pid = fork();
    cr_assert_neq(pid, -1, "fork: %s", strerror(errno));
    if (pid == 0) {
        int out = open(dom_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int err = open(tmp_path("browser.err"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int in = open("/dev/null", O_RDONLY);
        if (out < 0 || err < 0 || in < 0) _exit(126);
        dup2(in, 0);
        dup2(out, 1);
        dup2(err, 2);
        /* no sandbox: CI runs as root in a container, where chromium's sandbox cannot start */
        execl(browser, browser, "--headless", "--disable-gpu", "--no-sandbox",
              "--no-first-run", "--allow-file-access-from-files", profile, "--dump-dom", url,
              (char *)NULL);
        _exit(127);
    }
    int status = 0;
    double start = now_s();
    pid_t done;
    while ((done = waitpid(pid, &status, WNOHANG)) == 0 && now_s() - start < BROWSER_TIMEOUT_S)
        sleep_ns(20 * 1000 * 1000);
    if (done == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        cr_assert_fail("%s did not finish within %.0fs", browser, BROWSER_TIMEOUT_S);
    }
    char *err = read_file(tmp_path("browser.err"), NULL);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s --dump-dom %s: status %d: %.2000s",
              browser, url, status, err ? err : "");
    text_free(err);
    char *dom = read_file(dom_path, NULL);
    cr_assert_not_null(dom);
    return dom;
}

/* The value of the data-murphy attribute (the page's sentinel) into out. */
static void sentinel(const char *dom, char *out, size_t out_bytes)
{
    const char *at = strstr(dom, "data-murphy=\"");
    cr_assert_not_null(at, "the page wrote no sentinel: %.3000s", dom);
    at += strlen("data-murphy=\"");
    const char *end = strchr(at, '"');
    cr_assert_not_null(end);
    snprintf(out, out_bytes, "%.*s", (int)(end - at), at);
}

static size_t count_of(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle)) n++;
    return n;
}

static void timeline(const char *db, int expected_exit, ...) __attribute__((sentinel));
static void timeline(const char *db, int expected_exit, ...)
{
    const char *argv[SPAWN_ARGS_MAX] = {"timeline", db};
    int n = 2;
    va_list ap;
    va_start(ap, expected_exit);
    for (const char *a; (a = va_arg(ap, const char *)) && n < SPAWN_ARGS_MAX - 1;) argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    struct spawn_result r;
    spawn_run(&r, NULL, argv);
    assert_exit(&r, expected_exit);
    spawn_result_free(&r);
}

/* at most 63 bytes (a record's name as read back); each payload, if it ever ran, would
 * leave data-pwned in the DOM */
#define HOSTILE_NAME "<img src=x onerror=document.body.dataset.pwned=1>"
#define HOSTILE_NAME_TEXT "&lt;img src=x onerror=document.body.dataset.pwned=1&gt;"

/* Records split-brain with naive elections on seed 6 (two leaders of term 1: one
 * violation naming two claims) and makes every text of the record hostile. */
static struct recorded hostile_split_brain(const char *db)
{
    const char *const naive[] = {"--set", "node.node.naive=true", NULL};
    struct recorded rec = record_run_argv(db, "split-brain", 6, 1, naive);
    sqlite3 *h = db_open(db, true);
    cr_assert_eq(db_exec(h, "UPDATE nodes SET name = '" HOSTILE_NAME "' WHERE run_id = ?1"
                            " AND node = 3", rec.run_id, 0), 1);
    cr_assert_eq(db_exec(h, "UPDATE violations SET text = text || ' </script><script>document."
                            "documentElement.dataset.pwned=2</script><!-- <img src=y>'"
                            " || char(8232) WHERE run_id = ?1", rec.run_id, 0), 1);
    cr_assert_geq(db_exec(h, "UPDATE faults SET text = '<img src=z>' || text WHERE run_id = ?1"
                             " AND action = 'partition'", rec.run_id, 0), 1);
    cr_assert_geq(db_exec(h, "UPDATE annotations SET text = '</script><svg onload=alert(3)>'"
                             " || char(8233) WHERE run_id = ?1 AND kind = 'note'", rec.run_id, 0),
                  1);
    db_close(h);
    return rec;
}

Test(timeline, html_runs_in_a_browser_with_hostile_strings_as_text)
{
    const char *db = tmp_path("sb.db"), *html = tmp_path("sb.html");
    struct recorded rec = hostile_split_brain(db);
    timeline(db, 0, "--out", html, NULL);
    sqlite3 *h = db_open(db, false);
    int64_t deliveries = db_int(h, "SELECT count(*) FROM events WHERE run_id = ?1 AND kind ="
                                   " 'deliver'", rec.run_id, 0);
    int64_t drops = db_int(h, "SELECT count(*) FROM events WHERE run_id = ?1 AND kind = 'drop'",
                           rec.run_id, 0);
    int64_t violations = db_int(h, "SELECT count(*) FROM violations WHERE run_id = ?1",
                                rec.run_id, 0);
    db_close(h);
    cr_assert_gt(deliveries, 1000, "a run that talks: %" PRId64, deliveries);
    cr_assert_gt(drops, 100, "the partitions drop messages: %" PRId64, drops);
    cr_assert_eq(violations, 1);

    /* the file itself: the record's markup is escaped, our two scripts are the only ones */
    char *file = read_file(html, NULL);
    cr_assert_not_null(file);
    cr_assert_eq(count_of(file, "<script"), 2, "only the page's own two script elements");
    cr_assert_eq(count_of(file, "</script"), 2, "nothing closes a script early");
    cr_assert_eq(count_of(file, "<!--"), 0);
    cr_assert_eq(count_of(file, "<img"), 0);
    cr_assert_eq(count_of(file, "<svg onload"), 0);
    /* the JSON is ASCII, U+2028/U+2029 \u-escaped (raw, they end a JavaScript line) */
    const char *json = strstr(file, "id=\"murphy-data\">");
    cr_assert_not_null(json);
    const char *json_end = strstr(json, "</script>");
    cr_assert_not_null(json_end);
    for (const char *c = json; c < json_end; c++)
        cr_assert_lt((unsigned char)*c, 0x80, "a raw byte at %td of the JSON", c - json);
    cr_assert_geq(count_of(json, "\\u2028"), 1);
    cr_assert_geq(count_of(json, "\\u2029"), 1);
    cr_assert_geq(count_of(json, "\\u003c/script\\u003e"), 1, "'</script>' is \\u003c-escaped");
    cr_assert_eq(count_of(file, "http://"), 1, "no network: only the SVG namespace names a URL");
    cr_assert_eq(count_of(file, "https://"), 0);
    text_free(file);

    char *dom = browser_dom(html);
    char got[256], want[256];
    sentinel(dom, got, sizeof got);
    cr_assert_eq(strncmp(got, "error", 5) != 0, true, "a script error: %s", got);
    snprintf(want, sizeof want, "ok arrows=%" PRId64 " drops=%" PRId64 " violations=%" PRId64
             " details=", deliveries, drops, violations);
    cr_assert_eq(strncmp(got, want, strlen(want)), 0, "sentinel '%s', expected '%s...'", got,
                 want);
    /* after the scripts ran: the hostile strings are text, nothing of theirs is an element */
    cr_assert_geq(count_of(dom, HOSTILE_NAME_TEXT), 1, "the node's name shows as text");
    cr_assert_eq(count_of(dom, "<img"), 0, "no <img> element in the DOM");
    cr_assert_eq(count_of(dom, "<script"), 2, "no injected script element");
    cr_assert_eq(count_of(dom, "data-pwned"), 0, "no injected script or handler ran");
    cr_assert_eq(count_of(dom, "<svg onload"), 0, "the note's markup made no element");
    cr_assert_geq(count_of(dom, "&lt;/script&gt;&lt;script&gt;document.documentElement"), 1,
                  "the violation's text shows as text in the list of violations");
    text_free(dom);
}

/* Events of a kind in [from_ns, to_ns] (?2, ?3 of the SQL) between nodes a and b (both
 * ends in {a, b}), or between any nodes when a < 0. The node indexes are the test's own
 * numbers. */
static int64_t count_window(sqlite3 *h, int64_t run_id, const char *kind, int64_t from_ns,
                            int64_t to_ns, int64_t a, int64_t b)
{
    char sql[512];
    if (a < 0)
        snprintf(sql, sizeof sql, "SELECT count(*) FROM events WHERE run_id = ?1 AND kind = '%s'"
                 " AND time_ns BETWEEN ?2 AND %" PRId64, kind, to_ns);
    else
        snprintf(sql, sizeof sql, "SELECT count(*) FROM events WHERE run_id = ?1 AND kind = '%s'"
                 " AND time_ns BETWEEN ?2 AND %" PRId64 " AND node IN (%" PRId64 ", %" PRId64 ")"
                 " AND peer IN (%" PRId64 ", %" PRId64 ")", kind, to_ns, a, b, a, b);
    return db_int(h, sql, run_id, from_ns);
}

#define S_NS INT64_C(1000000000)

Test(timeline, svg_is_well_formed_and_draws_the_window)
{
    const char *db = tmp_path("un.db"), *svg = tmp_path("un.svg"), *two = tmp_path("two.svg");
    const char *const shorter[] = {"--set", "scenario.duration=25s", NULL};
    struct recorded rec = record_run_argv(db, "unreliable-network", 1, 0, shorter);
    sqlite3 *h = db_open(db, true);
    cr_assert_eq(db_exec(h, "UPDATE nodes SET name = '" HOSTILE_NAME "' WHERE run_id = ?1"
                            " AND node = 2", rec.run_id, 0), 1);
    db_close(h);
    timeline(db, 0, "--from", "9s", "--to", "24s", "--out", svg, NULL);
    timeline(db, 0, "--from", "9s", "--to", "24s", "--nodes", "server,client.0", "--out", two,
             NULL);
    h = db_open(db, false);
    int64_t deliveries = count_window(h, rec.run_id, "deliver", 9 * S_NS, 24 * S_NS, -1, 0);
    int64_t drops = count_window(h, rec.run_id, "drop", 9 * S_NS, 24 * S_NS, -1, 0);
    int64_t all = count_window(h, rec.run_id, "deliver", 0, 25 * S_NS, -1, 0);
    int64_t pair = count_window(h, rec.run_id, "deliver", 9 * S_NS, 24 * S_NS, 0, 1);
    int64_t pair_drops = count_window(h, rec.run_id, "drop", 9 * S_NS, 24 * S_NS, 0, 1);
    db_close(h);
    cr_assert_gt(deliveries, 1000, "%" PRId64, deliveries);
    cr_assert_lt(deliveries, all, "the window leaves some out: %" PRId64 " of %" PRId64,
                 deliveries, all);
    cr_assert(pair > 100 && pair < deliveries, "server<->client.0: %" PRId64, pair);
    cr_assert_gt(drops, 10, "the crash and the cut drop messages: %" PRId64, drops);

    char *text = read_file(svg, NULL);
    cr_assert_not_null(text);
    cr_assert_eq((int64_t)count_of(text, "<line class=\"msg "), deliveries);
    cr_assert_eq((int64_t)count_of(text, "<path class=\"drop\""), drops);
    cr_assert_eq(count_of(text, "<rect class=\"crash\""), 1, "crash at 20s, restart at 23s");
    cr_assert_eq(count_of(text, "<rect class=\"cut\""), 1, "cut client.0 -> server 10s..12s");
    cr_assert_eq(count_of(text, "<rect class=\"pause\""), 0, "the pause at 40s is past the run");
    cr_assert_eq(count_of(text, "<line class=\"lane\""), 4);
    cr_assert_geq(count_of(text, HOSTILE_NAME_TEXT), 1);
    cr_assert_eq(count_of(text, "<img"), 0);
    cr_assert_eq(count_of(text, "<script"), 0);
    text_free(text);
    text = read_file(two, NULL);
    cr_assert_not_null(text);
    cr_assert_eq((int64_t)count_of(text, "<line class=\"msg "), pair);
    cr_assert_eq((int64_t)count_of(text, "<path class=\"drop\""), pair_drops);
    cr_assert_eq(count_of(text, "<line class=\"lane\""), 2);
    cr_assert_eq(count_of(text, "onerror"), 0, "client.1 (the hostile name) has no lane");
    text_free(text);

    /* the browser parses the SVG as XML: a malformed file would show a parsererror */
    char *dom = browser_dom(svg);
    cr_assert_eq(count_of(dom, "parsererror"), 0, "%.2000s", dom);
    cr_assert_eq((int64_t)count_of(dom, "<line class=\"msg "), deliveries);
    cr_assert_eq(count_of(dom, "<img"), 0);
    text_free(dom);
}

Test(timeline, past_the_bound_it_draws_20000_messages_and_says_so)
{
    const char *db = tmp_path("long.db"), *svg = tmp_path("long.svg");
    const char *const longer[] = {"--set", "scenario.duration=80s", NULL};
    struct recorded rec = record_run_argv(db, "unreliable-network", 1, 0, longer);
    sqlite3 *h = db_open(db, false);
    int64_t messages = db_int(h, "SELECT count(*) FROM events WHERE run_id = ?1 AND kind IN"
                                 " ('deliver', 'drop')", rec.run_id, 0);
    db_close(h);
    cr_assert_gt(messages, 20000, "%" PRId64, messages);
    struct spawn_result r;
    murphy(&r, "timeline", db, "--out", svg, NULL);
    assert_exit(&r, 0);
    cr_assert(strstr(r.out, "narrow it with --from/--to"), "%s", r.out);
    spawn_result_free(&r);
    char *text = read_file(svg, NULL);
    cr_assert_not_null(text);
    size_t drawn = count_of(text, "<line class=\"msg ") + count_of(text, "<path class=\"drop\"");
    cr_assert_eq(drawn, 20000);
    cr_assert_eq(count_of(text, "Not everything is drawn"), 1);
    text_free(text);
}

Test(timeline, same_run_same_bytes_from_two_processes)
{
    const char *db = tmp_path("sb.db");
    struct recorded rec = hostile_split_brain(db);
    const char *outs[] = {tmp_path("a.html"), tmp_path("b.html"), tmp_path("a.svg"),
                          tmp_path("b.svg")};
    for (int i = 0; i < 4; i++) timeline(db, 0, "--out", outs[i], NULL);
    for (int i = 0; i < 4; i += 2) {
        size_t a_bytes = 0, b_bytes = 0;
        char *a = read_file(outs[i], &a_bytes), *b = read_file(outs[i + 1], &b_bytes);
        cr_assert(a && b);
        cr_assert_gt(a_bytes, 100000, "%zu", a_bytes);
        cr_assert_eq(a_bytes, b_bytes);
        cr_assert_eq(memcmp(a, b, a_bytes), 0, "%s and %s differ", outs[i], outs[i + 1]);
        text_free(a);
        text_free(b);
    }
    /* the hostile edits touched texts only: the run still replays event for event */
    assert_replay_identical(db, &rec);
}

Test(timeline, bad_usage_exits_2)
{
    const char *db = tmp_path("sb.db");
    const char *const naive[] = {"--set", "node.node.naive=true", "--set",
                                 "scenario.duration=1s", NULL};
    record_run_argv(db, "split-brain", 6, 1, naive);
    timeline(db, 2, NULL);                                               /* no --out */
    timeline(db, 2, "--out", tmp_path("t.png"), NULL);                   /* not .html/.svg */
    timeline(db, 2, "--nodes", "node.0,nosuch", "--out", tmp_path("t.svg"), NULL);
    timeline(db, 2, "--from", "2s", "--to", "1s", "--out", tmp_path("t.svg"), NULL);
    timeline(db, 2, "--from", "soon", "--out", tmp_path("t.svg"), NULL);
    timeline(db, 2, "--bogus", "--out", tmp_path("t.svg"), NULL);
    timeline(db, 2, "--run", "99", "--out", tmp_path("t.svg"), NULL);    /* no such run */
    timeline(tmp_path("missing.db"), 3, "--out", tmp_path("t.svg"), NULL);
    timeline(db, 3, "--out", tmp_path("no/such/dir/t.svg"), NULL);
    /* the window past the run's end is empty, not an error */
    timeline(db, 0, "--from", "5s", "--out", tmp_path("t.svg"), NULL);
    char *text = read_file(tmp_path("t.svg"), NULL);
    cr_assert_not_null(text);
    cr_assert_eq(count_of(text, "<line class=\"msg "), 0);
    cr_assert_eq(count_of(text, "<line class=\"lane\""), 5);
    text_free(text);
}

Test(timeline, clocks_show_each_nodes_offset_from_true_time)
{
    /* lww-skew: carol's wall clock runs 50ms ahead (clock_offset), without drift; the
     * others are exact. A 2s window has ticks every 200ms (about ten to a window). */
    const char *db = tmp_path("lww.db"), *svg = tmp_path("lww.svg");
    const char *const shorter[] = {"--set", "scenario.duration=2s", NULL};
    struct recorded rec = record_run_argv(db, "lww-skew", 1, RUN_EXIT_OK_OR_VIOLATED, shorter);
    timeline(db, 0, "--out", svg, NULL);
    sqlite3 *h = db_open(db, false);
    int64_t carol = db_node(h, rec.run_id, "carol");
    cr_assert_eq(db_int(h, "SELECT clock_offset_ns FROM nodes WHERE run_id = ?1 AND node = ?2",
                        rec.run_id, carol), 50000000);
    cr_assert_eq(db_int(h, "SELECT count(*) FROM nodes WHERE run_id = ?1 AND (clock_offset_ns"
                           " <> 0 OR clock_drift_ppb <> 0)", rec.run_id, 0), 1);
    /* carol's readings: one per 200ms interval in which she has an event */
    int64_t carol_ticks = db_int(h, "SELECT count(DISTINCT time_ns / 200000000) FROM events"
                                    " WHERE run_id = ?1 AND node = ?2", rec.run_id, carol);
    int64_t lanes_ticks = db_int(h, "SELECT count(*) FROM (SELECT DISTINCT node, time_ns /"
                                    " 200000000 FROM events WHERE run_id = ?1 AND node IS NOT"
                                    " NULL)", rec.run_id, 0);
    int64_t violations = db_int(h, "SELECT count(*) FROM violations WHERE run_id = ?1",
                                rec.run_id, 0);
    db_close(h);
    cr_assert_geq(carol_ticks, 5, "%" PRId64, carol_ticks);
    char *text = read_file(svg, NULL);
    cr_assert_not_null(text);
    cr_assert_eq((int64_t)count_of(text, ">wall +50.000ms<"), carol_ticks);
    cr_assert_eq((int64_t)count_of(text, ">wall +0.000ms<"), lanes_ticks - carol_ticks);
    cr_assert_eq((int64_t)count_of(text, "class=\"clock\""), lanes_ticks);
    cr_assert_gt(violations, 0, "lww-skew loses acknowledged writes");
    cr_assert_eq((int64_t)count_of(text, "<g class=\"violation\""), violations);
    text_free(text);
}

/* Five nodes pausing for GC (5ms, every 20ms on average each, so pauses overlap across
 * nodes): 150s give about 12,500 pause intervals, more than the 10,000 the model keeps. */
static const char gc_scenario[] =
    "[scenario]\nname = gc-often\nduration = 150s\n\n"
    "[node.n]\nmodel = elect_node\ncount = 5\npeers = n\nnaive = true\n"
    "election_timeout = 300ms\nheartbeat = 50ms\nlease = 250ms\nact_every = 100ms\n"
    "gc_every = exponential 20ms\ngc_pause = constant 5ms\n\n"
    "[link.default]\ndelay = constant 1ms\n";

/* Pause intervals of the record that overlap [?2, to_ns]: a pause opens one when its node
 * is not paused already (the previous pause/resume of the node is a resume, or none), a
 * resume after a pause closes it; so opened by to_ns minus closed before from. */
static int64_t pauses_overlapping(sqlite3 *h, int64_t run_id, int64_t from_ns, int64_t to_ns)
{
    char sql[1024];
    snprintf(sql, sizeof sql,
             "WITH p AS (SELECT kind, time_ns, lag(kind) OVER (PARTITION BY node ORDER BY seq)"
             " AS before FROM events WHERE run_id = ?1 AND kind IN ('pause', 'resume'))"
             " SELECT (SELECT count(*) FROM p WHERE kind = 'pause' AND (before IS NULL OR"
             " before = 'resume') AND time_ns <= %" PRId64 ") - (SELECT count(*) FROM p WHERE"
             " kind = 'resume' AND before = 'pause' AND time_ns < ?2)", to_ns);
    return db_int(h, sql, run_id, from_ns);
}

Test(timeline, a_late_window_draws_every_interval_that_overlaps_it)
{
    const char *ini = tmp_path("gc.ini"), *db = tmp_path("gc.db");
    const char *late = tmp_path("late.svg"), *early = tmp_path("early.svg");
    write_file(ini, gc_scenario, sizeof gc_scenario - 1);
    struct recorded rec = record_run_argv(db, ini, 1, 0, NULL);
    sqlite3 *h = db_open(db, false);
    cr_assert_eq(db_int(h, "SELECT count(*) FROM events WHERE run_id = ?1 AND kind IN"
                           " ('crash', 'restart')", rec.run_id, 0), 0, "pauses only");
    int64_t all = pauses_overlapping(h, rec.run_id, 0, 150 * S_NS);
    int64_t in_late = pauses_overlapping(h, rec.run_id, 149 * S_NS, 150 * S_NS);
    int64_t in_early = pauses_overlapping(h, rec.run_id, 10 * S_NS, 11 * S_NS);
    db_close(h);
    cr_assert_gt(all, 10000, "more intervals than the model keeps: %" PRId64, all);
    cr_assert_gt(in_late, 100, "%" PRId64, in_late);
    cr_assert_gt(in_early, 100, "%" PRId64, in_early);

    struct spawn_result r;
    murphy(&r, "timeline", db, "--from", "149s", "--to", "150s", "--out", late, NULL);
    assert_exit(&r, 0);
    char want[128];
    snprintf(want, sizeof want, ", %" PRId64 " intervals,", in_late);
    cr_assert(strstr(r.out, want), "expected '%s' in: %s", want, r.out);
    cr_assert_null(strstr(r.out, "note:"), "nothing left out of a 1s window: %s", r.out);
    spawn_result_free(&r);
    timeline(db, 0, "--from", "10s", "--to", "11s", "--out", early, NULL);
    char *text = read_file(late, NULL);
    cr_assert_not_null(text);
    cr_assert_eq((int64_t)count_of(text, "<rect class=\"pause\""), in_late);
    text_free(text);
    text = read_file(early, NULL);
    cr_assert_not_null(text);
    cr_assert_eq((int64_t)count_of(text, "<rect class=\"pause\""), in_early);
    text_free(text);

    /* the whole run: 10,000 of them drawn, and the note says which kind was cut short */
    murphy(&r, "timeline", db, "--out", tmp_path("all.svg"), NULL);
    assert_exit(&r, 0);
    snprintf(want, sizeof want, "10000 of %" PRId64 " intervals", all);
    cr_assert(strstr(r.out, want), "expected '%s' in: %s", want, r.out);
    spawn_result_free(&r);
}

/* A nemesis cutting or partitioning every 13ms for 5ms, 600s: 92,000 faults, half of them
 * heals, each naming the fault it ends. */
static const char nemesis_scenario[] =
    "[scenario]\nname = many-faults\nduration = 600s\n\n"
    "[node.n]\nmodel = elect_node\ncount = 5\npeers = n\nnaive = true\n"
    "election_timeout = 300ms\nheartbeat = 50ms\nlease = 250ms\nact_every = 100ms\n\n"
    "[link.default]\ndelay = constant 1ms\n\n"
    "[nemesis]\nevery = constant 13ms\nkinds = partition, cut\npartition_for = constant 5ms\n"
    "cut_for = constant 5ms\n";

Test(timeline, heals_of_many_faults_are_matched_by_name_in_linear_time)
{
    const char *ini = tmp_path("many.ini"), *db = tmp_path("many.db");
    const char *svg = tmp_path("many.svg");
    write_file(ini, nemesis_scenario, sizeof nemesis_scenario - 1);
    struct recorded rec = record_run_argv(db, ini, 1, 0, NULL);
    sqlite3 *h = db_open(db, false);
    int64_t faults = db_int(h, "SELECT count(*) FROM faults WHERE run_id = ?1", rec.run_id, 0);
    /* bands overlapping [599s, 600s]: a partition or cut begun by 600s whose heal (the heal
     * of its name) came at 599s or later */
    int64_t bands = db_int(h, "SELECT count(*) FROM events e JOIN faults f ON f.run_id ="
                              " e.run_id AND f.fault = e.obj_id JOIN faults hf ON hf.run_id ="
                              " f.run_id AND hf.name = f.name AND hf.action = 'heal' JOIN events"
                              " he ON he.run_id = hf.run_id AND he.kind = 'fault' AND he.obj_id"
                              " = hf.fault WHERE e.run_id = ?1 AND e.kind = 'fault' AND e.detail"
                              " IN ('partition', 'cut') AND e.time_ns <= 600000000000 AND"
                              " he.time_ns >= ?2", rec.run_id, 599 * S_NS);
    db_close(h);
    cr_assert_gt(faults, 90000, "%" PRId64, faults);
    cr_assert_gt(bands, 50, "%" PRId64, bands);
    struct spawn_result r;
    murphy(&r, "timeline", db, "--from", "599s", "--to", "600s", "--out", svg, NULL);
    assert_exit(&r, 0);
    double took_s = r.elapsed_s;
    spawn_result_free(&r);
#if !MURPHY_TEST_SANITIZED
    /* about 0.5s here; a scan of the earlier faults per heal took 43s */
    cr_assert_lt(took_s, 10.0, "%.1fs for %" PRId64 " faults", took_s, faults);
#endif
    char *text = read_file(svg, NULL);
    cr_assert_not_null(text);
    int64_t drawn = (int64_t)(count_of(text, "<rect class=\"partition\"") +
                              count_of(text, "<rect class=\"cut\""));
    cr_assert_eq(drawn, bands, "took %.1fs", took_s);
    text_free(text);
}

/* xmllint --noout FILE's exit status (its messages in xmllint.err), -1 if it did not exit. */
static int xmllint(const char *file)
{
    pid_t pid = fork();
    cr_assert_neq(pid, -1, "fork: %s", strerror(errno));
    if (pid == 0) {
        int err = open(tmp_path("xmllint.err"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (err < 0) _exit(126);
        dup2(err, 1);
        dup2(err, 2);
        execl("/usr/bin/xmllint", "xmllint", "--noout", file, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* U+FFFE and U+FFFF pass cli_safe but XML 1.0 forbids them: they come out as U+FFFD. */
#define NONCHAR_NAME "odd\xef\xbf\xbe\xef\xbf\xbf<b>"

Test(timeline, svg_titles_have_real_newlines_and_no_xml_forbidden_characters)
{
    const char *db = tmp_path("un.db"), *svg = tmp_path("un.svg");
    const char *const shorter[] = {"--set", "scenario.duration=3s", NULL};
    struct recorded rec = record_run_argv(db, "unreliable-network", 1, 0, shorter);
    sqlite3 *h = db_open(db, true);
    cr_assert_eq(db_exec(h, "UPDATE nodes SET name = '" NONCHAR_NAME "' || char(10) || 'x'"
                            " WHERE run_id = ?1 AND node = 2", rec.run_id, 0), 1);
    int64_t deliveries = db_int(h, "SELECT count(*) FROM events WHERE run_id = ?1 AND kind ="
                                   " 'deliver'", rec.run_id, 0);
    db_close(h);
    cr_assert_gt(deliveries, 100, "%" PRId64, deliveries);
    timeline(db, 0, "--out", svg, NULL);
    char *text = read_file(svg, NULL);
    cr_assert_not_null(text);
    size_t titles = count_of(text, "<title>");
    cr_assert_geq((int64_t)titles, deliveries, "a title per arrow at least");
    /* every line break of a title is &#10;; a record's own newline still shows as \x0a */
    cr_assert_geq(count_of(text, "&#10;"), titles, "each title has at least a second line");
    size_t names = count_of(text, "odd\xef\xbf\xbd\xef\xbf\xbd&lt;b&gt;\\x0ax");
    cr_assert_geq(names, 1, "the name with U+FFFD for U+FFFE and U+FFFF");
    cr_assert_eq(count_of(text, "\\x0a"), names, "\\x0a only in the hostile name");
    cr_assert_eq(count_of(text, "\xef\xbf\xbe"), 0);
    cr_assert_eq(count_of(text, "\xef\xbf\xbf"), 0);
    cr_assert_eq(count_of(text, "<b>"), 0);
    text_free(text);
    /* a real XML parser agrees: xmllint when installed, the browser's always */
    if (access("/usr/bin/xmllint", X_OK) == 0) {
        int status = xmllint(svg);
        char *err = read_file(tmp_path("xmllint.err"), NULL);
        cr_assert_eq(status, 0, "xmllint --noout: %.2000s", err ? err : "");
        text_free(err);
    }
    char *dom = browser_dom(svg);
    cr_assert_eq(count_of(dom, "parsererror"), 0, "%.2000s", dom);
    cr_assert_eq((int64_t)count_of(dom, "<line class=\"msg "), deliveries);
    text_free(dom);
}

/* Lies are marks (purple diamonds) carrying the truth the record states beside them: one
 * per lie event, each with the lie's text in its hover data. */
Test(timeline, lies_are_drawn_with_their_truth)
{
    const char *db = tmp_path("byz.db");
    const char *const three[] = {"--set", "node.general.count=3", NULL};
    struct recorded rec = record_run_argv(db, "byzantine-generals", 1, 1, three);
    timeline(db, 0, "--out", tmp_path("byz.svg"), NULL);
    sqlite3 *h = db_open(db, false);
    int64_t lies = db_int(h, "SELECT count(*) FROM events WHERE run_id = ?1 AND kind = 'lie'",
                          rec.run_id, 0);
    db_close(h);
    cr_assert_geq(lies, 1);
    char *svg = read_file(tmp_path("byz.svg"), NULL);
    cr_assert_not_null(svg);
    cr_assert_eq((int64_t)count_of(svg, "class=\"mark lie\""), lies);
    cr_assert_geq((int64_t)count_of(svg, "the truth is"), lies, "each lie with its truth");
    text_free(svg);
}
