/*
 * cp_err.h — the one-line error message that functions which can fail fill
 * in for their caller (the tool prints it; the common kit's gzip reports
 * through it). Owns nothing: a cp_err is a fixed buffer on the caller's side.
 */
#ifndef CPROF_CP_ERR_H
#define CPROF_CP_ERR_H

typedef struct cp_err {
    char msg[512];
} cp_err;

/* Format the message into e->msg (cut to fit); a NULL e is ignored. */
void cp_err_set(cp_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
