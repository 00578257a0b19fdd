/* libFuzzer target: any bytes through one body parser alone (its own sniff
 * skipped), then through the whole parse call.  A crash, a sanitizer report,
 * or an offset past the input is a finding.  Built once per format, with
 * FUZZ_BODY_PARSER naming the parser (v6pi_parse_pflog, v6pi_parse_filterlog,
 * v6pi_parse_netfilter). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats.h"
#include "ipv6probe/ipv6probe.h"

#ifndef FUZZ_BODY_PARSER
#error "define FUZZ_BODY_PARSER"
#endif

static v6p_parser *parser;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!parser && !(parser = v6p_parser_new(NULL, NULL)))
        abort();
    /* An exact-size heap copy, so that ASan sees any read past the end. */
    char *line = malloc(size ? size : 1);
    if (!line)
        return 0;
    memcpy(line, data, size);
    v6p_event ev;
    v6pi_body_ctx ctx;
    memset(&ev, 0, sizeof(ev));
    memset(&ctx, 0, sizeof(ctx));
    ctx.reference_sec = 1795798800;
    ctx.has_time = size > 0 && (data[0] & 1);
    v6pi_body_result br = FUZZ_BODY_PARSER(line, size, &ev, &ctx);
    if (br.status == V6P_MALFORMED && br.offset > size)
        abort();
    v6p_result res;
    if (v6p_parse(parser, line, size, 1795798800, 0, &ev, &res) != V6P_OK && res.offset > size)
        abort();
    free(line);
    return 0;
}
