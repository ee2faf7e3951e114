/* cli/model_libs.h - model libraries named with --model-lib: loaded, checked, hashed, and
 * offered to the kernel together with the in-tree models.
 *
 * Libraries load only from the command line (never from a scenario or a record): a
 * database from elsewhere is untrusted input, and loading code it names would run it.
 * Every run records each library's absolute path and SHA-256 (runs.model_libs, one
 * "PATH SHA256" line each); replay compares the SHA-256 of what it was given with what
 * was recorded. Libraries stay loaded until the process ends: their tables are borrowed
 * by every run. */
#ifndef CLI_MODEL_LIBS_H
#define CLI_MODEL_LIBS_H

#include <stdbool.h>
#include <stddef.h>

#include "murphy/model.h"

#define CLI_MODEL_LIBS_MAX 8
#define CLI_MODEL_LIB_MODELS_MAX 256   /* models (and oracles) of one library */
#define CLI_MODEL_LIB_SHA256_HEX 65    /* 64 hex digits and the NUL */

/* Commands that (re)run scenarios and so take --model-lib. */
bool cli_model_libs_accepted_by(const char *command);

/* Removes every `--model-lib FILE` (or --model-lib=FILE) from argv[1..argc) and loads
 * each, in order; *argc shrinks. Returns 0, or an exit status with the reason printed: 2
 * for a library that is not one (no file, no entry point, wrong API version, a model
 * name already taken), 3 when it cannot be read. */
int cli_model_libs_take(int *argc, char **argv);

/* The in-tree models, then every loaded library's, with the libraries' oracles. */
const struct murphy_model_set *cli_models(void);

size_t cli_model_lib_count(void);
const char *cli_model_lib_path(size_t index);   /* absolute, as recorded */
const char *cli_model_lib_sha256(size_t index); /* 64 lowercase hex digits */

/* The runs.model_libs text: one "PATH SHA256\n" line per library; "" for none. */
const char *cli_model_libs_record(void);

/* Is what was recorded (runs.model_libs of a run) what is loaded now: the same SHA-256s?
 * Returns 0, or 4 after printing which library is missing or differs (naming both
 * hashes), or which was given but not recorded. */
int cli_model_libs_match(const char *recorded);

#endif
