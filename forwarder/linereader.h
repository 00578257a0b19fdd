/* Reading lines from a descriptor (or any read function) into one buffer,
 * without a copy per line.  Lines longer than the cap are delivered cut,
 * flagged, and the rest of them skipped. */
#ifndef FWD_LINEREADER_H
#define FWD_LINEREADER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef ssize_t (*linereader_read_fn)(void *arg, char *buf, size_t n);

typedef struct linereader {
    int fd;
    linereader_read_fn readfn; /* NULL: read(fd) */
    void *readarg;
    char *buf;
    size_t cap, start, end;
    size_t max_line; /* longer lines are cut to this and the rest skipped */
    int eof;
    int skipping; /* inside the tail of an over-long line */
    /* Follow mode: end of data is "nothing more yet": an unfinished last line
     * is kept for later instead of being delivered. */
    int follow;
    unsigned long long bytes; /* read so far */
} linereader;

int linereader_init(linereader *lr, int fd, size_t max_line);
void linereader_free(linereader *lr);
/* Next line without its newline: 1 = a line, 0 = end of input (in follow
 * mode: for now), -1 = read error (errno set).  *cut is set when the line was
 * longer than max_line. */
int linereader_next(linereader *lr, const char **line, size_t *len, int *cut);
/* Offset, in the input, of the first byte not yet delivered. */
static inline unsigned long long linereader_offset(const linereader *lr)
{
    return lr->bytes - (lr->end - lr->start);
}
/* Follow mode: the unfinished last line (when the file was rotated away
 * under it); 1 when there was one. */
int linereader_rest(linereader *lr, const char **line, size_t *len);
/* Start over at offset `at` of a new or truncated file. */
void linereader_reset(linereader *lr, int fd, unsigned long long at);

#endif
