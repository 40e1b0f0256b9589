/*
 * http_auth.c — bearer-token authentication (RFC 6750) for /debug/pprof.
 *
 * Profiles reveal code layout, memory contents' sizes and command lines, so
 * a service exposing them beyond loopback puts them behind a token, as the
 * seed's engineer put pprof behind the router's auth middleware. The
 * comparison runs over the whole expected token whatever the candidate is,
 * accumulating differences, so the reply time does not tell an attacker how
 * many leading characters were right. The token is never logged or echoed.
 */
#include "http_auth.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#define BEARER "Bearer"

int http_auth_token_valid(const char *token)
{
    size_t n = token ? strlen(token) : 0;
    if (n == 0 || n > HTTP_MAX_TOKEN)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (token[i] <= ' ' || token[i] > '~')
            return 0;
    return 1;
}

static int constant_time_equal(const char *candidate, size_t candidate_len, const char *token)
{
    size_t n = strlen(token);
    unsigned diff = candidate_len != n;
    for (size_t i = 0; i < n; i++) {
        /* read within the candidate whatever its length */
        unsigned char c = candidate_len ? (unsigned char)candidate[i % candidate_len] : 0;
        diff |= c ^ (unsigned char)token[i];
    }
    return diff == 0;
}

static const char *find_header(const http_request *req, const char *name)
{
    for (size_t i = 0; i < req->n_headers; i++)
        if (req->headers[i].name && strcasecmp(req->headers[i].name, name) == 0)
            return req->headers[i].value;
    return NULL;
}

int http_auth_bearer_ok(const http_request *req, const char *token)
{
    const char *value = find_header(req, "Authorization");
    if (!value || !token || !*token)
        return 0;
    if (strncasecmp(value, BEARER, strlen(BEARER)) != 0 || value[strlen(BEARER)] != ' ')
        return 0;
    const char *candidate = value + strlen(BEARER);
    while (*candidate == ' ')
        candidate++;
    size_t len = strlen(candidate);
    while (len > 0 && (candidate[len - 1] == ' ' || candidate[len - 1] == '\t'))
        len--;
    return constant_time_equal(candidate, len, token);
}

static char configured_token[HTTP_MAX_TOKEN + 1];

void http_auth_set_token(const char *token)
{
    memset(configured_token, 0, sizeof configured_token);
    if (token)
        strncpy(configured_token, token, HTTP_MAX_TOKEN);
}

const char *http_auth_token(void)
{
    return configured_token;
}

void http_serve(const http_request *req, http_response *resp)
{
    if (configured_token[0] && !http_auth_bearer_ok(req, configured_token)) {
        http_response_init(resp);
        http_auth_reject(resp);
        return;
    }
    http_route(req, resp);
}

void http_auth_reject(http_response *resp)
{
    http_response_error(resp, 401, "Unauthorized");
    resp->www_authenticate = "Bearer";
}
