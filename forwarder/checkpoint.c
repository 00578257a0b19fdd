#include "checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Format, one line per file:  dev ino offset path  (the path last, so it may
 * hold spaces; a path with a newline cannot be followed). */

static ckpt_entry *add(checkpoints *c, const char *path)
{
    if (c->n == c->cap) {
        size_t n = c->cap ? c->cap * 2 : 8;
        ckpt_entry *a = realloc(c->e, n * sizeof(*a));
        if (!a)
            return NULL;
        c->e = a;
        c->cap = n;
    }
    ckpt_entry *e = &c->e[c->n];
    memset(e, 0, sizeof(*e));
    e->path = strdup(path);
    if (!e->path)
        return NULL;
    e->offset = -1;
    c->n++;
    return e;
}

int checkpoints_open(checkpoints *c, const char *file, char *err, size_t errlen)
{
    memset(c, 0, sizeof(*c));
    pthread_mutex_init(&c->lock, NULL);
    /* Entries are handed out as pointers: reserve so that they never move. */
    c->cap = 256;
    c->e = calloc(c->cap, sizeof(*c->e));
    if (!c->e) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (!file)
        return 0;
    c->file = strdup(file);
    FILE *f = fopen(file, "r");
    if (!f) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "%s: %s", file, strerror(errno));
        return -1;
    }
    char line[4200];
    unsigned lineno = 0;
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        size_t l = strlen(line);
        if (l && line[l - 1] == '\n')
            line[--l] = 0;
        if (!l || line[0] == '#')
            continue;
        unsigned long long dev, ino;
        long long off;
        int pos = 0;
        if (sscanf(line, "%llu %llu %lld %n", &dev, &ino, &off, &pos) != 3 || !line[pos]) {
            snprintf(err, errlen, "%s:%u: damaged checkpoint line (delete the file to start over)",
                     file, lineno);
            fclose(f);
            return -1;
        }
        if (c->n >= c->cap)
            break; /* more files than this run can follow; the rest are stale */
        ckpt_entry *e = add(c, line + pos);
        if (!e)
            break;
        e->dev = dev;
        e->ino = ino;
        e->offset = off;
    }
    fclose(f);
    return 0;
}

ckpt_entry *checkpoints_get(checkpoints *c, const char *path)
{
    pthread_mutex_lock(&c->lock);
    ckpt_entry *e = NULL;
    for (size_t i = 0; i < c->n; i++)
        if (!strcmp(c->e[i].path, path))
            e = &c->e[i];
    if (!e && c->n < c->cap)
        e = add(c, path);
    if (e)
        e->live = 1;
    pthread_mutex_unlock(&c->lock);
    return e;
}

void checkpoints_read(checkpoints *c, ckpt_entry *e, uint64_t *dev, uint64_t *ino, int64_t *offset)
{
    pthread_mutex_lock(&c->lock);
    *dev = e->dev;
    *ino = e->ino;
    *offset = e->offset;
    pthread_mutex_unlock(&c->lock);
}

void checkpoints_commit(checkpoints *c, ckpt_entry *e, uint64_t dev, uint64_t ino, int64_t offset)
{
    pthread_mutex_lock(&c->lock);
    if (e->dev != dev || e->ino != ino || e->offset != offset) {
        e->dev = dev;
        e->ino = ino;
        e->offset = offset;
        c->dirty = 1;
    }
    pthread_mutex_unlock(&c->lock);
}

int checkpoints_save(checkpoints *c)
{
    if (!c->file)
        return 0;
    pthread_mutex_lock(&c->lock);
    if (!c->dirty) {
        pthread_mutex_unlock(&c->lock);
        return 0;
    }
    size_t fl = strlen(c->file);
    char *tmp = malloc(fl + 8);
    int rc = -1;
    if (!tmp)
        goto out;
    memcpy(tmp, c->file, fl);
    memcpy(tmp + fl, ".tmp", 5);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0)
        goto out;
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        goto out;
    }
    fprintf(f, "# ipv6probe-forward checkpoints: dev ino offset path\n");
    for (size_t i = 0; i < c->n; i++)
        if (c->e[i].offset >= 0)
            fprintf(f, "%" PRIu64 " %" PRIu64 " %" PRId64 " %s\n", c->e[i].dev, c->e[i].ino,
                    c->e[i].offset, c->e[i].path);
    if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
        fclose(f);
        goto out;
    }
    if (fclose(f) != 0 || rename(tmp, c->file) != 0)
        goto out;
    c->dirty = 0;
    rc = 0;
out:
    free(tmp);
    pthread_mutex_unlock(&c->lock);
    return rc;
}

void checkpoints_close(checkpoints *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->e[i].path);
    free(c->e);
    free(c->file);
    pthread_mutex_destroy(&c->lock);
    memset(c, 0, sizeof(*c));
}
