/* sim/ini.h - the scenario file syntax: a small INI dialect read by our own parser.
 *
 * Why not libinih: Debian's libinih 55 gives its handler no line number, cuts section
 * names at 50 bytes and lines at 200, stops a line at a NUL, treats " ;" inside a value
 * as a comment (so `x' ; DROP TABLE runs` becomes `x'`), and joins an indented line to
 * the previous key. Each of those is a silent misparse; this parser makes every one a
 * clear error or documented behaviour:
 *   - `[section]` headers; names of [A-Za-z0-9_.<>*-], any length up to the line limit.
 *   - `key = value`; keys of [a-z0-9_] with inner single dots ("nemesis.3"), values
 *     trimmed; a value may be double-quoted
 *     ("a, b" with \" \\ \n \t escapes) to keep blanks or start with a quote.
 *   - Comments are whole lines starting with '#' or ';' (after blanks). There are no
 *     inline comments: '#' and ';' inside a value are part of the value.
 *   - Indentation means nothing: an indented `key = value` is an ordinary key; an
 *     indented line without '=' is an error, never a continuation.
 *   - A NUL byte, a control character other than tab/CR, a line over SIM_INI_LINE_MAX
 *     bytes, a file over SIM_INI_FILE_BYTES_MAX, a repeated key within a section or a
 *     repeated section are errors with line and column. CRLF line ends are accepted.
 * Entries keep file, line and the value's column, so later checks can point at them. */
#ifndef SIM_INI_H
#define SIM_INI_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

#define SIM_INI_LINE_MAX 4096
#define SIM_INI_FILE_BYTES_MAX (1024u * 1024u)
#define SIM_INI_ENTRIES_MAX 100000u

struct sim_ini_entry {
    char *section;    /* owned */
    char *key;        /* owned */
    char *value;      /* owned; quotes removed, escapes resolved */
    const char *file; /* borrowed from the sim_ini (its label), or "--set" */
    int line;         /* 1-based line of the entry; for overrides the argument's index */
    int column;       /* 1-based column where the value starts */
    bool is_used;     /* set by consumers; an entry nobody used is an unknown key */
};

struct sim_ini {
    char *file;     /* owned copy of the label given to sim_ini_parse */
    struct sim_ini_entry *entries; /* in file order; overrides replace in place or append */
    size_t entry_count;
    size_t entry_cap;
    /* Every section header in file order (owned strings) with its line, so that an
     * empty section still exists and errors can point at a header. */
    char **sections;
    int *section_lines;
    size_t section_count;
    size_t section_cap;
};

/* Parses text[0..text_bytes) (need not be NUL-terminated; may contain NULs, which are
 * reported). file_label names the file in diagnostics. On error, ini holds nothing that
 * needs freeing beyond sim_ini_free (safe to call either way). */
int sim_ini_parse(const char *file_label, const char *text, size_t text_bytes,
                  struct sim_ini *ini, struct sim_diag *diag);

/* Applies one `--set section.key=value` override (section may contain dots: the key is
 * what follows the last dot before '='). Replaces the entry if present, else appends
 * it (consumers report it as unknown if nothing uses it). arg_index is the override's
 * 1-based position on the command line, used as its "line" in diagnostics. */
int sim_ini_override(struct sim_ini *ini, const char *arg, int arg_index,
                     struct sim_diag *diag);

/* Lookup: the entry for section/key, or NULL. */
struct sim_ini_entry *sim_ini_find(const struct sim_ini *ini, const char *section,
                                   const char *key);

void sim_ini_free(struct sim_ini *ini);

#endif
