/* libFuzzer target: the classification table loader (YAML of prefixes,
 * names and kinds) from a file of any bytes, then a lookup. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_file.h"
#include "ipv6probe/taggers.h"
#include "classify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fuzz_file("fuzz-classify", data, size, path);
    if (fd < 0)
        return 0;
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
