#include "lapse/paths.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    dev_t dev;
    ino_t ino;
    int known;
} file_id;

static file_id identify(const char *path)
{
    struct stat st;
    file_id id = { 0 };
    const int got = strcmp(path, "-") == 0 ? fstat(STDIN_FILENO, &st) : stat(path, &st);
    if (got == 0) {
        id.dev = st.st_dev;
        id.ino = st.st_ino;
        id.known = 1;
    }
    return id;
}

/* Pairwise: commands take a handful of inputs, a glob a few thousand at most. */
int lapse_paths_check_distinct(const char *const *paths, size_t count, lapse_error *err)
{
    file_id *ids = malloc((count ? count : 1) * sizeof *ids);
    if (!ids)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    for (size_t i = 0; i < count; i++)
        ids[i] = identify(paths[i]);
    int status = LAPSE_OK;
    for (size_t j = 1; j < count && status == LAPSE_OK; j++) {
        for (size_t i = 0; i < j; i++) {
            if (strcmp(paths[i], paths[j]) == 0) {
                status = lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                                         "input \"%s\" is given twice (inputs %zu and %zu); "
                                         "its rows would count twice",
                                         paths[i], i + 1, j + 1);
                break;
            }
            if (ids[i].known && ids[j].known && ids[i].dev == ids[j].dev &&
                ids[i].ino == ids[j].ino) {
                status = lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                                         "inputs \"%s\" and \"%s\" are the same file; its rows "
                                         "would count twice",
                                         paths[i], paths[j]);
                break;
            }
        }
    }
    free(ids);
    return status;
}
