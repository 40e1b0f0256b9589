/*
 * tabwriter.h — Go's text/tabwriter, the subset pprof's tags report uses:
 * tab-terminated cells, columns padded to the widest cell of each block of
 * consecutive lines that share the column, right alignment optional.
 */
#ifndef CPROF_TOOL_TABWRITER_H
#define CPROF_TOOL_TABWRITER_H

#include <stdbool.h>
#include <stdio.h>

#include "buf.h"

typedef struct tabwriter {
    buf text;
    int padding;
    bool align_right;
} tabwriter;

void tabwriter_init(tabwriter *w, int padding, bool align_right);
void tabwriter_printf(tabwriter *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Formats everything written so far to out and empties the writer. */
void tabwriter_flush(tabwriter *w, FILE *out);

#endif
