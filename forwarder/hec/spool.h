/* The write-ahead spool: every event bound for HEC is appended here before
 * it is sent, and stays until Splunk has acknowledged it, so that a crash,
 * a restart or a long outage loses nothing.
 *
 * On disk it is a directory of segment files, seg-<first seq, 16 hex>.spl,
 * each a run of records:
 *
 *     u32 magic "SPR1" | u32 length | u64 seq | u32 crc32(seq, length, data) | data
 *
 * (little-endian), plus a small "done" file holding the sequence number below
 * which everything was acknowledged.  A record that fails its checksum is
 * reported, counted and skipped (the reader looks for the next good record);
 * a torn record at the end of the last segment is cut off at open.
 *
 * Without a directory the same code runs over memfd segments: a bounded
 * in-memory queue with the same policies, and nothing to replay.
 *
 * One writer thread (append/commit) and one reader thread (read/done) may use
 * a spool at once; a mutex inside keeps them apart. */
#ifndef FWD_SPOOL_H
#define FWD_SPOOL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

enum {
    SPOOL_OK = 0,
    SPOOL_EFULL = -1,  /* block policy and no room: wait for space and retry */
    SPOOL_EIO = -2,    /* a read or write failed (errno-style text was logged) */
    SPOOL_EINVAL = -3, /* bad argument (record too large, bad options) */
    SPOOL_ENOMEM = -4,
    SPOOL_ELOCKED = -5, /* another process holds the spool directory */
    SPOOL_ECLOSED = -6  /* spool_wait_space gave up because of spool_wake_all */
};

typedef enum spool_sync {
    SPOOL_SYNC_BATCH = 0, /* fsync at each spool_commit */
    SPOOL_SYNC_ALWAYS,    /* fsync after every record */
    SPOOL_SYNC_NEVER      /* leave it to the kernel */
} spool_sync;

typedef enum spool_policy {
    SPOOL_FULL_BLOCK_INPUT = 0, /* append fails with SPOOL_EFULL until room is made */
    SPOOL_FULL_DROP_OLDEST_SEG, /* the oldest segment goes, its events counted */
    SPOOL_FULL_DROP_NEW         /* the new record is refused and counted */
} spool_policy;

#define SPOOL_MAX_RECORD (16u * 1024 * 1024)

typedef void (*spool_log_fn)(void *ctx, const char *msg);

typedef struct spool_opts {
    const char *dir;        /* NULL: memory only */
    uint64_t max_bytes;     /* cap on all segments together; 0 = 1 GiB */
    uint64_t segment_bytes; /* a new segment starts past this; 0 = max_bytes/16, 1..64 MiB */
    spool_sync sync;
    spool_policy full;
    spool_log_fn log; /* reports corruption and drops; may be NULL */
    void *log_ctx;
} spool_opts;

typedef struct spool_stats {
    _Atomic uint64_t appended, appended_bytes;
    _Atomic uint64_t replay_pending; /* records found not yet done at open */
    _Atomic uint64_t read, done;
    _Atomic uint64_t dropped_oldest, dropped_new;
    _Atomic uint64_t corrupt_records, corrupt_bytes, lost_records; /* checksum failures */
    _Atomic uint64_t torn_bytes;                                   /* cut at open */
    _Atomic uint64_t full_waits, fsyncs, write_errors;
    _Atomic uint64_t bytes, segments; /* current size */
} spool_stats;

typedef struct spool spool;

int spool_open(spool **out, const spool_opts *o, char *err, size_t errlen);
/* Writes buffered records, saves the done mark, closes.  NULL is fine. */
void spool_close(spool *s);

/* Writer side.  Records are buffered until spool_commit (or until the buffer
 * fills); the reader sees them only then. */
int spool_append(spool *s, const void *data, size_t len);
int spool_commit(spool *s);
/* Block policy: wait up to timeout_ms for room; SPOOL_OK when there may be
 * room now, SPOOL_EFULL on timeout, SPOOL_ECLOSED after spool_wake_all. */
int spool_wait_space(spool *s, unsigned timeout_ms);
void spool_wake_all(spool *s);

/* Reader side.  Returns 1 with the next record (data valid until the next
 * call), 0 when nothing more is committed, or a negative error. */
int spool_read(spool *s, uint64_t *seq, const char **data, size_t *len);
/* Records [first, first+n) are finished with (acknowledged or dead-lettered). */
void spool_done(spool *s, uint64_t first, uint64_t n);
/* Records taken but not yet written, because the disk refuses them: lost
 * if the process stops now. */
uint64_t spool_unwritten(spool *s);
/* Records appended but not yet done (what a restart would replay). */
uint64_t spool_pending(spool *s);
/* Every record below this sequence number is done. */
uint64_t spool_done_mark(spool *s);
/* Sequence number the next appended record will get. */
uint64_t spool_next_seq(spool *s);

const spool_stats *spool_get_stats(const spool *s);

#endif
