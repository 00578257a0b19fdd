/* RFC 6587 framing of a syslog TCP stream, apart from sockets so that it
 * can be tested and fuzzed alone: octet counting ("LEN SP MSG") and
 * LF-terminated messages, told apart per message by the first byte. */
#ifndef FWD_SYSLOG_FRAME_H
#define FWD_SYSLOG_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_HEADER_MAX 12 /* "4294967295 " */

/* What a stream carries over from one read to the next. */
typedef struct frame_state {
    uint64_t skip;  /* bytes of an over-long octet-counted message left */
    int skip_to_lf; /* inside an over-long LF-framed message */
} frame_state;

/* Called for each message; cut = it was longer than max (or cut short). A
 * non-zero return stops the parse (the queue was aborted). */
typedef int (*frame_emit_fn)(void *arg, const char *msg, size_t len, int cut);

/* Takes every complete message out of buf[0..len); returns how many bytes
 * were consumed (the rest waits for more).  *rc is the emitter's last
 * return.  A buffer of max + FRAME_HEADER_MAX bytes always makes progress. */
size_t frame_parse(frame_state *st, const char *buf, size_t len, size_t max, frame_emit_fn emit,
                   void *arg, int *rc);

/* At the end of the stream (or when it must be closed: cut set): what is
 * left is one message.  An octet-counted frame cut short is its body alone,
 * passed on cut; a cut message ends at its first line. */
void frame_eof(frame_state *st, const char *buf, size_t len, size_t max, frame_emit_fn emit,
               void *arg, int cut);

#endif
