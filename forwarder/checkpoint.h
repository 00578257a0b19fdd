/* The checkpoint file: for each followed file, which file (device and inode)
 * and how far into it the outputs have taken lines.  Written atomically
 * (temporary file, fsync, rename) so that a crash leaves the old or the new
 * one, never half of either. */
#ifndef FWD_CHECKPOINT_H
#define FWD_CHECKPOINT_H

#include <pthread.h>
#include <stdint.h>

typedef struct ckpt_entry {
    char *path;
    uint64_t dev, ino;
    int64_t offset; /* -1: nothing known */
    int live;       /* an input of this run uses it */
} ckpt_entry;

typedef struct checkpoints {
    char *file; /* NULL: checkpoints are off, entries still track progress */
    pthread_mutex_t lock;
    ckpt_entry *e;
    size_t n, cap;
    int dirty;
} checkpoints;

/* Load the file (missing is fine: a first start).  -1 with err on a damaged
 * file. */
int checkpoints_open(checkpoints *c, const char *file, char *err, size_t errlen);
/* The entry for a path (made when absent). */
ckpt_entry *checkpoints_get(checkpoints *c, const char *path);
/* Read what was committed for an entry. */
void checkpoints_read(checkpoints *c, ckpt_entry *e, uint64_t *dev, uint64_t *ino, int64_t *offset);
/* Record progress (the worker, after an output flush). */
void checkpoints_commit(checkpoints *c, ckpt_entry *e, uint64_t dev, uint64_t ino, int64_t offset);
/* Write the file when something changed; 0 or -1 (errno). */
int checkpoints_save(checkpoints *c);
void checkpoints_close(checkpoints *c);

#endif
