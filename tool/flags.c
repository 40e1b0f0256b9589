/*
 * flags.c — see flags.h. Names and boolean spellings are Go's flag
 * package's, so cprof's options read like go tool pprof's; the messages
 * name the option as it was written ("--interval", "-nodecount").
 */
#include "flags.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const flag_spec *find_spec(const flag_table *t, const char *name, size_t len)
{
    for (size_t i = 0; i < t->n_specs; i++)
        if (strlen(t->specs[i].name) == len && !strncmp(t->specs[i].name, name, len))
            return &t->specs[i];
    return NULL;
}

/* strconv.ParseBool; NULL (a flag alone) is true. 0, or -1 when malformed. */
static int parse_bool(const char *v, bool *out)
{
    if (!v || !strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "t") || !strcmp(v, "T") ||
        !strcmp(v, "TRUE") || !strcmp(v, "True"))
        *out = true;
    else if (!strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "f") || !strcmp(v, "F") ||
             !strcmp(v, "FALSE") || !strcmp(v, "False"))
        *out = false;
    else
        return -1;
    return 0;
}

/* v->num or v->real from v->str for s's kind. 0, or -1 with err. */
static int convert(const flag_table *t, const flag_spec *s, int opt_len, const char *opt,
                   flag_value *v, cp_err *err)
{
    char *end;
    if (s->kind == FLAG_INT) {
        errno = 0;
        v->num = strtol(v->str, &end, 10);
        if (errno || *end || end == v->str || v->num < -1 || v->num > 1000000000) {
            cp_err_set(err, "%sinvalid value \"%s\" for %.*s: want an integer", t->prefix, v->str,
                       opt_len, opt);
            return -1;
        }
    } else if (s->kind == FLAG_FLOAT) {
        v->real = strtod(v->str, &end);
        if (*end || end == v->str) {
            cp_err_set(err, "%sinvalid value \"%s\" for %.*s: want a number", t->prefix, v->str,
                       opt_len, opt);
            return -1;
        }
    }
    return 0;
}

/* Option s, written as opt (its first opt_len bytes name it), set to value
 * (NULL: a flag alone) through t->set after the kind's checks. 0, or -1
 * with err. */
static int apply(const flag_table *t, const flag_spec *s, const char *opt, int opt_len,
                 const char *value, void *ctx, cp_err *err)
{
    flag_value v = {.str = value};
    if (s->kind == FLAG_BOOL) {
        if (parse_bool(v.str, &v.on) != 0) {
            cp_err_set(err, "%sinvalid boolean value \"%s\" for %.*s", t->prefix, v.str, opt_len,
                       opt);
            return -1;
        }
        v.str = NULL;
        return t->set(ctx, s, &v, err);
    }
    v.on = true;
    if (convert(t, s, opt_len, opt, &v, err) != 0)
        return -1;
    return t->set(ctx, s, &v, err);
}

/* The option argv[*i] (its value possibly the next argument: *i advances).
 * 0, or -1 with err. */
static int parse_option(const flag_table *t, int argc, char **argv, int *i, void *ctx, cp_err *err)
{
    const char *opt = argv[*i];
    const char *name = opt + 1 + (opt[1] == '-');
    const char *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    int opt_len = (int)(name - opt) + (int)len; /* "--name" as written */
    const flag_spec *s = find_spec(t, name, len);
    if (!s) {
        cp_err_set(err, "%sunknown option %s (%s)", t->prefix, opt, t->hint);
        return -1;
    }
    const char *value = eq ? eq + 1 : NULL;
    if (s->kind != FLAG_BOOL && !value) {
        if (*i + 1 >= argc) {
            cp_err_set(err, "%soption %.*s needs a value", t->prefix, opt_len, opt);
            return -1;
        }
        value = argv[++*i];
    }
    return apply(t, s, opt, opt_len, value, ctx, err);
}

int flags_set(const flag_table *t, const char *name, const char *value, void *ctx, cp_err *err)
{
    const flag_spec *s = find_spec(t, name, strlen(name));
    if (!s) {
        cp_err_set(err, "%sunknown option %s", t->prefix, name);
        return -1;
    }
    if (s->kind != FLAG_BOOL && !value) {
        cp_err_set(err, "%soption %s needs a value", t->prefix, name);
        return -1;
    }
    return apply(t, s, name, (int)strlen(name), value, ctx, err);
}

int flags_parse(const flag_table *t, int argc, char **argv, void *ctx, cp_err *err)
{
    bool options_done = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!options_done && !strcmp(a, "--")) {
            options_done = true;
            continue;
        }
        int rc = !options_done && a[0] == '-' && a[1]
                     ? parse_option(t, argc, argv, &i, ctx, err)
                     : t->arg(ctx, argc, argv, &i, options_done, err);
        if (rc != 0)
            return -1;
    }
    return 0;
}
