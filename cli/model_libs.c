/* cli/model_libs.c - loading --model-lib libraries; see model_libs.h.
 *
 * The one piece of process-wide mutable state in the command layer: the libraries loaded
 * and the merged model set. It is written once, in main() before any subcommand runs (and
 * so before any worker is forked), and only read afterwards; runs never write it, so runs
 * that share a process (sweep, search, shrink) cannot leak state through it. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "model_libs.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "models/models.h"
#include "murphy/plugin.h"

#define LIB_PATH_BYTES_MAX 1024
#define MERGED_MODELS_MAX (64 + CLI_MODEL_LIBS_MAX * CLI_MODEL_LIB_MODELS_MAX)

struct model_lib {
    char path[LIB_PATH_BYTES_MAX];
    char sha256[CLI_MODEL_LIB_SHA256_HEX];
    const struct murphy_plugin *plugin;
    void *handle; /* never closed: every run borrows the library's tables */
};

static struct {
    struct model_lib libs[CLI_MODEL_LIBS_MAX];
    size_t lib_count;
    const struct murphy_model *models[MERGED_MODELS_MAX];
    const struct murphy_oracle *oracles[CLI_MODEL_LIBS_MAX * CLI_MODEL_LIB_MODELS_MAX];
    struct murphy_model_set set;
    bool is_merged;
    char record[CLI_MODEL_LIBS_MAX * (LIB_PATH_BYTES_MAX + CLI_MODEL_LIB_SHA256_HEX + 2)];
} loaded;

bool cli_model_libs_accepted_by(const char *command)
{
    static const char *const commands[] = {"run", "replay", "sweep", "search", "shrink",
                                           "list", "timeline"};
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(command, commands[i]) == 0) return true;
    return false;
}

/* SHA-256 of the file's bytes, as 64 lowercase hex digits. */
static int hash_file(const char *path, char hex[CLI_MODEL_LIB_SHA256_HEX])
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        cli_error("--model-lib %s: %s", path, strerror(errno));
        return CLI_EXIT_IO;
    }
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    unsigned char buf[65536];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0) sha256_update(&ctx, got, buf);
    bool has_failed = ferror(f) != 0;
    fclose(f);
    if (has_failed) {
        cli_error("--model-lib %s: read error", path);
        return CLI_EXIT_IO;
    }
    unsigned char digest[SHA256_DIGEST_SIZE];
    sha256_digest(&ctx, SHA256_DIGEST_SIZE, digest);
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < SHA256_DIGEST_SIZE; i++) {
        hex[2 * i] = digits[digest[i] >> 4];
        hex[2 * i + 1] = digits[digest[i] & 15];
    }
    hex[2 * SHA256_DIGEST_SIZE] = '\0';
    return CLI_EXIT_OK;
}

static bool is_name_taken(const char *name, size_t model_count)
{
    for (size_t i = 0; i < model_count; i++)
        if (strcmp(loaded.models[i]->name, name) == 0) return true;
    return false;
}

/* Adds the library's models and oracles to the merged set, checking each. */
static int register_plugin(const struct model_lib *lib)
{
    const struct murphy_plugin *p = lib->plugin;
    const char *lib_name = p->name ? p->name : "?";
    if (p->set.model_count > CLI_MODEL_LIB_MODELS_MAX ||
        p->set.oracle_count > CLI_MODEL_LIB_MODELS_MAX) {
        cli_error("--model-lib %s: '%s' offers %zu models and %zu oracles; at most %d each",
                  lib->path, lib_name, p->set.model_count, p->set.oracle_count,
                  CLI_MODEL_LIB_MODELS_MAX);
        return CLI_EXIT_USAGE;
    }
    for (size_t i = 0; i < p->set.model_count; i++) {
        const struct murphy_model *m = p->set.models[i];
        if (!m || !m->name || !*m->name) {
            cli_error("--model-lib %s: model #%zu of '%s' has no name", lib->path, i, lib_name);
            return CLI_EXIT_USAGE;
        }
        if (m->api_version != MURPHY_API_VERSION) {
            cli_error("--model-lib %s: model '%s' was built for murphy API version %d, this "
                      "murphy has %d: rebuild it against this murphy's headers",
                      lib->path, m->name, m->api_version, MURPHY_API_VERSION);
            return CLI_EXIT_USAGE;
        }
        if (is_name_taken(m->name, loaded.set.model_count)) {
            cli_error("--model-lib %s: a model named '%s' exists already (in murphy or an "
                      "earlier --model-lib); rename it", lib->path, m->name);
            return CLI_EXIT_USAGE;
        }
        loaded.models[loaded.set.model_count++] = m;
    }
    for (size_t i = 0; i < p->set.oracle_count; i++) {
        const struct murphy_oracle *o = p->set.oracles ? p->set.oracles[i] : NULL;
        if (!o || !o->name || !*o->name || o->api_version != MURPHY_API_VERSION) {
            cli_error("--model-lib %s: oracle #%zu of '%s' %s", lib->path, i, lib_name,
                      !o || !o->name || !*o->name ? "has no name"
                                                  : "was built for another murphy API version");
            return CLI_EXIT_USAGE;
        }
        loaded.oracles[loaded.set.oracle_count++] = o;
    }
    return CLI_EXIT_OK;
}

static void merge_builtin(void)
{
    if (loaded.is_merged) return;
    const struct murphy_model_set *builtin = models_builtin();
    _Static_assert(MERGED_MODELS_MAX - CLI_MODEL_LIBS_MAX * CLI_MODEL_LIB_MODELS_MAX >= 64,
                   "room for the in-tree models");
    for (size_t i = 0; i < builtin->model_count && i < 64; i++)
        loaded.models[loaded.set.model_count++] = builtin->models[i];
    loaded.set.models = loaded.models;
    loaded.set.oracles = loaded.oracles;
    loaded.is_merged = true;
}

static int load_one(const char *given)
{
    if (loaded.lib_count == CLI_MODEL_LIBS_MAX) {
        cli_error("more than %d --model-lib options", CLI_MODEL_LIBS_MAX);
        return CLI_EXIT_USAGE;
    }
    struct model_lib *lib = &loaded.libs[loaded.lib_count];
    char resolved[PATH_MAX];
    /* absolute: dlopen() of a bare name would search the library path, and then the file
     * hashed need not be the file loaded */
    if (!realpath(given, resolved)) {
        cli_error("--model-lib %s: %s", given, strerror(errno));
        return CLI_EXIT_USAGE;
    }
    size_t path_len = strlen(resolved);
    if (path_len >= sizeof lib->path) {
        cli_error("--model-lib %s: path longer than %d bytes", given, LIB_PATH_BYTES_MAX - 1);
        return CLI_EXIT_USAGE;
    }
    memcpy(lib->path, resolved, path_len + 1);
    int status = hash_file(lib->path, lib->sha256);
    if (status != CLI_EXIT_OK) return status;
    void *handle = dlopen(lib->path, RTLD_NOW | RTLD_LOCAL);
    lib->handle = handle;
    if (!handle) {
        cli_error("--model-lib %s: cannot load: %s", given, dlerror());
        return CLI_EXIT_USAGE;
    }
    /* dlsym returns an object pointer; POSIX promises the conversion to a function works */
    const struct murphy_plugin *(*entry)(void) = NULL;
    void *symbol = dlsym(handle, MURPHY_PLUGIN_ENTRY);
    memcpy(&entry, &symbol, sizeof entry);
    if (!entry) {
        cli_error("--model-lib %s: no entry point %s() (see murphy/plugin.h)", given,
                  MURPHY_PLUGIN_ENTRY);
        return CLI_EXIT_USAGE;
    }
    lib->plugin = entry();
    if (!lib->plugin) {
        cli_error("--model-lib %s: %s() returned nothing", given, MURPHY_PLUGIN_ENTRY);
        return CLI_EXIT_USAGE;
    }
    if (lib->plugin->api_version != MURPHY_API_VERSION) {
        cli_error("--model-lib %s: built for murphy API version %d, this murphy has %d: "
                  "rebuild it against this murphy's headers", given, lib->plugin->api_version,
                  MURPHY_API_VERSION);
        return CLI_EXIT_USAGE;
    }
    merge_builtin();
    status = register_plugin(lib);
    if (status == CLI_EXIT_OK) loaded.lib_count++;
    return status;
}

int cli_model_libs_take(int *argc, char **argv)
{
    int kept = 1;
    int status = CLI_EXIT_OK;
    for (int i = 1; i < *argc; i++) {
        const char *value = NULL;
        if (strncmp(argv[i], "--model-lib=", 12) == 0) {
            value = argv[i] + 12;
        } else if (strcmp(argv[i], "--model-lib") == 0) {
            if (i + 1 >= *argc) {
                cli_error("--model-lib needs a value");
                return CLI_EXIT_USAGE;
            }
            value = argv[++i];
        } else {
            argv[kept++] = argv[i];
            continue;
        }
        if (status == CLI_EXIT_OK) status = load_one(value);
    }
    argv[kept] = NULL;
    *argc = kept;
    return status;
}

const struct murphy_model_set *cli_models(void)
{
    if (loaded.lib_count == 0) return models_builtin();
    return &loaded.set;
}

size_t cli_model_lib_count(void) { return loaded.lib_count; }

const char *cli_model_lib_path(size_t index)
{
    return index < loaded.lib_count ? loaded.libs[index].path : NULL;
}

const char *cli_model_lib_sha256(size_t index)
{
    return index < loaded.lib_count ? loaded.libs[index].sha256 : NULL;
}

const char *cli_model_libs_record(void)
{
    size_t used = 0;
    loaded.record[0] = '\0';
    for (size_t i = 0; i < loaded.lib_count; i++) {
        int n = snprintf(loaded.record + used, sizeof loaded.record - used, "%s %s\n",
                         loaded.libs[i].path, loaded.libs[i].sha256);
        if (n > 0) used += (size_t)n; /* sized for every library: never cut */
    }
    return loaded.record;
}

/* The SHA-256 at the end of a recorded "PATH SHA256" line into hex, the path into path. */
static bool parse_line(const char *line, size_t len, char *path, size_t path_bytes,
                       char hex[CLI_MODEL_LIB_SHA256_HEX])
{
    size_t hex_len = CLI_MODEL_LIB_SHA256_HEX - 1;
    if (len < hex_len + 2 || line[len - hex_len - 1] != ' ') return false;
    memcpy(hex, line + len - hex_len, hex_len);
    hex[hex_len] = '\0';
    size_t path_len = len - hex_len - 1;
    if (path_len >= path_bytes) path_len = path_bytes - 1;
    memcpy(path, line, path_len);
    path[path_len] = '\0';
    return true;
}

static bool is_loaded_sha(const char *hex, bool *used)
{
    for (size_t i = 0; i < loaded.lib_count; i++) {
        if (!used[i] && strcmp(loaded.libs[i].sha256, hex) == 0) {
            used[i] = true;
            return true;
        }
    }
    return false;
}

int cli_model_libs_match(const char *recorded)
{
    bool used[CLI_MODEL_LIBS_MAX] = {false};
    int status = CLI_EXIT_OK;
    char safe[LIB_PATH_BYTES_MAX * 4];
    for (const char *line = recorded; line && *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        char path[LIB_PATH_BYTES_MAX], hex[CLI_MODEL_LIB_SHA256_HEX];
        if (len > 0 && !parse_line(line, len, path, sizeof path, hex)) {
            cli_error("replay: the run's model_libs entry '%.*s' is not 'PATH SHA256'",
                      (int)(len < 200 ? len : 200), line);
            return CLI_EXIT_DIVERGED;
        }
        if (len > 0 && !is_loaded_sha(hex, used)) {
            /* the unmatched library given now, if any, is the likely other version */
            const char *other = NULL;
            for (size_t i = 0; i < loaded.lib_count && !other; i++)
                if (!used[i]) other = loaded.libs[i].sha256;
            cli_safe(path, safe, sizeof safe);
            if (other)
                cli_error("replay: model library %s was recorded with SHA-256 %s, but the "
                          "--model-lib given has SHA-256 %s: not the library the run used",
                          safe, hex, other);
            else
                cli_error("replay: the run used model library %s (SHA-256 %s); give it with "
                          "--model-lib (libraries are never loaded from a record)", safe, hex);
            status = CLI_EXIT_DIVERGED;
        }
        line = nl ? nl + 1 : NULL;
    }
    for (size_t i = 0; i < loaded.lib_count && status == CLI_EXIT_OK; i++) {
        if (used[i]) continue;
        cli_error("replay: --model-lib %s (SHA-256 %s) was not used by the recorded run",
                  loaded.libs[i].path, loaded.libs[i].sha256);
        status = CLI_EXIT_DIVERGED;
    }
    return status;
}
