/* Batches of lines and the bounded queue that carries them from the input
 * threads to the worker.  A batch holds many length-prefixed records, so the
 * queue's lock is taken once per few thousand lines, not once per line. */
#ifndef FWD_QUEUE_H
#define FWD_QUEUE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct input;

enum batch_kind {
    BATCH_LINES = 0, /* records are log lines */
    BATCH_STATS = 1  /* one record: a ready ipv6probe:stats JSON object */
};

/* Record flags. */
enum { REC_CUT = 1u << 0 };

typedef struct batch {
    struct batch *next;
    enum batch_kind kind;
    struct input *src;           /* who read these lines (NULL for stats) */
    int64_t fallback_sec;        /* time for lines that carry no stamp */
    unsigned long long first_no; /* input line number of the first record */
    /* For followed files: the file offset just past the last record, to be
     * committed to the checkpoint once the output has taken the lines. */
    int64_t end_offset;
    uint64_t dev, ino; /* of the file end_offset is in */
    uint32_t n_records;
    size_t used, cap;
    char *data;
} batch;

/* Append one record; returns 0, or -1 when it does not fit (push the batch
 * and take a new one).  A record never exceeds the batch's capacity because
 * lines are cut to max_line first and batches hold at least that. */
int batch_add(batch *b, const char *line, size_t len, unsigned flags);
static inline size_t batch_record_size(size_t len)
{
    return 8 + ((len + 3) & ~(size_t)3);
}
/* Room for one record of up to maxlen bytes written in place (datagrams are
 * received straight into the batch); NULL when it does not fit.  Then
 * batch_commit() with the length actually written. */
char *batch_reserve(batch *b, size_t maxlen);
void batch_commit(batch *b, size_t len, unsigned flags);
/* Walk records: *pos starts at 0; returns 1 with the record, 0 at the end. */
int batch_next(const batch *b, size_t *pos, const char **line, size_t *len, unsigned *flags);

typedef struct queue {
    pthread_mutex_t lock;
    pthread_cond_t not_empty, not_full;
    batch *head, *tail;
    unsigned count, max; /* batches queued, bound */
    batch *free_list;
    unsigned free_count;
    size_t batch_bytes;
    int producers;            /* inputs still running */
    int closed;               /* no more pushes will come: the worker drains and stops */
    int aborted;              /* shutting down: blocked pushers give up */
    unsigned long long waits; /* times a producer had to wait (backpressure) */
} queue;

int queue_init(queue *q, unsigned max_batches, size_t batch_bytes);
void queue_destroy(queue *q);
/* A cleared batch for a producer; NULL when memory is out. */
batch *queue_get_batch(queue *q);
void queue_put_batch(queue *q, batch *b);
/* Blocking push (stream inputs: backpressure).  Returns 0, or -1 when the
 * queue was aborted; the batch is then returned to the pool. */
int queue_push(queue *q, batch *b);
/* Non-blocking push (datagram inputs).  Returns 0, or -1 when full. */
int queue_try_push(queue *q, batch *b);
/* Worker side: next batch, waiting at most timeout_ms; NULL on timeout or
 * when the queue is closed and empty (then *done is set). */
batch *queue_pop(queue *q, unsigned timeout_ms, int *done);
/* For workers that keep their own state under the queue's lock, so that
 * one wait covers both a pushed batch and work another worker made ready
 * (queue_wake_locked).  Every *_locked call is made with the lock held. */
void queue_lock(queue *q);
void queue_unlock(queue *q);
/* The next batch or NULL, without waiting. */
batch *queue_take_locked(queue *q);
/* 1 when the queue is closed and empty: no batch will come. */
int queue_drained_locked(const queue *q);
/* Wait until a push, a close or queue_wake_locked, or until the deadline
 * (clock_deadline()); returns ETIMEDOUT then, else 0. */
int queue_wait_locked(queue *q, const struct timespec *until);
void queue_wake_locked(queue *q);
void queue_producer_add(queue *q);
/* A producer finished; when none is left the queue closes. */
void queue_producer_done(queue *q);
void queue_close(queue *q);
void queue_abort(queue *q);
unsigned queue_depth(queue *q);

#endif
