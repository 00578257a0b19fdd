/* The outputs this build has, by name. */
#include <string.h>

#include "output.h"

const output_ops *output_lookup(const char *name)
{
    if (!strcmp(name, "stdout"))
        return &output_stdout_ops;
    if (!strcmp(name, "file"))
        return &output_file_ops;
    if (!strcmp(name, "hec"))
        return output_hec_ops();
    return NULL;
}
