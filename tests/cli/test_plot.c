/* tests/cli/test_plot.c - proves `murphy plot` (cli/cmd_plot.c) on a 4-point x 3-seed sweep
 * of timeout-tradeoff (node.monitor.timeout 750ms..3s/750ms): the SVG holds exactly one
 * marker per grid point and series (plus one per series in the key); hostile strings in a
 * metric name, a title and an output path (quotes, backslash, backquotes, `system(...)`)
 * run nothing and are drawn as text, and one with a newline is refused (exit 2); an
 * unknown sweep id or metric exits 2; a missing gnuplot exits 3 naming the package. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spawn.h"

#define GRID "node.monitor.timeout=750ms..3s/750ms"
#define POINTS 4
/* pt 7 and pt 5 are drawn as uses of gnuplot's SVG symbols gpPt6 and gpPt4 */
#define MARK_Y1 "xlink:href='#gpPt6' transform"
#define MARK_Y2 "xlink:href='#gpPt4' transform"

TestSuite(plot, .init = tmp_setup, .fini = tmp_teardown);

static const char *make_sweep(void)
{
    static char db[4096];
    snprintf(db, sizeof db, "%s", tmp_path("sweep.db"));
    struct spawn_result r;
    murphy(&r, "sweep", "timeout-tradeoff", "--set", GRID, "--seeds", "1..3", "--db", db,
           "--quiet", NULL);
    assert_exit(&r, 0);
    spawn_result_free(&r);
    return db;
}

static char *svg_of(const char *path)
{
    size_t bytes = 0;
    char *svg = read_file(path, &bytes);
    cr_assert(svg && bytes > 1000, "%s is missing or nearly empty (%zu bytes)", path, bytes);
    cr_assert(strstr(svg, "<svg"), "%s is not an SVG", path);
    return svg;
}

Test(plot, one_marker_per_grid_point_and_series)
{
    const char *db = make_sweep();
    char out[4096];
    snprintf(out, sizeof out, "%s", tmp_path("td.svg"));
    struct spawn_result r;
    murphy(&r, "plot", db, "--x", "detector.td_mean_ns", "--y", "detector.false_per_day",
           "--out", out, NULL);
    assert_exit(&r, 0);
    cr_assert(strstr(r.out, "plot: 4 points in 1 series from 4 grid points x 3 seeds"), "%s",
              r.out);
    char *svg = svg_of(out);
    /* each grid point once, and the key's sample */
    cr_assert_eq(count_lines_with(svg, MARK_Y1), POINTS + 1);
    cr_assert(strstr(svg, "detector.td_mean_ns (ms)"), "the ns metric is drawn in ms");
    text_free(svg);
    spawn_result_free(&r);

    /* against the swept key, two metrics with different units: the second on y2 */
    snprintf(out, sizeof out, "%s", tmp_path("two.svg"));
    murphy(&r, "plot", db, "--x", "node.monitor.timeout", "--y", "detector.false_per_day",
           "--y", "detector.td_mean_ns", "--out", out, NULL);
    assert_exit(&r, 0);
    cr_assert(strstr(r.out, "plot: 8 points in 2 series"), "%s", r.out);
    svg = svg_of(out);
    cr_assert_eq(count_lines_with(svg, MARK_Y1), POINTS + 1);
    cr_assert_eq(count_lines_with(svg, MARK_Y2), POINTS + 1);
    cr_assert(strstr(svg, "node.monitor.timeout (ms)"));
    text_free(svg);
    spawn_result_free(&r);

    /* PNG by the extension */
    snprintf(out, sizeof out, "%s", tmp_path("td.png"));
    murphy(&r, "plot", db, "--x", "node.monitor.timeout", "--y", "detector.pa", "--out", out,
           NULL);
    assert_exit(&r, 0);
    size_t bytes = 0;
    char *png = read_file(out, &bytes);
    cr_assert(png && bytes > 1000 && memcmp(png, "\x89PNG", 4) == 0, "not a PNG (%zu bytes)",
              bytes);
    text_free(png);
    spawn_result_free(&r);
}

Test(plot, hostile_strings_run_nothing)
{
    const char *db = make_sweep();
    char marker[2048], hostile[8192], evil_nl[8192], title[8192], out[4096];
    snprintf(marker, sizeof marker, "%s", tmp_path("x"));
    /* every way out of a gnuplot string we know: both quotes, backslash, backquotes,
     * a command after ';', a comment, a macro */
    snprintf(hostile, sizeof hostile,
             "a'b\"c\\d`touch %s`'; system(\"touch %s\") # @m \\'", marker, marker);
    snprintf(evil_nl, sizeof evil_nl, "nl\nsystem(\"touch %s\")", marker);
    snprintf(title, sizeof title, "t' . system('touch %s') . '", marker);
    sqlite3 *w = db_open(db, true);
    sqlite3_stmt *s = NULL;
    cr_assert_eq(sqlite3_prepare_v2(w, "UPDATE sweep_metrics SET name=?1 WHERE name=?2", -1,
                                    &s, NULL), SQLITE_OK);
    const char *renames[][2] = {{hostile, "detector.false_per_day"},
                                {evil_nl, "detector.mistakes"}};
    for (int i = 0; i < 2; i++) {
        sqlite3_reset(s);
        sqlite3_bind_text(s, 1, renames[i][0], -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, renames[i][1], -1, SQLITE_STATIC);
        cr_assert_eq(sqlite3_step(s), SQLITE_DONE);
        cr_assert_eq(sqlite3_changes(w), POINTS * 3); /* every row of the sweep */
    }
    sqlite3_finalize(s);
    db_close(w);

    /* the hostile name reaches the labels and the key, quoted, under a hostile title and
     * into a file whose name would break a shell */
    snprintf(out, sizeof out, "%s", tmp_path("q'\"; touch x;.svg"));
    struct spawn_result r;
    murphy(&r, "plot", db, "--x", "node.monitor.timeout", "--y", hostile, "--title", title,
           "--out", out, NULL);
    assert_exit(&r, 0);
    cr_assert(strstr(r.out, "plot: 4 points"), "%s", r.out);
    cr_assert_neq(access(marker, F_OK), 0, "the hostile name ran a command");
    char *svg = svg_of(out);
    cr_assert(strstr(svg, "system("), "the hostile text is drawn as text");
    text_free(svg);
    spawn_result_free(&r);

    /* a newline could end the command: refused before gnuplot runs */
    snprintf(out, sizeof out, "%s", tmp_path("nl.svg"));
    murphy(&r, "plot", db, "--x", "node.monitor.timeout", "--y", evil_nl, "--out", out, NULL);
    assert_exit(&r, 2);
    cr_assert(strstr(r.err, "control character"), "%s", r.err);
    cr_assert_neq(access(marker, F_OK), 0);
    cr_assert_neq(access(out, F_OK), 0, "no file for a refused plot");
    spawn_result_free(&r);
    murphy(&r, "plot", db, "--x", "node.monitor.timeout", "--y", "detector.pa", "--title",
           "two\nlines", "--out", out, NULL);
    assert_exit(&r, 2);
    spawn_result_free(&r);

    /* the hostile metric on the x axis; then a hostile --x that names nothing */
    murphy(&r, "plot", db, "--x", hostile, "--y", "detector.pa", "--out", out, NULL);
    assert_exit(&r, 0);
    cr_assert_neq(access(marker, F_OK), 0, "the hostile name ran a command");
    spawn_result_free(&r);
    strcat(hostile, "z");
    murphy(&r, "plot", db, "--x", hostile, "--y", "detector.pa", "--out", out, NULL);
    assert_exit(&r, 2);
    cr_assert(strstr(r.err, "neither a swept key nor a metric"), "%s", r.err);
    cr_assert_neq(access(marker, F_OK), 0);
    spawn_result_free(&r);
}

Test(plot, unknown_sweep_metric_or_gnuplot)
{
    const char *db = make_sweep();
    char out[4096];
    snprintf(out, sizeof out, "%s", tmp_path("p.svg"));
    struct spawn_result r;
    murphy(&r, "plot", db, "--sweep", "99", "--x", "node.monitor.timeout", "--y",
           "detector.pa", "--out", out, NULL);
    assert_exit(&r, 2);
    cr_assert(strstr(r.err, "no sweep 99"), "%s", r.err);
    spawn_result_free(&r);
    murphy(&r, "plot", db, "--sweep", "1", "--x", "node.monitor.timeout", "--y",
           "detector.no_such_metric", "--out", out, NULL);
    assert_exit(&r, 2);
    cr_assert(strstr(r.err, "not a metric"), "%s", r.err);
    spawn_result_free(&r);
    murphy(&r, "plot", db, "--x", "node.monitor.timeout", "--y", "detector.pa", "--out",
           tmp_path("p.pdf"), NULL);
    assert_exit(&r, 2);
    spawn_result_free(&r);
    cr_assert_neq(access(out, F_OK), 0);

    const char *env[] = {"MURPHY_GNUPLOT=/nonexistent/gnuplot", NULL};
    struct spawn_opts opts = {.env_add = env};
    const char *argv[] = {"plot", db, "--sweep", "1", "--x", "node.monitor.timeout", "--y",
                          "detector.pa", "--out", out, NULL};
    spawn_run(&r, &opts, argv);
    assert_exit(&r, 3);
    cr_assert(strstr(r.err, "gnuplot-nox"), "%s", r.err);
    cr_assert_neq(access(out, F_OK), 0, "no empty file left behind");
    spawn_result_free(&r);
}
