#include "queue.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"

int batch_add(batch *b, const char *line, size_t len, unsigned flags)
{
    size_t need = batch_record_size(len);
    if (b->used + need > b->cap)
        return -1;
    uint32_t hdr[2] = {(uint32_t)len, flags};
    memcpy(b->data + b->used, hdr, sizeof(hdr));
    memcpy(b->data + b->used + 8, line, len);
    b->used += need;
    b->n_records++;
    return 0;
}

char *batch_reserve(batch *b, size_t maxlen)
{
    if (b->used + batch_record_size(maxlen) > b->cap)
        return NULL;
    return b->data + b->used + 8;
}

void batch_commit(batch *b, size_t len, unsigned flags)
{
    uint32_t hdr[2] = {(uint32_t)len, flags};
    memcpy(b->data + b->used, hdr, sizeof(hdr));
    b->used += batch_record_size(len);
    b->n_records++;
}

int batch_next(const batch *b, size_t *pos, const char **line, size_t *len, unsigned *flags)
{
    if (*pos >= b->used)
        return 0;
    uint32_t hdr[2];
    memcpy(hdr, b->data + *pos, sizeof(hdr));
    *line = b->data + *pos + 8;
    *len = hdr[0];
    *flags = hdr[1];
    *pos += batch_record_size(hdr[0]);
    return 1;
}

int queue_init(queue *q, unsigned max_batches, size_t batch_bytes)
{
    memset(q, 0, sizeof(*q));
    q->max = max_batches ? max_batches : 1;
    q->batch_bytes = batch_bytes;
    if (pthread_mutex_init(&q->lock, NULL) != 0)
        return -1;
    /* Timed waits use the monotonic clock: a wall-clock step must not
     * stretch or cut a wait. */
    int r = clock_cond_init(&q->not_empty) | clock_cond_init(&q->not_full);
    return r ? -1 : 0;
}

static void batch_free(batch *b)
{
    free(b->data);
    free(b);
}

void queue_destroy(queue *q)
{
    for (batch *b = q->head, *n; b; b = n) {
        n = b->next;
        batch_free(b);
    }
    for (batch *b = q->free_list, *n; b; b = n) {
        n = b->next;
        batch_free(b);
    }
    pthread_mutex_destroy(&q->lock);
    pthread_cond_destroy(&q->not_empty);
    pthread_cond_destroy(&q->not_full);
}

static void batch_clear(batch *b)
{
    b->next = NULL;
    b->kind = BATCH_LINES;
    b->src = NULL;
    b->fallback_sec = 0;
    b->first_no = 0;
    b->end_offset = -1;
    b->dev = b->ino = 0;
    b->n_records = 0;
    b->used = 0;
}

batch *queue_get_batch(queue *q)
{
    pthread_mutex_lock(&q->lock);
    batch *b = q->free_list;
    if (b) {
        q->free_list = b->next;
        q->free_count--;
    }
    pthread_mutex_unlock(&q->lock);
    if (!b) {
        b = calloc(1, sizeof(*b));
        if (!b)
            return NULL;
        b->data = malloc(q->batch_bytes);
        if (!b->data) {
            free(b);
            return NULL;
        }
        b->cap = q->batch_bytes;
    }
    batch_clear(b);
    return b;
}

void queue_put_batch(queue *q, batch *b)
{
    pthread_mutex_lock(&q->lock);
    /* Keep a few spare batches; the rest go back to the allocator so that
     * memory shrinks after a burst. */
    if (q->free_count < q->max / 2 + 4) {
        b->next = q->free_list;
        q->free_list = b;
        q->free_count++;
        b = NULL;
    }
    pthread_mutex_unlock(&q->lock);
    if (b)
        batch_free(b);
}

static void append(queue *q, batch *b)
{
    b->next = NULL;
    if (q->tail)
        q->tail->next = b;
    else
        q->head = b;
    q->tail = b;
    q->count++;
    pthread_cond_signal(&q->not_empty);
}

int queue_push(queue *q, batch *b)
{
    pthread_mutex_lock(&q->lock);
    if (q->count >= q->max && !q->aborted)
        q->waits++;
    while (q->count >= q->max && !q->aborted)
        pthread_cond_wait(&q->not_full, &q->lock);
    if (q->aborted) {
        pthread_mutex_unlock(&q->lock);
        queue_put_batch(q, b);
        return -1;
    }
    append(q, b);
    pthread_mutex_unlock(&q->lock);
    return 0;
}

int queue_try_push(queue *q, batch *b)
{
    pthread_mutex_lock(&q->lock);
    int ok = q->count < q->max && !q->aborted;
    if (ok)
        append(q, b);
    pthread_mutex_unlock(&q->lock);
    return ok ? 0 : -1;
}

void queue_lock(queue *q)
{
    pthread_mutex_lock(&q->lock);
}

void queue_unlock(queue *q)
{
    pthread_mutex_unlock(&q->lock);
}

batch *queue_take_locked(queue *q)
{
    batch *b = q->head;
    if (b) {
        q->head = b->next;
        if (!q->head)
            q->tail = NULL;
        q->count--;
        pthread_cond_signal(&q->not_full);
    }
    return b;
}

int queue_drained_locked(const queue *q)
{
    return q->closed && !q->head;
}

int queue_wait_locked(queue *q, const struct timespec *until)
{
    return pthread_cond_timedwait(&q->not_empty, &q->lock, until) == ETIMEDOUT ? ETIMEDOUT : 0;
}

void queue_wake_locked(queue *q)
{
    pthread_cond_broadcast(&q->not_empty);
}

batch *queue_pop(queue *q, unsigned timeout_ms, int *done)
{
    struct timespec until = clock_deadline(timeout_ms);
    *done = 0;
    pthread_mutex_lock(&q->lock);
    while (!q->head && !q->closed) {
        if (queue_wait_locked(q, &until) == ETIMEDOUT)
            break;
    }
    batch *b = queue_take_locked(q);
    if (!b && q->closed)
        *done = 1;
    pthread_mutex_unlock(&q->lock);
    return b;
}

void queue_producer_add(queue *q)
{
    pthread_mutex_lock(&q->lock);
    q->producers++;
    pthread_mutex_unlock(&q->lock);
}

void queue_producer_done(queue *q)
{
    pthread_mutex_lock(&q->lock);
    if (--q->producers <= 0) {
        q->closed = 1;
        pthread_cond_broadcast(&q->not_empty);
    }
    pthread_mutex_unlock(&q->lock);
}

void queue_close(queue *q)
{
    pthread_mutex_lock(&q->lock);
    q->closed = 1;
    pthread_cond_broadcast(&q->not_empty);
    pthread_mutex_unlock(&q->lock);
}

void queue_abort(queue *q)
{
    pthread_mutex_lock(&q->lock);
    q->aborted = 1;
    pthread_cond_broadcast(&q->not_full);
    pthread_mutex_unlock(&q->lock);
}

unsigned queue_depth(queue *q)
{
    pthread_mutex_lock(&q->lock);
    unsigned n = q->count;
    pthread_mutex_unlock(&q->lock);
    return n;
}
