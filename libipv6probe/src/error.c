/* Error detail and the size-tagged structs: see error.h. */
#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void v6pi_error_set(v6p_error *err, int code, const char *fmt, ...)
{
    if (!err)
        return;
    err->code = code;
    err->offset = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
}

void v6pi_config_init(void *cfg, size_t size, const void *def, size_t def_size)
{
    /* Too small to hold even the size: nothing can be written safely. */
    if (!cfg || size < sizeof(size_t))
        return;
    memset(cfg, 0, size);
    memcpy(cfg, def, size < def_size ? size : def_size);
    memcpy(cfg, &size, sizeof(size));
}

int v6pi_config_take(void *dst, size_t dst_size, const void *cfg, const char *what, v6p_error *err)
{
    if (cfg) {
        size_t size;
        memcpy(&size, cfg, sizeof(size));
        if (size < sizeof(size_t)) {
            v6pi_error_set(err, EINVAL, "%s: size %zu: fill it with %s_init()", what, size, what);
            return -1;
        }
        /* A newer caller may know members this library does not: fine as
         * long as it left them unset, since their defaults are zero. */
        for (size_t i = dst_size; i < size; i++)
            if (((const unsigned char *)cfg)[i]) {
                v6pi_error_set(err, EINVAL,
                               "%s: a member beyond the %zu bytes this library knows is set", what,
                               dst_size);
                return -1;
            }
        memcpy(dst, cfg, size < dst_size ? size : dst_size);
    }
    memcpy(dst, &dst_size, sizeof(dst_size));
    return 0;
}

void v6pi_stats_give(void *dst, size_t dst_size, const void *src, size_t src_size)
{
    if (!dst)
        return;
    memcpy(dst, src, dst_size < src_size ? dst_size : src_size);
    if (dst_size > src_size)
        memset((char *)dst + src_size, 0, dst_size - src_size);
}
