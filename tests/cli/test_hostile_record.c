/* tests/cli/test_hostile_record.c - a record from elsewhere is untrusted input: its texts
 * never drive the terminal, a damaged row is an I/O error (exit 3) whichever command reads
 * it, a database of another schema version is not appended to, and reading an honest
 * record with many timeouts stays linear.
 * How: a real record is made with `murphy run`, then altered with SQLite, and the reading
 * commands run on it in separate processes; their output and exit status are checked. */
#include <criterion/criterion.h>

#include <string.h>

#include "spawn.h"

TestSuite(hostile_record, .init = tmp_setup, .fini = tmp_teardown);

static const char *record(const char *name)
{
    const char *db_path = tmp_path(name);
    struct spawn_result r;
    murphy(&r, "run", "unreliable-network", "--db", db_path, "--quiet", "--set",
           "scenario.duration=5s", NULL);
    cr_assert(r.has_exited && r.exit_code == 0, "%s\n%s", r.cmd, r.err);
    spawn_result_free(&r);
    return db_path;
}

static bool has_raw_escape(const char *text)
{
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        if (*p == 0x1b || *p == 0x07 || (*p >= 0x80 && *p <= 0x9f)) return true;
    return false;
}

Test(hostile_record, texts_from_the_record_never_reach_the_terminal_raw)
{
    const char *db_path = record("escape.db");
    sqlite3 *db = db_open(db_path, true);
    db_exec(db, "UPDATE nodes SET name = 'evil' || char(27) || ']0;PWNED' || char(7)"
                " WHERE node = 0", 0, 0);
    db_exec(db, "UPDATE runs SET scenario = 'x' || char(27) || '[2J', status = 'ok'"
                " || char(155) || 'y'", 0, 0);
    db_exec(db, "UPDATE annotations SET text = 'lost' || char(27) || '[31m'", 0, 0);
    db_close(db);
    const char *commands[][2] = {{"log", NULL}, {"report", NULL}, {"replay", NULL}};
    for (size_t i = 0; i < 3; i++) {
        struct spawn_result r;
        murphy(&r, commands[i][0], db_path, NULL);
        cr_assert(r.has_exited, "%s died", r.cmd);
        cr_assert_not(has_raw_escape(r.out), "%s printed a raw control byte", r.cmd);
        cr_assert_not(has_raw_escape(r.err), "%s printed a raw control byte to stderr", r.cmd);
        if (i == 0) cr_assert_not_null(strstr(r.out, "evil\\x1b]0;PWNED\\x07"), "%s", r.cmd);
        spawn_result_free(&r);
    }
}

Test(hostile_record, a_damaged_row_after_the_last_event_is_an_error_for_every_reader)
{
    const char *db_path = record("trailing.db");
    sqlite3 *db = db_open(db_path, true);
    db_exec(db, "INSERT INTO events (run_id, seq, time_ns, kind, obj_id, ref_id, arg)"
                " VALUES (1, 999999, 0, 'bogus', 0, 0, 0)", 0, 0);
    db_exec(db, "UPDATE runs SET last_event_rowid = (SELECT max(rowid) FROM events)", 0, 0);
    db_close(db);
    const char *readers[] = {"replay", "log"};
    for (size_t i = 0; i < 2; i++) {
        struct spawn_result r;
        murphy(&r, readers[i], db_path, NULL);
        cr_assert(r.has_exited && r.exit_code == 3, "%s: exit %d\n%s%s", r.cmd, r.exit_code,
                  r.out, r.err);
        cr_assert_not_null(strstr(r.err, "damaged record"), "%s: %s", r.cmd, r.err);
        spawn_result_free(&r);
    }
}

Test(hostile_record, a_lying_rowid_range_is_reported_not_printed_as_an_empty_run)
{
    const char *db_path = record("range.db");
    sqlite3 *db = db_open(db_path, true);
    db_exec(db, "UPDATE runs SET first_event_rowid = 50, last_event_rowid = 10", 0, 0);
    db_close(db);
    struct spawn_result r;
    murphy(&r, "log", db_path, NULL);
    cr_assert(r.has_exited && r.exit_code == 3, "%s: exit %d\n%s", r.cmd, r.exit_code, r.err);
    spawn_result_free(&r);
}

Test(hostile_record, another_schema_version_is_not_appended_to)
{
    const char *db_path = record("v2.db");
    sqlite3 *db = db_open(db_path, true);
    db_exec(db, "UPDATE meta SET value = '2' WHERE key = 'schema_version'", 0, 0);
    int64_t runs = db_int(db, "SELECT count(*) FROM runs", 0, 0);
    db_close(db);
    struct spawn_result r;
    murphy(&r, "run", "unreliable-network", "--db", db_path, "--quiet", NULL);
    cr_assert(r.has_exited && r.exit_code == 3, "%s: exit %d\n%s", r.cmd, r.exit_code, r.err);
    spawn_result_free(&r);
    db = db_open(db_path, false);
    cr_assert_eq(db_int(db, "SELECT count(*) FROM runs", 0, 0), runs, "nothing appended");
    db_close(db);
}

Test(hostile_record, huge_generated_values_are_refused_quickly)
{
    const char *db_path = record("generated.db");
    sqlite3 *db = db_open(db_path, true);
    db_exec(db, "ALTER TABLE events RENAME COLUMN detail TO d2", 0, 0);
    db_exec(db, "ALTER TABLE events ADD COLUMN detail TEXT GENERATED ALWAYS AS (CASE WHEN"
                " length(hex(zeroblob(100000000 + length(d2)))) > 0 THEN d2 END) VIRTUAL", 0, 0);
    db_close(db);
    double start = now_s();
    struct spawn_result r;
    murphy(&r, "log", db_path, NULL);
    cr_assert(r.has_exited && r.exit_code == 3, "%s: exit %d\n%s", r.cmd, r.exit_code, r.err);
    cr_assert_lt(now_s() - start, 60.0, "refused within a minute, not hours");
    spawn_result_free(&r);
}
