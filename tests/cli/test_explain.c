/* tests/cli/test_explain.c - proves `murphy explain`: it prints a scenario's header
 * comment (the lines before its first section) for every scenario in scenarios/, each
 * with a Run: line; text in any language passes intact while control characters, C1
 * controls and broken UTF-8 are shown as \xNN (a scenario file may come from anywhere,
 * and a terminal obeys escape sequences); an unknown scenario or one without a header
 * exits 2. How: the real binary on the shipped scenarios and on files written here. */
#include <criterion/criterion.h>

#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "spawn.h"

TestSuite(explain, .init = tmp_setup, .fini = tmp_teardown);

Test(explain, every_shipped_scenario_has_a_header_with_a_run_line)
{
    DIR *d = opendir(source_path("scenarios"));
    cr_assert_not_null(d);
    int count = 0;
    for (struct dirent *de; (de = readdir(d));) {
        size_t len = strlen(de->d_name);
        if (len < 5 || strcmp(de->d_name + len - 4, ".ini") != 0) continue;
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)(len - 4), de->d_name);
        struct spawn_result r;
        murphy(&r, "explain", name, NULL);
        assert_exit(&r, 0);
        cr_assert(strncmp(r.out, name, strlen(name)) == 0, "%s: starts '%.60s'", name, r.out);
        cr_assert(strstr(r.out, "Run:") != NULL, "%s: no Run: line", name);
        cr_assert(strstr(r.out, "\nduration =") == NULL, "%s: printed past the header", name);
        spawn_result_free(&r);
        count++;
    }
    closedir(d);
    cr_assert_geq(count, 15, "the scenarios of issues 2 to 5");
}

Test(explain, other_languages_pass_and_control_bytes_are_shown)
{
    /* Korean (3-byte UTF-8), an ESC colour sequence, the C1 CSI as UTF-8 (c2 9b) and as a
     * bare byte (9b), a lone continuation byte (80), an overlong '/' (c0 af) */
    const char text[] = "# \xec\x8b\x9c\xea\xb3\x84 clock\n"
                        "# red \x1b[31m here \xc2\x9b" "1m \x9b" "2m \x80 \xc0\xaf end\n"
                        "\n[scenario]\nduration = 1s\n";
    write_file(tmp_path("h.ini"), text, sizeof text - 1);
    struct spawn_result r;
    murphy(&r, "explain", tmp_path("h.ini"), NULL);
    assert_exit(&r, 0);
    cr_assert(strstr(r.out, "\xec\x8b\x9c\xea\xb3\x84 clock") != NULL, "Korean mangled: %s", r.out);
    cr_assert(strstr(r.out, "red \\x1b[31m here \\xc2\\x9b1m \\x9b2m \\x80 \\xc0\\xaf end") != NULL,
              "escapes: %s", r.out);
    cr_assert(strchr(r.out, '\x1b') == NULL, "an ESC reached the terminal");
    spawn_result_free(&r);
}

Test(explain, unknown_or_headerless_scenarios_exit_2)
{
    struct spawn_result r;
    murphy(&r, "explain", "no-such-scenario", NULL);
    assert_exit(&r, 2);
    spawn_result_free(&r);
    const char bare[] = "[scenario]\nduration = 1s\n";
    write_file(tmp_path("bare.ini"), bare, sizeof bare - 1);
    murphy(&r, "explain", tmp_path("bare.ini"), NULL);
    assert_exit(&r, 2);
    cr_assert(strstr(r.err, "no header") != NULL, "%s", r.err);
    spawn_result_free(&r);
    murphy(&r, "explain", NULL);
    assert_exit(&r, 2);
    spawn_result_free(&r);
}
