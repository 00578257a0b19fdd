/* The forwarder's messages on standard error: one line each, with its
 * level ("error:", "warning:"; none for information), and, when standard
 * error is the journal, the priority prefix journald reads ("<3>"). */
#ifndef FWD_LOG_H
#define FWD_LOG_H

typedef enum log_level {
    LOG_LV_ERROR = 3, /* the syslog priorities, for the journal */
    LOG_LV_WARNING = 4,
    LOG_LV_INFO = 6,
    LOG_LV_DEBUG = 7
} log_level;

/* Messages above level are not written (default: info). */
void log_set_level(log_level level);
/* "error", "warning", "info", "debug" -> 0 with *out set, or -1. */
int log_parse_level(const char *name, log_level *out);
int log_enabled(log_level level);
/* Once at startup: is standard error the journal (JOURNAL_STREAM)? */
void log_detect_journal(void);

void log_msg(log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
