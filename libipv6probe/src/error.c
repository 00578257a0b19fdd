#include "error.h"

#include <stdarg.h>
#include <stdio.h>

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
