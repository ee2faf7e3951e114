/* sim/ini.c - the scenario file syntax and `--set` overrides; see ini.h for the rules.
 * Owns every string in a struct sim_ini. Invariants: no two entries share (section,
 * key); no section name appears twice in `sections`; every entry's file is the ini's
 * label or "--set". The parser reads one line at a time and stops at the first error,
 * so the diagnostic is the earliest problem in the file. Duplicates are found through a
 * hash index that lives only while a file is parsed: it answers "seen before?" and never
 * decides an order, so the result is the same whatever the hash. Leaves the meaning of
 * sections, keys and values (units, ranges, unknown keys) to the scenario loader. */
#include "ini.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assert.h"

_Static_assert(SIM_INI_LINE_MAX < INT_MAX, "columns are ints");
_Static_assert(SIM_INI_FILE_BYTES_MAX < INT_MAX, "line numbers are ints");
_Static_assert(SIM_INI_ENTRIES_MAX <= SIZE_MAX / 4, "index slots stay addressable");

#define INI_OVERRIDE_FILE "--set"
/* How much of the input a message quotes. */
#define INI_QUOTE_BYTES_MAX 60
#define INI_ARRAY_CAP_MIN 16u
#define INI_INDEX_SLOTS_MIN 64u

/* Where bytes[0] of a span sits in its file, so a helper can point at bytes[i]. */
struct ini_where {
    const char *file;
    int line;
    int column; /* 1-based column of bytes[0] */
};

/* Open-addressing set of item numbers (entries or sections), slot = number + 1. */
struct ini_index {
    size_t *slots;
    size_t slot_count; /* a power of two, or 0 */
    size_t used_count;
};

struct ini_parser {
    struct sim_ini *ini;
    struct sim_diag *diag;
    int line;
    size_t current_section; /* index in ini->sections; SIZE_MAX before the first header */
    struct ini_index entry_names;
    struct ini_index section_names;
};

static bool is_blank(char c) { return c == ' ' || c == '\t'; }

static bool is_key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

static bool is_section_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
           || (c != '\0' && strchr("_.<>*-", c) != NULL);
}

/* Control characters other than tab; CR is judged by the caller (CRLF is a line end). */
static bool is_control(unsigned char c) { return (c < 0x20 && c != '\t') || c == 0x7f; }

static int column_at(struct ini_where at, size_t offset)
{
    SIM_ASSERT(offset <= SIM_INI_LINE_MAX);
    return at.column + (int)offset;
}

static char *copy_bytes(const char *bytes, size_t length)
{
    char *copy = malloc(length + 1);
    if (!copy) return NULL;
    memcpy(copy, bytes, length);
    copy[length] = '\0';
    return copy;
}

/* At most INI_QUOTE_BYTES_MAX bytes of a span, "..." when cut, for quoting in messages. */
static void quote_span(const char *bytes, size_t length, char *out, size_t out_bytes)
{
    SIM_ASSERT(out_bytes > INI_QUOTE_BYTES_MAX + 3);
    bool is_cut = length > INI_QUOTE_BYTES_MAX;
    if (is_cut) {
        length = INI_QUOTE_BYTES_MAX;
        /* do not end inside a UTF-8 sequence */
        while (length > 0 && ((unsigned char)bytes[length] & 0xC0) == 0x80) length--;
    }
    for (size_t i = 0; i < length; i++)
        out[i] = is_control((unsigned char)bytes[i]) ? '?' : bytes[i];
    strcpy(out + length, is_cut ? "..." : "");
}

/* "'x'" for a printable byte, "byte 0xNN" otherwise. */
static void describe_byte(unsigned char c, char *out, size_t out_bytes)
{
    if (c >= 0x20 && c < 0x7f) snprintf(out, out_bytes, "'%c'", c);
    else snprintf(out, out_bytes, "byte 0x%02x", c);
}

static void trim_span(const char *bytes, size_t *begin, size_t *end)
{
    while (*begin < *end && is_blank(bytes[*begin])) (*begin)++;
    while (*end > *begin && is_blank(bytes[*end - 1])) (*end)--;
}

static int out_of_memory(struct sim_diag *diag, const char *file)
{
    return sim_diag_set(diag, SIM_ENOMEM, file, 0, 0, "out of memory while reading settings");
}

/* ---- growing the arrays ------------------------------------------------------------- */

static int reserve_entry(struct sim_ini *ini)
{
    SIM_ASSERT(ini->entry_count <= ini->entry_cap);
    if (ini->entry_count < ini->entry_cap) return 0;
    size_t cap = ini->entry_cap ? ini->entry_cap * 2 : INI_ARRAY_CAP_MIN;
    struct sim_ini_entry *entries = realloc(ini->entries, cap * sizeof *entries);
    if (!entries) return SIM_ENOMEM;
    memset(entries + ini->entry_cap, 0, (cap - ini->entry_cap) * sizeof *entries);
    ini->entries = entries;
    ini->entry_cap = cap;
    return 0;
}

/* Both section arrays grow together; the cap moves only once both have. */
static int reserve_section(struct sim_ini *ini)
{
    SIM_ASSERT(ini->section_count <= ini->section_cap);
    if (ini->section_count < ini->section_cap) return 0;
    size_t cap = ini->section_cap ? ini->section_cap * 2 : INI_ARRAY_CAP_MIN;
    char **names = realloc(ini->sections, cap * sizeof *names);
    if (!names) return SIM_ENOMEM;
    ini->sections = names;
    int *lines = realloc(ini->section_lines, cap * sizeof *lines);
    if (!lines) return SIM_ENOMEM;
    ini->section_lines = lines;
    memset(names + ini->section_cap, 0, (cap - ini->section_cap) * sizeof *names);
    memset(lines + ini->section_cap, 0, (cap - ini->section_cap) * sizeof *lines);
    ini->section_cap = cap;
    return 0;
}

/* ---- the duplicate index ------------------------------------------------------------ */

static uint64_t hash_name(const char *section, const char *key)
{
    uint64_t hash = UINT64_C(0xcbf29ce484222325); /* FNV-1a */
    const uint64_t prime = UINT64_C(0x100000001b3);
    for (const char *p = section; *p; p++) hash = (hash ^ (unsigned char)*p) * prime;
    hash = (hash ^ 0xffu) * prime; /* 0xff never occurs in a name: it separates the two */
    for (const char *p = key ? key : ""; *p; p++) hash = (hash ^ (unsigned char)*p) * prime;
    return hash;
}

/* Item `number` of the ini: an entry (section, key) or a section (section, NULL). */
static void item_name(const struct sim_ini *ini, bool is_entry, size_t number,
                      const char **section, const char **key)
{
    if (is_entry) {
        SIM_ASSERT(number < ini->entry_count);
        *section = ini->entries[number].section;
        *key = ini->entries[number].key;
    } else {
        SIM_ASSERT(number < ini->section_count);
        *section = ini->sections[number];
        *key = NULL;
    }
}

/* The item named (section, key), or SIZE_MAX. key is NULL for sections. */
static size_t index_find(const struct ini_index *index, const struct sim_ini *ini,
                         const char *section, const char *key)
{
    if (index->slot_count == 0) return SIZE_MAX;
    size_t mask = index->slot_count - 1;
    for (size_t slot = (size_t)hash_name(section, key) & mask;; slot = (slot + 1) & mask) {
        if (index->slots[slot] == 0) return SIZE_MAX;
        size_t number = index->slots[slot] - 1;
        const char *item_section = NULL;
        const char *item_key = NULL;
        item_name(ini, key != NULL, number, &item_section, &item_key);
        if (strcmp(item_section, section) == 0 && (!key || strcmp(item_key, key) == 0))
            return number;
    }
}

static void index_place(struct ini_index *index, const struct sim_ini *ini, bool is_entry,
                        size_t number)
{
    const char *section = NULL;
    const char *key = NULL;
    item_name(ini, is_entry, number, &section, &key);
    size_t mask = index->slot_count - 1;
    size_t slot = (size_t)hash_name(section, key) & mask;
    while (index->slots[slot] != 0) slot = (slot + 1) & mask;
    index->slots[slot] = number + 1;
}

/* Adds an item already stored in ini; keeps the table at most half full. */
static int index_add(struct ini_index *index, const struct sim_ini *ini, bool is_entry,
                     size_t number)
{
    if ((index->used_count + 1) * 2 > index->slot_count) {
        size_t slot_count = index->slot_count ? index->slot_count * 2 : INI_INDEX_SLOTS_MIN;
        size_t *slots = calloc(slot_count, sizeof *slots);
        if (!slots) return SIM_ENOMEM;
        size_t *old_slots = index->slots;
        size_t old_slot_count = index->slot_count;
        index->slots = slots;
        index->slot_count = slot_count;
        for (size_t i = 0; i < old_slot_count; i++)
            if (old_slots[i] != 0) index_place(index, ini, is_entry, old_slots[i] - 1);
        free(old_slots);
    }
    index_place(index, ini, is_entry, number);
    index->used_count++;
    return 0;
}

/* ---- pieces shared by files and overrides ------------------------------------------- */

static int check_key(const char *bytes, size_t length, struct ini_where at,
                     struct sim_diag *diag)
{
    char quoted[INI_QUOTE_BYTES_MAX + 4];
    quote_span(bytes, length, quoted, sizeof quoted);
    for (size_t i = 0; i < length; i++) {
        /* a '.' only between other key characters (fault names such as nemesis.3) */
        bool is_inner_dot = bytes[i] == '.' && i > 0 && i + 1 < length && bytes[i - 1] != '.';
        if (!is_key_char(bytes[i]) && !is_inner_dot) {
            return sim_diag_set(diag, SIM_EINPUT, at.file, at.line, column_at(at, i),
                                "expected a key of lower-case letters, digits and '_' ('.' "
                                "only between them), got '%s'", quoted);
        }
    }
    if (length == 0) {
        return sim_diag_set(diag, SIM_EINPUT, at.file, at.line, at.column,
                            "expected a key of lower-case letters, digits and '_' before '='");
    }
    return 0;
}

static int check_section_name(const char *bytes, size_t length, struct ini_where at,
                              struct sim_diag *diag)
{
    for (size_t i = 0; i < length; i++) {
        if (!is_section_char(bytes[i])) {
            char found[16];
            describe_byte((unsigned char)bytes[i], found, sizeof found);
            return sim_diag_set(diag, SIM_EINPUT, at.file, at.line, column_at(at, i),
                                "expected a section name of [A-Za-z0-9_.<>*-], got %s", found);
        }
    }
    if (length == 0) {
        return sim_diag_set(diag, SIM_EINPUT, at.file, at.line, at.column,
                            "expected a section name, got an empty one");
    }
    return 0;
}

/* The value of a trimmed span: verbatim, or unquoted with \" \\ \n \t resolved. */
static int read_value(const char *bytes, size_t length, struct ini_where at,
                      struct sim_diag *diag, char **value)
{
    if (length == 0 || bytes[0] != '"') {
        *value = copy_bytes(bytes, length);
        return *value ? 0 : out_of_memory(diag, at.file);
    }
    char *text = malloc(length);
    if (!text) return out_of_memory(diag, at.file);
    size_t text_length = 0;
    size_t i = 1;
    for (; i < length && bytes[i] != '"'; i++) {
        if (bytes[i] != '\\') {
            text[text_length++] = bytes[i];
            continue;
        }
        if (i + 1 == length) {
            i = length; /* a '\' just before the end: the quote is not closed */
            break;
        }
        char escaped = bytes[i + 1];
        const char *from = "\"\\nt";
        const char *to = "\"\\\n\t";
        const char *known = escaped != '\0' ? strchr(from, escaped) : NULL;
        if (!known) {
            free(text);
            char found[16];
            describe_byte((unsigned char)escaped, found, sizeof found);
            return sim_diag_set(diag, SIM_EINPUT, at.file, at.line, column_at(at, i),
                                "unknown escape: expected \\\" \\\\ \\n or \\t after '\\', "
                                "got %s", found);
        }
        text[text_length++] = to[known - from];
        i++;
    }
    if (i == length) {
        free(text);
        return sim_diag_set(diag, SIM_EINPUT, at.file, at.line, at.column,
                            "expected a closing '\"' for this quoted value");
    }
    size_t after = i + 1;
    while (after < length && is_blank(bytes[after])) after++;
    if (after != length) {
        free(text);
        char quoted[INI_QUOTE_BYTES_MAX + 4];
        quote_span(bytes + after, length - after, quoted, sizeof quoted);
        return sim_diag_set(diag, SIM_EINPUT, at.file, at.line, column_at(at, after),
                            "expected nothing after the closing '\"', got '%s'", quoted);
    }
    SIM_ASSERT(text_length < length);
    text[text_length] = '\0';
    *value = text;
    return 0;
}

/* ---- files -------------------------------------------------------------------------- */

/* Finds the end of the line at bytes[0..available) and checks its bytes. Sets the
 * content length (without "\n" or "\r\n") and how many bytes the line takes. */
static int scan_line(struct ini_parser *parser, const char *bytes, size_t available,
                     size_t *content_length, size_t *line_bytes)
{
    struct ini_where at = {parser->ini->file, parser->line, 1};
    size_t i = 0;
    for (; i < available && bytes[i] != '\n'; i++) {
        unsigned char c = (unsigned char)bytes[i];
        if (c == '\r' && i + 1 < available && bytes[i + 1] == '\n') {
            *content_length = i;
            *line_bytes = i + 2;
            return 0;
        }
        if (i >= SIM_INI_LINE_MAX) {
            return sim_diag_set(parser->diag, SIM_ELIMIT, at.file, at.line, column_at(at, i),
                                "line is longer than SIM_INI_LINE_MAX (%d bytes)",
                                SIM_INI_LINE_MAX);
        }
        if (c == 0) {
            return sim_diag_set(parser->diag, SIM_EINPUT, at.file, at.line, column_at(at, i),
                                "NUL byte: expected text (is this a binary file?)");
        }
        if (is_control(c)) {
            return sim_diag_set(parser->diag, SIM_EINPUT, at.file, at.line, column_at(at, i),
                                "control character 0x%02x: expected text", c);
        }
    }
    *content_length = i;
    *line_bytes = i < available ? i + 1 : i;
    return 0;
}

/* Stores a checked, new section name; takes ownership of name. */
static int add_section(struct ini_parser *parser, char *name)
{
    struct sim_ini *ini = parser->ini;
    if (reserve_section(ini) != 0) {
        free(name);
        return out_of_memory(parser->diag, ini->file);
    }
    ini->sections[ini->section_count] = name;
    ini->section_lines[ini->section_count] = parser->line;
    ini->section_count++;
    parser->current_section = ini->section_count - 1;
    if (index_add(&parser->section_names, ini, false, parser->current_section) != 0)
        return out_of_memory(parser->diag, ini->file);
    return 0;
}

/* `[name]` with the '[' at bytes[open]. */
static int parse_section_line(struct ini_parser *parser, const char *bytes, size_t length,
                              size_t open)
{
    struct ini_where at = {parser->ini->file, parser->line, 1};
    size_t close = open + 1;
    while (close < length && bytes[close] != ']') close++;
    if (close == length) {
        return sim_diag_set(parser->diag, SIM_EINPUT, at.file, at.line, column_at(at, length),
                            "expected ']' to close the section header");
    }
    struct ini_where name_at = {at.file, at.line, column_at(at, open + 1)};
    int status = check_section_name(bytes + open + 1, close - open - 1, name_at, parser->diag);
    if (status != 0) return status;
    size_t after = close + 1;
    while (after < length && is_blank(bytes[after])) after++;
    if (after != length) {
        char quoted[INI_QUOTE_BYTES_MAX + 4];
        quote_span(bytes + after, length - after, quoted, sizeof quoted);
        return sim_diag_set(parser->diag, SIM_EINPUT, at.file, at.line, column_at(at, after),
                            "expected nothing after ']', got '%s'", quoted);
    }

    char *name = copy_bytes(bytes + open + 1, close - open - 1);
    if (!name) return out_of_memory(parser->diag, at.file);
    size_t first = index_find(&parser->section_names, parser->ini, name, NULL);
    if (first != SIZE_MAX) {
        char quoted[INI_QUOTE_BYTES_MAX + 4];
        quote_span(name, close - open - 1, quoted, sizeof quoted);
        free(name);
        return sim_diag_set(parser->diag, SIM_EINPUT, at.file, at.line, column_at(at, open),
                            "section [%s] is repeated; its first header is on line %d", quoted,
                            parser->ini->section_lines[first]);
    }
    return add_section(parser, name);
}

/* Stores an entry whose key and value are already checked; takes ownership of value. */
static int add_entry(struct ini_parser *parser, const char *key, size_t key_length,
                     char *value, int value_column)
{
    struct sim_ini *ini = parser->ini;
    const char *header = ini->sections[parser->current_section];
    char *section = copy_bytes(header, strlen(header));
    char *key_copy = copy_bytes(key, key_length);
    if (!section || !key_copy || reserve_entry(ini) != 0) {
        free(section);
        free(key_copy);
        free(value);
        return out_of_memory(parser->diag, ini->file);
    }
    ini->entries[ini->entry_count] = (struct sim_ini_entry){
        .section = section,
        .key = key_copy,
        .value = value,
        .file = ini->file,
        .line = parser->line,
        .column = value_column,
    };
    ini->entry_count++;
    if (index_add(&parser->entry_names, ini, true, ini->entry_count - 1) != 0)
        return out_of_memory(parser->diag, ini->file);
    return 0;
}

/* The key of a `key = value` line, at bytes[begin..end), is not yet in its section. */
static int check_new_key(struct ini_parser *parser, const char *bytes, size_t begin,
                         size_t end)
{
    struct sim_ini *ini = parser->ini;
    struct ini_where at = {ini->file, parser->line, 1};
    char *key = copy_bytes(bytes + begin, end - begin);
    if (!key) return out_of_memory(parser->diag, at.file);
    const char *section = ini->sections[parser->current_section];
    size_t first = index_find(&parser->entry_names, ini, section, key);
    free(key);
    if (first != SIZE_MAX) {
        char quoted[INI_QUOTE_BYTES_MAX + 4];
        quote_span(bytes + begin, end - begin, quoted, sizeof quoted);
        return sim_diag_set(parser->diag, SIM_EINPUT, at.file, at.line, column_at(at, begin),
                            "key '%s' is repeated in [%s]; first set on line %d", quoted,
                            section, ini->entries[first].line);
    }
    if (ini->entry_count >= SIM_INI_ENTRIES_MAX) {
        return sim_diag_set(parser->diag, SIM_ELIMIT, at.file, at.line, column_at(at, begin),
                            "more than SIM_INI_ENTRIES_MAX (%u) entries", SIM_INI_ENTRIES_MAX);
    }
    return 0;
}

/* `key = value`, the key starting at bytes[start] (the first non-blank). */
static int parse_key_line(struct ini_parser *parser, const char *bytes, size_t length,
                          size_t start)
{
    struct ini_where at = {parser->ini->file, parser->line, 1};
    const char *equals = memchr(bytes + start, '=', length - start);
    if (!equals) {
        char quoted[INI_QUOTE_BYTES_MAX + 4];
        quote_span(bytes + start, length - start, quoted, sizeof quoted);
        return sim_diag_set(parser->diag, SIM_EINPUT, at.file, at.line, column_at(at, start),
                            "expected 'key = value', got '%s'%s", quoted,
                            start > 0 ? " (an indented line does not continue a value)" : "");
    }
    if (parser->current_section == SIZE_MAX) {
        return sim_diag_set(parser->diag, SIM_EINPUT, at.file, at.line, column_at(at, start),
                            "expected a [section] header before the first key");
    }
    size_t key_begin = start;
    size_t key_end = (size_t)(equals - bytes);
    trim_span(bytes, &key_begin, &key_end);
    struct ini_where key_at = {at.file, at.line, column_at(at, key_begin)};
    int status = check_key(bytes + key_begin, key_end - key_begin, key_at, parser->diag);
    if (status == 0) status = check_new_key(parser, bytes, key_begin, key_end);
    if (status != 0) return status;

    size_t value_begin = (size_t)(equals - bytes) + 1;
    size_t value_end = length;
    trim_span(bytes, &value_begin, &value_end);
    struct ini_where value_at = {at.file, at.line, column_at(at, value_begin)};
    char *value = NULL;
    status = read_value(bytes + value_begin, value_end - value_begin, value_at, parser->diag,
                        &value);
    if (status != 0) return status;
    return add_entry(parser, bytes + key_begin, key_end - key_begin, value, value_at.column);
}

static int parse_line(struct ini_parser *parser, const char *bytes, size_t length)
{
    size_t start = 0;
    while (start < length && is_blank(bytes[start])) start++;
    if (start == length || bytes[start] == '#' || bytes[start] == ';') return 0;
    if (bytes[start] == '[') return parse_section_line(parser, bytes, length, start);
    return parse_key_line(parser, bytes, length, start);
}

int sim_ini_parse(const char *file_label, const char *text, size_t text_bytes,
                  struct sim_ini *ini, struct sim_diag *diag)
{
    SIM_ASSERT(file_label != NULL);
    SIM_ASSERT(text != NULL || text_bytes == 0);
    SIM_ASSERT(ini != NULL);
    memset(ini, 0, sizeof *ini);
    if (text_bytes > SIM_INI_FILE_BYTES_MAX) {
        return sim_diag_set(diag, SIM_ELIMIT, file_label, 0, 0,
                            "file is %zu bytes, more than SIM_INI_FILE_BYTES_MAX (%u bytes)",
                            text_bytes, SIM_INI_FILE_BYTES_MAX);
    }
    ini->file = copy_bytes(file_label, strlen(file_label));
    if (!ini->file) return out_of_memory(diag, file_label);

    struct ini_parser parser = {.ini = ini, .diag = diag, .current_section = SIZE_MAX};
    int status = 0;
    for (size_t offset = 0; status == 0 && offset < text_bytes;) {
        parser.line++;
        size_t content_length = 0;
        size_t line_bytes = 0;
        status = scan_line(&parser, text + offset, text_bytes - offset, &content_length,
                           &line_bytes);
        if (status == 0) status = parse_line(&parser, text + offset, content_length);
        SIM_ASSERT(line_bytes > 0 || status != 0);
        offset += line_bytes;
    }
    free(parser.entry_names.slots);
    free(parser.section_names.slots);
    if (status != 0) {
        /* the diagnostic already holds its own copy of the label */
        sim_ini_free(ini);
        return status;
    }
    SIM_ASSERT(ini->entry_count <= SIM_INI_ENTRIES_MAX);
    return 0;
}

/* ---- overrides ---------------------------------------------------------------------- */

/* Stores an override's pieces (all owned, all checked) as a new or replaced entry. */
static int apply_override(struct sim_ini *ini, char *section, char *key, char *value,
                          struct ini_where value_at, struct sim_diag *diag)
{
    struct sim_ini_entry *entry = sim_ini_find(ini, section, key);
    if (entry) {
        free(entry->value);
        entry->value = value;
        free(section);
        free(key);
    } else {
        bool has_header = false;
        for (size_t i = 0; i < ini->section_count; i++) /* linear: one override at a time */
            has_header = has_header || strcmp(ini->sections[i], section) == 0;
        char *header = has_header ? NULL : copy_bytes(section, strlen(section));
        bool is_ready = has_header || (header && reserve_section(ini) == 0);
        if (!is_ready || reserve_entry(ini) != 0) {
            free(header);
            free(section);
            free(key);
            free(value);
            return out_of_memory(diag, INI_OVERRIDE_FILE);
        }
        if (header) {
            ini->sections[ini->section_count] = header;
            ini->section_lines[ini->section_count] = 0; /* no header line: it came from --set */
            ini->section_count++;
        }
        entry = &ini->entries[ini->entry_count++];
        *entry = (struct sim_ini_entry){.section = section, .key = key, .value = value};
    }
    entry->file = INI_OVERRIDE_FILE;
    entry->line = value_at.line;
    entry->column = value_at.column;
    return 0;
}

/* Splits "section.key" at bytes[begin..end) at its last '.' and checks both halves. */
static int split_override_name(const char *arg, size_t begin, size_t end, struct ini_where at,
                               struct sim_diag *diag, size_t *dot)
{
    size_t i = end;
    while (i > begin && arg[i - 1] != '.') i--;
    if (i == begin) {
        char quoted[INI_QUOTE_BYTES_MAX + 4];
        quote_span(arg, strlen(arg), quoted, sizeof quoted);
        return sim_diag_set(diag, SIM_EINPUT, at.file, at.line, column_at(at, begin),
                            "expected 'section.key=value' with a '.' before the key, got '%s'",
                            quoted);
    }
    *dot = i - 1;
    struct ini_where section_at = {at.file, at.line, column_at(at, begin)};
    int status = check_section_name(arg + begin, *dot - begin, section_at, diag);
    if (status != 0) return status;
    struct ini_where key_at = {at.file, at.line, column_at(at, *dot + 1)};
    return check_key(arg + *dot + 1, end - *dot - 1, key_at, diag);
}

int sim_ini_override(struct sim_ini *ini, const char *arg, int arg_index,
                     struct sim_diag *diag)
{
    SIM_ASSERT(ini != NULL);
    SIM_ASSERT(arg != NULL);
    SIM_ASSERT(arg_index >= 1);
    struct ini_where at = {INI_OVERRIDE_FILE, arg_index, 1};
    size_t length = strlen(arg);
    if (length > SIM_INI_LINE_MAX) {
        return sim_diag_set(diag, SIM_ELIMIT, at.file, at.line, column_at(at, SIM_INI_LINE_MAX),
                            "override is longer than SIM_INI_LINE_MAX (%d bytes)",
                            SIM_INI_LINE_MAX);
    }
    for (size_t i = 0; i < length; i++) {
        if (is_control((unsigned char)arg[i])) {
            return sim_diag_set(diag, SIM_EINPUT, at.file, at.line, column_at(at, i),
                                "control character 0x%02x: expected text",
                                (unsigned char)arg[i]);
        }
    }
    const char *equals = strchr(arg, '=');
    if (!equals) {
        char quoted[INI_QUOTE_BYTES_MAX + 4];
        quote_span(arg, length, quoted, sizeof quoted);
        return sim_diag_set(diag, SIM_EINPUT, at.file, at.line, at.column,
                            "expected 'section.key=value', got '%s'", quoted);
    }
    size_t name_begin = 0;
    size_t name_end = (size_t)(equals - arg);
    trim_span(arg, &name_begin, &name_end);
    size_t dot = 0;
    int status = split_override_name(arg, name_begin, name_end, at, diag, &dot);
    if (status != 0) return status;

    size_t value_begin = (size_t)(equals - arg) + 1;
    size_t value_end = length;
    trim_span(arg, &value_begin, &value_end);
    struct ini_where value_at = {at.file, at.line, column_at(at, value_begin)};
    char *value = NULL;
    status = read_value(arg + value_begin, value_end - value_begin, value_at, diag, &value);
    if (status != 0) return status;
    char *section = copy_bytes(arg + name_begin, dot - name_begin);
    char *key = copy_bytes(arg + dot + 1, name_end - dot - 1);
    if (!section || !key) {
        free(section);
        free(key);
        free(value);
        return out_of_memory(diag, at.file);
    }
    if (!sim_ini_find(ini, section, key) && ini->entry_count >= SIM_INI_ENTRIES_MAX) {
        free(section);
        free(key);
        free(value);
        return sim_diag_set(diag, SIM_ELIMIT, at.file, at.line, at.column,
                            "more than SIM_INI_ENTRIES_MAX (%u) entries", SIM_INI_ENTRIES_MAX);
    }
    return apply_override(ini, section, key, value, value_at, diag);
}

/* ---- lookup and release ------------------------------------------------------------- */

struct sim_ini_entry *sim_ini_find(const struct sim_ini *ini, const char *section,
                                   const char *key)
{
    SIM_ASSERT(ini != NULL);
    SIM_ASSERT(section != NULL);
    SIM_ASSERT(key != NULL);
    for (size_t i = 0; i < ini->entry_count; i++) { /* linear: consumers look up a few keys */
        struct sim_ini_entry *entry = &ini->entries[i];
        if (strcmp(entry->key, key) == 0 && strcmp(entry->section, section) == 0) return entry;
    }
    return NULL;
}

void sim_ini_free(struct sim_ini *ini)
{
    if (!ini) return;
    for (size_t i = 0; i < ini->entry_count; i++) {
        free(ini->entries[i].section);
        free(ini->entries[i].key);
        free(ini->entries[i].value);
    }
    for (size_t i = 0; i < ini->section_count; i++) free(ini->sections[i]);
    free(ini->entries);
    free(ini->sections);
    free(ini->section_lines);
    free(ini->file);
    memset(ini, 0, sizeof *ini);
}
