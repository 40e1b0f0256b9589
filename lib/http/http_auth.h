/*
 * http_auth.h — bearer-token check in front of the router, shared by the
 * built-in listener and the embedding handler.
 */
#ifndef CPROF_HTTP_AUTH_H
#define CPROF_HTTP_AUTH_H

#include "http.h"

/* 1 when req carries "Authorization: Bearer <token>" (scheme
 * case-insensitive) with exactly this token; compared in time that depends
 * only on the token's length, never on where a guess goes wrong. */
int http_auth_bearer_ok(const http_request *req, const char *token);

/* The 401 reply: WWW-Authenticate: Bearer, Go's error style, no detail on
 * whether the token was missing or wrong. */
void http_auth_reject(http_response *resp);

/* 1 when a token is acceptable: 1..HTTP_MAX_TOKEN visible ASCII characters
 * (a bearer token is a token68 in RFC 6750; no spaces or controls). */
#define HTTP_MAX_TOKEN 512
int http_auth_token_valid(const char *token);

/* The token configured with cprof_start, applied by the built-in listener
 * and by cprof_handle alike ("" = none). Set before serving starts. */
void http_auth_set_token(const char *token);
const char *http_auth_token(void);

/* Route with the configured token in front: the one entry point of every
 * server (built-in listener, cprof_handle). */
void http_serve(const http_request *req, http_response *resp);

#endif
