/* tests/cli/spawn.c - running murphy in separate processes for the end-to-end suites;
 * see spawn.h. fork/exec rather than posix_spawn because a child may have to drop root
 * before exec; between fork and exec the child makes only async-signal-safe calls, on
 * memory prepared before the fork. The state here (the temporary directory, a counter of
 * spawned processes) is per test: Criterion runs each test in a process of its own. */
#define _DEFAULT_SOURCE 1 /* wait4 (the child's rusage) and setgroups are not POSIX */

#include "spawn.h"

#include <criterion/criterion.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "analysis/db.h"
#include "analysis/feed.h"
#include "analysis/metrics.h"

extern char **environ;

#define ENV_MAX 512
#define NOBODY_ID 65534

#define TRACKED_MAX 512

static char tmp_root[4096];
static unsigned spawn_counter;

/* Memory and database handles to release at teardown if an assertion skipped their
 * owner's free. */
static struct tracked {
    void *p;
    bool is_db;
} tracked[TRACKED_MAX];

static void track(void *p, bool is_db)
{
    if (!p) return;
    for (size_t i = 0; i < TRACKED_MAX; i++)
        if (!tracked[i].p) {
            tracked[i] = (struct tracked){p, is_db};
            return;
        }
    /* full: the pointer is simply not released on a failure path */
}

/* True if p was tracked (and now is not). */
static bool untrack(const void *p)
{
    for (size_t i = 0; p && i < TRACKED_MAX; i++)
        if (tracked[i].p == p) {
            tracked[i].p = NULL;
            return true;
        }
    return false;
}

static void close_db(sqlite3 *db)
{
    for (sqlite3_stmt *s; (s = sqlite3_next_stmt(db, NULL));) sqlite3_finalize(s);
    sqlite3_close(db);
}

static void release_tracked(void)
{
    for (size_t i = 0; i < TRACKED_MAX; i++) {
        if (!tracked[i].p) continue;
        if (tracked[i].is_db) close_db(tracked[i].p);
        else free(tracked[i].p);
        tracked[i].p = NULL;
    }
}

/* --- temporary directory ---------------------------------------------------------------- */

void tmp_setup(void)
{
    const char *base = getenv("TMPDIR");
    if (!base || !*base) base = "/tmp";
    snprintf(tmp_root, sizeof tmp_root, "%s/murphy-cli-XXXXXX", base);
    cr_assert_not_null(mkdtemp(tmp_root), "mkdtemp(%s): %s", tmp_root, strerror(errno));
    spawn_counter = 0;
}

static void remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0) return;
    if (S_ISDIR(st.st_mode)) {
        chmod(path, 0700); /* a test may have made it read-only */
        DIR *d = opendir(path);
        for (struct dirent *de; d && (de = readdir(d));) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
            char child[4096];
            int n = snprintf(child, sizeof child, "%s/%s", path, de->d_name);
            if (n > 0 && (size_t)n < sizeof child) remove_tree(child);
        }
        if (d) closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

void tmp_teardown(void)
{
    release_tracked();
    const char *keep = getenv("MURPHY_TEST_KEEP");
    if (tmp_root[0] && !(keep && *keep && strcmp(keep, "0") != 0)) remove_tree(tmp_root);
    tmp_root[0] = '\0';
}

const char *tmp_dir(void)
{
    cr_assert_neq(tmp_root[0], '\0', "the test needs .init = tmp_setup");
    return tmp_root;
}

static char *next_buffer(void)
{
    static char buffers[16][4096];
    static unsigned next;
    return buffers[next++ % 16];
}

const char *tmp_path(const char *name)
{
    char *out = next_buffer();
    int n = snprintf(out, 4096, "%s/%s", tmp_dir(), name);
    cr_assert(n > 0 && n < 4096, "path too long: %s/%s", tmp_dir(), name);
    return out;
}

const char *source_path(const char *relative)
{
    char *out = next_buffer();
    int n = snprintf(out, 4096, "%s/%s", MURPHY_SOURCE_DIR, relative);
    cr_assert(n > 0 && n < 4096, "path too long: %s", relative);
    return out;
}

void write_file(const char *path, const void *bytes, size_t byte_count)
{
    FILE *fp = fopen(path, "wb");
    cr_assert_not_null(fp, "cannot write %s: %s", path, strerror(errno));
    size_t written = byte_count ? fwrite(bytes, 1, byte_count, fp) : 0;
    int closed = fclose(fp);
    cr_assert(written == byte_count && closed == 0, "cannot write %s: %s", path,
              strerror(errno));
}

char *read_file(const char *path, size_t *byte_count)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    size_t cap = 4096, used = 0;
    char *text = malloc(cap);
    while (text) {
        if (used + 1 >= cap) {
            char *grown = realloc(text, cap * 2);
            if (!grown) {
                free(text);
                text = NULL;
                break;
            }
            text = grown;
            cap *= 2;
        }
        size_t n = fread(text + used, 1, cap - used - 1, fp);
        used += n;
        if (n == 0) break;
    }
    fclose(fp);
    if (!text) return NULL;
    text[used] = '\0';
    if (byte_count) *byte_count = used;
    track(text, false);
    return text;
}

void text_free(char *text)
{
    untrack(text);
    free(text);
}

/* --- spawning --------------------------------------------------------------------------- */

static void describe_command(char *out, size_t out_bytes, const char *const *argv)
{
    size_t used = (size_t)snprintf(out, out_bytes, "murphy");
    for (size_t i = 0; argv[i] && used < out_bytes; i++) {
        bool is_plain = argv[i][0] != '\0' && strpbrk(argv[i], " \t\n'\"\\$*?;&|<>()") == NULL;
        used += (size_t)snprintf(out + used, out_bytes - used, is_plain ? " %s" : " '%s'",
                                 argv[i]);
    }
}

/* The child's environment: ours, with opts->env_add entries added or replacing. */
static size_t build_env(char **envp, const struct spawn_opts *opts)
{
    size_t count = 0;
    for (char **e = environ; *e && count < ENV_MAX - 64; e++) {
        bool is_replaced = false;
        for (const char *const *add = opts ? opts->env_add : NULL; add && *add; add++) {
            size_t name_len = strcspn(*add, "=");
            if (strncmp(*e, *add, name_len + 1) == 0) is_replaced = true;
        }
        if (!is_replaced) envp[count++] = *e;
    }
    for (const char *const *add = opts ? opts->env_add : NULL; add && *add && count < ENV_MAX - 1;
         add++)
        envp[count++] = (char *)*add;
    envp[count] = NULL;
    return count;
}

static const char *const valgrind_args[] = {
    "/usr/bin/valgrind", "--quiet", "--error-exitcode=99", "--leak-check=full",
    "--show-leak-kinds=definite,indirect", "--errors-for-leak-kinds=definite,indirect",
    "--child-silent-after-fork=no",
};

int spawn_start(struct spawn_child *child, const struct spawn_opts *opts,
                const char *const *argv)
{
    memset(child, 0, sizeof *child);
    char *args[SPAWN_ARGS_MAX + 2 + sizeof valgrind_args / sizeof valgrind_args[0]];
    size_t argc = 0;
    /* MURPHY_TEST_VALGRIND=1: every murphy runs under memcheck, and any error or leak
       (definite or indirect) makes it exit 99, which no test expects */
    const char *use_valgrind = getenv("MURPHY_TEST_VALGRIND");
    if (use_valgrind && strcmp(use_valgrind, "1") == 0)
        for (size_t i = 0; i < sizeof valgrind_args / sizeof valgrind_args[0]; i++)
            args[argc++] = (char *)valgrind_args[i];
    args[argc++] = (char *)MURPHY_BIN;
    for (size_t i = 0; argv[i]; i++) {
        cr_assert_lt(argc, (size_t)SPAWN_ARGS_MAX, "too many arguments");
        args[argc++] = (char *)argv[i];
    }
    args[argc] = NULL;
    static char *envp[ENV_MAX];
    build_env(envp, opts);
    describe_command(child->cmd, sizeof child->cmd, argv);
    unsigned n = ++spawn_counter;
    snprintf(child->out_path, sizeof child->out_path, "%s/spawn-%03u.out", tmp_dir(), n);
    snprintf(child->err_path, sizeof child->err_path, "%s/spawn-%03u.err", tmp_dir(), n);
    const char *cwd = opts && opts->cwd ? opts->cwd : tmp_dir();
    bool is_unprivileged = opts && opts->is_unprivileged && geteuid() == 0;
    bool is_group_leader = opts && opts->is_group_leader;

    int in_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int out_fd = open(child->out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int err_fd = open(child->err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (in_fd < 0 || out_fd < 0 || err_fd < 0) {
        int saved = errno;
        if (in_fd >= 0) close(in_fd);
        if (out_fd >= 0) close(out_fd);
        if (err_fd >= 0) close(err_fd);
        errno = saved;
        return -1;
    }
    /* nobody must be able to write its output files and enter the directory */
    bool is_ready = !is_unprivileged || (fchown(out_fd, NOBODY_ID, NOBODY_ID) == 0 &&
                                         fchown(err_fd, NOBODY_ID, NOBODY_ID) == 0 &&
                                         chmod(tmp_dir(), 0755) == 0);
    if (!is_ready) {
        int saved = errno;
        close(in_fd);
        close(out_fd);
        close(err_fd);
        errno = saved;
        return -1;
    }
    sigset_t none;
    sigemptyset(&none);
    fflush(NULL); /* nothing buffered may be written twice */
    pid_t pid = fork();
    if (pid == 0) {
        /* the child: async-signal-safe calls only, then exec */
        if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0) _exit(126);
        if (chdir(cwd) != 0) _exit(126);
        if (is_group_leader && setpgid(0, 0) != 0) _exit(126);
        if (is_unprivileged && (setgroups(0, NULL) != 0 || setgid(NOBODY_ID) != 0 ||
                                setuid(NOBODY_ID) != 0))
            _exit(126);
        /* murphy starts as from a shell: default dispositions, nothing blocked */
        signal(SIGPIPE, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execve(args[0], args, envp);
        _exit(127);
    }
    int saved = errno;
    close(in_fd);
    close(out_fd);
    close(err_fd);
    if (pid < 0) {
        errno = saved;
        return -1;
    }
    /* also in the parent, so the group exists before anyone signals it */
    if (is_group_leader) setpgid(pid, pid);
    child->pid = pid;
    return 0;
}

void sleep_ns(int64_t ns)
{
    struct timespec left = {(time_t)(ns / 1000000000), (long)(ns % 1000000000)};
    while (nanosleep(&left, &left) != 0 && errno == EINTR) {
    }
}

double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void spawn_wait(struct spawn_child *child, struct spawn_result *result, double timeout_s)
{
    memset(result, 0, sizeof *result);
    snprintf(result->cmd, sizeof result->cmd, "%s", child->cmd);
    double start = now_s();
    bool has_timed_out = false;
    int status = 0;
    for (;;) {
        pid_t got = wait4(child->pid, &status, WNOHANG, &result->usage);
        if (got == child->pid) break;
        cr_assert(got == 0 || errno == EINTR, "wait4(%d): %s", (int)child->pid, strerror(errno));
        if (!has_timed_out && now_s() - start > timeout_s) {
            kill(child->pid, SIGKILL);
            has_timed_out = true;
        }
        sleep_ns(200000);
    }
    result->elapsed_s = now_s() - start;
    result->has_exited = WIFEXITED(status);
    result->exit_code = result->has_exited ? WEXITSTATUS(status) : -1;
    result->has_signal = WIFSIGNALED(status);
    result->signo = result->has_signal ? WTERMSIG(status) : 0;
    result->out = read_file(child->out_path, &result->out_bytes);
    result->err = read_file(child->err_path, &result->err_bytes);
    if (!result->out) track(result->out = calloc(1, 1), false);
    if (!result->err) track(result->err = calloc(1, 1), false);
    cr_assert(result->out && result->err, "out of memory");
    cr_assert(!has_timed_out, "%s did not finish within %.0f s (killed)\nstderr: %s",
              result->cmd, timeout_s, result->err);
    cr_assert(!(result->has_exited && result->exit_code == 127), "could not exec %s",
              MURPHY_BIN);
    cr_assert(!(result->has_exited && result->exit_code == 126),
              "could not set up the child for %s (redirection, directory or user)", result->cmd);
}

void spawn_result_free(struct spawn_result *result)
{
    text_free(result->out);
    text_free(result->err);
    result->out = result->err = NULL;
}

/* Sanitizer builds are about three times slower; the limit only catches a hang. */
#define SPAWN_TIMEOUT_S 300.0

void spawn_run(struct spawn_result *result, const struct spawn_opts *opts,
               const char *const *argv)
{
    struct spawn_child child;
    cr_assert_eq(spawn_start(&child, opts, argv), 0, "cannot start %s: %s", MURPHY_BIN,
                 strerror(errno));
    spawn_wait(&child, result, SPAWN_TIMEOUT_S);
}

void murphy(struct spawn_result *result, ...)
{
    const char *argv[SPAWN_ARGS_MAX + 1];
    size_t argc = 0;
    va_list ap;
    va_start(ap, result);
    for (const char *a; (a = va_arg(ap, const char *));) {
        cr_assert_lt(argc, (size_t)SPAWN_ARGS_MAX, "too many arguments");
        argv[argc++] = a;
    }
    va_end(ap);
    argv[argc] = NULL;
    spawn_run(result, NULL, argv);
}

const char *spawn_describe(const struct spawn_result *result, char *out, size_t out_bytes)
{
    if (result->has_exited) snprintf(out, out_bytes, "exit %d", result->exit_code);
    else if (result->has_signal)
        snprintf(out, out_bytes, "killed by signal %d (%s)", result->signo,
                 strsignal(result->signo));
    else snprintf(out, out_bytes, "ended oddly");
    return out;
}

/* --- reading output ---------------------------------------------------------------------- */

bool line_value(const char *text, const char *key, char *out, size_t out_bytes)
{
    size_t key_len = strlen(key);
    for (const char *line = text; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len > key_len + 1 && strncmp(line, key, key_len) == 0 && line[key_len] == ':' &&
            line[key_len + 1] == ' ') {
            size_t value_len = len - key_len - 2;
            if (value_len >= out_bytes) value_len = out_bytes - 1;
            memcpy(out, line + key_len + 2, value_len);
            out[value_len] = '\0';
            return true;
        }
        line = end ? end + 1 : NULL;
    }
    return false;
}

uint64_t result_hash(const struct spawn_result *result)
{
    char value[64];
    cr_assert(line_value(result->out, "hash", value, sizeof value),
              "%s printed no 'hash:' line\nstdout: %s\nstderr: %s", result->cmd, result->out,
              result->err);
    cr_assert_eq(strlen(value), 16u, "%s: hash '%s' is not 16 hex digits", result->cmd, value);
    cr_assert_eq(strspn(value, "0123456789abcdef"), 16u, "%s: hash '%s' is not 16 hex digits",
                 result->cmd, value);
    return (uint64_t)strtoull(value, NULL, 16);
}

uint64_t result_events(const struct spawn_result *result)
{
    char value[64];
    cr_assert(line_value(result->out, "events", value, sizeof value),
              "%s printed no 'events:' line\nstdout: %s", result->cmd, result->out);
    char *end = NULL;
    uint64_t n = (uint64_t)strtoull(value, &end, 10);
    cr_assert(end != value && *end == '\0', "%s: 'events: %s' is not a count", result->cmd,
              value);
    return n;
}

size_t count_lines_with(const char *text, const char *needle)
{
    size_t count = 0;
    for (const char *line = text; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        const char *hit = strstr(line, needle);
        if (hit && hit < line + len) count++;
        line = end ? end + 1 : NULL;
    }
    return count;
}

uint64_t run_hash(const char *scenario, uint64_t seed, ...)
{
    char seed_text[32];
    snprintf(seed_text, sizeof seed_text, "%" PRIu64, seed);
    const char *argv[SPAWN_ARGS_MAX + 1] = {"run", scenario, "--seed", seed_text, "--quiet"};
    size_t argc = 5;
    bool names_db = false;
    va_list ap;
    va_start(ap, seed);
    for (const char *a; (a = va_arg(ap, const char *));) {
        cr_assert_lt(argc, (size_t)SPAWN_ARGS_MAX - 1, "too many arguments");
        names_db = names_db || strcmp(a, "--db") == 0 || strcmp(a, "--no-db") == 0;
        argv[argc++] = a;
    }
    va_end(ap);
    if (!names_db) argv[argc++] = "--no-db";
    argv[argc] = NULL;
    struct spawn_result r;
    spawn_run(&r, NULL, argv);
    assert_exit(&r, 0);
    uint64_t hash = result_hash(&r);
    spawn_result_free(&r);
    return hash;
}

void assert_exit(const struct spawn_result *result, int expected_exit)
{
    bool is_either = expected_exit == RUN_EXIT_OK_OR_VIOLATED;
    bool is_expected = is_either ? result->exit_code == 0 || result->exit_code == 1
                                 : result->exit_code == expected_exit;
    char how[64], expected[16];
    snprintf(expected, sizeof expected, is_either ? "0 or 1" : "%d", expected_exit);
    cr_assert(result->has_exited && is_expected, "%s: %s, expected exit %s\nstdout: %s\n"
              "stderr: %s", result->cmd, spawn_describe(result, how, sizeof how), expected,
              result->out, result->err);
}

/* --- recorded runs ------------------------------------------------------------------------ */

void record_run_start(struct spawn_child *child, const char *db_path, const char *scenario,
                      uint64_t seed, const char *const *extra_args)
{
    char seed_text[32];
    snprintf(seed_text, sizeof seed_text, "%" PRIu64, seed);
    const char *argv[SPAWN_ARGS_MAX + 1] = {"run", scenario, "--seed", seed_text};
    size_t argc = 4;
    if (db_path) {
        argv[argc++] = "--db";
        argv[argc++] = db_path;
    } else {
        argv[argc++] = "--no-db";
    }
    argv[argc++] = "--quiet";
    for (size_t i = 0; extra_args && extra_args[i]; i++) {
        cr_assert_lt(argc, (size_t)SPAWN_ARGS_MAX, "too many arguments");
        argv[argc++] = extra_args[i];
    }
    argv[argc] = NULL;
    /* the child is forked inside spawn_start: argv may end with this frame */
    cr_assert_eq(spawn_start(child, NULL, argv), 0, "cannot start %s: %s", MURPHY_BIN,
                 strerror(errno));
}

struct recorded record_run_wait(struct spawn_child *child, const char *db_path,
                                int expected_exit)
{
    struct spawn_result r;
    spawn_wait(child, &r, SPAWN_TIMEOUT_S);
    assert_exit(&r, expected_exit);
    struct recorded rec = {.exit_code = r.exit_code, .hash = result_hash(&r),
                           .events = result_events(&r)};
    line_value(r.out, "status", rec.status, sizeof rec.status);
    if (db_path) {
        char value[256];
        cr_assert(line_value(r.out, "run", value, sizeof value), "%s printed no 'run:' line",
                  r.cmd);
        cr_assert_eq(sscanf(value, "%" SCNd64, &rec.run_id), 1, "'run: %s'", value);
    }
    spawn_result_free(&r);
    return rec;
}

struct recorded record_run_argv(const char *db_path, const char *scenario, uint64_t seed,
                                int expected_exit, const char *const *extra_args)
{
    struct spawn_child child;
    record_run_start(&child, db_path, scenario, seed, extra_args);
    return record_run_wait(&child, db_path, expected_exit);
}

struct recorded record_run(const char *db_path, const char *scenario, uint64_t seed,
                           const char *extra_key, const char *extra_value)
{
    const char *const extra_args[] = {extra_key, extra_value, NULL};
    return record_run_argv(db_path, scenario, seed, 0, extra_args);
}

void assert_says_identical(const struct spawn_result *result, const struct recorded *rec)
{
    assert_exit(result, 0);
    char expect[160];
    snprintf(expect, sizeof expect, "identical: %" PRIu64 " events, hash %016" PRIx64
             " (run %" PRId64 ",", rec->events, rec->hash, rec->run_id);
    cr_assert_not_null(strstr(result->out, expect), "%s: expected '%s' in:\n%s", result->cmd,
                       expect, result->out);
}

void assert_replay_identical(const char *db_path, const struct recorded *rec)
{
    char id[32];
    snprintf(id, sizeof id, "%" PRId64, rec->run_id);
    struct spawn_result r;
    murphy(&r, "replay", db_path, "--run", id, NULL);
    assert_says_identical(&r, rec);
    spawn_result_free(&r);
}

/* --- records ----------------------------------------------------------------------------- */

sqlite3 *db_open(const char *path, bool is_writable)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, is_writable ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY,
                             NULL);
    if (rc != SQLITE_OK) {
        char message[512];
        snprintf(message, sizeof message, "%s", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        cr_assert_fail("cannot open %s: %s", path, message);
    }
    sqlite3_busy_timeout(db, 10000);
    track(db, true);
    return db;
}

void db_remove(const char *path)
{
    char side[4200];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

void db_close(sqlite3 *db)
{
    if (!db) return;
    untrack(db);
    close_db(db);
}

static sqlite3_stmt *prepare_bound(sqlite3 *db, const char *sql, int64_t p1, int64_t p2)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
    cr_assert_eq(rc, SQLITE_OK, "cannot prepare '%s': %s", sql, sqlite3_errmsg(db));
    int params = sqlite3_bind_parameter_count(s);
    if (params >= 1) sqlite3_bind_int64(s, 1, p1);
    if (params >= 2) sqlite3_bind_int64(s, 2, p2);
    return s;
}

/* ?1 bound to p1, ?2 and ?3 to the texts t2 and t3 (borrowed until the finalize). */
static sqlite3_stmt *prepare_texts(sqlite3 *db, const char *sql, int64_t p1, const char *t2,
                                   const char *t3)
{
    sqlite3_stmt *s = prepare_bound(db, sql, p1, 0);
    int params = sqlite3_bind_parameter_count(s);
    if (params >= 2) sqlite3_bind_text(s, 2, t2, -1, SQLITE_STATIC);
    if (params >= 3) sqlite3_bind_text(s, 3, t3, -1, SQLITE_STATIC);
    return s;
}

/* Steps s once and finalizes it: its first column as an int64; asserts a row. */
static int64_t first_int(sqlite3 *db, sqlite3_stmt *s, const char *sql)
{
    int rc = sqlite3_step(s);
    cr_assert_eq(rc, SQLITE_ROW, "'%s' gave no row: %s", sql, sqlite3_errmsg(db));
    int64_t v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

int64_t db_int(sqlite3 *db, const char *sql, int64_t p1, int64_t p2)
{
    return first_int(db, prepare_bound(db, sql, p1, p2), sql);
}

int64_t db_int_text(sqlite3 *db, const char *sql, int64_t p1, const char *t2, const char *t3)
{
    return first_int(db, prepare_texts(db, sql, p1, t2, t3), sql);
}

bool db_text(sqlite3 *db, const char *sql, int64_t p1, char *out, size_t out_bytes)
{
    sqlite3_stmt *s = prepare_bound(db, sql, p1, 0);
    bool has_row = sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL;
    if (has_row) snprintf(out, out_bytes, "%s", (const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    return has_row;
}

int64_t db_exec(sqlite3 *db, const char *sql, int64_t p1, int64_t p2)
{
    sqlite3_stmt *s = prepare_bound(db, sql, p1, p2);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    cr_assert(rc == SQLITE_DONE || rc == SQLITE_ROW, "'%s' failed: %s", sql, sqlite3_errmsg(db));
    return sqlite3_changes(db);
}

bool db_prepares(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
    sqlite3_finalize(s);
    return rc == SQLITE_OK;
}

double db_metric(sqlite3 *db, int64_t run_id, const char *name)
{
    sqlite3_stmt *s = prepare_texts(db, "SELECT value FROM metrics WHERE run_id = ?1"
                                    " AND name = ?2", run_id, name, NULL);
    bool has_row = sqlite3_step(s) == SQLITE_ROW;
    double value = has_row ? sqlite3_column_double(s, 0) : 0;
    bool is_once = has_row && sqlite3_step(s) == SQLITE_DONE;
    sqlite3_finalize(s);
    cr_assert(has_row, "run %" PRId64 " reported no metric '%s'", run_id, name);
    cr_assert(is_once, "run %" PRId64 " reported metric '%s' more than once", run_id, name);
    return value;
}

int64_t db_metric_count(sqlite3 *db, int64_t run_id, const char *name)
{
    return (int64_t)db_metric(db, run_id, name);
}

int64_t db_node(sqlite3 *db, int64_t run_id, const char *name)
{
    int64_t count = db_int_text(db, "SELECT count(*) FROM nodes WHERE run_id = ?1"
                                " AND name = ?2", run_id, name, NULL);
    cr_assert_eq(count, 1, "%" PRId64 " nodes called '%s' in run %" PRId64, count, name, run_id);
    return db_int_text(db, "SELECT node FROM nodes WHERE run_id = ?1 AND name = ?2", run_id,
                       name, NULL);
}

/* --- run metrics, live and replayed --------------------------------------------------- */

#define METRICS_MAX 256

struct metric_list {
    char names[METRICS_MAX][96];
    double values[METRICS_MAX];
    size_t count;
};

static void collect(void *ctx, const char *name, double value, const char *unit)
{
    (void)unit;
    struct metric_list *m = ctx;
    cr_assert_lt(m->count, (size_t)METRICS_MAX);
    snprintf(m->names[m->count], sizeof m->names[0], "%s", name);
    m->values[m->count++] = value;
}

void assert_metrics_replay_equal_live(const char *db_path, int64_t run_id)
{
    char err[AN_ERR_BYTES];
    struct an_db *adb = NULL;
    cr_assert_eq(an_db_open(db_path, &adb, err, sizeof err), 0, "%s", err);
    struct an_run run;
    cr_assert_eq(an_run_load(adb, run_id, &run, err, sizeof err), 0, "%s", err);
    struct an_run_shape shape = {0, run.duration_ns};
    struct an_accs *accs = an_accs_create(&shape);
    cr_assert_not_null(accs);
    struct sim_observer obs = an_accs_observer(accs);
    cr_assert_eq(an_feed_run(adb, &run, &obs, err, sizeof err), 0, "%s", err);
    struct metric_list replayed = {.count = 0};
    struct an_metric_sink sink = {&replayed, collect};
    an_accs_finish(accs, run.end_ns, &sink);
    an_accs_destroy(accs);
    an_run_free(&run);
    an_db_close(adb);

    /* The record holds the oracles' metrics too (not replayed here): walk its rows in
     * order and match the accumulators' ones, which must come in the replay's order. */
    sqlite3 *db = db_open(db_path, false);
    sqlite3_stmt *s = NULL;
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT name, value FROM metrics WHERE run_id=?1 ORDER"
                                    " BY rowid", -1, &s, NULL), SQLITE_OK);
    sqlite3_bind_int64(s, 1, run_id);
    size_t i = 0;
    while (sqlite3_step(s) == SQLITE_ROW && i < replayed.count) {
        if (strcmp((const char *)sqlite3_column_text(s, 0), replayed.names[i]) != 0) continue;
        double live = sqlite3_column_double(s, 1);
        cr_assert(live == replayed.values[i], "%s: live %.17g, replayed %.17g",
                  replayed.names[i], live, replayed.values[i]);
        i++;
    }
    sqlite3_finalize(s);
    db_close(db);
    cr_assert_eq(i, replayed.count, "the replay gave %zu metrics; the record has the first %zu"
                 " of them in order (next: %s)", replayed.count, i,
                 i < replayed.count ? replayed.names[i] : "-");
    cr_assert_gt(i, 0u);
}
