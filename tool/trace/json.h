/*
 * json.h — a small JSON reader for trace files (RFC 8259): the whole text
 * into a tree of values, strings decoded to UTF-8. Enough for Chrome Trace
 * Event documents; nesting is limited (JSON_MAX_DEPTH) so a hostile file
 * cannot exhaust the stack.
 */
#ifndef CPROF_TOOL_JSON_H
#define CPROF_TOOL_JSON_H

#include <stddef.h>

#include "buf.h"
#include "cp_err.h"

#define JSON_MAX_DEPTH 64

typedef enum json_type {
    JSON_NULL,
    JSON_BOOL,
    JSON_NUMBER,
    JSON_STRING,
    JSON_ARRAY,
    JSON_OBJECT
} json_type;

typedef struct json_value json_value;
struct json_value {
    json_type type;
    double num;        /* JSON_NUMBER; JSON_BOOL: 0 or 1 */
    char *str;         /* JSON_STRING (NUL-terminated, may hold NUL bytes: len) */
    size_t len;        /* JSON_STRING: bytes; JSON_ARRAY/OBJECT: items */
    json_value *items; /* JSON_ARRAY: values; JSON_OBJECT: values, keys[] beside */
    char **keys;       /* JSON_OBJECT */
};

/* Parse text[0..len). Returns the root (free with json_free), or NULL with
 * a one-line reason naming the byte offset in err. */
json_value *json_parse(const char *text, size_t len, cp_err *err);
void json_free(json_value *v);
/* The member key of object o, or NULL (also when o is not an object). */
const json_value *json_get(const json_value *o, const char *key);
/* The member as a string / number, or def when missing or of another type. */
const char *json_get_str(const json_value *o, const char *key, const char *def);
double json_get_num(const json_value *o, const char *key, double def);

/* s[0..len) as a JSON string literal appended to b: quotes, backslashes and
 * control bytes escaped, other bytes as they are. */
void json_write_str(buf *b, const char *s, size_t len);
/* v as JSON text appended to b (numbers that are not finite as null). */
void json_write(buf *b, const json_value *v);

#endif
