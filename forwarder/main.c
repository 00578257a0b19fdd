/* ipv6probe-forward: firewall syslog in, normalized events out. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ipv6probe/ipv6probe.h"
#include "linereader.h"

#define MAX_LINE (64 * 1024)
#define UNPARSED_STDERR_LIMIT 5

typedef enum unparsed_mode { UNPARSED_STDERR, UNPARSED_DROP, UNPARSED_RAW, UNPARSED_FILE } unparsed_mode;

typedef struct counters {
    unsigned long long lines, events, not_firewall, malformed, cut, ipv4;
} counters;

typedef struct fwd {
    v6p_parser *parser;
    v6p_json_writer *json;
    unparsed_mode unparsed;
    FILE *unparsed_file;
    counters n;
    unsigned stderr_reports;
} fwd;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: ipv6probe-forward --stdout [options] [FILE...|-]\n"
            "\n"
            "Reads firewall log lines (Linux iptables/nftables LOG under any common syslog\n"
            "framing) from the files given, or standard input, and prints one JSON object\n"
            "per firewall event.\n"
            "\n"
            "  --stdout               write events as JSON lines to standard output\n"
            "  --unparsed=MODE        where lines that are not events go: drop (counted only),\n"
            "                         raw (printed as {\"unparsed\":...} JSON lines), or a FILE\n"
            "                         path (appended verbatim).  Default: counted, and the\n"
            "                         first %d reported on standard error.\n"
            "  --boot-time=EPOCH      when the logging host booted, for /dev/kmsg and dmesg\n"
            "                         uptime stamps (default: this host's, from /proc/stat)\n"
            "  --utc-offset=SECONDS   zone of stamps that carry none (default 0 = UTC)\n"
            "  --help, --version\n",
            UNPARSED_STDERR_LIMIT);
}

static int64_t host_boot_time(void)
{
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return 0;
    char line[256];
    long long bt = 0;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "btime %lld", &bt) == 1)
            break;
    fclose(f);
    return bt;
}

static void write_json_string(FILE *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    fputc('"', out);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            fputc('\\', out);
            fputc(c, out);
        } else if (c < 0x20 || c >= 0x7f) {
            /* Bytes outside printable ASCII are escaped one by one so that
             * the raw line can be rebuilt exactly (\u00XX = byte XX). */
            fprintf(out, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
        } else {
            fputc(c, out);
        }
    }
    fputc('"', out);
}

static void report_unparsed(fwd *f, const char *src, unsigned long long lineno, const char *line,
                            size_t len, const v6p_result *res)
{
    switch (f->unparsed) {
    case UNPARSED_DROP: break;
    case UNPARSED_STDERR:
        if (res->status == V6P_MALFORMED && f->stderr_reports < UNPARSED_STDERR_LIMIT) {
            f->stderr_reports++;
            fprintf(stderr, "ipv6probe-forward: %s:%llu: byte %u: malformed: %s\n", src, lineno,
                    res->offset, v6p_reason_text(res->reason));
        }
        break;
    case UNPARSED_RAW:
        fputs("{\"schema\":1,\"unparsed\":", stdout);
        write_json_string(stdout, line, len);
        fprintf(stdout, ",\"status\":\"%s\",\"reason\":\"%s\",\"offset\":%u}\n",
                v6p_status_name(res->status), v6p_reason_text(res->reason), res->offset);
        break;
    case UNPARSED_FILE:
        fwrite(line, 1, len, f->unparsed_file);
        fputc('\n', f->unparsed_file);
        break;
    }
}

static int process_fd(fwd *f, int fd, const char *name, int64_t fallback)
{
    linereader lr;
    if (linereader_init(&lr, fd, MAX_LINE) != 0) {
        fprintf(stderr, "ipv6probe-forward: out of memory\n");
        return -1;
    }
    const char *line;
    size_t len;
    int cut, r;
    unsigned long long lineno = 0;
    v6p_event ev;
    v6p_result res;
    while ((r = linereader_next(&lr, &line, &len, &cut)) == 1) {
        lineno++;
        f->n.lines++;
        if (cut)
            f->n.cut++;
        v6p_status st = v6p_parse(f->parser, line, len, fallback, 0, &ev, &res);
        if (st == V6P_OK) {
            const char *js;
            size_t jn;
            if (v6p_json_write_event(f->json, &ev, &js, &jn) != 0) {
                fprintf(stderr, "ipv6probe-forward: out of memory\n");
                linereader_free(&lr);
                return -1;
            }
            fwrite(js, 1, jn, stdout);
            fputc('\n', stdout);
            f->n.events++;
            if (ev.protocol_version == 4)
                f->n.ipv4++;
            continue;
        }
        if (st == V6P_MALFORMED)
            f->n.malformed++;
        else
            f->n.not_firewall++;
        report_unparsed(f, name, lineno, line, len, &res);
    }
    if (r < 0)
        fprintf(stderr, "ipv6probe-forward: %s: read error: %s\n", name, strerror(errno));
    linereader_free(&lr);
    return r < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"stdout", no_argument, NULL, 's'},      {"unparsed", required_argument, NULL, 'u'},
        {"boot-time", required_argument, NULL, 'b'}, {"utc-offset", required_argument, NULL, 'z'},
        {"help", no_argument, NULL, 'h'},        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0}};
    fwd f;
    memset(&f, 0, sizeof(f));
    v6p_parser_options popts;
    memset(&popts, 0, sizeof(popts));
    popts.boot_time = host_boot_time();
    const char *unparsed_arg = NULL;
    int opt;
    while ((opt = getopt_long(argc, argv, "hV", longopts, NULL)) != -1) {
        switch (opt) {
        case 's': break;
        case 'u': unparsed_arg = optarg; break;
        case 'b': popts.boot_time = strtoll(optarg, NULL, 10); break;
        case 'z': popts.local_utc_offset = (int32_t)strtol(optarg, NULL, 10); break;
        case 'h': usage(stdout); return 0;
        case 'V': printf("ipv6probe-forward %s\n", V6P_VERSION_STRING); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (unparsed_arg) {
        if (strcmp(unparsed_arg, "drop") == 0) {
            f.unparsed = UNPARSED_DROP;
        } else if (strcmp(unparsed_arg, "raw") == 0) {
            f.unparsed = UNPARSED_RAW;
        } else {
            f.unparsed = UNPARSED_FILE;
            f.unparsed_file = fopen(unparsed_arg, "a");
            if (!f.unparsed_file) {
                fprintf(stderr, "ipv6probe-forward: %s: %s\n", unparsed_arg, strerror(errno));
                return 1;
            }
        }
    }
    v6p_error err;
    memset(&err, 0, sizeof(err));
    f.parser = v6p_parser_new(&popts, &err);
    f.json = v6p_json_writer_new();
    if (!f.parser || !f.json) {
        fprintf(stderr, "ipv6probe-forward: %s\n", err.message[0] ? err.message : "out of memory");
        return 1;
    }
    static char outbuf[1 << 16];
    setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));

    int status = 0;
    if (optind == argc) {
        if (process_fd(&f, 0, "-", (int64_t)time(NULL)) != 0)
            status = 1;
    }
    for (int i = optind; i < argc; i++) {
        if (strcmp(argv[i], "-") == 0) {
            if (process_fd(&f, 0, "-", (int64_t)time(NULL)) != 0)
                status = 1;
            continue;
        }
        int fd = open(argv[i], O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            fprintf(stderr, "ipv6probe-forward: %s: %s\n", argv[i], strerror(errno));
            status = 1;
            continue;
        }
        struct stat st;
        /* A file's lines without a stamp (or year) are taken as of its mtime. */
        int64_t fallback = fstat(fd, &st) == 0 ? (int64_t)st.st_mtime : (int64_t)time(NULL);
        if (process_fd(&f, fd, argv[i], fallback) != 0)
            status = 1;
        close(fd);
    }
    if (fflush(stdout) != 0) {
        fprintf(stderr, "ipv6probe-forward: write error: %s\n", strerror(errno));
        status = 1;
    }
    fprintf(stderr,
            "ipv6probe-forward: %llu lines read, %llu events, %llu not firewall lines, "
            "%llu malformed lines\n",
            f.n.lines, f.n.events, f.n.not_firewall, f.n.malformed);
    if (f.unparsed_file)
        fclose(f.unparsed_file);
    v6p_json_writer_free(f.json);
    v6p_parser_free(f.parser);
    return status;
}
