/* Loading and hiding the HEC token. */
#include "hec_token.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int token_ok(const char *t, size_t n)
{
    if (n == 0 || n >= HEC_TOKEN_MAX)
        return 0;
    /* It goes into an HTTP header: control characters and spaces would let
     * it break the request. */
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)t[i] <= 0x20 || (unsigned char)t[i] >= 0x7f)
            return 0;
    return 1;
}

static size_t trim(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = 0;
    size_t i = 0;
    while (s[i] == ' ' || s[i] == '\t')
        i++;
    memmove(s, s + i, n - i + 1);
    return n - i;
}

/* A token pasted where its file or variable name belongs must not be echoed
 * back in a message: a name is shown only when it cannot be a token (a path
 * with a slash; a variable name, which has no '-' as a GUID does). */
const char *hec_token_source_shown(const char *v, int is_env)
{
    static const char hidden[] = "(not shown: it may be the token itself)";
    if (!v)
        return "(none)";
    if (!is_env)
        return strchr(v, '/') ? v : hidden;
    if (!(*v == '_' || (*v >= 'A' && *v <= 'Z') || (*v >= 'a' && *v <= 'z')))
        return hidden;
    for (const char *p = v; *p; p++)
        if (!(*p == '_' || (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
              (*p >= '0' && *p <= '9')))
            return hidden;
    return v;
}

static int from_file(const char *file, char *tok, size_t cap, char *err, size_t errlen)
{
    FILE *f = fopen(file, "re");
    if (!f) {
        snprintf(err, errlen, "hec token_file %s: %s", hec_token_source_shown(file, 0),
                 strerror(errno));
        return -1;
    }
    char line[HEC_TOKEN_MAX + 2];
    int got = fgets(line, sizeof(line), f) != NULL;
    fclose(f);
    if (!got) {
        snprintf(err, errlen, "hec token_file %s is empty", hec_token_source_shown(file, 0));
        return -1;
    }
    size_t n = trim(line);
    if (!token_ok(line, n) || n >= cap) {
        snprintf(err, errlen, "hec token_file %s: the first line is not a usable token",
                 hec_token_source_shown(file, 0));
        return -1;
    }
    memcpy(tok, line, n + 1);
    return 0;
}

int hec_token_load(const char *file, const char *env, char *tok, size_t cap, char *err,
                   size_t errlen)
{
    if (file)
        return from_file(file, tok, cap, err, errlen);
    char *v = env ? getenv(env) : NULL;
    if (!v || !*v) {
        snprintf(err, errlen, "hec token_env: the environment variable %s is not set",
                 hec_token_source_shown(env, 1));
        return -1;
    }
    size_t n = strlen(v);
    int ok = token_ok(v, n) && n < cap;
    if (ok)
        memcpy(tok, v, n + 1);
    else
        snprintf(err, errlen, "hec token_env: %s does not hold a usable token",
                 hec_token_source_shown(env, 1));
    /* Scrubbed once read: the bytes in place too, since /proc/PID/environ
     * shows the environment block the process started with, whatever
     * unsetenv does to environ. */
    explicit_bzero(v, n);
    unsetenv(env);
    return ok ? 0 : -1;
}

void hec_redact(char *msg, size_t cap, const char *tok)
{
    static const char mask[] = "<redacted>";
    size_t tl = tok ? strlen(tok) : 0;
    if (tl == 0)
        return;
    char *p = msg;
    while ((p = strstr(p, tok)) != NULL) {
        size_t rest = strlen(p + tl);
        size_t ml = sizeof(mask) - 1;
        if ((size_t)(p - msg) + ml + 1 > cap) {
            *p = 0; /* no room for the mask: cut the message here */
            break;
        }
        if ((size_t)(p - msg) + ml + rest + 1 > cap)
            rest = cap - (size_t)(p - msg) - ml - 1;
        memmove(p + ml, p + tl, rest);
        p[ml + rest] = 0;
        memcpy(p, mask, ml);
        p += ml;
    }
    /* A message cut short (a reply text is) may end in the token's start. */
    size_t ml = strlen(msg);
    for (size_t k = tl - 1 < ml ? tl - 1 : ml; k >= 6; k--)
        if (memcmp(msg + ml - k, tok, k) == 0) {
            if (ml - k + sizeof(mask) <= cap)
                memcpy(msg + ml - k, mask, sizeof(mask));
            else
                msg[ml - k] = 0;
            break;
        }
}
