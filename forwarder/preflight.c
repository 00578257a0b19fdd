/* Preflight: what --check-config checks beyond the file itself.
 *
 * A configuration that loads can still fail at startup: a token file the
 * service user cannot read, a spool directory it cannot write, a port
 * already taken.  Under systemd that is a crash loop behind a green
 * ExecStartPre, so each such thing is tried here the way the forwarder
 * will use it: ports and /dev/kmsg as started (they are opened before
 * privileges drop), everything else as the configured user, in a child
 * that drops to it. */
#include "preflight.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "metrics.h"
#include "privs.h"
#include "tagging.h"
#include "hec_token.h"

typedef struct pf {
    FILE *out;
    int problems;
} pf;

static void ok(pf *p, const char *what, const char *path, const char *how)
{
    fprintf(p->out, "  ok: %s %s: %s\n", what, path, how);
}

static void bad(pf *p, const char *what, const char *path, const char *why)
{
    fprintf(p->out, "  error: %s %s: %s\n", what, path, why);
    p->problems++;
}

static void check_readable(pf *p, const char *what, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        bad(p, what, path, strerror(errno));
        return;
    }
    close(fd);
    ok(p, what, path, "readable");
}

/* The directory a file goes in, into buf. */
static const char *dir_of(const char *path, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s", path);
    char *slash = strrchr(buf, '/');
    if (!slash)
        return ".";
    if (slash == buf)
        slash[1] = 0;
    else
        *slash = 0;
    return buf;
}

/* Creates and removes a file in dir: access() would say yes to root on a
 * read-only file system or in /proc. */
static int try_create(const char *dir)
{
    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s/.ipv6probe-check-XXXXXX", dir);
    int fd = mkstemp(tmp);
    if (fd < 0)
        return -1;
    unlink(tmp);
    close(fd);
    return 0;
}

/* A file the forwarder creates or appends to. */
static void check_writable_file(pf *p, const char *what, const char *path)
{
    char d[4096], why[4200];
    if (access(path, F_OK) == 0) {
        int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NONBLOCK);
        if (fd >= 0) {
            close(fd);
            ok(p, what, path, "writable");
        } else {
            bad(p, what, path, strerror(errno));
        }
        return;
    }
    const char *dir = dir_of(path, d, sizeof(d));
    if (try_create(dir) == 0) {
        ok(p, what, path, "can be created");
        return;
    }
    snprintf(why, sizeof(why), "cannot be created in %s: %s", dir, strerror(errno));
    bad(p, what, path, why);
}

/* A directory the forwarder keeps files in (made when missing). */
static void check_writable_dir(pf *p, const char *what, const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            bad(p, what, path, "not a directory");
        else if (access(path, R_OK | W_OK | X_OK) != 0 || try_create(path) != 0)
            bad(p, what, path, strerror(errno));
        else
            ok(p, what, path, "writable");
        return;
    }
    check_writable_file(p, what, path);
}

static void check_inputs(pf *p, const fwd_config *c)
{
    char d[4096];
    for (size_t i = 0; i < c->n_files; i++) {
        const cfg_file_input *f = &c->files[i];
        if (!strcmp(f->path, "-"))
            continue;
        if (f->follow && access(f->path, F_OK) != 0 && errno == ENOENT) {
            /* tail -F waits for it; its directory must be searchable. */
            const char *dir = dir_of(f->path, d, sizeof(d));
            if (access(dir, X_OK) == 0)
                fprintf(p->out,
                        "  warning: input file %s: not there yet; followed once it "
                        "appears\n",
                        f->path);
            else
                bad(p, "input directory", dir, strerror(errno));
            continue;
        }
        check_readable(p, "input file", f->path);
    }
}

static void check_tables(pf *p, const fwd_config *c)
{
    if (c->classification.builtin) {
        const char *b = tagging_builtin_table();
        if (b)
            check_readable(p, "built-in classification table", b);
        else
            bad(p, "built-in classification table", "", "missing");
    }
    for (size_t i = 0; i < c->classification.n_tables; i++)
        check_readable(p, "classification table", c->classification.tables[i]);
    if (c->classification.asn_database)
        check_readable(p, "ASN database", c->classification.asn_database);
}

static void check_hec_files(pf *p, const cfg_hec *h)
{
    if (!h->enabled)
        return;
    char tok[HEC_TOKEN_MAX], err[512];
    const char *from = h->token_file ? h->token_file : h->token_env;
    if (hec_token_load(h->token_file, h->token_env, tok, sizeof(tok), err, sizeof(err)) == 0)
        ok(p, "hec token", from, "present");
    else
        bad(p, "hec token", from, err); /* err never holds the token */
    explicit_bzero(tok, sizeof(tok));
    if (h->tls.ca_file)
        check_readable(p, "tls ca_file", h->tls.ca_file);
    if (h->tls.ca_dir && access(h->tls.ca_dir, R_OK | X_OK) != 0)
        bad(p, "tls ca_dir", h->tls.ca_dir, strerror(errno));
    if (h->tls.client_cert)
        check_readable(p, "tls client_cert", h->tls.client_cert);
    if (h->tls.client_key)
        check_readable(p, "tls client_key", h->tls.client_key);
    if (h->spool.dir)
        check_writable_dir(p, "hec spool", h->spool.dir);
    if (h->dead_letter)
        check_writable_file(p, "hec dead_letter", h->dead_letter);
}

/* Everything opened after privileges drop. */
static void check_as_user(pf *p, const fwd_config *c)
{
    check_inputs(p, c);
    check_tables(p, c);
    if (c->checkpoint_file)
        check_writable_file(p, "checkpoint", c->checkpoint_file);
    if (c->out_file)
        check_writable_file(p, "output file", c->out_file);
    if (c->unparsed == UNPARSED_FILE && c->unparsed_file)
        check_writable_file(p, "unparsed file", c->unparsed_file);
    check_hec_files(p, &c->hec);
}

static void check_listener(pf *p, const cfg_listener *l)
{
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
    hints.ai_socktype = l->proto == PROTO_TCP ? SOCK_STREAM : SOCK_DGRAM;
    char port[16];
    snprintf(port, sizeof(port), "%u", l->port);
    int rc = getaddrinfo(l->address, port, &hints, &ai);
    if (rc != 0) {
        bad(p, "listener", l->listen, gai_strerror(rc));
        return;
    }
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0), one = 1;
    if (fd >= 0 && ai->ai_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (fd >= 0)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) != 0)
        bad(p, "listener", l->listen, strerror(errno));
    else
        ok(p, "listener", l->listen, "can be bound");
    if (fd >= 0)
        close(fd);
    freeaddrinfo(ai);
}

/* Opened before privileges drop, as started. */
static void check_as_started(pf *p, const fwd_config *c)
{
    for (size_t i = 0; i < c->n_listeners; i++)
        check_listener(p, &c->listeners[i]);
    if (c->kmsg)
        check_readable(p, "kernel log", c->kmsg_path);
    if (c->metrics_listen) {
        char err[256];
        metrics *m = metrics_open(c->metrics_listen, err, sizeof(err));
        if (m)
            ok(p, "metrics", c->metrics_listen, "can be bound");
        else
            bad(p, "metrics", c->metrics_listen, err);
        metrics_close(m);
    }
}

int preflight_environment(const fwd_config *c, FILE *out)
{
    pf p = {out, 0};
    int as_user = c->user && geteuid() == 0;
    fprintf(out, "environment%s%s:\n", as_user ? " as user " : "", as_user ? c->user : "");
    check_as_started(&p, c);
    if (!as_user) {
        check_as_user(&p, c);
        return p.problems;
    }
    fflush(out);
    pid_t pid = fork();
    if (pid < 0) {
        bad(&p, "checks as", c->user, strerror(errno));
        return p.problems;
    }
    if (pid == 0) {
        char err[256];
        pf q = {out, 0};
        if (privs_drop(c->user, c->group, err, sizeof(err)) != 0)
            bad(&q, "user", c->user, err);
        else
            check_as_user(&q, c);
        fflush(out);
        _exit(q.problems > 100 ? 100 : q.problems);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    p.problems += WIFEXITED(st) ? WEXITSTATUS(st) : 1;
    return p.problems;
}

int preflight_outputs(const fwd_config *c, FILE *out)
{
    if (!c->hec.enabled) {
        fprintf(out, "outputs: no HEC output configured; nothing to check\n");
        return 0;
    }
    fprintf(out, "outputs:\n");
    return output_hec_check(&c->hec, out);
}
