/* cli/timeline_svg.c - a timeline's drawing model as SVG, or as one HTML page around the
 * same SVG; see timeline_svg.h.
 *
 * Layout: true time runs left to right over a fixed width (a window of any length fits;
 * the page zooms); a lane per node, top to bottom. Arrows are coloured by conversation (a
 * request and its replies share a colour, so interleaved requests stay apart) and dashed
 * by fate. Every string from the record is untrusted: it is made safe (cli_safe: no
 * control bytes, no broken UTF-8) and then XML-escaped, or put into JSON by jansson and
 * \u-escaped further for the <script> element it lives in. Numbers are printed with fixed
 * formats, so the same model gives the same bytes. */
#include "timeline_svg.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "sim/assert.h"

#define LEFT 170.0   /* lane names */
#define PLOT_W 1400.0
#define RIGHT 30.0
#define TOP 70.0     /* tick labels and violation flags */
#define LANE_H 84.0
#define BOTTOM 60.0  /* legend */
#define COLOURS 10
#define TITLE_BYTES_MAX 8192

struct writer {
    FILE *out;
    const struct an_timeline *tl;
    bool is_html;
    json_t *items;      /* html: per item [kind, [[key, value], ...]] */
    json_t *pairs;      /* the open item's */
    size_t item_count;
    char title[TITLE_BYTES_MAX]; /* svg: the open item's "key: value" lines, as XML */
    size_t title_bytes;
    bool is_title_full;
    bool is_oom;
};

/* --- escaping ----------------------------------------------------------------------------- */

/* One character of made-safe text (cli_safe: valid UTF-8, no control bytes) as XML text
 * or attribute value: & < > " ' as entities; U+FFFE and U+FFFF, which cli_safe passes and
 * XML 1.0 forbids, as U+FFFD. Writes it to piece (NUL-terminated); returns the bytes of s
 * it covers. */
static size_t xml_piece(const char *s, char piece[8])
{
    const unsigned char *p = (const unsigned char *)s;
    const char *entity = *p == '&' ? "&amp;" : *p == '<' ? "&lt;" : *p == '>' ? "&gt;"
                       : *p == '"' ? "&quot;" : *p == '\'' ? "&#39;" : NULL;
    if (entity) {
        strcpy(piece, entity);
        return 1;
    }
    size_t len = *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : *p >= 0xc0 ? 2 : 1;
    for (size_t i = 1; i < len; i++) SIM_ASSERT((p[i] & 0xc0) == 0x80); /* cli_safe's UTF-8 */
    memcpy(piece, s, len);
    piece[len] = '\0';
    if (len == 3 && p[0] == 0xef && p[1] == 0xbf && (p[2] == 0xbe || p[2] == 0xbf))
        piece[2] = (char)0xbd; /* U+FFFD */
    return len;
}

/* Raw text made safe (cli_safe) into a new buffer (caller frees; NULL when out of memory). */
static char *made_safe(const char *raw)
{
    size_t cap = 4 * (raw ? strlen(raw) : 1) + 8;
    char *safe = malloc(cap);
    if (safe) cli_safe(raw, safe, cap);
    return safe;
}

/* Writes raw text made safe for a terminal-like reader (cli_safe) and then for XML text or
 * attribute values (xml_piece). */
static void xml(FILE *out, const char *raw)
{
    char *safe = made_safe(raw);
    char piece[8];
    for (const char *s = safe ? safe : "?"; *s;) {
        s += xml_piece(s, piece);
        fputs(piece, out);
    }
    free(safe);
}

/* A JSON string of raw record text; text that is not UTF-8 goes in made safe (\xNN). */
static json_t *json_text(const char *raw)
{
    json_t *j = json_string(raw ? raw : "");
    if (j) return j;
    size_t cap = 4 * strlen(raw) + 8;
    char *safe = malloc(cap);
    if (!safe) return NULL;
    j = json_string(cli_safe(raw, safe, cap));
    free(safe);
    return j;
}

/* JSON text (jansson's, ASCII only) for inside <script>: < > & as \u003c \u003e \u0026, so
 * no "</script>" or "<!--" can appear; U+2028/U+2029 are already \u-escaped by
 * JSON_ENSURE_ASCII, and any raw byte above 0x7f would be a bug there. */
static void json_for_script(FILE *out, const char *json)
{
    for (const char *c = json; *c; c++) {
        SIM_ASSERT((unsigned char)*c < 0x80);
        switch (*c) {
        case '<': fputs("\\u003c", out); break;
        case '>': fputs("\\u003e", out); break;
        case '&': fputs("\\u0026", out); break;
        default: fputc(*c, out);
        }
    }
}

/* --- items: what hovering shows ------------------------------------------------------------ */

/* Appends XML to the open item's title, whole or not at all; once something did not fit,
 * the title ends in "..." and takes nothing more. */
static void title_markup(struct writer *w, const char *xml_text)
{
    size_t n = strlen(xml_text);
    if (w->is_title_full) return;
    if (w->title_bytes + n + sizeof "..." > sizeof w->title) {
        memcpy(w->title + w->title_bytes, "...", sizeof "...");
        w->title_bytes += sizeof "..." - 1;
        w->is_title_full = true;
        return;
    }
    memcpy(w->title + w->title_bytes, xml_text, n + 1);
    w->title_bytes += n;
}

/* Appends raw text to the open item's title, made safe and XML-escaped. */
static void title_text(struct writer *w, const char *raw)
{
    char *safe = made_safe(raw);
    if (!safe) {
        w->is_oom = true;
        return;
    }
    char piece[8];
    for (const char *s = safe; *s && !w->is_title_full;) {
        s += xml_piece(s, piece);
        title_markup(w, piece);
    }
    free(safe);
}

/* Starts an item; returns its index (written as data-i). */
static size_t item_begin(struct writer *w, const char *kind)
{
    w->title_bytes = 0;
    w->title[0] = '\0';
    w->is_title_full = false;
    if (w->is_html) {
        w->pairs = json_array();
        json_t *item = json_array();
        if (!w->pairs || !item || json_array_append_new(item, json_string(kind)) != 0 ||
            json_array_append_new(item, w->pairs) != 0 || /* pairs: borrowed from here on */
            json_array_append_new(w->items, item) != 0)
            w->is_oom = true;
    } else {
        title_text(w, kind);
    }
    return w->item_count++;
}

/* Adds key: value (raw text) to the open item: in SVG a line of its title (a newline in
 * XML is &#10;, kept in a title; each part made safe on its own, so the newline is ours
 * and the record's control bytes still show as \xNN). */
static void item_text(struct writer *w, const char *key, const char *raw)
{
    if (w->is_html) {
        json_t *pair = json_array();
        if (!pair || json_array_append_new(pair, json_string(key)) != 0 ||
            json_array_append_new(pair, json_text(raw)) != 0 ||
            json_array_append_new(w->pairs, pair) != 0)
            w->is_oom = true;
        return;
    }
    title_markup(w, "&#10;");
    title_text(w, key);
    title_markup(w, ": ");
    title_text(w, raw ? raw : "");
}

static void item_add(struct writer *w, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void item_add(struct writer *w, const char *key, const char *fmt, ...)
{
    char value[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(value, sizeof value, fmt, ap);
    va_end(ap);
    item_text(w, key, value);
}

/* Closes the open item: in SVG its lines become the element's <title>. */
static void item_end(struct writer *w)
{
    if (w->is_html) {
        w->pairs = NULL;
        return;
    }
    fputs("<title>", w->out);
    fputs(w->title, w->out); /* XML already */
    fputs("</title>", w->out);
}

/* --- geometry and formats ------------------------------------------------------------------ */

static double x_of(const struct an_timeline *tl, int64_t t_ns)
{
    int64_t span_ns = tl->to_ns > tl->from_ns ? tl->to_ns - tl->from_ns : 1;
    return LEFT + (double)(t_ns - tl->from_ns) * PLOT_W / (double)span_ns;
}

static double y_of_node(const struct an_timeline *tl, uint32_t node)
{
    return TOP + LANE_H * ((double)tl->lane_of[node] + 0.5);
}

static double height_of(const struct an_timeline *tl)
{
    return TOP + LANE_H * tl->lane_count + BOTTOM;
}

static const char *node_name(const struct an_timeline *tl, uint32_t node)
{
    return node < tl->nodes.count ? tl->nodes.names[node] : "-";
}

/* 12.3s, 0.25s, 1.000001s: seconds with the zeros after the point left out. */
static const char *short_time(int64_t ns, char *out, size_t out_bytes)
{
    an_format_time(ns, out, out_bytes);
    char *dot = strchr(out, '.');
    if (!dot) return out;
    size_t len = strlen(out); /* "...s" */
    size_t end = len - 1;
    while (end > (size_t)(dot - out) + 1 && out[end - 1] == '0') end--;
    if (end == (size_t)(dot - out) + 1) end--; /* no decimals left: drop the point */
    out[end] = 's';
    out[end + 1] = '\0';
    return out;
}

static const char *full_time(int64_t ns, char *out, size_t out_bytes)
{
    return an_format_time(ns, out, out_bytes);
}

/* A signed offset in ms with microsecond digits: "+12.300ms". */
static const char *offset_ms(int64_t ns, char *out, size_t out_bytes)
{
    snprintf(out, out_bytes, "%+.3fms", (double)ns / 1e6);
    return out;
}

static unsigned colour_of(uint64_t conversation)
{
    return (unsigned)(((conversation * 0x9E3779B97F4A7C15u) >> 32) % COLOURS);
}

/* --- parts of the drawing ------------------------------------------------------------------ */

static const char svg_style[] =
    "<style>\n"
    "text{font-family:sans-serif;font-size:11px;fill:#222}\n"
    ".name{font-size:12px;font-weight:bold}.tick{font-size:10px;fill:#555}\n"
    ".clock{font-size:9px;fill:#666}.lane{stroke:#999;stroke-width:1}\n"
    ".grid{stroke:#ddd;stroke-width:1}.msg{stroke-width:1.3;fill:none}\n"
    ".dup{stroke-dasharray:6 3}.corrupt{stroke-width:2.4}\n"
    ".drop{stroke:#b00;stroke-width:1.3;fill:none;stroke-dasharray:2 3}\n"
    ".drop-x{stroke:#b00;stroke-width:2}\n"
    ".pause{fill:#f2c94c;fill-opacity:.45}.crash{fill:#444;fill-opacity:.35}\n"
    ".partition{fill:#9b51e0;fill-opacity:.10;stroke:#9b51e0;stroke-opacity:.4}\n"
    ".cut{fill:#f2994a;fill-opacity:.12;stroke:#f2994a;stroke-opacity:.5}\n"
    ".mark{stroke:#222;stroke-width:.8}.violation line{stroke:#e00;stroke-width:2}\n"
    ".violation text{fill:#e00;font-weight:bold}.named{fill:none;stroke:#e00;stroke-width:2}\n"
    ".link{stroke:#e00;stroke-dasharray:3 2;stroke-width:1}.note{fill:#b00;font-weight:bold}\n"
    ".c0{stroke:#1f77b4}.c1{stroke:#ff7f0e}.c2{stroke:#2ca02c}.c3{stroke:#d62728}\n"
    ".c4{stroke:#9467bd}.c5{stroke:#8c564b}.c6{stroke:#e377c2}.c7{stroke:#7f7f7f}\n"
    ".c8{stroke:#bcbd22}.c9{stroke:#17becf}\n"
    "</style>\n";

static void write_lanes_and_ticks(struct writer *w)
{
    const struct an_timeline *tl = w->tl;
    FILE *out = w->out;
    double bottom = height_of(tl) - BOTTOM;
    char t[48], a[48], b[48];
    for (uint32_t k = 0; k < tl->tick_count; k++) {
        int64_t tick_ns = tl->first_tick_ns + (int64_t)k * tl->tick_ns;
        double x = x_of(tl, tick_ns);
        fprintf(out, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
                x, TOP - 14, x, bottom, x, TOP - 36, short_time(tick_ns, t, sizeof t));
    }
    for (uint32_t lane = 0; lane < tl->lane_count; lane++) {
        uint32_t node = tl->lanes[lane];
        double y = y_of_node(tl, node);
        fprintf(out, "<line class=\"lane\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>",
                LEFT, y, LEFT + PLOT_W, y);
        fprintf(out, "<text class=\"name\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", LEFT - 10,
                y + 4);
        xml(out, node_name(tl, node));
        fputs("</text>\n", out);
        /* the node's clocks beside true time: wall minus the reference, at each tick */
        for (uint32_t k = 0; k < tl->tick_count; k++) {
            const struct an_tl_reading *r = an_timeline_reading(tl, lane, k);
            if (!r->is_set) continue;
            int64_t wall_off = r->wall_ns - tl->wall_start_ns - r->time_ns;
            int64_t mono_off = r->mono_ns - r->time_ns;
            size_t i = item_begin(w, "clock");
            fprintf(out, "<text class=\"clock\" data-i=\"%zu\" x=\"%.1f\" y=\"%.1f\">wall %s",
                    i, x_of(tl, r->time_ns) + 2, y + 26, offset_ms(wall_off, a, sizeof a));
            item_text(w, "node", node_name(tl, node));
            item_add(w, "true time", "%s", full_time(r->time_ns, t, sizeof t));
            item_add(w, "wall clock", "%s (%s from true time)", full_time(r->wall_ns -
                     tl->wall_start_ns, b, sizeof b), offset_ms(wall_off, a, sizeof a));
            item_add(w, "monotonic clock", "%s (%s from true time)",
                     full_time(r->mono_ns, b, sizeof b), offset_ms(mono_off, a, sizeof a));
            item_end(w);
            fputs("</text>\n", out);
        }
    }
}

static const char *span_kind_name(enum an_tl_span_kind kind)
{
    switch (kind) {
    case AN_TL_PAUSE: return "pause";
    case AN_TL_CRASH: return "crash";
    case AN_TL_PARTITION: return "partition";
    case AN_TL_CUT: return "cut";
    }
    return "?";
}

static void write_spans(struct writer *w)
{
    const struct an_timeline *tl = w->tl;
    char a[48], b[48];
    for (size_t i = 0; i < tl->span_count; i++) {
        const struct an_tl_span *s = &tl->spans[i];
        double x1 = x_of(tl, s->start_ns), x2 = x_of(tl, s->end_ns);
        double y1, y2;
        bool is_node_span = s->kind == AN_TL_PAUSE || s->kind == AN_TL_CRASH;
        if (is_node_span) {
            y1 = y_of_node(tl, s->node) - 14;
            y2 = y1 + 28;
        } else if (s->node != SIM_NODE_NONE && s->peer != SIM_NODE_NONE) {
            double ya = y_of_node(tl, s->node), yb = y_of_node(tl, s->peer);
            y1 = (ya < yb ? ya : yb) - 6;
            y2 = (ya < yb ? yb : ya) + 6;
        } else { /* a side is a group: across every lane */
            y1 = TOP - 10;
            y2 = height_of(tl) - BOTTOM;
        }
        const char *kind = span_kind_name(s->kind);
        size_t item = item_begin(w, kind);
        fprintf(w->out, "<rect class=\"%s\" data-i=\"%zu\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\""
                " height=\"%.1f\">", kind, item, x1, y1, x2 - x1 > 1 ? x2 - x1 : 1, y2 - y1);
        if (is_node_span || s->node != SIM_NODE_NONE)
            item_text(w, is_node_span ? "node" : "from", node_name(tl, s->node));
        if (!is_node_span && s->peer != SIM_NODE_NONE) item_text(w, "to", node_name(tl, s->peer));
        item_add(w, "from", "%s", full_time(s->start_ns, a, sizeof a));
        item_add(w, "until", "%s%s", full_time(s->end_ns, b, sizeof b),
                 s->is_open_end ? " (still going at the window's end)" : "");
        item_add(w, "seq", "%" PRIu64, s->start_seq);
        if (s->text) item_text(w, "fault", s->text);
        item_end(w);
        fputs("</rect>\n", w->out);
    }
}

static void write_arrow(struct writer *w, const struct an_tl_arrow *a)
{
    const struct an_timeline *tl = w->tl;
    double x1 = x_of(tl, a->send_ns), x2 = x_of(tl, a->end_ns);
    double y1 = y_of_node(tl, a->source_node), y2 = y_of_node(tl, a->target_node);
    char t1[48], t2[48];
    const char *cls = sim_class_name(a->traffic_class);
    size_t item;
    if (a->is_delivered) {
        item = item_begin(w, "message");
        fprintf(w->out, "<line class=\"msg c%u%s%s\" data-i=\"%zu\" x1=\"%.2f\" y1=\"%.1f\""
                " x2=\"%.2f\" y2=\"%.1f\" marker-end=\"url(#head)\">", colour_of(a->conversation),
                a->is_duplicated ? " dup" : "", a->is_corrupted ? " corrupt" : "", item, x1, y1,
                x2, y2);
    } else {
        /* a link's drop never reached the target: the line stops halfway; a drop by the
         * target (down, inbox full) reached it */
        bool is_by_target = a->drop_reason == SIM_DROP_NODE_DOWN ||
                            a->drop_reason == SIM_DROP_INBOX_FULL;
        double xe = x2, ye = is_by_target ? y2 : (y1 + y2) / 2;
        if (!is_by_target && y1 == y2) ye = y1 - 10;
        item = item_begin(w, "drop");
        fprintf(w->out, "<path class=\"drop\" data-i=\"%zu\" d=\"", item);
        if (a->has_send) fprintf(w->out, "M%.2f %.1fL%.2f %.1f", x1, y1, xe, ye);
        fprintf(w->out, "M%.2f %.1fl6 6m-6 0l6 -6\">", xe - 3, ye - 3);
    }
    item_add(w, "seq", "%" PRIu64, a->seq);
    item_add(w, "msg", "%" PRIu64 "%s", a->msg_id,
             a->conversation != a->msg_id ? " (a reply)" : "");
    if (a->conversation != a->msg_id) item_add(w, "reply to msg", "%" PRIu64, a->conversation);
    if (a->is_delivered && cls) item_add(w, "class", "%s", cls);
    if (!a->is_delivered) {
        const char *reason = sim_drop_reason_name(a->drop_reason);
        item_add(w, "dropped", "%s", reason ? reason : "?");
    }
    item_text(w, "from", node_name(tl, a->source_node));
    item_text(w, "to", node_name(tl, a->target_node));
    if (a->has_send) item_add(w, "sent", "%s", full_time(a->send_ns, t1, sizeof t1));
    else item_add(w, "sent", "before the window");
    item_add(w, a->is_delivered ? "delivered" : "lost", "%s", full_time(a->end_ns, t2, sizeof t2));
    if (a->is_duplicated) item_add(w, "duplicated", "yes (the link sent it twice)");
    if (a->is_corrupted) item_add(w, "corrupted", "yes (a byte flipped in transit)");
    item_end(w);
    fputs(a->is_delivered ? "</line>\n" : "</path>\n", w->out);
}

/* A mark's glyph by kind: shape and fill. */
static void mark_glyph(FILE *out, const struct an_tl_mark *m, double x, double y, size_t item)
{
    const char *kind = sim_event_kind_name(m->kind);
    switch (m->kind) {
    case SIM_EV_TIMEOUT:
        fprintf(out, "<rect class=\"mark %s\" data-i=\"%zu\" x=\"%.2f\" y=\"%.1f\" width=\"7\""
                " height=\"7\" fill=\"#fff\">", kind, item, x - 3.5, y - 3.5);
        return;
    case SIM_EV_DUPLICATE:
    case SIM_EV_CORRUPT:
        fprintf(out, "<path class=\"mark %s\" data-i=\"%zu\" d=\"M%.2f %.1fl5 8h-10z\" fill=\"%s\">",
                kind, item, x, y - 12, m->kind == SIM_EV_CORRUPT ? "#e00" : "#fc0");
        return;
    case SIM_EV_LIE:
    case SIM_EV_ATTACK: /* a diamond: a lie by a node (purple) or an attack on a link (black) */
        fprintf(out, "<path class=\"mark %s\" data-i=\"%zu\" d=\"M%.2f %.1fl5 5l-5 5l-5 -5z\""
                " fill=\"%s\">", kind, item, x, y - 14, m->kind == SIM_EV_LIE ? "#9b51e0" : "#333");
        return;
    default:
        fprintf(out, "<circle class=\"mark %s\" data-i=\"%zu\" cx=\"%.2f\" cy=\"%.1f\" r=\"3.5\""
                " fill=\"%s\">", kind, item, x, y,
                m->kind == SIM_EV_NOTE || m->kind == SIM_EV_CLAIM ? "#2d9cdb"
                : m->kind == SIM_EV_SUSPECT                      ? "#eb5757"
                : m->kind == SIM_EV_TRUST                        ? "#27ae60"
                                                                 : "#f2c94c");
        return;
    }
}

static void write_marks(struct writer *w)
{
    const struct an_timeline *tl = w->tl;
    char t[48], d[48];
    for (size_t i = 0; i < tl->mark_count; i++) {
        const struct an_tl_mark *m = &tl->marks[i];
        const char *kind = sim_event_kind_name(m->kind);
        size_t item = item_begin(w, kind ? kind : "?");
        mark_glyph(w->out, m, x_of(tl, m->time_ns), y_of_node(tl, m->node), item);
        item_add(w, "seq", "%" PRIu64, m->seq);
        item_text(w, "node", node_name(tl, m->node));
        if (m->peer != SIM_NODE_NONE) item_text(w, "peer", node_name(tl, m->peer));
        item_add(w, "at", "%s", full_time(m->time_ns, t, sizeof t));
        const char *aux = sim_event_aux_name(m->kind, m->aux);
        if (aux) item_add(w, "what", "%s", aux);
        if (m->kind == SIM_EV_TIMEOUT) item_add(w, "gave up on msg", "%" PRIu64, m->obj);
        if (m->kind == SIM_EV_DUPLICATE || m->kind == SIM_EV_CORRUPT)
            item_add(w, "msg", "%" PRIu64, m->obj);
        if (m->kind == SIM_EV_CLOCK_STEP)
            item_add(w, "wall clock moved", "%s", offset_ms(m->arg, d, sizeof d));
        if (m->text) item_text(w, "text", m->text);
        item_end(w);
        bool is_path = m->kind == SIM_EV_DUPLICATE || m->kind == SIM_EV_CORRUPT ||
                       m->kind == SIM_EV_LIE || m->kind == SIM_EV_ATTACK;
        fputs(m->kind == SIM_EV_TIMEOUT ? "</rect>\n" : is_path ? "</path>\n" : "</circle>\n",
              w->out);
    }
}

static const struct an_tl_named *find_named(const struct an_timeline *tl, uint64_t seq)
{
    for (size_t i = 0; i < tl->named_count; i++) /* linear: at most 9 per violation */
        if (tl->named[i].seq == seq) return &tl->named[i];
    return NULL;
}

static void write_violations(struct writer *w)
{
    const struct an_timeline *tl = w->tl;
    char t[48];
    for (size_t i = 0; i < tl->violation_count; i++) {
        const struct an_tl_violation *v = &tl->violations[i];
        double x = x_of(tl, v->time_ns);
        bool is_on_lane = v->node != SIM_NODE_NONE;
        /* from its flag above the lanes down to its node's lane, or across all */
        double y2 = is_on_lane ? y_of_node(tl, v->node) + 24 : height_of(tl) - BOTTOM;
        size_t item = item_begin(w, "violation");
        fprintf(w->out, "<g class=\"violation\" data-i=\"%zu\"><line x1=\"%.2f\" y1=\"%.1f\""
                " x2=\"%.2f\" y2=\"%.1f\"/><text x=\"%.2f\" y=\"%.1f\">! ", item, x, TOP - 20, x,
                y2, x + 3, TOP - 20);
        xml(w->out, v->source);
        fputs("</text>", w->out);
        for (size_t k = 0; k < v->named_count; k++) {
            const struct an_tl_named *n = find_named(tl, v->named[k]);
            if (!n) continue;
            double nx = x_of(tl, n->time_ns), ny = y_of_node(tl, n->node);
            fprintf(w->out, "<line class=\"link\" x1=\"%.2f\" y1=\"%.1f\" x2=\"%.2f\" y2=\"%.1f\"/>"
                    "<circle class=\"named\" cx=\"%.2f\" cy=\"%.1f\" r=\"7\"/>", x, TOP - 20, nx,
                    ny, nx, ny);
        }
        item_add(w, "seq", "%" PRIu64, v->seq);
        item_add(w, "at", "%s", full_time(v->time_ns, t, sizeof t));
        if (is_on_lane) item_text(w, "node", node_name(tl, v->node));
        item_text(w, "source", v->source);
        item_text(w, "text", v->text);
        for (size_t k = 0; k < v->named_count; k++) {
            const struct an_tl_named *n = find_named(tl, v->named[k]);
            char what[160];
            snprintf(what, sizeof what, "%s at %s", n ? sim_event_kind_name(n->kind) : "not drawn",
                     n ? full_time(n->time_ns, t, sizeof t) : "(outside the window or lanes)");
            char key[32];
            snprintf(key, sizeof key, "names seq %" PRIu64, v->named[k]);
            item_text(w, key, what);
        }
        item_end(w);
        fputs("</g>\n", w->out);
    }
}

static void write_legend(struct writer *w)
{
    const struct an_timeline *tl = w->tl;
    double y = height_of(tl) - BOTTOM + 24;
    fprintf(w->out, "<g class=\"legend\"><text x=\"%.1f\" y=\"%.1f\">Arrows: send to delivery,"
            " one colour per request and its replies; dashed: duplicated; thick: corrupted;"
            " red dotted with x: dropped. Marks: square timeout, triangle duplicate/corrupt,"
            " dots notes, claims, suspicions, diamond a lie (purple) or a link attack.</text><text x=\"%.1f\" y=\"%.1f\">Yellow:"
            " paused; grey: crashed; violet band: partition; orange: one-way cut. Red:"
            " violations, ringed: the events they name. 'wall +Nms': the node's wall clock"
            " minus true time.</text>", LEFT, y - 8, LEFT, y + 6);
    if (tl->is_truncated)
        fprintf(w->out, "<text class=\"note\" x=\"%.1f\" y=\"%.1f\">Not everything is drawn:"
                " %zu of %zu messages, %zu of %zu marks, %zu of %zu intervals, %zu of %zu"
                " violations. Narrow the window with --from/--to (or --nodes).</text>", LEFT,
                y + 22, tl->arrow_count, tl->arrow_total, tl->mark_count, tl->mark_total,
                tl->span_count, tl->span_total, tl->violation_count, tl->violation_total);
    fputs("</g>\n", w->out);
}

static void write_svg(struct writer *w, const struct an_run *run)
{
    const struct an_timeline *tl = w->tl;
    double width = LEFT + PLOT_W + RIGHT, height = height_of(tl);
    char a[48], b[48];
    fprintf(w->out, "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"timeline\" viewBox=\"0 0"
            " %.0f %.0f\" width=\"%.0f\" height=\"%.0f\">\n", width, height, width, height);
    fputs(svg_style, w->out);
    fprintf(w->out, "<defs><marker id=\"head\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\""
            " markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0 0L10 5L0 10z\""
            " fill=\"#333\"/></marker><clipPath id=\"plot\"><rect x=\"%.1f\" y=\"0\""
            " width=\"%.1f\" height=\"%.1f\"/></clipPath></defs>\n", LEFT, PLOT_W, height);
    fprintf(w->out, "<text class=\"name\" x=\"10\" y=\"16\">run %" PRId64 " (", run->id);
    xml(w->out, run->scenario);
    fprintf(w->out, ", seed %" PRIu64 "), true time %s to %s</text>\n", run->seed,
            full_time(tl->from_ns, a, sizeof a), full_time(tl->to_ns, b, sizeof b));
    write_lanes_and_ticks(w);
    fputs("<g clip-path=\"url(#plot)\">\n", w->out);
    write_spans(w);
    for (size_t i = 0; i < tl->arrow_count; i++) write_arrow(w, &tl->arrows[i]);
    write_marks(w);
    fputs("</g>\n", w->out);
    write_violations(w);
    write_legend(w);
    fputs("</svg>\n", w->out);
}

/* --- the page ------------------------------------------------------------------------------ */

/* Runs after the SVG and the data: hover details (as text, never markup), wheel zoom and
 * drag pan of the viewBox, violations that jump to where they happened; then the
 * sentinel that tests read back. Any error sets the sentinel to "error: ...". */
static const char page_script[] =
    "window.onerror = function (message, source, line) {\n"
    "  document.documentElement.dataset.murphy = 'error: ' + message + ' (line ' + line + ')';\n"
    "};\n"
    "(function () {\n"
    "  'use strict';\n"
    "  var data = JSON.parse(document.getElementById('murphy-data').textContent);\n"
    "  var items = data.items;\n"
    "  var svg = document.getElementById('timeline');\n"
    "  var tip = document.getElementById('tip');\n"
    "  function show(item, x, y) {\n"
    "    tip.textContent = '';\n"
    "    var head = document.createElement('b');\n"
    "    head.textContent = item[0];\n"
    "    tip.appendChild(head);\n"
    "    item[1].forEach(function (pair) {\n"
    "      var line = document.createElement('div');\n"
    "      line.textContent = pair[0] + ': ' + pair[1];\n"
    "      tip.appendChild(line);\n"
    "    });\n"
    "    tip.style.left = (x + 14) + 'px';\n"
    "    tip.style.top = (y + 14) + 'px';\n"
    "    tip.hidden = false;\n"
    "  }\n"
    "  var home = svg.getAttribute('viewBox').split(' ').map(Number);\n"
    "  var view = home.slice();\n"
    "  function apply() { svg.setAttribute('viewBox', view.join(' ')); }\n"
    "  function toView(event) {\n"
    "    var box = svg.getBoundingClientRect();\n"
    "    return [view[0] + (event.clientX - box.left) / box.width * view[2],\n"
    "            view[1] + (event.clientY - box.top) / box.height * view[3]];\n"
    "  }\n"
    "  svg.addEventListener('wheel', function (event) {\n"
    "    event.preventDefault();\n"
    "    var at = toView(event), f = event.deltaY < 0 ? 0.8 : 1.25;\n"
    "    view = [at[0] - (at[0] - view[0]) * f, at[1] - (at[1] - view[1]) * f,\n"
    "            view[2] * f, view[3] * f];\n"
    "    apply();\n"
    "  }, {passive: false});\n"
    "  var drag = null;\n"
    "  svg.addEventListener('mousedown', function (event) { drag = toView(event); });\n"
    "  window.addEventListener('mouseup', function () { drag = null; });\n"
    "  svg.addEventListener('mousemove', function (event) {\n"
    "    if (drag) {\n"
    "      var at = toView(event);\n"
    "      view[0] -= at[0] - drag[0];\n"
    "      view[1] -= at[1] - drag[1];\n"
    "      apply();\n"
    "      return;\n"
    "    }\n"
    "    var el = event.target.closest('[data-i]');\n"
    "    if (!el) { tip.hidden = true; return; }\n"
    "    show(items[Number(el.getAttribute('data-i'))], event.pageX, event.pageY);\n"
    "  });\n"
    "  svg.addEventListener('mouseleave', function () { tip.hidden = true; });\n"
    "  svg.addEventListener('dblclick', function () { view = home.slice(); apply(); });\n"
    "  document.querySelectorAll('#violations li').forEach(function (li) {\n"
    "    li.addEventListener('click', function () {\n"
    "      var x = Number(li.getAttribute('data-x'));\n"
    "      view = [x - home[2] / 16, home[1], home[2] / 8, home[3]];\n"
    "      apply();\n"
    "    });\n"
    "  });\n"
    "  var linked = svg.querySelectorAll('[data-i]'), resolved = 0;\n"
    "  linked.forEach(function (el) {\n"
    "    var item = items[Number(el.getAttribute('data-i'))];\n"
    "    if (item && typeof item[0] === 'string' && Array.isArray(item[1])) resolved++;\n"
    "  });\n"
    "  if (resolved !== linked.length || resolved !== items.length)\n"
    "    throw new Error('details: ' + resolved + ' of ' + linked.length + ' elements, ' +\n"
    "                    items.length + ' items');\n"
    "  document.documentElement.dataset.murphy = 'ok arrows=' +\n"
    "    svg.querySelectorAll('line.msg').length + ' drops=' +\n"
    "    svg.querySelectorAll('path.drop').length + ' violations=' +\n"
    "    svg.querySelectorAll('g.violation').length + ' details=' + resolved;\n"
    "})();\n";

static const char page_style[] =
    "body{font-family:sans-serif;margin:12px;color:#222}\n"
    "#wrap{overflow:auto;border:1px solid #ccc}#timeline{display:block;width:100%;height:auto;"
    "cursor:grab;user-select:none}\n"
    "#tip{position:absolute;background:#fffbe6;border:1px solid #999;padding:6px;"
    "font-size:12px;max-width:520px;white-space:pre-wrap;pointer-events:none}\n"
    "#violations li{cursor:pointer;color:#c00}\n";

static void write_violation_list(struct writer *w)
{
    const struct an_timeline *tl = w->tl;
    if (!tl->violation_count) return;
    char t[48];
    fputs("<p>Violations (click one to zoom to it):</p><ol id=\"violations\">\n", w->out);
    for (size_t i = 0; i < tl->violation_count; i++) {
        const struct an_tl_violation *v = &tl->violations[i];
        fprintf(w->out, "<li data-x=\"%.2f\">seq %" PRIu64 " at %s, ", x_of(tl, v->time_ns),
                v->seq, full_time(v->time_ns, t, sizeof t));
        xml(w->out, v->source);
        fputs(": ", w->out);
        xml(w->out, v->text);
        fputs("</li>\n", w->out);
    }
    fputs("</ol>\n", w->out);
}

static int write_page(struct writer *w, const struct an_run *run)
{
    FILE *out = w->out;
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';"
          " style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n<title>murphy timeline:"
          " run ", out);
    fprintf(out, "%" PRId64 " ", run->id);
    xml(out, run->scenario);
    fprintf(out, "</title>\n<style>\n%s</style></head>\n<body>\n<h1>Run %" PRId64 ": ",
            page_style, run->id);
    xml(out, run->scenario);
    fprintf(out, ", seed %" PRIu64 "</h1>\n<p>Hover for details; the wheel zooms, dragging"
            " pans, a double click shows everything.</p>\n", run->seed);
    if (w->tl->is_truncated)
        fputs("<p><b>Not everything in this window is drawn (see the note under the diagram):"
              " narrow it with --from/--to.</b></p>\n", out);
    write_violation_list(w);
    fputs("<div id=\"wrap\">\n", out);
    write_svg(w, run);
    fputs("</div>\n<div id=\"tip\" hidden></div>\n", out);
    json_t *data = json_object();
    if (!data || json_object_set(data, "items", w->items) != 0) w->is_oom = true;
    char *json = w->is_oom ? NULL
                           : json_dumps(data, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);
    json_decref(data);
    if (!json) return -1;
    fputs("<script type=\"application/json\" id=\"murphy-data\">", out);
    json_for_script(out, json);
    free(json);
    fprintf(out, "</script>\n<script>\n%s</script>\n</body></html>\n", page_script);
    return 0;
}

int cli_timeline_write(FILE *out, const struct an_timeline *tl, const struct an_run *run,
                       bool is_html)
{
    struct writer w = {.out = out, .tl = tl, .is_html = is_html};
    if (is_html && !(w.items = json_array())) return -1;
    int status = 0;
    if (is_html) {
        status = write_page(&w, run);
    } else {
        fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
        write_svg(&w, run);
    }
    json_decref(w.items);
    return status == 0 && !w.is_oom ? 0 : -1;
}
