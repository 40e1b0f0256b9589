/*
 * flags.h — the one option parser of every cprof command (`cprof` in
 * options.c, `cprof watch` in watch/watch.c), table-driven like Go's flag
 * package: a command lists its options (name, kind, what each sets) and a
 * function that sets one; this file owns the syntax and its errors.
 *
 * Syntax: "-name" or "--name"; a flag alone or "-name=BOOL" (true, false,
 * 1, 0, t, f, ...); any other option "-name=value" or "-name value". Options
 * and other arguments may be interleaved; "--" ends the options; "-" alone
 * is an argument. Integers and numbers are checked here.
 */
#ifndef CPROF_TOOL_FLAGS_H
#define CPROF_TOOL_FLAGS_H

#include <stdbool.h>
#include <stddef.h>

#include "profile/model.h"

enum flag_kind {
    FLAG_BOOL,   /* -name, -name=BOOL */
    FLAG_STRING, /* -name=S, -name S (repeatable ones append: their set does) */
    FLAG_INT,    /* an integer from -1 to 1e9 (-1: "not given") */
    FLAG_FLOAT,  /* a number */
};

typedef struct flag_spec {
    const char *name; /* without dashes */
    enum flag_kind kind;
    int id; /* what it sets: the command's own enum */
} flag_spec;

/* One option as given, checked for its kind. */
typedef struct flag_value {
    const char *str; /* FLAG_STRING, FLAG_INT, FLAG_FLOAT: as written */
    bool on;         /* FLAG_BOOL */
    long num;        /* FLAG_INT */
    double real;     /* FLAG_FLOAT */
} flag_value;

typedef struct flag_table {
    const char *prefix; /* starts every message: "" or "watch: " */
    const char *hint;   /* closes "unknown option" in parentheses */
    const flag_spec *specs;
    size_t n_specs;
    /* Set option s in ctx: 0, or -1 with err (a one-line reason). */
    int (*set)(void *ctx, const flag_spec *s, const flag_value *v, cp_err *err);
    /* An argument that is not an option, argv[*i] (after_dashes: it came
     * after "--"); may take the ones after it by advancing *i. 0, or -1
     * with err. */
    int (*arg)(void *ctx, int argc, char **argv, int *i, bool after_dashes, cp_err *err);
} flag_table;

/* Parse argv[1] to argv[argc-1] with t, calling t->set and t->arg in the
 * order given. 0, or -1 with a one-line reason in err at the first error
 * (unknown option, missing or malformed value, or what set or arg said). */
int flags_parse(const flag_table *t, int argc, char **argv, void *ctx, cp_err *err);
/* One option by name (no dashes), as "-name=value" would set it (value
 * NULL: a flag given alone), with the same checks: what a command's
 * interactive settings use (the shell's "focus=RE"). 0, or -1 with err
 * (unknown option, malformed value, or what t->set said). */
int flags_set(const flag_table *t, const char *name, const char *value, void *ctx, cp_err *err);

#endif
