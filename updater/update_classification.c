/* ipv6probe-update-classification: fetch the organisations' published
 * address lists over HTTPS and regenerate the classification table.
 *
 * The downloads are libcurl's, with the peer's certificate and name checked
 * (https only, redirects included).  The formats are parsed by the same
 * generators that build the bundled table (tools/classification/, one per
 * source), run as `python3 build_table.py`; the result is loaded with the
 * library before it replaces anything.  The table is replaced by rename(2),
 * so readers see the old file or the new one, never a mix; on any error the
 * old table stays and the exit status is 1.
 *
 * The forwarder reads the new table on SIGHUP (`systemctl reload
 * ipv6probe-forward`, which the example timer's service does). */
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ipv6probe/taggers.h"
#include "ipv6probe/ipv6probe.h"

#ifndef UPD_GENERATOR_INSTALLED
#define UPD_GENERATOR_INSTALLED "/usr/local/share/ipv6probe/classification/build_table.py"
#endif
#define PROG "ipv6probe-update-classification"

typedef struct source {
    char id[64];
    char *url;
    char *follow; /* NULL, or: the list is the link in url's page matching this */
} source;

typedef struct opts {
    const char *output, *sources, *generator, *cacert, *python;
    long timeout_sec;
    curl_off_t max_bytes;
} opts;

static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, PROG ": ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* The generator: given, installed, or in the source tree when run from a
 * build directory. */
static const char *find_generator(const char *given)
{
    if (given)
        return given;
    if (access(UPD_GENERATOR_INSTALLED, R_OK) == 0)
        return UPD_GENERATOR_INSTALLED;
#ifdef UPD_GENERATOR_SOURCE
    if (access(UPD_GENERATOR_SOURCE, R_OK) == 0)
        return UPD_GENERATOR_SOURCE;
#endif
    return UPD_GENERATOR_INSTALLED;
}

/* ---- the list of sources: "id URL" lines, '#' comments ---- */

static int id_ok(const char *s, size_t n)
{
    if (n == 0 || n >= sizeof(((source *)0)->id))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return 0;
    return 1;
}

/* The next whitespace-separated token at *p (advanced past it); NULL at the
 * end of the line. */
static char *token(char **p, size_t *len)
{
    char *t = *p + strspn(*p, " \t\r\n");
    *len = strcspn(t, " \t\r\n");
    *p = t + *len;
    return *len ? t : NULL;
}

/* "id https://URL [follow=https://PATTERN]" */
static int parse_source_line(const char *name, size_t lineno, char *line, source *out)
{
    char *p = line;
    size_t n;
    char *id = token(&p, &n);
    if (!id || !id_ok(id, n)) {
        say("%s:%zu:%zu: expected a source id (a-z, 0-9, _)", name, lineno,
            (size_t)((id ? id : p) - line) + 1);
        return -1;
    }
    memcpy(out->id, id, n);
    out->id[n] = '\0';
    char *u = token(&p, &n);
    if (!u || strncmp(u, "https://", 8) != 0 || n <= 8) {
        say("%s:%zu:%zu: expected an https:// URL after the id", name, lineno,
            (size_t)((u ? u : p) - line) + 1);
        return -1;
    }
    out->url = strndup(u, n);
    out->follow = NULL;
    char *f = token(&p, &n);
    if (f && (strncmp(f, "follow=https://", 15) != 0 || n <= 15)) {
        say("%s:%zu:%zu: expected nothing, or follow=https://PATTERN, after the URL", name, lineno,
            (size_t)(f - line) + 1);
        free(out->url);
        return -1;
    }
    if (f && !(out->follow = strndup(f + 7, n - 7))) {
        free(out->url);
        return -1;
    }
    if (token(&p, &n)) {
        say("%s:%zu:%zu: unexpected text after the URL", name, lineno, (size_t)(p - n - line) + 1);
        free(out->url);
        free(out->follow);
        return -1;
    }
    return out->url ? 0 : -1;
}

static void free_sources(source *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(s[i].url);
        free(s[i].follow);
    }
    free(s);
}

/* Read "id URL" lines from f; name is for messages. */
static source *read_sources(FILE *f, const char *name, size_t *n)
{
    source *s = NULL;
    size_t cap = 0;
    char *line = NULL;
    size_t lcap = 0, lineno = 0;
    *n = 0;
    while (getline(&line, &lcap, f) >= 0) {
        lineno++;
        char *p = line + strspn(line, " \t\r\n");
        if (!*p || *p == '#')
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 32;
            source *ns = realloc(s, cap * sizeof(*ns));
            if (!ns)
                goto fail;
            s = ns;
        }
        if (parse_source_line(name, lineno, line, &s[*n]) != 0)
            goto fail;
        for (size_t i = 0; i < *n; i++)
            if (strcmp(s[i].id, s[*n].id) == 0) {
                say("%s:%zu:1: source '%s' listed twice", name, lineno, s[*n].id);
                free(s[*n].url);
                free(s[*n].follow);
                goto fail;
            }
        (*n)++;
    }
    free(line);
    if (*n == 0) {
        say("%s: no sources listed", name);
        free(s);
        return NULL;
    }
    return s;
fail:
    free(line);
    free_sources(s, *n);
    return NULL;
}

/* The sources: from --sources, else the generator's own list. */
static source *load_sources(const opts *o, const char *generator, size_t *n)
{
    if (o->sources) {
        FILE *f = fopen(o->sources, "r");
        if (!f) {
            say("%s:0:0: %s", o->sources, strerror(errno));
            return NULL;
        }
        source *s = read_sources(f, o->sources, n);
        fclose(f);
        return s;
    }
    char cmd[4200];
    snprintf(cmd, sizeof(cmd), "'%s' '%s' --list", o->python, generator);
    if (strchr(o->python, '\'') || strchr(generator, '\'')) {
        say("quote in the python or generator path");
        return NULL;
    }
    FILE *f = popen(cmd, "r");
    if (!f) {
        say("%s --list: %s", generator, strerror(errno));
        return NULL;
    }
    source *s = read_sources(f, generator, n);
    if (pclose(f) != 0 && s) {
        say("%s --list failed", generator);
        free_sources(s, *n);
        return NULL;
    }
    return s;
}

/* ---- downloads ---- */

typedef struct sink {
    FILE *f;
    curl_off_t got, max;
} sink;

static size_t on_data(char *p, size_t sz, size_t nm, void *ud)
{
    sink *k = ud;
    size_t n = sz * nm;
    k->got += (curl_off_t)n;
    if (k->got > k->max)
        return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
    return fwrite(p, 1, n, k->f);
}

/* GET url into path; its Last-Modified date (or today) into date[11]. */
static int fetch_url(const opts *o, const char *id, const char *url, const char *path,
                     char date[11])
{
    CURL *e = curl_easy_init();
    FILE *f = fopen(path, "wb");
    if (!e || !f) {
        say("%s: %s", id, f ? "out of memory" : strerror(errno));
        if (f)
            fclose(f);
        curl_easy_cleanup(e);
        return -1;
    }
    char errbuf[CURL_ERROR_SIZE] = "";
    sink k = {f, 0, o->max_bytes};
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &k);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(e, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "https");
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(e, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    if (o->cacert)
        curl_easy_setopt(e, CURLOPT_CAINFO, o->cacert);
    curl_easy_setopt(e, CURLOPT_TIMEOUT, o->timeout_sec);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, ""); /* gzip if offered */
    curl_easy_setopt(e, CURLOPT_FILETIME, 1L);
    curl_easy_setopt(e, CURLOPT_USERAGENT, PROG "/" V6P_VERSION_STRING);
    CURLcode rc = curl_easy_perform(e);
    int ok = rc == CURLE_OK && fclose(f) == 0;
    if (rc != CURLE_OK) {
        fclose(f);
        if (k.got > k.max)
            say("%s: %s: larger than %lld bytes", id, url, (long long)k.max);
        else
            say("%s: %s: %s", id, url, errbuf[0] ? errbuf : curl_easy_strerror(rc));
    }
    curl_off_t ft = -1;
    curl_easy_getinfo(e, CURLINFO_FILETIME_T, &ft);
    time_t t = ft > 0 ? (time_t)ft : time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(date, 11, "%Y-%m-%d", &tm);
    curl_easy_cleanup(e);
    return ok ? 0 : -1;
}

/* The first link in the page at path that matches pattern (fnmatch: '*'
 * spans '/'), searched from the text before the pattern's first '*'. */
static char *find_link(const char *path, const char *pattern)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *page = NULL;
    size_t cap = 0;
    ssize_t len = getdelim(&page, &cap, '\0', f); /* the whole page (no NULs in HTML) */
    fclose(f);
    size_t plen = strcspn(pattern, "*");
    char *found = NULL;
    for (char *at = len > 0 ? strstr(page, "https://") : NULL; at && !found;
         at = strstr(at + 1, "https://")) {
        if (strncmp(at, pattern, plen) != 0)
            continue;
        size_t n = strcspn(at, "\"'<> \t\r\n)");
        char *link = strndup(at, n);
        if (link && fnmatch(pattern, link, 0) == 0)
            found = link;
        else
            free(link);
    }
    free(page);
    return found;
}

/* A source's list into path: its URL, or the link its page gives. */
static int fetch(const opts *o, const source *s, const char *path, char date[11])
{
    if (fetch_url(o, s->id, s->url, path, date) != 0)
        return -1;
    if (!s->follow)
        return 0;
    char *link = find_link(path, s->follow);
    if (!link) {
        say("%s: %s: no link matching %s", s->id, s->url, s->follow);
        return -1;
    }
    int rc = fetch_url(o, s->id, link, path, date);
    free(link);
    return rc;
}

/* ---- the temporary directory ---- */

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            unlinkat(dirfd(d), de->d_name, 0);
    }
    closedir(d);
    rmdir(dir);
}

/* JSON string body: the URL and id are ours (checked), but quote anyway. */
static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        if ((unsigned char)*s >= 0x20)
            fputc(*s, f);
    }
    fputc('"', f);
}

static int fetch_all(const opts *o, const source *s, size_t n, const char *dir)
{
    char path[4200], now[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(path, sizeof(path), "%s/manifest.json", dir);
    FILE *m = fopen(path, "w");
    if (!m) {
        say("%s: %s", path, strerror(errno));
        return -1;
    }
    fputs("{\n", m);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        char date[11];
        snprintf(path, sizeof(path), "%s/%s", dir, s[i].id);
        if (fetch(o, &s[i], path, date) != 0) {
            rc = -1;
            break;
        }
        fprintf(m, "%s", i ? ",\n" : "");
        json_str(m, s[i].id);
        fprintf(m, ": {\"published\": \"%s\", \"copy\": ", date);
        char copy[4200];
        snprintf(copy, sizeof(copy), "%s fetched %s", s[i].url, now);
        json_str(m, copy);
        fputs("}", m);
    }
    fputs("\n}\n", m);
    if (fclose(m) != 0 && rc == 0) {
        say("manifest: %s", strerror(errno));
        rc = -1;
    }
    return rc;
}

/* ---- generate, check, replace ---- */

static int run_generator(const opts *o, const char *generator, const char *dir, const char *out)
{
    pid_t pid = fork();
    if (pid < 0) {
        say("fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        execlp(o->python, o->python, generator, "--inputs", dir, "--output", out, (char *)NULL);
        fprintf(stderr, PROG ": %s: %s\n", o->python, strerror(errno));
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        say("%s failed (status %d): the table is not replaced", generator,
            WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        return -1;
    }
    return 0;
}

/* The new table must load as the forwarder would load it. */
static int check_table(const char *path, size_t *entries)
{
    v6p_classify *c = v6p_classify_new(NULL);
    v6p_error err;
    memset(&err, 0, sizeof(err));
    int rc = c ? v6p_classify_add_yaml(c, path, &err) : -1;
    if (rc != 0)
        say("the generated table does not load: %s", c ? err.message : "out of memory");
    else if ((*entries = v6p_classify_count(c)) == 0) {
        say("%s: the generated table is empty", path);
        rc = -1;
    }
    v6p_classify_free(c);
    return rc;
}

static int replace(const char *tmp, const char *out)
{
    int fd = open(tmp, O_RDONLY);
    if (fd < 0 || fsync(fd) != 0 || close(fd) != 0) {
        say("%s: %s", tmp, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (chmod(tmp, 0644) != 0 || rename(tmp, out) != 0) {
        say("%s: %s", out, strerror(errno));
        return -1;
    }
    char d[4096];
    snprintf(d, sizeof(d), "%s", out);
    int dfd = open(dirname(d), O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) { /* the rename itself survives a crash */
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

static int update(const opts *o)
{
    const char *generator = find_generator(o->generator);
    size_t n;
    source *s = load_sources(o, generator, &n);
    if (!s) {
        say("%s: kept as it was", o->output);
        return 1;
    }
    char tmpl[] = "/tmp/ipv6probe-update.XXXXXX";
    const char *tmpdir = getenv("TMPDIR");
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/%s", tmpdir && *tmpdir ? tmpdir : "/tmp", tmpl + 5);
    if (!mkdtemp(dir)) {
        say("%s: %s; %s: kept as it was", dir, strerror(errno), o->output);
        free_sources(s, n);
        return 1;
    }
    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s.new", o->output);
    size_t entries = 0;
    int rc = fetch_all(o, s, n, dir) == 0 && run_generator(o, generator, dir, tmp) == 0 &&
                     check_table(tmp, &entries) == 0 && replace(tmp, o->output) == 0
                 ? 0
                 : 1;
    if (rc != 0) {
        char part[4300]; /* what the generator writes before its own rename */
        snprintf(part, sizeof(part), "%s.tmp", tmp);
        unlink(part);
        unlink(tmp);
        say("%s: kept as it was", o->output);
    } else {
        say("%s: %zu prefixes from %zu sources", o->output, entries, n);
    }
    remove_dir(dir);
    free_sources(s, n);
    return rc;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: " PROG " [options]\n\n"
               "Fetches the organisations' published address lists over HTTPS (certificates\n"
               "verified) and regenerates the classification table from them.  The old table\n"
               "is replaced only when every list was fetched and the new table loads; on any\n"
               "error it stays as it was and the exit status is 1.  Send the forwarder SIGHUP\n"
               "(systemctl reload ipv6probe-forward) to load the new table.\n\n"
               "  -o, --output=FILE     table to write (default /var/lib/ipv6probe/"
               "classification.yaml)\n"
               "  -s, --sources=FILE    'id https://URL' lines instead of the generator's list\n"
               "                        (ids: build_table.py --list)\n"
               "      --generator=FILE  tools/classification/build_table.py to run\n"
               "      --python=PROG     interpreter for it (default python3)\n"
               "      --cacert=FILE     trust these CA certificates instead of the system's\n"
               "      --timeout=SEC     per download (default 120)\n"
               "      --max-size=MB     per download (default 256)\n"
               "  -h, --help, -V, --version\n");
}

int main(int argc, char **argv)
{
    opts o = {"/var/lib/ipv6probe/classification.yaml",
              NULL,
              NULL,
              NULL,
              "python3",
              120,
              (curl_off_t)256 << 20};
    static const struct option lo[] = {
        {"output", required_argument, 0, 'o'},    {"sources", required_argument, 0, 's'},
        {"generator", required_argument, 0, 'g'}, {"python", required_argument, 0, 'p'},
        {"cacert", required_argument, 0, 'c'},    {"timeout", required_argument, 0, 't'},
        {"max-size", required_argument, 0, 'm'},  {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, 'V'},         {0, 0, 0, 0}};
    int ch;
    while ((ch = getopt_long(argc, argv, "o:s:hV", lo, NULL)) != -1) {
        char *end = NULL;
        switch (ch) {
        case 'o':
            o.output = optarg;
            break;
        case 's':
            o.sources = optarg;
            break;
        case 'g':
            o.generator = optarg;
            break;
        case 'p':
            o.python = optarg;
            break;
        case 'c':
            o.cacert = optarg;
            break;
        case 't':
            o.timeout_sec = strtol(optarg, &end, 10);
            if (!*optarg || *end || o.timeout_sec <= 0) {
                say("--timeout: expected a positive number of seconds");
                return 2;
            }
            break;
        case 'm': {
            long mb = strtol(optarg, &end, 10);
            if (!*optarg || *end || mb <= 0 || mb > 65536) {
                say("--max-size: expected megabytes, 1 to 65536");
                return 2;
            }
            o.max_bytes = (curl_off_t)mb << 20;
            break;
        }
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf(PROG " %s\n", V6P_VERSION_STRING);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        usage(stderr);
        return 2;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        say("libcurl initialisation failed");
        return 1;
    }
    int rc = update(&o);
    curl_global_cleanup();
    return rc;
}
