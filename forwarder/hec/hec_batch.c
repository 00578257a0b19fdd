/* The HEC client's batches: records taken from the spool into a forming
 * batch, sealed by count, size or age; gzip and its undoing; the list of
 * batches held until delivered; and telling the spool what is done. */
#include "hec_internal.h"

#include <stdlib.h>
#include <string.h>

void hec_batch_free(hbatch *b)
{
    if (!b)
        return;
    free(b->seqs);
    free(b->raw);
    free(b->gz);
    free(b);
}

int hec_batch_add(hbatch *b, uint64_t seq, const char *data, size_t len)
{
    if (b->n == b->capn) {
        size_t cap = b->capn ? b->capn * 2 : 64;
        uint64_t *n = realloc(b->seqs, cap * sizeof(*n));
        if (!n)
            return HEC_ENOMEM;
        b->seqs = n;
        b->capn = cap;
    }
    if (b->rlen + len + 1 > b->rcap) {
        size_t cap = b->rcap ? b->rcap : 64 * 1024;
        while (cap < b->rlen + len + 1)
            cap *= 2;
        char *n = realloc(b->raw, cap);
        if (!n)
            return HEC_ENOMEM;
        b->raw = n;
        b->rcap = cap;
    }
    memcpy(b->raw + b->rlen, data, len);
    b->raw[b->rlen + len] = '\n';
    b->rlen += len + 1;
    b->seqs[b->n++] = seq;
    return HEC_OK;
}

int hec_batch_gzip(hec *h, hbatch *b)
{
    if (b->gz || !h->o.gzip_level)
        return HEC_OK;
    if (!h->zs_ready) {
        if (deflateInit2(&h->zs, h->o.gzip_level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
            Z_OK)
            return HEC_ENOMEM;
        h->zs_ready = 1;
    } else {
        deflateReset(&h->zs);
    }
    uLong cap = deflateBound(&h->zs, (uLong)b->rlen);
    b->gz = malloc(cap);
    if (!b->gz)
        return HEC_ENOMEM;
    h->zs.next_in = (Bytef *)b->raw;
    h->zs.avail_in = (uInt)b->rlen;
    h->zs.next_out = (Bytef *)b->gz;
    h->zs.avail_out = (uInt)cap;
    if (deflate(&h->zs, Z_FINISH) != Z_STREAM_END) {
        free(b->gz);
        b->gz = NULL;
        return HEC_ENOMEM;
    }
    b->gzlen = cap - h->zs.avail_out;
    return HEC_OK;
}

/* Get the records back from the gzip copy (after a resend failed part way). */
int hec_batch_ensure_raw(hbatch *b)
{
    if (b->raw)
        return HEC_OK;
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (inflateInit2(&zs, 15 + 16) != Z_OK)
        return HEC_ENOMEM;
    size_t cap = b->gzlen * 4 + 4096, len = 0;
    char *out = malloc(cap);
    if (!out) {
        inflateEnd(&zs);
        return HEC_ENOMEM;
    }
    int zrc = Z_OK;
    zs.next_in = (Bytef *)b->gz;
    zs.avail_in = (uInt)b->gzlen;
    while (zrc == Z_OK) {
        if (len == cap) {
            char *n = realloc(out, cap * 2);
            if (!n)
                break;
            out = n;
            cap *= 2;
        }
        zs.next_out = (Bytef *)out + len;
        zs.avail_out = (uInt)(cap - len);
        zrc = inflate(&zs, Z_NO_FLUSH);
        len = cap - zs.avail_out;
    }
    inflateEnd(&zs);
    if (zrc != Z_STREAM_END) {
        free(out);
        return HEC_ENOMEM;
    }
    b->raw = out;
    b->rlen = len;
    b->rcap = cap;
    return HEC_OK;
}

/* Record i of a batch: start and length (without the newline). */
const char *hec_batch_rec(const hbatch *b, size_t i, size_t *len, size_t *start)
{
    size_t off = 0;
    for (size_t k = 0; k < i; k++) {
        const char *nl = memchr(b->raw + off, '\n', b->rlen - off);
        off = (size_t)(nl - b->raw) + 1;
    }
    const char *nl = memchr(b->raw + off, '\n', b->rlen - off);
    *len = (size_t)(nl - (b->raw + off));
    *start = off;
    return b->raw + off;
}

/* Tell the spool that seqs[from, to) are finished, in contiguous runs. */
void hec_spool_done_seqs(hec *h, const uint64_t *seqs, size_t from, size_t to)
{
    size_t i = from;
    while (i < to) {
        size_t j = i + 1;
        while (j < to && seqs[j] == seqs[j - 1] + 1)
            j++;
        spool_done(h->o.spool, seqs[i], seqs[j - 1] - seqs[i] + 1);
        i = j;
    }
}

void hec_notify_progress(hec *h)
{
    pthread_mutex_lock(&h->mu);
    pthread_cond_broadcast(&h->progress);
    pthread_mutex_unlock(&h->mu);
}

void hec_batch_remove(hec *h, hbatch *b)
{
    for (size_t i = 0; i < h->nb; i++) {
        if (h->bs[i] == b) {
            memmove(h->bs + i, h->bs + i + 1, (h->nb - i - 1) * sizeof(*h->bs));
            h->nb--;
            break;
        }
    }
    h->events_held -= b->n;
    STAT_SET(h, batches_held, h->nb);
    STAT_SET(h, events_held, h->events_held);
    hec_batch_free(b);
}

void hec_batch_complete(hec *h, hbatch *b)
{
    STAT_ADD(h, events_delivered, b->n);
    hec_spool_done_seqs(h, b->seqs, 0, b->n);
    hec_batch_remove(h, b);
    hec_notify_progress(h);
}

int hec_batch_push(hec *h, hbatch *b)
{
    if (h->nb == h->capb) {
        size_t cap = h->capb ? h->capb * 2 : 64;
        hbatch **n = realloc(h->bs, cap * sizeof(*n));
        if (!n)
            return HEC_ENOMEM;
        h->bs = n;
        h->capb = cap;
    }
    h->bs[h->nb++] = b;
    h->events_held += b->n;
    STAT_SET(h, batches_held, h->nb);
    STAT_SET(h, events_held, h->events_held);
    return HEC_OK;
}

static void seal(hec *h)
{
    hbatch *b = h->forming;
    h->forming = NULL;
    if (hec_batch_push(h, b) != HEC_OK) {
        h->forming = b; /* try again later */
        return;
    }
}

/* A forming batch, started when needed. */
static hbatch *forming(hec *h)
{
    if (!h->forming)
        h->forming = calloc(1, sizeof(hbatch));
    return h->forming;
}

void hec_fill(hec *h, int64_t now, int hurry)
{
    uint64_t seq;
    const char *data;
    size_t len;
    hbatch *f;
    while (h->nb < h->o.max_batches && (f = forming(h)) != NULL) {
        if (spool_read(h->o.spool, &seq, &data, &len) != 1)
            break;
        if (len > h->o.max_event_bytes) {
            /* Splunk would drop it (maxEventSize); gzip hides the size, so
             * check the decoded length here. */
            hec_dead_letter(h, data, len, NULL, 0, NULL, "event larger than max_event_bytes");
            spool_done(h->o.spool, seq, 1);
            continue;
        }
        if (f->n > 0 && f->rlen + len + 1 > h->o.batch_bytes) {
            seal(h);
            if (!(f = forming(h)))
                return;
        }
        if (f->n == 0)
            f->t0 = now;
        if (hec_batch_add(f, seq, data, len) != HEC_OK) {
            hec_log(h, HEC_LOG_ERR, "hec: out of memory building a batch");
            return;
        }
        if (f->n >= h->o.batch_events)
            seal(h);
    }
    if (h->forming && h->forming->n > 0 && h->nb < h->o.max_batches &&
        (hurry || now - h->forming->t0 >= (int64_t)h->o.batch_time_ms))
        seal(h);
}
