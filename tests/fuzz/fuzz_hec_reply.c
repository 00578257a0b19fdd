/* libFuzzer target: HEC reply bodies and ack poll answers, as a hostile
 * endpoint or proxy may send them.  A crash or a sanitizer report is a
 * finding; an ackId is only ever a non-negative integer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hec_reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_ack(void *arg, uint64_t id, int acked)
{
    (void)id;
    (void)acked;
    ++*(size_t *)arg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *body = malloc(size ? size : 1);
    if (!body)
        return 0;
    memcpy(body, data, size);
    hec_reply r;
    hec_reply_parse(body, size, &r);
    if (r.text[sizeof(r.text) - 1] != 0)
        abort();
    (void)hec_classify(200 + (size % 400), &r, 10);
    size_t calls = 0;
    int n = hec_ack_parse(body, size, on_ack, &calls);
    if (n >= 0 && calls > (size_t)n)
        abort();
    free(body);
    return 0;
}
