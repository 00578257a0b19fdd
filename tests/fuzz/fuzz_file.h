/* For the fuzz targets whose parser reads a file: the input as a file (a
 * memfd, nothing on disk), named by a path the parser can open. */
#ifndef FUZZ_FILE_H
#define FUZZ_FILE_H

#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

/* The descriptor (close it when done) with path filled in, or -1. */
static inline int fuzz_file(const char *name, const uint8_t *data, size_t size, char path[64])
{
    int fd = memfd_create(name, MFD_CLOEXEC);
    if (fd < 0)
        return -1;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return -1;
    }
    snprintf(path, 64, "/proc/self/fd/%d", fd);
    return fd;
}

#endif
