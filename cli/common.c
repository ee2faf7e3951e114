/* cli/common.c - helpers shared by the subcommands; see cli.h. The host clock, the
 * environment and the host name are read here (and only for metadata and lookup),
 * never by the kernel. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "cli.h"
#include "model_libs.h"

#include <errno.h>
#include <limits.h>
#include <gnu/libc-version.h>
#include <gsl/gsl_version.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "models/models.h"
#include "sim/units.h"
#include "workers.h"

volatile sig_atomic_t cli_interrupt;

static void on_signal(int signo) { cli_interrupt = signo; }

void cli_catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

bool cli_is_unsafe_byte(unsigned char c) { return c < 0x20 || (c >= 0x7f && c <= 0x9f); }

/* The length of the valid UTF-8 sequence at p (2..4), or 0: overlong forms, surrogates,
 * code points past U+10FFFF, C1 controls (U+0080..U+009F, which a terminal obeys) and
 * bidirectional controls (U+202A..U+202E, U+2066..U+2069) are not printable here. */
static size_t utf8_printable_length(const unsigned char *p)
{
    size_t len = p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 ? 2 : 0;
    if (!len || p[0] > 0xf4) return 0;
    uint32_t cp = p[0] & (0x7fu >> len);
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80) return 0; /* also stops at the NUL */
        cp = (cp << 6) | (p[i] & 0x3fu);
    }
    static const uint32_t least[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < least[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    if (cp <= 0x9f) return 0;
    /* bidirectional overrides and isolates reorder what follows them on the screen, so
     * that a text can read as something else (CVE-2021-42574, "Trojan Source") */
    if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069)) return 0;
    return len;
}

/* One printable piece of s at p: a character copied, or \xNN for a control byte or a
 * byte of broken UTF-8. Writes it to piece (NUL-terminated) and returns the bytes of s
 * it covers. */
static size_t safe_piece(const unsigned char *p, char piece[8])
{
    static const char hex[] = "0123456789abcdef";
    size_t run = *p < 0x80 ? (cli_is_unsafe_byte(*p) ? 0 : 1) : utf8_printable_length(p);
    if (run) {
        memcpy(piece, p, run);
        piece[run] = '\0';
        return run;
    }
    piece[0] = '\\';
    piece[1] = 'x';
    piece[2] = hex[*p >> 4];
    piece[3] = hex[*p & 15];
    piece[4] = '\0';
    return 1;
}

const char *cli_safe(const char *s, char *out, size_t out_bytes)
{
    size_t used = 0;
    for (const unsigned char *p = (const unsigned char *)(s ? s : "?"); *p;) {
        char piece[8];
        size_t consumed = safe_piece(p, piece);
        size_t len = strlen(piece);
        if (used + len + 4 >= out_bytes) {
            memcpy(out + used, "...", 4);
            return out;
        }
        memcpy(out + used, piece, len);
        used += len;
        p += consumed;
    }
    out[used] = '\0';
    return out;
}

void cli_print_safe(FILE *out, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; p && *p;) {
        char piece[8];
        p += safe_piece(p, piece);
        fputs(piece, out);
    }
}

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("murphy: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int cli_exit_for(int sim_err)
{
    switch (sim_err) {
    case SIM_OK: return CLI_EXIT_OK;
    case SIM_EINPUT:
    case SIM_ELIMIT: return CLI_EXIT_USAGE;
    default: return CLI_EXIT_IO;
    }
}

int cli_diag_overrides(const struct sim_diag *diag, const char *const *overrides,
                       size_t override_count)
{
    char text[SIM_DIAG_FILE_MAX + SIM_DIAG_MESSAGE_MAX + 64];
    bool is_override = strcmp(diag->file, "--set") == 0;
    if (is_override && diag->line >= 1 && (size_t)diag->line <= override_count) {
        snprintf(text, sizeof text, "--set '%s': error: %s", overrides[diag->line - 1],
                 diag->message);
    } else if (is_override) {
        snprintf(text, sizeof text, "--set #%d: error: %s", diag->line, diag->message);
    } else {
        sim_diag_format(diag, text, sizeof text);
    }
    /* a diagnostic quotes its input, which may come from a record: print it safely */
    char safe[sizeof text * 4];
    fprintf(stderr, "%s\n", cli_safe(text, safe, sizeof safe));
    return CLI_EXIT_USAGE;
}

int cli_diag(const struct sim_diag *diag) { return cli_diag_overrides(diag, NULL, 0); }

bool cli_opt(int argc, char **argv, int *i, const char *opt, const char **value, int *status)
{
    size_t len = strlen(opt);
    if (strncmp(argv[*i], opt, len) != 0) return false;
    if (argv[*i][len] == '=') {
        *value = argv[*i] + len + 1;
        return true;
    }
    if (argv[*i][len] != '\0') return false;
    if (*i + 1 >= argc) {
        cli_error("%s needs a value", opt);
        *status = CLI_EXIT_USAGE;
        *value = NULL;
        return true;
    }
    *value = argv[++*i];
    return true;
}

int cli_parse_u64(const char *text, const char *what, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    /* digits only: strtoull alone would skip blanks and accept a sign, wrapping " -1" */
    if (!text || !*text) goto bad;
    for (const char *p = text; *p; p++)
        if (*p < '0' || *p > '9') goto bad;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || *end) goto bad;
    *out = v;
    return 0;
bad:
    cli_error("%s must be a whole number, got '%.60s'", what, text ? text : "");
    return -1;
}

int cli_parse_seed(const char *text, uint64_t *seed)
{
    if (cli_parse_u64(text, "--seed", seed) != 0) return -1;
    if (*seed >= (UINT64_C(1) << 63)) {
        cli_error("--seed must be within [0, 2^63), got '%.60s'", text);
        return -1;
    }
    return 0;
}

int cli_parse_time(const char *text, const char *what, int64_t *ns)
{
    char err[256];
    if (sim_units_parse(text, SIM_UNIT_DURATION, ns, err, sizeof err) == 0) return 0;
    cli_error("%s: %s", what, err);
    return -1;
}

bool cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) return true;
    return false;
}

int cli_scenario_arg(const char *cmd, const char *arg, const char **scenario)
{
    if (arg[0] == '-' && arg[1] != '\0') {
        cli_error("%s: unknown option '%s' (see murphy %s --help)", cmd, arg, cmd);
        return CLI_EXIT_USAGE;
    }
    if (*scenario) {
        cli_error("%s: one scenario at a time, got '%s' and '%s'", cmd, *scenario, arg);
        return CLI_EXIT_USAGE;
    }
    *scenario = arg;
    return CLI_EXIT_OK;
}

int cli_scenario_given(const char *cmd, const char *scenario)
{
    if (scenario) return CLI_EXIT_OK;
    cli_error("%s: which scenario? (see murphy %s --help, murphy list)", cmd, cmd);
    return CLI_EXIT_USAGE;
}

bool cli_batch_opt(const char *cmd, int argc, char **argv, int *i,
                   const struct cli_batch_opts *o, int *status)
{
    const char *v = NULL;
    if (cli_opt(argc, argv, i, "--set", &v, status)) {
        if (!v) return true;
        if (*o->set_count == o->sets_max) {
            cli_error("%s: more than %zu --set options", cmd, o->sets_max);
            *status = CLI_EXIT_USAGE;
        } else {
            o->sets[(*o->set_count)++] = v;
        }
    } else if (cli_opt(argc, argv, i, "--seeds", &v, status)) {
        *o->seeds = v;
    } else if (cli_opt(argc, argv, i, "--jobs", &v, status)) {
        if (v && cli_parse_jobs(v, o->jobs) != 0) *status = CLI_EXIT_USAGE;
    } else if (cli_opt(argc, argv, i, "--shard", &v, status)) {
        if (v && cli_parse_shard(v, o->shard_k, o->shard_n) != 0) *status = CLI_EXIT_USAGE;
    } else if (cli_opt(argc, argv, i, "--db", &v, status)) {
        *o->db_path = v;
    } else {
        return false;
    }
    return true;
}

int cli_parse_db_args(int argc, char **argv, const char *cmd, const char **db_path,
                      uint64_t *run_id)
{
    int status = CLI_EXIT_OK;
    for (int i = 1; i < argc && status == CLI_EXIT_OK; i++) {
        const char *v = NULL;
        if (cli_opt(argc, argv, &i, "--run", &v, &status)) {
            if (v && cli_parse_u64(v, "--run", run_id) != 0) status = CLI_EXIT_USAGE;
        } else if (argv[i][0] == '-' || *db_path) {
            cli_error("%s: unexpected '%s' (see murphy %s --help)", cmd, argv[i], cmd);
            status = CLI_EXIT_USAGE;
        } else *db_path = argv[i];
    }
    if (status == CLI_EXIT_OK && !*db_path) {
        cli_error("%s: which database? (see murphy %s --help)", cmd, cmd);
        status = CLI_EXIT_USAGE;
    }
    return status;
}

int cli_open_run(const char *db_path, uint64_t run_id, struct an_db **db, struct an_run *run)
{
    char err[AN_ERR_BYTES];
    if (an_db_open(db_path, db, err, sizeof err) != 0) {
        cli_error("%s", err);
        return CLI_EXIT_IO;
    }
    if (run_id > INT64_MAX) {
        cli_error("--run must be within [1, 2^63), got %" PRIu64, run_id);
        an_db_close(*db);
        *db = NULL;
        return CLI_EXIT_USAGE;
    }
    int rc = an_run_load(*db, (int64_t)run_id, run, err, sizeof err);
    if (rc != 0) {
        cli_error("%s", err);
        an_db_close(*db);
        *db = NULL;
        return rc == AN_NO_RUN ? CLI_EXIT_USAGE : CLI_EXIT_IO;
    }
    return CLI_EXIT_OK;
}

int cli_on_run(const char *db_path, uint64_t run_id,
               int (*fn)(struct an_db *db, const struct an_run *run, void *ctx), void *ctx)
{
    struct an_db *db = NULL;
    struct an_run run;
    int status = cli_open_run(db_path, run_id, &db, &run);
    if (status != CLI_EXIT_OK) return status;
    status = fn(db, &run, ctx);
    an_run_free(&run);
    an_db_close(db);
    return status;
}

/* The scenarios of an installed murphy, found from where this executable lies (an
 * install whose prefix was chosen at `cmake --install --prefix` time, or moved since):
 * only when the executable sits in a directory named like the install's bindir, so a
 * build tree never picks up a stranger's files. Empty if not. */
static void installed_scenarios_dir(char *out, size_t out_bytes)
{
    out[0] = '\0';
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash) return;
    *slash = '\0';
    const char *bindir = MURPHY_INSTALL_BINDIR;
    size_t dir_len = strlen(exe), bindir_len = strlen(bindir);
    if (dir_len <= bindir_len || strcmp(exe + dir_len - bindir_len, bindir) != 0 ||
        exe[dir_len - bindir_len - 1] != '/')
        return;
    char joined[4200], resolved[PATH_MAX];
    snprintf(joined, sizeof joined, "%s/%s", exe, MURPHY_INSTALL_SCENARIOS_FROM_BINDIR);
    if (realpath(joined, resolved)) snprintf(out, out_bytes, "%s", resolved); /* no "bin/.." */
}

const char *cli_scenario_dirs(char *out, size_t out_bytes)
{
    const char *env = getenv("MURPHY_SCENARIO_PATH");
    char installed[4200];
    installed_scenarios_dir(installed, sizeof installed);
    snprintf(out, out_bytes, "%s%s%s%s%s:%s", env ? env : "", env ? ":" : "", installed,
             installed[0] ? ":" : "", MURPHY_SOURCE_SCENARIOS, MURPHY_INSTALL_SCENARIOS);
    return out;
}

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int cli_find_scenario(const char *name, char *path, size_t path_bytes)
{
    if (strchr(name, '/') || is_file(name)) {
        snprintf(path, path_bytes, "%s", name);
        return 0; /* a path: the loader reports a missing file with its name */
    }
    char dirs[4096];
    cli_scenario_dirs(dirs, sizeof dirs);
    for (char *dir = dirs; dir && *dir;) {
        char *colon = strchr(dir, ':');
        if (colon) *colon = '\0';
        snprintf(path, path_bytes, "%s/%s.ini", dir, name);
        if (*dir && is_file(path)) return 0;
        dir = colon ? colon + 1 : NULL;
    }
    cli_error("no scenario '%s': not a file, and not found as %s.ini in %s (try `murphy "
              "list`)", name, name, cli_scenario_dirs(dirs, sizeof dirs));
    return -1;
}

char *cli_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    struct cli_buf b = {0};
    unsigned char chunk[8192];
    size_t n;
    bool ok = true;
    while (ok && (n = fread(chunk, 1, sizeof chunk, f)) > 0) ok = cli_buf_put(&b, chunk, n);
    ok = ok && !ferror(f) && cli_buf_put(&b, "", 1);
    fclose(f);
    if (!ok) {
        free(b.bytes);
        return NULL;
    }
    return (char *)b.bytes;
}

int cli_rec_open(const char *path, struct sim_recorder **rec, struct sim_diag *diag)
{
    /* test-only: MURPHY_TEST_MAX_PAGES=N caps the file at N pages, a full disk on demand
     * (tests/cli/test_resource_faults.c); not documented for users */
    const char *env = getenv("MURPHY_TEST_MAX_PAGES");
    uint64_t max_pages = 0;
    if (env && *env) {
        char *end = NULL;
        errno = 0;
        unsigned long long v = strtoull(env, &end, 10);
        if (errno == 0 && end && *end == '\0') max_pages = v;
    }
    return sim_rec_open_limited(path, max_pages, rec, diag);
}

void cli_now_iso(char *out, size_t out_bytes)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(out, out_bytes, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void cli_run_meta(struct sim_run_meta *meta, struct cli_meta_buf *buf)
{
    memset(buf, 0, sizeof *buf);
    gethostname(buf->host, sizeof buf->host - 1);
    cli_now_iso(buf->started_at, sizeof buf->started_at);
    snprintf(buf->glibc, sizeof buf->glibc, "%s", gnu_get_libc_version());
    snprintf(buf->gsl, sizeof buf->gsl, "%s", GSL_VERSION);
    *meta = (struct sim_run_meta){
        .program_version = MURPHY_VERSION,
        .model_libs = cli_model_libs_record(),
        .host = buf->host,
        .pid = (int64_t)getpid(),
        .started_at = buf->started_at,
        .platform = "linux-x86_64-glibc",
        .glibc_version = buf->glibc,
        .gsl_version = buf->gsl,
    };
}

/* Single-quotes s for a POSIX shell when it holds anything but safe characters (see
 * cli.h). */
void cli_print_quoted(FILE *out, const char *s)
{
    bool plain = *s != '\0';
    for (const char *p = s; *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.,/:=+@%",
                    *p))
            plain = false;
    if (plain) {
        fputs(s, out);
        return;
    }
    fputc('\'', out);
    for (const char *p = s; *p; p++) {
        if (*p == '\'') fputs("'\\''", out);
        else fputc(*p, out);
    }
    fputc('\'', out);
}

void cli_print_model_libs(FILE *out)
{
    for (size_t i = 0; i < cli_model_lib_count(); i++) {
        fputs(" --model-lib ", out);
        cli_print_quoted(out, cli_model_lib_path(i));
    }
}

void cli_print_reproduce(FILE *out, const char *scenario_path, uint64_t seed,
                         char *const *overrides, size_t override_count, const char *db_path,
                         uint64_t stop_at_seq)
{
    fputs("reproduce: murphy run ", out);
    cli_print_quoted(out, scenario_path);
    cli_print_model_libs(out);
    fprintf(out, " --seed %" PRIu64, seed);
    for (size_t i = 0; i < override_count; i++) {
        fputs(" --set ", out);
        cli_print_quoted(out, overrides[i]);
    }
    if (db_path) {
        fputs(" --db ", out);
        cli_print_quoted(out, db_path);
    }
    if (stop_at_seq != UINT64_MAX) fprintf(out, " --stop-at %" PRIu64, stop_at_seq);
    fputc('\n', out);
}

int cli_parse_jobs(const char *text, uint64_t *jobs)
{
    if (cli_parse_u64(text, "--jobs", jobs) != 0) return -1;
    if (*jobs < 1 || *jobs > CLI_JOBS_MAX) {
        cli_error("--jobs must be within 1..%d, got '%.40s'", CLI_JOBS_MAX, text);
        return -1;
    }
    return 0;
}

int cli_parse_shard(const char *text, uint64_t *k, uint64_t *n)
{
    const char *slash = strchr(text, '/');
    char k_text[32] = "", n_text[32] = "";
    if (slash && slash - text < 31 && strlen(slash + 1) < 31) {
        memcpy(k_text, text, (size_t)(slash - text));
        snprintf(n_text, sizeof n_text, "%s", slash + 1);
    }
    if (!slash || cli_parse_u64(k_text, "--shard K", k) != 0 ||
        cli_parse_u64(n_text, "--shard N", n) != 0 || *k < 1 || *n < 1 || *k > *n ||
        *n > CLI_SEEDS_MAX) {
        cli_error("--shard must be K/N with K in 1..N, got '%.40s'", text);
        return -1;
    }
    return 0;
}

int cli_parse_seeds(const char *text, uint64_t **seeds_out, size_t *count_out)
{
    uint64_t *seeds = NULL;
    size_t count = 0;
    const char *dots = strstr(text, "..");
    if (dots && !strchr(text, ',')) {
        char a[32] = "";
        uint64_t lo, hi;
        if ((size_t)(dots - text) < sizeof a) memcpy(a, text, (size_t)(dots - text));
        if (cli_parse_seed(a, &lo) != 0 || cli_parse_seed(dots + 2, &hi) != 0 || hi < lo ||
            hi - lo >= CLI_SEEDS_MAX) {
            cli_error("--seeds '%s': expected A..B with A <= B (at most %u seeds)", text,
                      CLI_SEEDS_MAX);
            return -1;
        }
        count = (size_t)(hi - lo + 1);
        seeds = malloc(count * sizeof *seeds);
        for (size_t i = 0; seeds && i < count; i++) seeds[i] = lo + i;
    } else {
        char *copy = strdup(text);
        seeds = malloc((strlen(text) / 2 + 1) * sizeof *seeds);
        for (char *item = copy; copy && seeds && item;) {
            char *comma = strchr(item, ',');
            if (comma) *comma = '\0';
            if (cli_parse_seed(item, &seeds[count]) != 0) {
                cli_error("--seeds '%s': expected A..B or a list of seeds", text);
                free(copy);
                free(seeds);
                return -1;
            }
            for (size_t j = 0; j < count; j++)
                if (seeds[j] == seeds[count]) {
                    cli_error("--seeds '%s': seed %" PRIu64 " twice", text, seeds[count]);
                    free(copy);
                    free(seeds);
                    return -1;
                }
            count++;
            item = comma ? comma + 1 : NULL;
        }
        free(copy);
    }
    if (!seeds) return -1;
    *seeds_out = seeds;
    *count_out = count;
    return 0;
}

int cli_load_scenario(const char *name_or_path, const char *const *overrides,
                      size_t override_count, char *path, size_t path_bytes,
                      struct sim_scenario *scn)
{
    if (cli_find_scenario(name_or_path, path, path_bytes) != 0) return CLI_EXIT_USAGE;
    struct sim_diag diag;
    int rc = sim_scn_load(path, overrides, override_count, cli_models(), scn, &diag);
    if (rc == SIM_OK) return CLI_EXIT_OK;
    cli_diag_overrides(&diag, overrides, override_count);
    return cli_exit_for(rc);
}
