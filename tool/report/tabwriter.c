/*
 * tabwriter.c — see tabwriter.h. The column algorithm is text/tabwriter's
 * format(): a column block is a run of consecutive lines that have a cell
 * in that column (the text after a line's last tab is not a cell); its
 * width is the widest cell plus padding; blocks nest column by column.
 * Widths count UTF-8 characters, not bytes.
 */
#include "tabwriter.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

typedef struct cell {
    const char *text;
    size_t size, width;
} cell;

typedef struct line {
    cell *cells;
    size_t n; /* the last cell is the trailing text */
} line;

typedef struct layout {
    line *lines;
    size_t n_lines;
    size_t *widths;
    size_t n_widths;
    const tabwriter *w;
    FILE *out;
} layout;

void tabwriter_init(tabwriter *w, int padding, bool align_right)
{
    buf_init(&w->text);
    w->padding = padding;
    w->align_right = align_right;
}

void tabwriter_printf(tabwriter *w, const char *fmt, ...)
{
    char *s = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        die_oom();
    buf_append(&w->text, s, (size_t)n);
    free(s);
}

static size_t utf8_width(const char *s, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        w += ((unsigned char)s[i] & 0xc0) != 0x80;
    return w;
}

static void pad(FILE *out, size_t text_width, size_t cell_width)
{
    for (size_t i = text_width; i < cell_width; i++)
        fputc(' ', out);
}

static void write_lines(layout *l, size_t line0, size_t line1)
{
    for (size_t i = line0; i < line1; i++) {
        const line *ln = &l->lines[i];
        for (size_t j = 0; j < ln->n; j++) {
            const cell *c = &ln->cells[j];
            bool padded = j < l->n_widths;
            if (padded && (l->w->align_right || c->size == 0))
                pad(l->out, c->width, l->widths[j]);
            fwrite(c->text, 1, c->size, l->out);
            if (padded && !l->w->align_right && c->size != 0)
                pad(l->out, c->width, l->widths[j]);
        }
        fputc('\n', l->out);
    }
}

static void format(layout *l, size_t line0, size_t line1)
{
    size_t column = l->n_widths;
    for (size_t this = line0; this < line1; this ++) {
        if (column + 1 >= l->lines[this].n)
            continue;
        /* A cell in this column: the lines before it are done. */
        write_lines(l, line0, this);
        line0 = this;
        size_t width = 0;
        for (; this < line1; this ++) {
            const line *ln = &l->lines[this];
            if (column + 1 >= ln->n)
                break;
            size_t w = ln->cells[column].width + (size_t)l->w->padding;
            if (w > width)
                width = w;
        }
        l->widths[l->n_widths++] = width;
        format(l, line0, this);
        l->n_widths--;
        line0 = this; /* the line that ended the block has no cell here: skip it */
    }
    write_lines(l, line0, line1);
}

void tabwriter_flush(tabwriter *w, FILE *out)
{
    const char *s = w->text.data ? (const char *)w->text.data : "";
    size_t len = w->text.len, n_lines = 0, max_cells = 1;
    for (size_t i = 0; i < len; i++)
        n_lines += s[i] == '\n';
    if (len && s[len - 1] != '\n')
        n_lines++;
    layout l = {xcalloc(n_lines, sizeof(line)), n_lines, NULL, 0, w, out};
    size_t start = 0;
    for (size_t i = 0; i < n_lines; i++) {
        const char *end = memchr(s + start, '\n', len - start);
        size_t stop = end ? (size_t)(end - s) : len, cells = 1;
        for (size_t k = start; k < stop; k++)
            cells += s[k] == '\t';
        line *ln = &l.lines[i];
        ln->cells = xcalloc(cells, sizeof(cell));
        for (size_t k = start; ln->n < cells; k++) {
            if (k == stop || s[k] == '\t') {
                cell *c = &ln->cells[ln->n++];
                c->text = s + start;
                c->size = k - start;
                c->width = utf8_width(c->text, c->size);
                start = k + 1;
            }
        }
        start = stop + 1;
        if (cells > max_cells)
            max_cells = cells;
    }
    l.widths = xcalloc(max_cells, sizeof *l.widths);
    format(&l, 0, n_lines);
    for (size_t i = 0; i < n_lines; i++)
        free(l.lines[i].cells);
    free(l.lines);
    free(l.widths);
    buf_reset(&w->text);
}
