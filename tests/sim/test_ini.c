/* tests/sim/test_ini.c - proves that the scenario INI parser reads what it is given and
 * nothing else: every silent misparse listed in sim/ini.h (libinih's NUL cut, 50-byte
 * section names, 200-byte lines, " ;" inline comments, indented continuations) is either
 * read whole or refused with file:line:column, and overrides replace or append exactly
 * one entry. How: small literal files (some with embedded NULs, CRLF, binary bytes) are
 * parsed from buffers with explicit lengths, and the resulting entries, sections and
 * diagnostics are compared field by field. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/ini.h"

#define LABEL "scenarios/test.ini"

/* Parses a NUL-terminated literal that must be accepted. */
static void parse_ok(const char *text, struct sim_ini *ini)
{
    struct sim_diag diag = {0};
    int status = sim_ini_parse(LABEL, text, strlen(text), ini, &diag);
    cr_assert_eq(status, 0, "should parse; got %s:%d:%d: %s", diag.file, diag.line,
                 diag.column, diag.message);
}

/* Parses bytes that must be refused with `code` at line:column; returns the diagnostic. */
static struct sim_diag parse_fails_n(const char *text, size_t text_bytes, int code, int line,
                                     int column)
{
    struct sim_ini ini;
    struct sim_diag diag = {0};
    int status = sim_ini_parse(LABEL, text, text_bytes, &ini, &diag);
    cr_assert_eq(status, code, "status %d (%s), diag %d:%d: %s", status, sim_strerror(status),
                 diag.line, diag.column, diag.message);
    cr_assert_str_eq(diag.file, LABEL);
    cr_assert_eq(diag.line, line, "line: %s", diag.message);
    cr_assert_eq(diag.column, column, "column: %s", diag.message);
    cr_assert_eq(ini.entry_count, 0u, "a failed parse leaves nothing behind");
    cr_assert_null(ini.entries);
    cr_assert_null(ini.file);
    sim_ini_free(&ini); /* safe after an error too */
    return diag;
}

static struct sim_diag parse_fails(const char *text, int code, int line, int column)
{
    return parse_fails_n(text, strlen(text), code, line, column);
}

static void expect_message(const struct sim_diag *diag, const char *fragment)
{
    cr_expect(strstr(diag->message, fragment) != NULL, "message '%s' lacks '%s'",
              diag->message, fragment);
}

static const char *value_of(const struct sim_ini *ini, const char *section, const char *key)
{
    const struct sim_ini_entry *entry = sim_ini_find(ini, section, key);
    cr_assert_not_null(entry, "[%s] %s missing", section, key);
    return entry->value;
}

Test(sim_ini, basic_file_keeps_order_lines_and_columns)
{
    struct sim_ini ini;
    parse_ok("# a scenario\n"
             "[run]\n"
             "seed = 7\n"
             "\n"
             "  ; indented comment\n"
             "[node.a]\n"
             "clock_drift=35ppm\n"
             "  delay   =   250ms  \n",
             &ini);
    cr_assert_str_eq(ini.file, LABEL);
    cr_assert_eq(ini.entry_count, 3u);
    cr_assert_str_eq(ini.entries[0].section, "run");
    cr_assert_str_eq(ini.entries[0].key, "seed");
    cr_assert_str_eq(ini.entries[0].value, "7");
    cr_assert_eq(ini.entries[0].line, 3);
    cr_assert_eq(ini.entries[0].column, 8);
    cr_assert_eq(ini.entries[0].file, ini.file, "entries borrow the ini's label");
    cr_assert_str_eq(ini.entries[1].section, "node.a");
    cr_assert_str_eq(ini.entries[1].value, "35ppm");
    cr_assert_eq(ini.entries[1].column, 13);
    cr_assert_str_eq(ini.entries[2].key, "delay", "an indented key is an ordinary key");
    cr_assert_str_eq(ini.entries[2].value, "250ms", "values are trimmed");
    cr_assert_eq(ini.entries[2].line, 8);
    cr_assert_eq(ini.entries[2].column, 15);
    cr_assert_eq(ini.entries[2].is_used, false);
    cr_assert_eq(ini.section_count, 2u);
    cr_assert_str_eq(ini.sections[0], "run");
    cr_assert_eq(ini.section_lines[0], 2);
    cr_assert_str_eq(ini.sections[1], "node.a");
    cr_assert_eq(ini.section_lines[1], 6);
    cr_assert_null(sim_ini_find(&ini, "run", "delay"));
    cr_assert_null(sim_ini_find(&ini, "nope", "seed"));
    cr_assert_eq(sim_ini_find(&ini, "node.a", "delay"), &ini.entries[2]);
    sim_ini_free(&ini);
    cr_assert_null(ini.entries);
    cr_assert_null(ini.sections);
    cr_assert_eq(ini.entry_count, 0u);
    cr_assert_eq(ini.section_count, 0u);
}

Test(sim_ini, empty_file_gives_zero_entries_and_no_error)
{
    struct sim_ini ini;
    struct sim_diag diag = {0};
    cr_assert_eq(sim_ini_parse(LABEL, "", 0, &ini, &diag), 0);
    cr_assert_eq(ini.entry_count, 0u);
    cr_assert_eq(ini.section_count, 0u);
    cr_assert_str_eq(ini.file, LABEL);
    sim_ini_free(&ini);
    parse_ok("\n\n# only comments\n   \n;x\n", &ini);
    cr_assert_eq(ini.entry_count, 0u);
    sim_ini_free(&ini);
}

Test(sim_ini, empty_section_still_exists)
{
    struct sim_ini ini;
    parse_ok("[faults]\n[run]\nseed = 1\n", &ini);
    cr_assert_eq(ini.section_count, 2u);
    cr_assert_str_eq(ini.sections[0], "faults");
    cr_assert_eq(ini.section_lines[0], 1);
    cr_assert_eq(ini.entry_count, 1u);
    sim_ini_free(&ini);
}

Test(sim_ini, nul_byte_is_reported_not_cut)
{
    static const char text[] = "[run]\nname = ab\0cd\nseed = 1\n";
    struct sim_diag diag = parse_fails_n(text, sizeof text - 1, SIM_EINPUT, 2, 10);
    expect_message(&diag, "NUL byte");
}

Test(sim_ini, long_section_name_is_accepted)
{
    char text[512];
    char name[301];
    memset(name, 'n', 300);
    name[0] = 'A';
    name[299] = '>';
    name[300] = '\0';
    snprintf(text, sizeof text, "[%s]\nkey = v\n", name);
    struct sim_ini ini;
    parse_ok(text, &ini);
    cr_assert_eq(ini.section_count, 1u);
    cr_assert_eq(strlen(ini.sections[0]), 300u);
    cr_assert_str_eq(value_of(&ini, name, "key"), "v");
    sim_ini_free(&ini);
}

Test(sim_ini, line_at_the_limit_is_accepted_and_over_it_rejected)
{
    size_t text_bytes = 16 + 5000;
    char *text = calloc(1, text_bytes + 1);
    cr_assert_not_null(text);
    strcpy(text, "[run]\nname = ");
    size_t prefix = strlen("name = ");
    size_t start = strlen(text);
    /* exactly SIM_INI_LINE_MAX bytes of content, then a CRLF that does not count */
    memset(text + start, 'x', SIM_INI_LINE_MAX - prefix);
    strcpy(text + start + SIM_INI_LINE_MAX - prefix, "\r\n");
    struct sim_ini ini;
    parse_ok(text, &ini);
    cr_assert_eq(strlen(value_of(&ini, "run", "name")), SIM_INI_LINE_MAX - prefix);
    sim_ini_free(&ini);

    /* a 5000-byte line */
    memset(text + start, 'x', 5000 - prefix);
    strcpy(text + start + 5000 - prefix, "\n");
    struct sim_diag diag = parse_fails(text, SIM_ELIMIT, 2, SIM_INI_LINE_MAX + 1);
    expect_message(&diag, "SIM_INI_LINE_MAX");
    free(text);
}

Test(sim_ini, file_over_the_limit_is_rejected)
{
    size_t text_bytes = SIM_INI_FILE_BYTES_MAX + 1;
    char *text = malloc(text_bytes);
    cr_assert_not_null(text);
    memset(text, '\n', text_bytes);
    struct sim_diag diag = parse_fails_n(text, text_bytes, SIM_ELIMIT, 0, 0);
    expect_message(&diag, "SIM_INI_FILE_BYTES_MAX");
    struct sim_ini ini;
    cr_assert_eq(sim_ini_parse(LABEL, text, text_bytes - 1, &ini, &diag), 0,
                 "exactly at the limit is fine");
    sim_ini_free(&ini);
    free(text);
}

Test(sim_ini, semicolon_and_hash_inside_a_value_are_kept)
{
    struct sim_ini ini;
    parse_ok("[sql]\n"
             "query = x' ; DROP TABLE runs\n"
             "color = #ff0000 # not a comment\n",
             &ini);
    cr_assert_str_eq(value_of(&ini, "sql", "query"), "x' ; DROP TABLE runs");
    cr_assert_str_eq(value_of(&ini, "sql", "color"), "#ff0000 # not a comment");
    sim_ini_free(&ini);
}

Test(sim_ini, indented_line_is_not_a_continuation)
{
    struct sim_diag diag = parse_fails("[run]\nnote = first part\n    second part\n", SIM_EINPUT,
                                       3, 5);
    expect_message(&diag, "expected 'key = value'");
    expect_message(&diag, "second part");
    diag = parse_fails("[run]\nnote = a\nsecond\n", SIM_EINPUT, 3, 1);
    expect_message(&diag, "expected 'key = value'");
}

Test(sim_ini, duplicate_key_names_the_first_line)
{
    struct sim_diag diag = parse_fails("[run]\nseed = 1\nother = 2\n  seed = 3\n", SIM_EINPUT,
                                       4, 3);
    expect_message(&diag, "line 2");
    expect_message(&diag, "seed");
    /* the same key in two sections is fine */
    struct sim_ini ini;
    parse_ok("[a]\nseed = 1\n[b]\nseed = 2\n", &ini);
    cr_assert_str_eq(value_of(&ini, "a", "seed"), "1");
    cr_assert_str_eq(value_of(&ini, "b", "seed"), "2");
    sim_ini_free(&ini);
}

Test(sim_ini, duplicate_section_names_the_first_line)
{
    struct sim_diag diag = parse_fails("[run]\nseed = 1\n[net]\n[run]\n", SIM_EINPUT, 4, 1);
    expect_message(&diag, "[run]");
    expect_message(&diag, "line 1");
}

Test(sim_ini, key_before_any_section)
{
    struct sim_diag diag = parse_fails("# header\n  seed = 1\n[run]\n", SIM_EINPUT, 2, 3);
    expect_message(&diag, "expected a [section] header before the first key");
}

Test(sim_ini, binary_garbage_is_rejected)
{
    static const char elf[] = "\x7f" "ELF\x02\x01\x01\0\0\0";
    struct sim_diag diag = parse_fails_n(elf, sizeof elf - 1, SIM_EINPUT, 1, 1);
    expect_message(&diag, "control character 0x7f");
    static const char bell[] = "[run]\nx = a\x07z\n";
    diag = parse_fails(bell, SIM_EINPUT, 2, 6);
    expect_message(&diag, "0x07");
    diag = parse_fails("[run]\nx = 1\rseed = 2\n", SIM_EINPUT, 2, 6);
    expect_message(&diag, "0x0d");
    /* a pseudo-random binary blob: refused, never crashes, always says where */
    unsigned char blob[4096];
    unsigned x = 12345;
    for (size_t i = 0; i < sizeof blob; i++) {
        x = x * 1103515245u + 12345u;
        blob[i] = (unsigned char)(x >> 16);
    }
    struct sim_ini ini;
    cr_assert_eq(sim_ini_parse(LABEL, (const char *)blob, sizeof blob, &ini, &diag), SIM_EINPUT);
    cr_assert_gt(diag.line, 0);
    cr_assert_gt(diag.column, 0);
    sim_ini_free(&ini);
}

Test(sim_ini, utf8_in_values_is_allowed)
{
    struct sim_ini ini;
    parse_ok("[run]\ntitle = Ünïcode — ok\n", &ini);
    cr_assert_str_eq(value_of(&ini, "run", "title"), "Ünïcode — ok");
    sim_ini_free(&ini);
}

Test(sim_ini, crlf_line_ends)
{
    struct sim_ini ini;
    parse_ok("[run]\r\nseed = 7\r\nname = x  \r\n\r\n[net]\r\nloss = 1%", &ini);
    cr_assert_str_eq(value_of(&ini, "run", "seed"), "7");
    cr_assert_str_eq(value_of(&ini, "run", "name"), "x");
    cr_assert_str_eq(value_of(&ini, "net", "loss"), "1%", "last line without a newline");
    cr_assert_eq(sim_ini_find(&ini, "net", "loss")->line, 6);
    cr_assert_eq(ini.section_lines[1], 5);
    sim_ini_free(&ini);
}

Test(sim_ini, quoted_values_and_escapes)
{
    struct sim_ini ini;
    parse_ok("[q]\n"
             "list = \"a, b\"\n"
             "spaces = \"  padded  \"   \n"
             "escapes = \"say \\\"hi\\\" \\\\ tab\\tnewline\\n\"\n"
             "empty =\n"
             "empty_quoted = \"\"\n"
             "inner = a \"quoted\" word\n",
             &ini);
    cr_assert_str_eq(value_of(&ini, "q", "list"), "a, b");
    cr_assert_str_eq(value_of(&ini, "q", "spaces"), "  padded  ");
    cr_assert_str_eq(value_of(&ini, "q", "escapes"), "say \"hi\" \\ tab\tnewline\n");
    cr_assert_str_eq(value_of(&ini, "q", "empty"), "");
    cr_assert_str_eq(value_of(&ini, "q", "empty_quoted"), "");
    cr_assert_str_eq(value_of(&ini, "q", "inner"), "a \"quoted\" word");
    cr_assert_eq(sim_ini_find(&ini, "q", "list")->column, 8, "column of the opening quote");
    sim_ini_free(&ini);
}

Test(sim_ini, bad_quoted_values)
{
    struct sim_diag diag = parse_fails("[q]\nx = \"open\n", SIM_EINPUT, 2, 5);
    expect_message(&diag, "closing '\"'");
    diag = parse_fails("[q]\nx = \"ends in backslash\\\"\n", SIM_EINPUT, 2, 5);
    expect_message(&diag, "closing '\"'");
    diag = parse_fails("[q]\nx = \"a\\qb\"\n", SIM_EINPUT, 2, 7);
    expect_message(&diag, "escape");
    expect_message(&diag, "'q'");
    diag = parse_fails("[q]\nx = \"a\" b\n", SIM_EINPUT, 2, 9);
    expect_message(&diag, "after the closing");
}

Test(sim_ini, bad_keys)
{
    struct sim_diag diag = parse_fails("[run]\nSeed = 1\n", SIM_EINPUT, 2, 1);
    expect_message(&diag, "expected a key of lower-case letters, digits and '_'");
    diag = parse_fails("[run]\nmy key = 1\n", SIM_EINPUT, 2, 3);
    expect_message(&diag, "'my key'");
    diag = parse_fails("[run]\n  = 1\n", SIM_EINPUT, 2, 3);
    expect_message(&diag, "expected a key");
    diag = parse_fails("[run]\nloss. = 1\n", SIM_EINPUT, 2, 5);
    diag = parse_fails("[run]\n.rate = 1\n", SIM_EINPUT, 2, 1);
    diag = parse_fails("[run]\nloss..rate = 1\n", SIM_EINPUT, 2, 6);
    struct sim_ini ini;
    parse_ok("[faults]\nnemesis.12 = at 1s heal\n", &ini);
    cr_assert_str_eq(ini.entries[0].key, "nemesis.12", "a '.' between key characters is kept");
    sim_ini_free(&ini);
}

Test(sim_ini, bad_section_headers)
{
    struct sim_diag diag = parse_fails("[]\n", SIM_EINPUT, 1, 2);
    expect_message(&diag, "section name");
    diag = parse_fails("[run\n", SIM_EINPUT, 1, 5);
    expect_message(&diag, "']'");
    diag = parse_fails("[run] x\n", SIM_EINPUT, 1, 7);
    expect_message(&diag, "after ']'");
    diag = parse_fails("[run] # comment\n", SIM_EINPUT, 1, 7);
    diag = parse_fails("[my run]\n", SIM_EINPUT, 1, 4);
    expect_message(&diag, "[A-Za-z0-9_.<>*-]");
    struct sim_ini ini;
    parse_ok("  [link.client->server]   \n[Node_1.*]\nk = v\n", &ini);
    cr_assert_str_eq(ini.sections[0], "link.client->server");
    cr_assert_str_eq(ini.sections[1], "Node_1.*");
    sim_ini_free(&ini);
}

Test(sim_ini, entries_over_the_limit)
{
    size_t entry_count = SIM_INI_ENTRIES_MAX + 1;
    size_t text_bytes = 8 + entry_count * 12;
    char *text = malloc(text_bytes);
    cr_assert_not_null(text);
    size_t length = (size_t)snprintf(text, text_bytes, "[r]\n");
    for (size_t i = 0; i < entry_count; i++)
        length += (size_t)snprintf(text + length, text_bytes - length, "k%zu=1\n", i);
    cr_assert_leq(length, SIM_INI_FILE_BYTES_MAX);
    struct sim_diag diag = parse_fails(text, SIM_ELIMIT, (int)entry_count + 1, 1);
    expect_message(&diag, "SIM_INI_ENTRIES_MAX");

    /* exactly at the limit parses, and duplicates are still found among that many */
    char *last_line = strrchr(text, 'k');
    *last_line = '\0';
    struct sim_ini ini;
    parse_ok(text, &ini);
    cr_assert_eq(ini.entry_count, SIM_INI_ENTRIES_MAX);
    cr_assert_str_eq(value_of(&ini, "r", "k99999"), "1");
    sim_ini_free(&ini);
    strcpy(last_line, "k5=2\n");
    diag = parse_fails(text, SIM_EINPUT, (int)entry_count + 1, 1);
    expect_message(&diag, "line 7");
    free(text);
}

Test(sim_ini, override_replaces_an_entry)
{
    struct sim_ini ini;
    parse_ok("[net]\nloss = 1%\ndelay = 5ms\n", &ini);
    struct sim_diag diag = {0};
    cr_assert_eq(sim_ini_override(&ini, "net.loss=5%", 3, &diag), 0, "%s", diag.message);
    cr_assert_eq(ini.entry_count, 2u, "replaced in place");
    const struct sim_ini_entry *entry = &ini.entries[0];
    cr_assert_str_eq(entry->key, "loss");
    cr_assert_str_eq(entry->value, "5%");
    cr_assert_str_eq(entry->file, "--set");
    cr_assert_eq(entry->line, 3);
    cr_assert_eq(entry->column, 10);
    cr_assert_str_eq(value_of(&ini, "net", "delay"), "5ms");
    sim_ini_free(&ini);
}

Test(sim_ini, override_appends_an_entry_and_its_section)
{
    struct sim_ini ini;
    parse_ok("[net]\nloss = 1%\n", &ini);
    struct sim_diag diag = {0};
    cr_assert_eq(sim_ini_override(&ini, "net.jitter = 2ms", 1, &diag), 0, "%s", diag.message);
    cr_assert_eq(sim_ini_override(&ini, "run.seed=9", 2, &diag), 0, "%s", diag.message);
    cr_assert_eq(ini.entry_count, 3u);
    cr_assert_str_eq(ini.entries[1].section, "net");
    cr_assert_str_eq(ini.entries[1].value, "2ms");
    cr_assert_eq(ini.entries[1].column, 14);
    cr_assert_str_eq(ini.entries[2].section, "run");
    cr_assert_str_eq(ini.entries[2].file, "--set");
    cr_assert_eq(ini.entries[2].line, 2);
    cr_assert_eq(ini.section_count, 2u, "only the new section is added");
    cr_assert_str_eq(ini.sections[1], "run");
    cr_assert_eq(ini.section_lines[1], 0);
    sim_ini_free(&ini);

    struct sim_ini empty = {0};
    cr_assert_eq(sim_ini_override(&empty, "run.seed=1", 1, &diag), 0, "on a zeroed ini");
    cr_assert_str_eq(value_of(&empty, "run", "seed"), "1");
    sim_ini_free(&empty);
}

Test(sim_ini, override_with_dotted_section_and_quotes)
{
    struct sim_ini ini;
    parse_ok("[link.client->server]\nloss = 1%\n", &ini);
    struct sim_diag diag = {0};
    cr_assert_eq(sim_ini_override(&ini, "link.client->server.loss=5%", 1, &diag), 0, "%s",
                 diag.message);
    cr_assert_eq(ini.entry_count, 1u);
    cr_assert_str_eq(value_of(&ini, "link.client->server", "loss"), "5%");
    cr_assert_eq(sim_ini_override(&ini, "run.name=\"a \\\"b\\\" = c\"", 2, &diag), 0, "%s",
                 diag.message);
    cr_assert_str_eq(value_of(&ini, "run", "name"), "a \"b\" = c");
    cr_assert_eq(sim_ini_override(&ini, "run.note=x' ; y", 3, &diag), 0, "%s", diag.message);
    cr_assert_str_eq(value_of(&ini, "run", "note"), "x' ; y");
    sim_ini_free(&ini);
}

static struct sim_diag override_fails(const char *arg, int code, int column)
{
    struct sim_ini ini;
    parse_ok("[run]\nseed = 1\n", &ini);
    struct sim_diag diag = {0};
    cr_assert_eq(sim_ini_override(&ini, arg, 4, &diag), code, "'%s': %s", arg, diag.message);
    cr_assert_str_eq(diag.file, "--set");
    cr_assert_eq(diag.line, 4, "the argument's index is its line");
    cr_assert_eq(diag.column, column, "'%s': %s", arg, diag.message);
    cr_assert_eq(ini.entry_count, 1u, "a failed override changes nothing");
    cr_assert_str_eq(value_of(&ini, "run", "seed"), "1");
    sim_ini_free(&ini);
    return diag;
}

Test(sim_ini, bad_overrides)
{
    struct sim_diag diag = override_fails("noequals", SIM_EINPUT, 1);
    expect_message(&diag, "section.key=value");
    expect_message(&diag, "'noequals'");
    diag = override_fails("nodot=1", SIM_EINPUT, 1);
    expect_message(&diag, "'.'");
    diag = override_fails("run.Seed=1", SIM_EINPUT, 5);
    expect_message(&diag, "expected a key of lower-case letters");
    diag = override_fails("run.=1", SIM_EINPUT, 5);
    diag = override_fails(".seed=1", SIM_EINPUT, 1);
    diag = override_fails("r un.seed=1", SIM_EINPUT, 2);
    diag = override_fails("run.seed=\"open", SIM_EINPUT, 10);
    diag = override_fails("run.seed=\"a\\xb\"", SIM_EINPUT, 12);
    diag = override_fails("run.seed=a\x01", SIM_EINPUT, 11);
}

Test(sim_ini, free_is_safe_on_zeroed_and_twice)
{
    struct sim_ini ini = {0};
    sim_ini_free(&ini);
    sim_ini_free(&ini);
    cr_assert_null(ini.file);
    parse_ok("[a]\nb = c\n", &ini);
    sim_ini_free(&ini);
    sim_ini_free(&ini);
    cr_assert_null(ini.entries);
    cr_assert_eq(ini.entry_cap, 0u);
}

Test(sim_ini, diagnostic_formats_like_a_compiler)
{
    struct sim_diag diag = parse_fails("[run]\nseed = 1\nseed = 2\n", SIM_EINPUT, 3, 1);
    char line[2048];
    sim_diag_format(&diag, line, sizeof line);
    cr_assert(strncmp(line, LABEL ":3:1: error: ", strlen(LABEL ":3:1: error: ")) == 0, "%s",
              line);
}
