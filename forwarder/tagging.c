/* Tagging: the forwarder's side of the library's taggers.
 *
 * Each tagger the library offers gets a slot here: made from its config
 * section in tagging_init(), run in tagging_apply() in the order of the
 * event schema (address analysis first, as the trackers read its results),
 * and freed in tagging_free().  Nothing else in the forwarder knows which
 * taggers exist. */
#include "tagging.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct prefix {
    struct in6_addr addr;
    unsigned len;
} prefix;

struct tagging {
    prefix *internal; /* internal_prefixes: the networks that are "mine" */
    size_t n_internal;
};

static int parse_prefix(const char *s, prefix *p)
{
    char host[INET6_ADDRSTRLEN];
    const char *slash = strchr(s, '/');
    if (!slash || (size_t)(slash - s) >= sizeof(host))
        return -1;
    memcpy(host, s, (size_t)(slash - s));
    host[slash - s] = 0;
    p->len = (unsigned)atoi(slash + 1);
    return inet_pton(AF_INET6, host, &p->addr) == 1 && p->len <= 128 ? 0 : -1;
}

tagging *tagging_init(const fwd_config *cfg, char *err, size_t errlen)
{
    tagging *t = calloc(1, sizeof(*t));
    if (!t) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (cfg->n_internal_prefixes) {
        t->internal = calloc(cfg->n_internal_prefixes, sizeof(prefix));
        if (!t->internal) {
            snprintf(err, errlen, "out of memory");
            tagging_free(t);
            return NULL;
        }
    }
    for (size_t i = 0; i < cfg->n_internal_prefixes; i++) {
        if (parse_prefix(cfg->internal_prefixes[i], &t->internal[i]) != 0) {
            snprintf(err, errlen, "internal_prefixes: \"%s\" is not an IPv6 prefix",
                     cfg->internal_prefixes[i]);
            tagging_free(t);
            return NULL;
        }
        t->n_internal++;
    }
    return t;
}

void tagging_apply(tagging *t, v6p_event *ev)
{
    (void)t;
    (void)ev;
}

void tagging_adopt(tagging *t, tagging *next)
{
    free(t->internal);
    t->internal = next->internal;
    t->n_internal = next->n_internal;
    next->internal = NULL;
    next->n_internal = 0;
    tagging_free(next);
}

const char *tagging_describe(void)
{
    return "none";
}

void tagging_free(tagging *t)
{
    if (!t)
        return;
    free(t->internal);
    free(t);
}
