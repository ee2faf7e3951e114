/* cli/cmd_list.c - `murphy list`: the scenarios murphy can find by name, with their
 * descriptions, and (--models) the models a scenario can name. */
#include "cli.h"
#include "model_libs.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "models/models.h"
#include "sim/ini.h"

static const char usage[] =
    "usage: murphy list [--models] [--model-lib FILE.so]...\n"
    "\n"
    "Lists the scenarios found by name (in $MURPHY_SCENARIO_PATH, then the source tree's\n"
    "and the installed scenarios/ directories) with their descriptions; with --models,\n"
    "the models a scenario can use and their parameters.\n";

#define LIST_MAX 1024

struct entry {
    char name[128];
    char path[4096];
};

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

static size_t collect(struct entry *entries)
{
    char dirs[4096];
    cli_scenario_dirs(dirs, sizeof dirs);
    size_t count = 0;
    for (char *dir = dirs; dir && *dir;) {
        char *colon = strchr(dir, ':');
        if (colon) *colon = '\0';
        DIR *d = *dir ? opendir(dir) : NULL;
        for (struct dirent *de; d && (de = readdir(d)) && count < LIST_MAX;) {
            size_t len = strlen(de->d_name);
            if (len < 5 || len >= 128 || strcmp(de->d_name + len - 4, ".ini") != 0) continue;
            struct entry e;
            snprintf(e.name, sizeof e.name, "%.*s", (int)(len - 4), de->d_name);
            int n = snprintf(e.path, sizeof e.path, "%s/%s", dir, de->d_name);
            if (n < 0 || (size_t)n >= sizeof e.path) continue; /* a path too long to open */
            bool seen = false; /* the first directory in the search order wins */
            for (size_t i = 0; i < count; i++) seen = seen || strcmp(entries[i].name, e.name) == 0;
            if (!seen) entries[count++] = e;
        }
        if (d) closedir(d);
        dir = colon ? colon + 1 : NULL;
    }
    qsort(entries, count, sizeof *entries, by_name); /* names are unique: a total order */
    return count;
}

static void print_description(const char *path)
{
    FILE *fp = fopen(path, "rb");
    char *text = malloc(SIM_INI_FILE_BYTES_MAX);
    size_t n = fp && text ? fread(text, 1, SIM_INI_FILE_BYTES_MAX, fp) : 0;
    if (fp) fclose(fp);
    struct sim_ini ini = {0};
    struct sim_diag diag;
    if (text && sim_ini_parse(path, text, n, &ini, &diag) == 0) {
        struct sim_ini_entry *e = sim_ini_find(&ini, "scenario", "description");
        printf("%s", e ? e->value : "");
    } else {
        printf("(does not parse: murphy run %s shows why)", path);
    }
    sim_ini_free(&ini);
    free(text);
}

static void print_models(void)
{
    const struct murphy_model_set *set = cli_models();
    for (size_t i = 0; i < set->model_count; i++) {
        const struct murphy_model *m = set->models[i];
        printf("%-16s %s\n", m->name, m->summary ? m->summary : "");
        for (size_t p = 0; p < m->param_count; p++)
            printf("    %-16s default %-20s %s\n", m->params[p].name,
                   m->params[p].default_text ? m->params[p].default_text : "(required)",
                   m->params[p].help ? m->params[p].help : "");
    }
}

int cmd_list(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return CLI_EXIT_OK;
    }
    if (argc == 2 && strcmp(argv[1], "--models") == 0) {
        print_models();
        return CLI_EXIT_OK;
    }
    if (argc > 1) {
        cli_error("list: unexpected '%s' (see murphy list --help)", argv[1]);
        return CLI_EXIT_USAGE;
    }
    struct entry *entries = calloc(LIST_MAX, sizeof *entries);
    if (!entries) return CLI_EXIT_IO;
    size_t count = collect(entries);
    for (size_t i = 0; i < count; i++) {
        printf("%-24s ", entries[i].name);
        print_description(entries[i].path);
        putchar('\n');
    }
    if (!count) {
        char dirs[4096];
        fprintf(stderr, "murphy: no scenarios found in %s\n", cli_scenario_dirs(dirs, sizeof dirs));
    }
    free(entries);
    return CLI_EXIT_OK;
}
