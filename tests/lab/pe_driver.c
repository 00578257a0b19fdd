/* pe_driver: firewall log lines on stdin → parsed, tagged by the
 * temporary-address tracker → one JSON event a line on stdout.
 *
 *   pe_driver [--prefix P]... [--preferred S] [--valid S] [--boot-time T]
 *
 * Lines that are not firewall events are skipped.  At the end the tracker's
 * counters go to stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipv6probe/ipv6probe.h"
#include "ipv6probe/pe.h"

static int usage(void)
{
    fprintf(stderr, "usage: pe_driver [--prefix P]... [--preferred S] [--valid S] "
                    "[--boot-time T]\n");
    return 2;
}

int main(int argc, char **argv)
{
    v6p_pe_config cfg;
    v6p_pe_config_init(&cfg, sizeof(cfg));
    v6p_parser_options po;
    v6p_parser_options_init(&po, sizeof(po));
    const char *prefixes[V6P_PE_MAX_PREFIXES];
    int nprefixes = 0;

    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc)
            return usage();
        if (strcmp(argv[i], "--prefix") == 0 && nprefixes < V6P_PE_MAX_PREFIXES)
            prefixes[nprefixes++] = argv[++i];
        else if (strcmp(argv[i], "--preferred") == 0)
            cfg.preferred_lifetime = strtoll(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--valid") == 0)
            cfg.valid_lifetime = strtoll(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--boot-time") == 0)
            po.boot_time = strtoll(argv[++i], NULL, 10);
        else
            return usage();
    }

    v6p_pe_tracker *pe = NULL;
    if (!(pe = v6p_pe_new(&cfg, NULL))) {
        fprintf(stderr, "pe_driver: bad tracker configuration\n");
        return 2;
    }
    for (int i = 0; i < nprefixes; i++) {
        if (v6p_pe_add_prefix_str(pe, prefixes[i], NULL) != 0) {
            fprintf(stderr, "pe_driver: bad prefix %s\n", prefixes[i]);
            return 2;
        }
    }
    v6p_error err;
    memset(&err, 0, sizeof(err));
    v6p_parser *parser = v6p_parser_new(&po, &err);
    v6p_json_writer *w = v6p_json_writer_new();
    if (!parser || !w) {
        fprintf(stderr, "pe_driver: %s\n", parser ? "out of memory" : err.message);
        return 2;
    }

    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    v6p_event ev;
    v6p_result res;
    while ((n = getline(&line, &cap, stdin)) > 0) {
        if (v6p_parse(parser, line, (size_t)n, po.boot_time, 0, &ev, &res) != V6P_OK)
            continue;
        v6p_pe_tag(pe, &ev);
        const char *out;
        size_t len;
        if (v6p_json_write_event(w, &ev, &out, &len) == 0) {
            fwrite(out, 1, len, stdout);
            putchar('\n');
        }
    }
    v6p_pe_stats st;
    v6p_pe_get_stats(pe, &st, sizeof(st));
    fprintf(stderr, "pe_driver: %zu addresses, %zu /64s, %llu evictions\n", st.addresses,
            st.prefixes, (unsigned long long)st.address_evictions);
    free(line);
    v6p_json_writer_free(w);
    v6p_parser_free(parser);
    v6p_pe_free(pe);
    return 0;
}
