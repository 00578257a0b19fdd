/* libFuzzer target: the spool reader over a corrupt segment.  The input is
 * written as the only segment of a fresh spool directory (with a done mark
 * taken from its first bytes); opening it and reading every record must
 * neither crash nor return a record that is not whole. */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];

static void put_file(const char *name, const void *p, size_t n)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        abort();
    if (n && write(fd, p, n) != (ssize_t)n)
        abort();
    close(fd);
}

/* The scratch directory goes when the fuzzer exits. */
static void cleanup(void)
{
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));) {
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (e->d_name[0] != '.')
            unlink(path);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0]) {
        snprintf(dir, sizeof(dir), "/tmp/fuzz-spool-XXXXXX");
        if (!mkdtemp(dir))
            abort();
        atexit(cleanup);
    }
    /* 16 bytes of done mark (often damaged), the rest one segment. */
    size_t dn = size < 16 ? size : 16;
    put_file("done", data, dn);
    put_file("seg-0000000000000000.spl", data + dn, size - dn);
    spool_opts o;
    memset(&o, 0, sizeof(o));
    o.dir = dir;
    o.max_bytes = 1u << 20;
    o.sync = SPOOL_SYNC_NEVER;
    spool *s;
    char err[256];
    if (spool_open(&s, &o, err, sizeof(err)) != SPOOL_OK)
        return 0;
    uint64_t seq;
    const char *rec;
    size_t len;
    for (int i = 0; i < 100000 && spool_read(s, &seq, &rec, &len) == 1; i++) {
        if (len > size)
            abort();
        if (len)
            (void)((volatile const char *)rec)[len - 1];
        spool_done(s, seq, 1);
    }
    spool_close(s);
    return 0;
}
