/* libFuzzer target: the classification table loader (YAML of prefixes,
 * names and kinds) from a file of any bytes, then a lookup. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ipv6probe/taggers.h"
#include "classify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz-classify", MFD_CLOEXEC);
    if (fd < 0)
        return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    v6p_classify *c = v6p_classify_new(NULL);
    if (!c)
        abort();
    v6p_error e;
    memset(&e, 0, sizeof(e));
    if (v6p_classify_add_yaml(c, path, &e) != 0 && !e.message[0])
        abort(); /* refused without a reason */
    v6p_classify_free(c);
    close(fd);
    return 0;
}
