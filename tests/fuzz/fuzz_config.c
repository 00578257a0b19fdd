/* libFuzzer target: the forwarder's YAML configuration loader, from a file
 * (a memfd) of any bytes.  A crash, a leak or a sanitizer report is a
 * finding; a refusal must say where (file:line:column) or why. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz-config", MFD_CLOEXEC);
    if (fd < 0)
        return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    fwd_config c;
    char err[CFG_ERR_MAX];
    err[0] = 0;
    config_defaults(&c);
    if (config_load(&c, path, err, sizeof(err)) == 0)
        (void)config_finish(&c, err, sizeof(err));
    else if (!err[0])
        abort(); /* refused without a reason */
    config_free(&c);
    close(fd);
    return 0;
}
