/* Reading lines from a file descriptor into one growing buffer, without a
 * copy per line.  Lines longer than the cap are delivered cut, flagged. */
#ifndef FWD_LINEREADER_H
#define FWD_LINEREADER_H

#include <stddef.h>
#include <sys/types.h>

typedef struct linereader {
    int fd;
    char *buf;
    size_t cap, start, end;
    size_t max_line; /* longer lines are cut to this and the rest skipped */
    int eof;
    int skipping; /* inside the tail of an over-long line */
    unsigned long long bytes;
} linereader;

int linereader_init(linereader *lr, int fd, size_t max_line);
void linereader_free(linereader *lr);
/* Next line without its newline: 1 = a line, 0 = end of input, -1 = read
 * error (errno set).  *cut is set when the line was longer than max_line. */
int linereader_next(linereader *lr, const char **line, size_t *len, int *cut);

#endif
