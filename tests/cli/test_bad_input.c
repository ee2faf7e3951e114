/* tests/cli/test_bad_input.c - proves that bad input is an error, never a crash: every
 * broken scenario, flag and database makes `murphy` exit 2 (bad usage or input) or 3 (I/O
 * or database), with a message on stderr that names the file and line (file:line:) where
 * there is one and shows the offending text, and no bad input ever kills it with a signal.
 * How: each case is a separate `murphy` process; scenario cases are the real
 * unreliable-network.ini with one line changed (so the expected line number is known),
 * plus empty, random-byte and NUL-carrying files, and random byte mutations of the valid
 * file from a fixed seed (those may run, but must still end by exit, not by signal).
 * Databases that are not SQLite, or not murphy records, must be refused by replay, log and
 * report with exit 3; an unwritable --db (a path in a missing directory, a read-only file)
 * must make `run` exit 3. */
#include <criterion/criterion.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spawn.h"

#define UNRELIABLE "scenarios/unreliable-network.ini"

TestSuite(bad_input, .init = tmp_setup, .fini = tmp_teardown);

/* splitmix64: a fixed stream of test randomness */
static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Runs murphy with argv; asserts it exited (no signal) with the expected status and said
 * something on stderr containing each of the needles (NULL-terminated). */
static void expect_failure(const char *const *argv, int status, const char *const *needles)
{
    struct spawn_result r;
    spawn_run(&r, NULL, argv);
    char how[96];
    spawn_describe(&r, how, sizeof how);
    cr_assert(!r.has_signal, "%s died: %s\nstderr: %s", r.cmd, how, r.err);
    cr_assert(r.has_exited && r.exit_code == status, "%s: expected exit %d, got %s\nstdout: %s\n"
              "stderr: %s", r.cmd, status, how, r.out, r.err);
    cr_assert_gt(r.err_bytes, 0u, "%s: exit %d with nothing on stderr", r.cmd, status);
    cr_assert_not_null(strstr(r.err, "error"), "%s: the message should say error:\n%s", r.cmd,
                       r.err);
    for (const char *const *n = needles; n && *n; n++)
        cr_assert_not_null(strstr(r.err, *n), "%s: expected '%s' in the message:\n%s", r.cmd, *n,
                           r.err);
    spawn_result_free(&r);
}

/* --- scenario files ------------------------------------------------------------------- */

/* Writes the unreliable-network scenario with the first `from` replaced by `to` as name;
 * returns the 1-based line of `marker` in the result. */
static int variant(const char *name, const char *from, const char *to, const char *marker)
{
    char *text = read_file(source_path(UNRELIABLE), NULL);
    cr_assert_not_null(text);
    char *at = strstr(text, from);
    cr_assert_not_null(at, "'%s' is not in %s", from, UNRELIABLE);
    size_t head = (size_t)(at - text), from_len = strlen(from), to_len = strlen(to);
    size_t tail = strlen(at + from_len);
    char *out = malloc(head + to_len + tail + 1);
    cr_assert_not_null(out);
    memcpy(out, text, head);
    memcpy(out + head, to, to_len);
    memcpy(out + head + to_len, at + from_len, tail + 1);
    write_file(tmp_path(name), out, head + to_len + tail);
    char *hit = strstr(out, marker);
    cr_assert_not_null(hit);
    int line = 1;
    for (char *p = out; p < hit; p++) line += *p == '\n';
    free(out);
    text_free(text);
    return line;
}

/* The scenario variant must fail with exit 2 and "NAME:LINE:" and `shows` in the message. */
static void bad_scenario(const char *name, const char *from, const char *to, const char *marker,
                         const char *shows)
{
    int line = variant(name, from, to, marker);
    char where[128];
    snprintf(where, sizeof where, "%s:%d:", name, line);
    const char *argv[] = {"run", tmp_path(name), "--no-db", "--quiet", NULL};
    const char *needles[] = {where, shows, NULL};
    expect_failure(argv, 2, needles);
}

Test(bad_input, unknown_key)
{
    bad_scenario("unknown-key.ini", "timeout = 50ms\n", "timeout = 50ms\ntimeuot = 60ms\n",
                 "timeuot", "timeuot");
}

Test(bad_input, unknown_section)
{
    bad_scenario("unknown-section.ini", "[faults]", "[fautls]", "[fautls]", "fautls");
}

Test(bad_input, bad_unit)
{
    bad_scenario("bad-unit.ini", "timeout = 50ms", "timeout = 50parsecs", "50parsecs",
                 "50parsecs");
}

Test(bad_input, missing_unit)
{
    bad_scenario("missing-unit.ini", "timeout = 50ms", "timeout = 50", "timeout = 50",
                 "timeout");
}

Test(bad_input, negative_duration)
{
    bad_scenario("negative-duration.ini", "duration = 60s", "duration = -5s", "-5s", "-5s");
    bad_scenario("negative-timeout.ini", "timeout = 50ms", "timeout = -50ms", "-50ms", "-50ms");
}

Test(bad_input, unknown_node)
{
    bad_scenario("unknown-target.ini", "target = server", "target = sevrer", "sevrer", "sevrer");
    bad_scenario("unknown-fault-node.ini", "crash server for", "crash sevrer for", "sevrer",
                 "sevrer");
}

Test(bad_input, unknown_model)
{
    bad_scenario("unknown-model.ini", "model = client", "model = clinet", "clinet", "clinet");
}

Test(bad_input, loss_over_100_percent)
{
    bad_scenario("loss-150.ini", "loss = 1%", "loss = 150%", "150%", "150%");
    bad_scenario("loss-1.5.ini", "loss = 1%", "loss = 1.5", "1.5", "1.5");
}

Test(bad_input, malformed_distribution)
{
    bad_scenario("bad-dist.ini", "delay = lognormal 2ms 0.5", "delay = lognormal", "lognormal",
                 "lognormal");
    bad_scenario("bad-dist-name.ini", "delay = lognormal 2ms 0.5", "delay = logarithmic 2ms",
                 "logarithmic", "logarithmic");
}

Test(bad_input, malformed_fault)
{
    /* the message names the fault and the forms it can take */
    bad_scenario("bad-fault.ini", "at 20s crash server for 3s", "at 20s explode server",
                 "explode", "'crash'");
    bad_scenario("bad-fault-time.ini", "at 20s crash server for 3s", "at soon crash server",
                 "soon", "soon");
}

Test(bad_input, empty_file)
{
    write_file(tmp_path("empty.ini"), "", 0);
    const char *argv[] = {"run", tmp_path("empty.ini"), "--no-db", "--quiet", NULL};
    const char *needles[] = {"empty.ini", NULL};
    expect_failure(argv, 2, needles);
}

Test(bad_input, random_bytes)
{
    uint64_t state = 20240601;
    for (int i = 0; i < 24; i++) {
        size_t bytes = 1 + (size_t)(next_random(&state) % 8192);
        unsigned char *garbage = malloc(bytes);
        cr_assert_not_null(garbage);
        for (size_t b = 0; b < bytes; b++) garbage[b] = (unsigned char)next_random(&state);
        char name[64];
        snprintf(name, sizeof name, "garbage-%02d.ini", i);
        write_file(tmp_path(name), garbage, bytes);
        free(garbage);
        const char *argv[] = {"run", tmp_path(name), "--no-db", "--quiet", NULL};
        const char *needles[] = {name, NULL};
        expect_failure(argv, 2, needles);
    }
}

Test(bad_input, nul_byte_inside_a_line)
{
    static const char text[] = "[scenario]\nname = x\0y\nduration = 1s\n";
    write_file(tmp_path("nul.ini"), text, sizeof text - 1);
    const char *argv[] = {"run", tmp_path("nul.ini"), "--no-db", "--quiet", NULL};
    const char *needles[] = {"nul.ini:2:", NULL};
    expect_failure(argv, 2, needles);

    /* and inside a valid scenario's value */
    size_t bytes = 0;
    char *valid = read_file(source_path(UNRELIABLE), &bytes);
    cr_assert_not_null(valid);
    char *at = strstr(valid, "timeout = 50ms");
    cr_assert_not_null(at);
    at[11] = '\0'; /* "timeout = 5\0ms" */
    int line = 1;
    for (char *p = valid; p < at; p++) line += *p == '\n';
    write_file(tmp_path("nul2.ini"), valid, bytes);
    text_free(valid);
    char where[64];
    snprintf(where, sizeof where, "nul2.ini:%d:", line);
    const char *argv2[] = {"run", tmp_path("nul2.ini"), "--no-db", "--quiet", NULL};
    const char *needles2[] = {where, NULL};
    expect_failure(argv2, 2, needles2);
}

/* Random byte changes to the valid scenario: most are errors, some still run; none may
 * crash, and every error names the file. */
Test(bad_input, mutated_scenarios_never_crash)
{
    size_t bytes = 0;
    char *valid = read_file(source_path(UNRELIABLE), &bytes);
    cr_assert_not_null(valid);
    uint64_t state = 77;
    char *text = malloc(bytes);
    cr_assert_not_null(text);
    for (int i = 0; i < 40; i++) {
        memcpy(text, valid, bytes);
        int changes = 1 + (int)(next_random(&state) % 4);
        for (int c = 0; c < changes; c++)
            text[next_random(&state) % bytes] = (char)next_random(&state);
        char name[64];
        snprintf(name, sizeof name, "mutant-%02d.ini", i);
        write_file(tmp_path(name), text, bytes);
        const char *argv[] = {"run", tmp_path(name), "--no-db", "--quiet", "--set",
                              "scenario.duration=2s", NULL};
        struct spawn_result r;
        spawn_run(&r, NULL, argv);
        char how[96];
        spawn_describe(&r, how, sizeof how);
        cr_assert(r.has_exited, "%s: %s\nstderr: %s", r.cmd, how, r.err);
        cr_assert(r.exit_code == 0 || r.exit_code == 2, "%s: %s\nstderr: %s", r.cmd, how, r.err);
        if (r.exit_code == 2)
            cr_assert_not_null(strstr(r.err, name), "%s: the message should name the file:\n%s",
                               r.cmd, r.err);
        spawn_result_free(&r);
    }
    free(text);
    text_free(valid);
}

Test(bad_input, missing_file)
{
    const char *argv[] = {"run", tmp_path("no-such-file.ini"), "--no-db", "--quiet", NULL};
    const char *needles[] = {"no-such-file.ini", NULL};
    expect_failure(argv, 2, needles);
}

Test(bad_input, unknown_scenario_name)
{
    const char *argv[] = {"run", "no-such-scenario", "--no-db", "--quiet", NULL};
    const char *needles[] = {"no-such-scenario", NULL};
    expect_failure(argv, 2, needles);
}

Test(bad_input, directory_as_scenario)
{
    const char *argv[] = {"run", tmp_dir(), "--no-db", "--quiet", NULL};
    struct spawn_result r;
    spawn_run(&r, NULL, argv);
    char how[96];
    cr_assert(r.has_exited && (r.exit_code == 2 || r.exit_code == 3), "%s: %s\n%s", r.cmd,
              spawn_describe(&r, how, sizeof how), r.err);
    cr_assert_gt(r.err_bytes, 0u);
    spawn_result_free(&r);
}

/* --- flags ---------------------------------------------------------------------------- */

static void bad_run_flags(const char *const *flags, const char *shows)
{
    const char *argv[SPAWN_ARGS_MAX] = {"run", source_path(UNRELIABLE), "--no-db", "--quiet"};
    size_t argc = 4;
    for (const char *const *f = flags; *f; f++) argv[argc++] = *f;
    argv[argc] = NULL;
    const char *needles[] = {shows, NULL};
    expect_failure(argv, 2, needles);
}

Test(bad_input, bad_seed)
{
    static const char *const seeds[] = {
        "-1", "9223372036854775808" /* 2^63 */, "18446744073709551616" /* 2^64 */,
        "abc", "1.5", "", "12abc", "0x10", "99999999999999999999999", "+1", "-0",
    };
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        const char *flags[] = {"--seed", seeds[i], NULL};
        bad_run_flags(flags, "--seed");
    }
    const char *missing[] = {"--seed", NULL};
    bad_run_flags(missing, "--seed");
}

/* strtoull skips blanks and then takes a sign: " -N" wraps to 2^64 - N, which for
 * N = 2^63 + 1 is a seed inside [0, 2^63). A negative seed must be refused however it is
 * spelled; so must a negative run id. */
Test(bad_input, negative_seed_after_blank)
{
    const char *flags[] = {"--seed", " -9223372036854775809", NULL};
    bad_run_flags(flags, "--seed");
    const char *tab[] = {"--seed", "\t-9223372036854775809", NULL};
    bad_run_flags(tab, "--seed");
}

Test(bad_input, negative_run_id_after_blank)
{
    const char *db_path = tmp_path("one.db");
    const char *first[] = {"run", source_path(UNRELIABLE), "--db", db_path, "--quiet", "--set",
                           "scenario.duration=1s", NULL};
    struct spawn_result r;
    spawn_run(&r, NULL, first);
    cr_assert(r.has_exited && r.exit_code == 0, "%s: %s", r.cmd, r.err);
    spawn_result_free(&r);
    /* " -18446744073709551615" wraps to run 1 */
    const char *argv[] = {"replay", db_path, "--run", " -18446744073709551615", NULL};
    const char *needles[] = {"--run", NULL};
    expect_failure(argv, 2, needles);
}

Test(bad_input, unknown_option)
{
    const char *flags[] = {"--sed", "3", NULL};
    bad_run_flags(flags, "--sed");
    const char *replay[] = {"replay", tmp_path("x.db"), "--bogus", NULL};
    const char *needles[] = {"--bogus", NULL};
    expect_failure(replay, 2, needles);
}

Test(bad_input, set_without_equals)
{
    const char *flags[] = {"--set", "node.client.timeout", NULL};
    bad_run_flags(flags, "node.client.timeout");
    const char *empty[] = {"--set", "", NULL};
    bad_run_flags(empty, "--set");
    const char *missing[] = {"--set", NULL};
    bad_run_flags(missing, "--set");
}

Test(bad_input, set_of_unknown_key_or_bad_value)
{
    const char *key[] = {"--set", "node.client.timeuot=5ms", NULL};
    bad_run_flags(key, "timeuot");
    const char *section[] = {"--set", "node.nosuch.timeout=5ms", NULL};
    bad_run_flags(section, "nosuch");
    const char *value[] = {"--set", "link.default.loss=150%", NULL};
    bad_run_flags(value, "150%");
    const char *unit[] = {"--set", "scenario.duration=10", NULL};
    bad_run_flags(unit, "duration");
}

Test(bad_input, bad_usage_of_commands)
{
    const char *none[] = {NULL};
    struct spawn_result r;
    spawn_run(&r, NULL, none); /* bare `murphy`: the usage, on stderr */
    cr_assert(r.has_exited && r.exit_code == 2, "bare murphy should exit 2");
    cr_assert_not_null(strstr(r.err, "usage"), "bare murphy should print its usage:\n%s", r.err);
    spawn_result_free(&r);
    const char *unknown[] = {"frobnicate", NULL};
    const char *needles[] = {"frobnicate", NULL};
    expect_failure(unknown, 2, needles);
    const char *no_scenario[] = {"run", "--no-db", NULL};
    expect_failure(no_scenario, 2, NULL);
    const char *two[] = {"run", "a.ini", "b.ini", NULL};
    expect_failure(two, 2, NULL);
    const char *stop_at[] = {"--stop-at", "soon", NULL};
    bad_run_flags(stop_at, "--stop-at");
    const char *no_db[] = {"replay", NULL};
    expect_failure(no_db, 2, NULL);
}

/* --- databases ------------------------------------------------------------------------ */

static void reading_commands_refuse(const char *db_path, int status, const char *shows)
{
    static const char *const commands[] = {"replay", "log", "report"};
    for (size_t i = 0; i < 3; i++) {
        const char *argv[] = {commands[i], db_path, NULL};
        const char *needles[] = {shows, NULL};
        expect_failure(argv, status, needles);
    }
}

Test(bad_input, text_file_as_database)
{
    const char *path = tmp_path("notes.db");
    write_file(path, "these are my notes, not a database\n", 35);
    reading_commands_refuse(path, 3, "notes.db");
    const char *argv[] = {"run", source_path(UNRELIABLE), "--db", path, "--quiet", NULL};
    const char *needles[] = {"notes.db", NULL};
    expect_failure(argv, 3, needles);
}

Test(bad_input, random_bytes_as_database)
{
    uint64_t state = 99;
    unsigned char bytes[8192];
    for (size_t b = 0; b < sizeof bytes; b++) bytes[b] = (unsigned char)next_random(&state);
    const char *path = tmp_path("garbage.db");
    write_file(path, bytes, sizeof bytes);
    reading_commands_refuse(path, 3, "garbage.db");
}

/* A valid SQLite database that is not a murphy record. */
Test(bad_input, foreign_sqlite_database)
{
    const char *path = tmp_path("foreign.db");
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db, "CREATE TABLE recipes(name TEXT); INSERT INTO recipes"
                              " VALUES ('bibimbap')", NULL, NULL, NULL), SQLITE_OK);
    db_close(db);
    reading_commands_refuse(path, 3, "foreign.db");
}

Test(bad_input, missing_database)
{
    reading_commands_refuse(tmp_path("absent.db"), 3, "absent.db");
    /* the reading commands must not have created it */
    struct stat st;
    cr_assert_neq(stat(tmp_path("absent.db"), &st), 0, "replay/log/report created the file");
}

Test(bad_input, database_in_a_missing_directory)
{
    const char *path = tmp_path("no-such-dir/run.db");
    const char *argv[] = {"run", source_path(UNRELIABLE), "--db", path, "--quiet", NULL};
    const char *needles[] = {"no-such-dir/run.db", NULL};
    expect_failure(argv, 3, needles);
}

/* True if every directory above path can be entered by anyone and path has `mode` bits
 * for others: whether a child running as nobody can reach it. */
static bool reachable_by_others(const char *path, mode_t mode)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    struct stat st;
    if (stat(buf, &st) != 0 || (st.st_mode & mode) != mode) return false;
    for (char *slash = strrchr(buf, '/'); slash && slash != buf; slash = strrchr(buf, '/')) {
        *slash = '\0';
        if (stat(buf, &st) != 0 || !(st.st_mode & S_IXOTH)) return false;
    }
    return true;
}

Test(bad_input, read_only_database_file)
{
    const char *path = tmp_path("readonly.db");
    const char *first[] = {"run", source_path(UNRELIABLE), "--db", path, "--quiet", "--set",
                           "scenario.duration=1s", NULL};
    struct spawn_result r;
    spawn_run(&r, NULL, first);
    cr_assert(r.has_exited && r.exit_code == 0, "%s: %s", r.cmd, r.err);
    spawn_result_free(&r);
    cr_assert_eq(chmod(path, 0444), 0);
    struct stat before;
    cr_assert_eq(stat(path, &before), 0);

    /* root writes anything; as root, the child runs as nobody */
    bool is_root = geteuid() == 0;
    if (is_root && !(reachable_by_others(MURPHY_BIN, S_IXOTH) &&
                     reachable_by_others(source_path(UNRELIABLE), S_IROTH)))
        cr_skip_test("running as root and %s or the scenarios are not reachable by nobody",
                     MURPHY_BIN);
    const char *argv[] = {"run", source_path(UNRELIABLE), "--db", path, "--quiet", NULL};
    struct spawn_opts opts = {.is_unprivileged = true};
    spawn_run(&r, &opts, argv);
    char how[96];
    spawn_describe(&r, how, sizeof how);
    cr_assert(r.has_exited && r.exit_code == 3, "%s%s: expected exit 3, got %s\nstdout: %s\n"
              "stderr: %s", r.cmd, is_root ? " (as nobody)" : "", how, r.out, r.err);
    cr_assert_not_null(strstr(r.err, "readonly.db"), "the message should name the file:\n%s",
                       r.err);
    spawn_result_free(&r);
    struct stat after;
    cr_assert_eq(stat(path, &after), 0);
    cr_assert_eq(after.st_size, before.st_size, "the read-only database changed size");
}

/* A murphy record damaged or forged by someone else: readers decode every row and refuse
 * what does not decode (exit 3, naming the row), never crash. report aggregates with SQL
 * and may still answer; it must not crash either. */
Test(bad_input, damaged_records)
{
    static const struct {
        const char *what;
        const char *sql; /* ?1: the middle seq */
    } damages[] = {
        {"node out of range", "UPDATE events SET node = 999 WHERE run_id = 1 AND seq = ?1"},
        {"negative node", "UPDATE events SET node = -1 WHERE run_id = 1 AND seq = ?1"},
        {"node as text", "UPDATE events SET node = 'server' WHERE run_id = 1 AND seq = ?1"},
        {"unknown kind", "UPDATE events SET kind = 'explode' WHERE run_id = 1 AND seq = ?1"},
        {"unknown detail", "UPDATE events SET detail = '\x1b[31mred' WHERE run_id = 1"
         " AND seq = (SELECT min(seq) FROM events WHERE run_id = 1 AND seq >= ?1"
         " AND kind = 'send')"},
        {"seq repeated", "UPDATE events SET seq = ?1 - 1 WHERE run_id = 1 AND seq = ?1"},
        {"peer out of range", "UPDATE events SET peer = 70000 WHERE run_id = 1 AND seq ="
         " (SELECT min(seq) FROM events WHERE run_id = 1 AND seq >= ?1 AND kind = 'send')"},
    };
    for (size_t i = 0; i < sizeof damages / sizeof damages[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "damaged-%zu.db", i);
        const char *path = tmp_path(name);
        const char *first[] = {"run", source_path(UNRELIABLE), "--db", path, "--quiet", "--set",
                               "scenario.duration=5s", NULL};
        struct spawn_result r;
        spawn_run(&r, NULL, first);
        cr_assert(r.has_exited && r.exit_code == 0, "%s: %s", r.cmd, r.err);
        uint64_t events = result_events(&r);
        spawn_result_free(&r);
        sqlite3 *db = db_open(path, true);
        cr_assert_eq(db_exec(db, damages[i].sql, (int64_t)events / 2, 0), 1, "%s",
                     damages[i].what);
        db_close(db);
        static const char *const readers[] = {"replay", "log"};
        for (size_t c = 0; c < 2; c++) {
            const char *argv[] = {readers[c], path, NULL};
            const char *needles[] = {"row", NULL};
            expect_failure(argv, 3, needles);
        }
        const char *report[] = {"report", path, NULL};
        spawn_run(&r, NULL, report);
        char how[96];
        cr_assert(r.has_exited && (r.exit_code == 0 || r.exit_code == 3), "%s on %s: %s\n%s",
                  r.cmd, damages[i].what, spawn_describe(&r, how, sizeof how), r.err);
        cr_assert_null(strchr(r.out, '\x1b'), "report printed an escape character from the"
                       " record");
        spawn_result_free(&r);
    }
}

Test(bad_input, record_of_a_newer_schema)
{
    const char *path = tmp_path("newer.db");
    const char *first[] = {"run", source_path(UNRELIABLE), "--db", path, "--quiet", "--set",
                           "scenario.duration=1s", NULL};
    struct spawn_result r;
    spawn_run(&r, NULL, first);
    cr_assert(r.has_exited && r.exit_code == 0, "%s: %s", r.cmd, r.err);
    spawn_result_free(&r);
    sqlite3 *db = db_open(path, true);
    db_exec(db, "UPDATE meta SET value = '2' WHERE key = 'schema_version'", 0, 0);
    db_close(db);
    reading_commands_refuse(path, 3, "version");
}
