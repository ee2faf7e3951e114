/* tests/plugin/no_entry.c - a shared object that is not a model library: it has no
 * murphy_plugin() entry point, and --model-lib must say so (exit 2). */
int no_entry_answer(void);
int no_entry_answer(void) { return 42; }
