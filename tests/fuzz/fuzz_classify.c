/* libFuzzer target: the classification table loader (YAML of prefixes,
 * names and kinds) from a file of any bytes.  Also a differential check:
 * what the plain block scanner (yamlblock.c) takes, libyaml must read to
 * the same entries. */
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
    v6p_classify *c = v6p_classify_new(NULL), *lib = v6p_classify_new(NULL),
                 *plain = v6p_classify_new(NULL);
    if (!c || !lib || !plain)
        abort();
    v6p_error e;
    memset(&e, 0, sizeof(e));
    if (v6p_classify_add_yaml(c, path, &e) != 0 && !e.message[0])
        abort(); /* refused without a reason */
    int lib_rc = v6pi_classify_add_yaml_how(lib, path, V6PI_YAML_LIBYAML, NULL, NULL);
    int plain_rc = v6pi_classify_add_yaml_how(plain, path, V6PI_YAML_PLAIN, NULL, NULL);
    if (plain_rc == 0 && (lib_rc != 0 || !v6pi_classify_same(plain, lib)))
        abort(); /* the scanner read something libyaml reads otherwise */
    v6p_classify_free(c);
    v6p_classify_free(lib);
    v6p_classify_free(plain);
    close(fd);
    return 0;
}
