/* One line per message, written with one write(2) so that lines from
 * different threads never mix.  The level and the journal flag are set
 * once at startup, before any thread runs, and only read afterwards. */
#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static atomic_int threshold = LOG_LV_INFO;
static atomic_int to_journal;

void log_set_level(log_level level)
{
    atomic_store(&threshold, (int)level);
}

int log_enabled(log_level level)
{
    return (int)level <= atomic_load(&threshold);
}

int log_parse_level(const char *name, log_level *out)
{
    static const struct {
        const char *name;
        log_level level;
    } names[] = {{"error", LOG_LV_ERROR},
                 {"warning", LOG_LV_WARNING},
                 {"info", LOG_LV_INFO},
                 {"debug", LOG_LV_DEBUG}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (!strcmp(name, names[i].name)) {
            *out = names[i].level;
            return 0;
        }
    return -1;
}

/* systemd sets JOURNAL_STREAM=dev:ino for the stream it connected. */
void log_detect_journal(void)
{
    const char *js = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;
    if (js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 && fstat(2, &st) == 0 &&
        (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino)
        atomic_store(&to_journal, 1);
}

void log_msg(log_level level, const char *fmt, ...)
{
    if (!log_enabled(level))
        return;
    char line[24576]; /* a SIGUSR1 counters line is long */
    size_t n = 0;
    if (atomic_load(&to_journal))
        n += (size_t)snprintf(line, sizeof(line), "<%d>", (int)level);
    const char *tag = level == LOG_LV_ERROR     ? "error: "
                      : level == LOG_LV_WARNING ? "warning: "
                      : level == LOG_LV_DEBUG   ? "debug: "
                                                : "";
    n += (size_t)snprintf(line + n, sizeof(line) - n, "ipv6probe-forward: %s", tag);
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
    va_end(ap);
    n = k < 0 ? n : n + (size_t)k;
    if (n > sizeof(line) - 2)
        n = sizeof(line) - 2; /* cut, but still one line */
    line[n++] = '\n';
    ssize_t w = write(2, line, n);
    (void)w;
}
