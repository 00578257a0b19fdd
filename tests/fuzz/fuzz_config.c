/* libFuzzer target: the forwarder's YAML configuration loader, from a file
 * (a memfd) of any bytes.  A crash, a leak or a sanitizer report is a
 * finding; a refusal must say where (file:line:column) or why. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_file.h"
#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fuzz_file("fuzz-config", data, size, path);
    if (fd < 0)
        return 0;
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
