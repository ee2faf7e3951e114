/* cli/cmd_explain.c - `murphy explain SCENARIO`: the scenario's header comment (the
 * concept, what to run, what to look at, what you should see, what to change), as its
 * author wrote it above the first section. Printed with control characters made
 * visible: a scenario file may come from anywhere. */
#include "cli.h"

#include <string.h>

static const char usage[] =
    "usage: murphy explain SCENARIO\n"
    "\n"
    "Prints the header of SCENARIO (a path, or a name from `murphy list`): the comment\n"
    "lines before its first section, which say what concept it shows, how to run it, what\n"
    "to look at and what to change. Exit 2 if it cannot be found or has no header.\n";

#define LINE_BYTES_MAX 4096

/* Prints the leading comment block; returns the number of comment lines printed. */
static int print_header(FILE *fp)
{
    char line[LINE_BYTES_MAX];
    int printed = 0;
    while (fgets(line, sizeof line, fp)) {
        const char *s = line + strspn(line, " \t");
        if (*s == '[') break;                 /* the first section ends the header */
        if (*s != '#' && *s != ';') {
            if (*s == '\n' || *s == '\r' || *s == '\0') {
                if (printed) putchar('\n');   /* blank lines inside the header stay */
                continue;
            }
            break;                            /* a key before any section: no more header */
        }
        s++;
        if (*s == ' ') s++;
        size_t len = strcspn(s, "\r\n");
        char safe[2 * LINE_BYTES_MAX];
        char text[LINE_BYTES_MAX];
        snprintf(text, sizeof text, "%.*s", (int)len, s);
        puts(cli_safe(text, safe, sizeof safe));
        printed++;
    }
    return printed;
}

int cmd_explain(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return CLI_EXIT_OK;
    }
    const char *scenario = NULL;
    int status = CLI_EXIT_OK;
    for (int i = 1; i < argc && status == CLI_EXIT_OK; i++)
        status = cli_scenario_arg("explain", argv[i], &scenario);
    if (status == CLI_EXIT_OK) status = cli_scenario_given("explain", scenario);
    if (status != CLI_EXIT_OK) return status;
    char path[4096];
    if (cli_find_scenario(scenario, path, sizeof path) != 0) return CLI_EXIT_USAGE;
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        cli_error("explain: cannot read %s", path);
        return CLI_EXIT_IO;
    }
    int printed = print_header(fp);
    fclose(fp);
    if (printed == 0) {
        cli_error("explain: %s has no header comment before its first section", path);
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}
