/* cli/cmd_plot.c - `murphy plot`: draws a stored sweep's table (sweep.h) with gnuplot, one
 * point per grid point: a metric's mean over the seeds with min/max error bars, against a
 * swept key or another metric's mean.
 *
 * Why the care with strings: metric names, keys, units, the scenario's name and --title come
 * from the command line or from a database anyone may have written, and gnuplot's language
 * can run shell commands (system(), backquotes, `!`). So every such string enters the
 * script only through gp_quote (a single-quoted gnuplot string: no escapes, no
 * substitution, '' for a quote; control bytes refused), numbers only as %.17g, the data
 * inline (`$s0 << EOD`), and the output path never: gnuplot writes to its stdout, which is
 * the file we opened. gnuplot runs by fork/exec with the script on stdin; no shell. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/units.h"
#include "sweep.h"

#define SERIES_MAX 2
#define QUOTED_BYTES 1024

static const char usage[] =
    "usage: murphy plot DB [--sweep ID] --x KEY --y METRIC [--y METRIC2] [--out FILE]\n"
    "                  [--title TEXT]\n"
    "\n"
    "Draws a sweep stored in DB (`murphy sweep --db`, `murphy merge`) with gnuplot: one\n"
    "point per grid point, at the mean over its seeds, with error bars from the min to the\n"
    "max seed.\n"
    "\n"
    "  --sweep ID      which sweep of DB (the id `murphy sweep` prints); default the newest\n"
    "  --x KEY         a swept key (node.monitor.timeout: its value at each point, durations\n"
    "                  in ms) or a metric (its mean, with min/max bars)\n"
    "  --y METRIC      a metric (see the sweep's table); a second --y goes on the right-hand\n"
    "                  axis when its unit differs\n"
    "  --out FILE      FILE.svg or FILE.png; default sweep.svg\n"
    "  --title TEXT    the plot's title; default the scenario and the sweep id\n"
    "  metrics in ns are drawn in ms\n"
    "\n"
    "Example, detection time against false suspicions, one point per timeout:\n"
    "  murphy plot sweep.db --x detector.td_mean_ns --y detector.false_per_day\n"
    "\n"
    "Needs gnuplot (Debian: apt-get install gnuplot-nox); MURPHY_GNUPLOT names another binary.\n"
    "\n"
    "exit status: 0 drawn, 2 bad usage, no such sweep, key or metric, 3 database error,\n"
    "gnuplot missing or failing\n";

struct plot_args {
    const char *db_path;
    uint64_t sweep_id;
    const char *x;
    const char *y[SERIES_MAX];
    size_t y_count;
    const char *out_path;
    const char *title;
    bool is_png;
};

/* One coordinate of one grid point: a mean with its range over the seeds. */
struct coord {
    bool has_value;
    double mean, min, max;
};

static int parse_args(int argc, char **argv, struct plot_args *a)
{
    *a = (struct plot_args){.out_path = "sweep.svg"};
    int status = CLI_EXIT_OK;
    for (int i = 1; i < argc && status == CLI_EXIT_OK; i++) {
        const char *v = NULL;
        if (cli_opt(argc, argv, &i, "--sweep", &v, &status)) {
            if (v && (cli_parse_u64(v, "--sweep", &a->sweep_id) != 0 || a->sweep_id == 0 ||
                      a->sweep_id > INT64_MAX)) {
                if (a->sweep_id == 0) cli_error("--sweep: ids start at 1");
                status = CLI_EXIT_USAGE;
            }
        } else if (cli_opt(argc, argv, &i, "--x", &v, &status)) {
            a->x = v;
        } else if (cli_opt(argc, argv, &i, "--y", &v, &status)) {
            if (!v) break;
            if (a->y_count == SERIES_MAX) {
                cli_error("plot: at most %d --y metrics", SERIES_MAX);
                status = CLI_EXIT_USAGE;
            } else a->y[a->y_count++] = v;
        } else if (cli_opt(argc, argv, &i, "--out", &v, &status)) {
            a->out_path = v;
        } else if (cli_opt(argc, argv, &i, "--title", &v, &status)) {
            a->title = v;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            cli_error("plot: unknown option '%s' (see murphy plot --help)", argv[i]);
            status = CLI_EXIT_USAGE;
        } else if (!a->db_path) {
            a->db_path = argv[i];
        } else {
            cli_error("plot: one database at a time, got '%s' and '%s'", a->db_path, argv[i]);
            status = CLI_EXIT_USAGE;
        }
    }
    if (status != CLI_EXIT_OK) return status;
    if (!a->db_path || !a->x || a->y_count == 0) {
        cli_error("plot: expected DB --x KEY --y METRIC (see murphy plot --help)");
        return CLI_EXIT_USAGE;
    }
    size_t len = strlen(a->out_path);
    a->is_png = len > 4 && strcmp(a->out_path + len - 4, ".png") == 0;
    if (!a->is_png && !(len > 4 && strcmp(a->out_path + len - 4, ".svg") == 0)) {
        cli_error("--out '%s': the name must end in .svg or .png", a->out_path);
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

/* s as a single-quoted gnuplot string into out. Inside single quotes gnuplot expands
 * nothing (no backslash escapes, no backquote substitution, no macros); a quote is
 * written twice. A control byte could end the command (newline) or hide one, so it is
 * refused rather than escaped. False, with a message naming `what`, if s is refused. */
static bool gp_quote(const char *s, const char *what, char *out, size_t out_bytes)
{
    size_t at = 0;
    out[at++] = '\'';
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            char safe[256];
            cli_error("plot: %s '%s' holds a control character; not plotting it", what,
                      cli_safe(s, safe, sizeof safe));
            return false;
        }
        if (at + 4 >= out_bytes) {
            cli_error("plot: %s is too long (%zu bytes at most)", what, out_bytes / 2);
            return false;
        }
        if (*p == '\'') out[at++] = '\'';
        out[at++] = (char)*p;
    }
    out[at++] = '\'';
    out[at] = '\0';
    return true;
}

/* ---- the numbers ------------------------------------------------------------------ */

/* Metric `name` over rows[from, to) (one point), summed in seed order; its unit. */
static struct coord metric_coord(const struct sweep_row *rows, size_t from, size_t to,
                                 const char *name, const char **unit)
{
    struct coord c = {0};
    size_t n = 0;
    double sum = 0;
    for (size_t i = from; i < to; i++)
        for (size_t m = 0; m < rows[i].metric_count; m++) {
            const struct sweep_metric *x = &rows[i].metrics[m];
            if (strcmp(x->name, name) != 0 || !isfinite(x->value)) continue;
            if (n == 0 || x->value < c.min) c.min = x->value;
            if (n == 0 || x->value > c.max) c.max = x->value;
            sum += x->value;
            n++;
            *unit = x->unit;
        }
    if (n) {
        c.has_value = true;
        c.mean = sum / (double)n;
    }
    return c;
}

/* The value of swept key `key` in a point's overrides ("k=v" lines): a duration (in ms,
 * *is_duration set) or a plain number. 1 found, 0 not swept here, -1 not a number. */
static int key_value(const char *overrides, const char *key, double *value, bool *is_duration)
{
    size_t key_len = strlen(key);
    for (const char *line = overrides; line && *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        if (len > key_len && strncmp(line, key, key_len) == 0 && line[key_len] == '=') {
            char text[128];
            size_t vlen = len - key_len - 1;
            if (vlen >= sizeof text) return -1;
            memcpy(text, line + key_len + 1, vlen);
            text[vlen] = '\0';
            int64_t ns;
            char *end = NULL;
            if (sim_units_parse(text, SIM_UNIT_DURATION, &ns, NULL, 0) == 0) {
                *value = (double)ns / 1e6;
                *is_duration = true;
                return 1;
            }
            *value = strtod(text, &end);
            return end != text && *end == '\0' && isfinite(*value) ? 1 : -1;
        }
        line = nl ? nl + 1 : NULL;
    }
    return 0;
}

/* ns are drawn in ms; everything else as stored. */
static double scale_of(const char *unit) { return strcmp(unit, "ns") == 0 ? 1e-6 : 1.0; }
static const char *shown_unit(const char *unit) { return strcmp(unit, "ns") == 0 ? "ms" : unit; }

/* ---- the script -------------------------------------------------------------------- */

struct script {
    char *text;
    size_t len;
    FILE *f;
};

/* Writes the gnuplot script for the sweep into s (open_memstream). Returns an exit
 * status; *points_drawn counts the data lines over all series. */
static int write_script(FILE *f, const struct plot_args *a, const struct sweep_spec *spec,
                        int64_t sweep_id, const struct sweep_row *rows, size_t row_count,
                        size_t *points_drawn)
{
    char qx[QUOTED_BYTES], qtitle[QUOTED_BYTES], qlabel[QUOTED_BYTES];
    char label[QUOTED_BYTES];
    /* is --x a swept key or a metric? */
    bool x_is_key = false, x_is_duration = false;
    for (uint32_t p = 0; p < spec->point_count && !x_is_key; p++) {
        double v;
        x_is_key = key_value(spec->point_overrides[p], a->x, &v, &x_is_duration) != 0;
    }
    const char *x_unit = NULL;
    if (!x_is_key) {
        for (size_t i = 0; i < row_count && !x_unit; i++)
            for (size_t m = 0; m < rows[i].metric_count && !x_unit; m++)
                if (strcmp(rows[i].metrics[m].name, a->x) == 0) x_unit = rows[i].metrics[m].unit;
        if (!x_unit) {
            char safe[256];
            cli_error("plot: --x '%s' is neither a swept key nor a metric of sweep %" PRId64
                      " (its grid:\n%s)", cli_safe(a->x, safe, sizeof safe), sweep_id,
                      spec->grid);
            return CLI_EXIT_USAGE;
        }
    }
    const char *y_units[SERIES_MAX] = {NULL, NULL};
    for (size_t s = 0; s < a->y_count; s++) {
        for (size_t i = 0; i < row_count && !y_units[s]; i++)
            for (size_t m = 0; m < rows[i].metric_count && !y_units[s]; m++)
                if (strcmp(rows[i].metrics[m].name, a->y[s]) == 0)
                    y_units[s] = rows[i].metrics[m].unit;
        if (!y_units[s]) {
            char safe[256];
            cli_error("plot: --y '%s' is not a metric of sweep %" PRId64 " (murphy sweep prints "
                      "them in its table)", cli_safe(a->y[s], safe, sizeof safe), sweep_id);
            return CLI_EXIT_USAGE;
        }
    }
    bool has_y2 = a->y_count == 2 && strcmp(y_units[0], y_units[1]) != 0;

    if (a->title) snprintf(label, sizeof label, "%s", a->title);
    else snprintf(label, sizeof label, "%s: sweep %" PRId64 ", %" PRIu32 " seeds per point",
                  spec->scenario, sweep_id, spec->seed_count);
    if (!gp_quote(label, "the title", qtitle, sizeof qtitle)) return CLI_EXIT_USAGE;
    fprintf(f, "set terminal %s noenhanced\n",
            a->is_png ? "pngcairo size 960,600 font 'sans,10'" : "svg size 960,600 font 'sans,11'");
    fputs("set output\nset grid\nset key outside bottom center horizontal\n", f);
    fprintf(f, "set title %s\n", qtitle);
    snprintf(label, sizeof label, "%s (%s)", a->x,
             x_is_key ? (x_is_duration ? "ms" : "value") : shown_unit(x_unit));
    if (!gp_quote(label, "--x", qx, sizeof qx)) return CLI_EXIT_USAGE;
    fprintf(f, "set xlabel %s\n", qx);
    for (size_t s = 0; s < a->y_count; s++) {
        snprintf(label, sizeof label, "%s (%s)", a->y[s], shown_unit(y_units[s]));
        if (!gp_quote(label, "--y", qlabel, sizeof qlabel)) return CLI_EXIT_USAGE;
        if (s == 1 && has_y2) fprintf(f, "set y2label %s\nset y2tics\nset ytics nomirror\n", qlabel);
        else if (s == 0) fprintf(f, "set ylabel %s\n", qlabel);
    }

    /* one inline block per series: x xmin xmax y ymin ymax, one line per grid point */
    *points_drawn = 0;
    for (size_t s = 0; s < a->y_count; s++) {
        fprintf(f, "$s%zu << EOD\n", s);
        double ys = scale_of(y_units[s]), xs = x_is_key ? 1.0 : scale_of(x_unit);
        for (size_t from = 0; from < row_count;) {
            size_t to = from;
            while (to < row_count && rows[to].point == rows[from].point) to++;
            struct coord x = {0};
            const char *unit = NULL;
            if (x_is_key) {
                bool is_duration = false;
                double v = 0;
                int found = key_value(spec->point_overrides[rows[from].point], a->x, &v,
                                      &is_duration);
                if (found < 0) {
                    cli_error("plot: --x: point %" PRIu32 "'s value is not a number or a "
                              "duration", rows[from].point);
                    return CLI_EXIT_USAGE;
                }
                x = (struct coord){found == 1, v, v, v};
            } else x = metric_coord(rows, from, to, a->x, &unit);
            struct coord y = metric_coord(rows, from, to, a->y[s], &unit);
            if (x.has_value && y.has_value) {
                fprintf(f, "%.17g %.17g %.17g %.17g %.17g %.17g\n", x.mean * xs, x.min * xs,
                        x.max * xs, y.mean * ys, y.min * ys, y.max * ys);
                ++*points_drawn;
            }
            from = to;
        }
        fputs("EOD\n", f);
    }
    static const int point_types[SERIES_MAX] = {7, 5};
    fputs("plot ", f);
    for (size_t s = 0; s < a->y_count; s++) {
        if (!gp_quote(a->y[s], "--y", qlabel, sizeof qlabel)) return CLI_EXIT_USAGE;
        fprintf(f, "%s$s%zu using %s with %s pt %d ps 0.8 lw 1.5 axes x1%s title %s",
                s ? ", " : "", s, x_is_key ? "1:4:5:6" : "1:4:2:3:5:6",
                x_is_key ? "yerrorlines" : "xyerrorlines", point_types[s],
                s == 1 && has_y2 ? "y2" : "y1", qlabel);
    }
    fputc('\n', f);
    return CLI_EXIT_OK;
}

/* ---- gnuplot ------------------------------------------------------------------------- */

static bool write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* Runs gnuplot (fork/exec, no shell) with the script on its stdin and its stdout into
 * out_fd. An exec failure comes back over a close-on-exec pipe, so "not installed" is
 * told apart from "gnuplot failed". Returns an exit status. */
static int run_gnuplot(const char *script, size_t script_len, int out_fd)
{
    const char *program = getenv("MURPHY_GNUPLOT");
    if (!program || !*program) program = "gnuplot";
    int in[2], err[2];
    if (pipe(in) != 0) return CLI_EXIT_IO;
    if (pipe(err) != 0 || fcntl(err[1], F_SETFD, FD_CLOEXEC) != 0) {
        close(in[0]), close(in[1]);
        return CLI_EXIT_IO;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(in[0]), close(in[1]), close(err[0]), close(err[1]);
        cli_error("plot: cannot start gnuplot: %s", strerror(errno));
        return CLI_EXIT_IO;
    }
    if (pid == 0) {
        close(in[1]);
        close(err[0]);
        if (dup2(in[0], STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0) _exit(127);
        close(in[0]);
        char *const child_argv[] = {(char *)program, NULL};
        execvp(program, child_argv);
        int e = errno;
        ssize_t ignored = write(err[1], &e, sizeof e);
        (void)ignored;
        _exit(127);
    }
    close(in[0]);
    close(err[1]);
    int exec_errno = 0;
    ssize_t got;
    while ((got = read(err[0], &exec_errno, sizeof exec_errno)) < 0 && errno == EINTR) {}
    close(err[0]);
    /* a gnuplot that dies early must not kill us with SIGPIPE */
    void (*old_pipe)(int) = signal(SIGPIPE, SIG_IGN);
    bool is_written = got == 0 && write_all(in[1], script, script_len);
    close(in[1]);
    signal(SIGPIPE, old_pipe);
    int wstatus = 0;
    while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {}
    if (got > 0) {
        cli_error("plot: cannot run '%s': %s (on Debian: apt-get install gnuplot-nox; or set "
                  "MURPHY_GNUPLOT to its path)", program, strerror(exec_errno));
        return CLI_EXIT_IO;
    }
    if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0 || !is_written) {
        cli_error("plot: gnuplot failed (%s %d)", WIFEXITED(wstatus) ? "exit" : "signal",
                  WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : WTERMSIG(wstatus));
        return CLI_EXIT_IO;
    }
    return CLI_EXIT_OK;
}

int cmd_plot(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return CLI_EXIT_OK;
    }
    struct plot_args a;
    int status = parse_args(argc, argv, &a);
    if (status != CLI_EXIT_OK) return status;
    struct sweep_spec spec;
    struct sweep_row *rows = NULL;
    size_t row_count = 0;
    if (access(a.db_path, R_OK) != 0) {
        cli_error("%s: cannot read it", a.db_path);
        return CLI_EXIT_USAGE;
    }
    status = sweep_store_read(a.db_path, (int64_t)a.sweep_id, &spec, &rows, &row_count);
    if (status != CLI_EXIT_OK) return status;
    struct script s = {0};
    size_t points_drawn = 0;
    s.f = open_memstream(&s.text, &s.len);
    if (!s.f) status = CLI_EXIT_IO;
    int64_t sweep_id = spec.id;
    if (status == CLI_EXIT_OK)
        status = write_script(s.f, &a, &spec, sweep_id, rows, row_count, &points_drawn);
    if (s.f && fclose(s.f) != 0 && status == CLI_EXIT_OK) status = CLI_EXIT_IO;
    if (status == CLI_EXIT_OK && points_drawn == 0) {
        cli_error("plot: no grid point has finite values for these metrics");
        status = CLI_EXIT_USAGE;
    }
    if (status == CLI_EXIT_OK) {
        int fd = open(a.out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) {
            cli_error("--out %s: cannot write it: %s", a.out_path, strerror(errno));
            status = CLI_EXIT_IO;
        } else {
            status = run_gnuplot(s.text, s.len, fd);
            off_t size = lseek(fd, 0, SEEK_END);
            close(fd);
            if (status == CLI_EXIT_OK && size <= 0) {
                cli_error("plot: gnuplot wrote nothing to %s", a.out_path);
                status = CLI_EXIT_IO;
            }
            if (status != CLI_EXIT_OK) unlink(a.out_path);
        }
    }
    if (status == CLI_EXIT_OK) {
        char safe[256];
        printf("plot: %zu points in %zu series from %" PRIu32 " grid points x %" PRIu32
               " seeds, to %s\n", points_drawn, a.y_count, spec.point_count, spec.seed_count,
               cli_safe(a.out_path, safe, sizeof safe));
    }
    free(s.text);
    sweep_rows_free(rows, row_count);
    sweep_spec_free(&spec);
    return status;
}
