/* cli/timeline_svg.h - writing a timeline's drawing model (analysis/timeline.h) as an SVG
 * file, or as one self-contained HTML page holding the same SVG with the details of each
 * item as JSON, for hover, and a script for zoom. */
#ifndef CLI_TIMELINE_SVG_H
#define CLI_TIMELINE_SVG_H

#include <stdbool.h>
#include <stdio.h>

#include "analysis/db.h"
#include "analysis/timeline.h"

/* Writes the drawing to out. Every string from the record is escaped for where it goes
 * (XML text and attributes; JSON inside <script>, where < > & and U+2028/U+2029 are
 * \u-escaped so nothing can close the script or open a comment). Returns 0, or -1 when
 * out of memory. Same model, same bytes. */
int cli_timeline_write(FILE *out, const struct an_timeline *tl, const struct an_run *run,
                       bool is_html);

#endif
