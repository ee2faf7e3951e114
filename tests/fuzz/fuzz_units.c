/* tests/fuzz/fuzz_units.c - the unit parser (durations, ratios, integers, bandwidths,
 * sizes) on any bytes. The first byte picks the kind; the rest is the text. Beyond "no
 * crash": a parsed duration formats to text that parses back to the same value. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/units.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0 || size > 4096) return 0;
    enum sim_unit_kind kind = (enum sim_unit_kind)(data[0] % 5);
    char *text = malloc(size);
    if (!text) return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    int64_t value = 0;
    char err[256];
    if (sim_units_parse(text, kind, &value, err, sizeof err) == 0 && kind == SIM_UNIT_DURATION) {
        char formatted[64];
        int64_t again = 0;
        sim_units_format_ns(value, formatted, sizeof formatted);
        int rc = sim_units_parse(formatted, SIM_UNIT_DURATION, &again, err, sizeof err);
        assert(rc == 0 && again == value);
        (void)rc;
    } else {
        assert(memchr(err, '\0', sizeof err) != NULL);
    }
    free(text);
    return 0;
}
