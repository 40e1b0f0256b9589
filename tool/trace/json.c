/*
 * json.c — the JSON reader of json.h: recursive descent over the text,
 * depth-limited, values in malloc'd arrays (out of memory is fatal in the
 * tool, as everywhere in it: cp_xmalloc's policy is followed by returning
 * an error instead, since a trace file may be large and the message helps).
 */
#include "json.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct parser {
    const char *s, *end, *p;
    cp_err *err;
    int failed;
} parser;

static void fail(parser *ps, const char *what)
{
    if (!ps->failed)
        cp_err_set(ps->err, "JSON: %s at byte %zu", what, (size_t)(ps->p - ps->s));
    ps->failed = 1;
}

static void skip_ws(parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static int hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12);
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18);
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* A string at ps->p (the opening quote): decoded into a new allocation. */
static char *parse_string(parser *ps, size_t *len)
{
    ps->p++;
    const char *start = ps->p;
    while (ps->p < ps->end && *ps->p != '"') {
        if (*ps->p == '\\')
            ps->p++;
        ps->p++;
    }
    if (ps->p >= ps->end) {
        fail(ps, "unterminated string");
        return NULL;
    }
    size_t raw = (size_t)(ps->p - start);
    char *out = malloc(raw + 1), *o = out;
    if (!out) {
        fail(ps, "out of memory");
        return NULL;
    }
    for (const char *q = start; q < ps->p; q++) {
        if ((unsigned char)*q < 0x20) {
            free(out);
            fail(ps, "control character in a string");
            return NULL;
        }
        if (*q != '\\') {
            *o++ = *q;
            continue;
        }
        q++;
        switch (*q) {
        case '"':
            *o++ = '"';
            break;
        case '\\':
            *o++ = '\\';
            break;
        case '/':
            *o++ = '/';
            break;
        case 'b':
            *o++ = '\b';
            break;
        case 'f':
            *o++ = '\f';
            break;
        case 'n':
            *o++ = '\n';
            break;
        case 'r':
            *o++ = '\r';
            break;
        case 't':
            *o++ = '\t';
            break;
        case 'u': {
            unsigned cp, lo;
            if (ps->p - q < 5 || hex4(q + 1, &cp) != 0) {
                free(out);
                fail(ps, "bad \\u escape");
                return NULL;
            }
            q += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && ps->p - q >= 7 && q[1] == '\\' && q[2] == 'u' &&
                hex4(q + 3, &lo) == 0 && lo >= 0xDC00 && lo < 0xE000) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                q += 6;
            } else if (cp >= 0xD800 && cp < 0xE000) {
                cp = 0xFFFD; /* a lone surrogate */
            }
            o += put_utf8(o, cp); /* never longer than the escape */
            break;
        }
        default:
            free(out);
            fail(ps, "bad escape");
            return NULL;
        }
    }
    *o = '\0';
    *len = (size_t)(o - out);
    ps->p++;
    return out;
}

static void parse_value(parser *ps, json_value *v, int depth);

/* Append one item to an array or object under construction. */
static json_value *grow(parser *ps, json_value *v, size_t *cap, int with_key)
{
    if (v->len == *cap) {
        size_t n = *cap ? *cap * 2 : 8;
        json_value *items = realloc(v->items, n * sizeof *items);
        char **keys = with_key ? realloc(v->keys, n * sizeof *keys) : NULL;
        if (items)
            v->items = items;
        if (keys)
            v->keys = keys;
        if (!items || (with_key && !keys)) {
            fail(ps, "out of memory");
            return NULL;
        }
        *cap = n;
    }
    json_value *it = &v->items[v->len];
    memset(it, 0, sizeof *it);
    return it;
}

static void parse_container(parser *ps, json_value *v, int depth, int object)
{
    v->type = object ? JSON_OBJECT : JSON_ARRAY;
    char close = object ? '}' : ']';
    size_t cap = 0;
    ps->p++;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == close) {
        ps->p++;
        return;
    }
    for (;;) {
        skip_ws(ps);
        char *key = NULL;
        if (object) {
            size_t klen;
            if (ps->p >= ps->end || *ps->p != '"') {
                fail(ps, "expected a member name");
                return;
            }
            if (!(key = parse_string(ps, &klen)))
                return;
            skip_ws(ps);
            if (ps->p >= ps->end || *ps->p != ':') {
                free(key);
                fail(ps, "expected ':'");
                return;
            }
            ps->p++;
        }
        json_value *it = grow(ps, v, &cap, object);
        if (!it) {
            free(key);
            return;
        }
        if (object)
            v->keys[v->len] = key;
        v->len++;
        parse_value(ps, it, depth + 1);
        if (ps->failed)
            return;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == close) {
            ps->p++;
            return;
        }
        fail(ps, object ? "expected ',' or '}'" : "expected ',' or ']'");
        return;
    }
}

static int literal(parser *ps, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) >= n && memcmp(ps->p, word, n) == 0) {
        ps->p += n;
        return 1;
    }
    return 0;
}

static void parse_value(parser *ps, json_value *v, int depth)
{
    memset(v, 0, sizeof *v);
    if (depth > JSON_MAX_DEPTH) {
        fail(ps, "nested too deeply");
        return;
    }
    skip_ws(ps);
    if (ps->p >= ps->end) {
        fail(ps, "unexpected end");
        return;
    }
    char c = *ps->p;
    if (c == '{' || c == '[') {
        parse_container(ps, v, depth, c == '{');
    } else if (c == '"') {
        v->type = JSON_STRING;
        v->str = parse_string(ps, &v->len);
    } else if (literal(ps, "true")) {
        v->type = JSON_BOOL;
        v->num = 1;
    } else if (literal(ps, "false")) {
        v->type = JSON_BOOL;
    } else if (literal(ps, "null")) {
        v->type = JSON_NULL;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
        char tmp[64];
        size_t n = 0;
        while (ps->p + n < ps->end && n < sizeof tmp - 1 && strchr("+-.eE0123456789", ps->p[n]))
            n++;
        memcpy(tmp, ps->p, n);
        tmp[n] = '\0';
        char *e;
        v->type = JSON_NUMBER;
        v->num = strtod(tmp, &e);
        if (e != tmp + n) {
            fail(ps, "bad number");
            return;
        }
        ps->p += n;
    } else {
        fail(ps, "unexpected character");
    }
}

/* See json.h. */
json_value *json_parse(const char *text, size_t len, cp_err *err)
{
    parser ps = {text, text + len, text, err, 0};
    json_value *root = calloc(1, sizeof *root);
    if (!root) {
        cp_err_set(err, "JSON: out of memory");
        return NULL;
    }
    parse_value(&ps, root, 0);
    skip_ws(&ps);
    if (!ps.failed && ps.p != ps.end)
        fail(&ps, "trailing characters");
    if (ps.failed) {
        json_free(root);
        return NULL;
    }
    return root;
}

static void free_inner(json_value *v)
{
    free(v->str);
    for (size_t i = 0; (v->type == JSON_ARRAY || v->type == JSON_OBJECT) && i < v->len; i++) {
        free_inner(&v->items[i]);
        if (v->type == JSON_OBJECT)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
}

/* Frees v and everything under it. */
void json_free(json_value *v)
{
    if (!v)
        return;
    free_inner(v);
    free(v);
}

/* See json.h. */
const json_value *json_get(const json_value *o, const char *key)
{
    if (!o || o->type != JSON_OBJECT)
        return NULL;
    for (size_t i = 0; i < o->len; i++)
        if (strcmp(o->keys[i], key) == 0)
            return &o->items[i];
    return NULL;
}

/* See json.h. */
const char *json_get_str(const json_value *o, const char *key, const char *def)
{
    const json_value *v = json_get(o, key);
    return v && v->type == JSON_STRING ? v->str : def;
}

/* See json.h. */
double json_get_num(const json_value *o, const char *key, double def)
{
    const json_value *v = json_get(o, key);
    return v && v->type == JSON_NUMBER ? v->num : def;
}

/* See json.h. */
void json_write_str(buf *b, const char *s, size_t len)
{
    buf_append_byte(b, '"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            buf_printf(b, "\\%c", c);
        else if (c < 0x20)
            buf_printf(b, "\\u%04x", c);
        else
            buf_append_byte(b, c);
    }
    buf_append_byte(b, '"');
}

/* See json.h. Recursion is bounded by the parser's JSON_MAX_DEPTH. */
void json_write(buf *b, const json_value *v)
{
    switch (v->type) {
    case JSON_NULL:
        buf_append_str(b, "null");
        break;
    case JSON_BOOL:
        buf_append_str(b, v->num ? "true" : "false");
        break;
    case JSON_NUMBER:
        if (isfinite(v->num))
            buf_printf(b, "%.17g", v->num);
        else
            buf_append_str(b, "null");
        break;
    case JSON_STRING:
        json_write_str(b, v->str, v->len);
        break;
    case JSON_ARRAY:
    case JSON_OBJECT:
        buf_append_byte(b, v->type == JSON_ARRAY ? '[' : '{');
        for (size_t i = 0; i < v->len; i++) {
            if (i)
                buf_append_byte(b, ',');
            if (v->type == JSON_OBJECT) {
                json_write_str(b, v->keys[i], strlen(v->keys[i]));
                buf_append_byte(b, ':');
            }
            json_write(b, &v->items[i]);
        }
        buf_append_byte(b, v->type == JSON_ARRAY ? ']' : '}');
        break;
    }
}
