/*
 * fetch.h — profile sources: local files and HTTP(S) URLs (libcurl), plus
 * saving every fetched profile to the profile directory.
 */
#ifndef CPROF_TOOL_FETCH_H
#define CPROF_TOOL_FETCH_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "profile/model.h"

typedef struct fetch_opts {
    const char *token;    /* Authorization: Bearer <token> */
    const char **headers; /* "Name: value" */
    size_t n_headers;
    int seconds; /* -1: not given */
    int timeout; /* -1: default */
    bool quiet;  /* no "Fetching profile ..." lines (cprof watch) */
    /* Set: fetch_url POSTs these bytes instead of a GET (cprof push; the
     * Content-Type goes in headers) and any 2xx is success. */
    const buf *post;
} fetch_opts;

/* -H/-header: appends "Name: value" to o->headers (the caller frees the
 * array; the string stays the caller's). 0, or -1 with err when it has no
 * colon. */
int fetch_add_header(fetch_opts *o, const char *header, cp_err *err);

/* A source that names a URL: http(s)://..., or host:port/path when no such
 * file exists (pprof accepts that form too). Returns the URL to use
 * (malloc'ed, with the scheme added) or NULL for a file. */
char *source_url(const char *source);
/* url with its credentials replaced by REDACTED, for messages: the password
 * of user:password@ and the value of query parameters that name a token,
 * secret, password or key (token=, access_token=, api_key=...). Returns a
 * malloc'ed string the caller frees. */
char *url_redacted(const char *url);
/* Read a whole file (bounded; one-line errors). */
int read_file(const char *path, buf *out, cp_err *err);
/* GET the profile; final_url gets the URL actually requested. */
int fetch_url(const char *url, const fetch_opts *o, buf *out, char **final_url, cp_err *err);
/* Save fetched bytes (gzip-compressed if they were not) under $CPROF_HOME,
 * else $HOME/cprof, else the temp directory; prints where. */
int save_fetched(const buf *data, const cp_profile *p, cp_err *err);
/* Create dir and its missing parents (mode 0755); 0 when it exists
 * afterwards, else -1 with errno set. */
int make_dir(const char *dir);
/* The directory save_fetched uses (created if needed). */
const char *profile_save_dir(char *out, size_t cap);
/* save_fetched into dir, silently; path receives the file's name. */
int save_fetched_in(const buf *data, const cp_profile *p, const char *dir, char *path,
                    size_t path_len, cp_err *err);
/* Write bytes to dir/prefix<ext>, adding a counter when the name is taken
 * (O_EXCL: nothing is overwritten). */
int save_bytes_in(const char *dir, const char *prefix, const char *ext, const buf *bytes,
                  char *path, size_t path_len, cp_err *err);

#endif
