/*
 * cp_err.c — filling a cp_err (see cp_err.h).
 */
#include "cp_err.h"

#include <stdarg.h>
#include <stdio.h>

void cp_err_set(cp_err *e, const char *fmt, ...)
{
    if (!e)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
}
