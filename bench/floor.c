/* The floor for lapse extract: zlib inflate + libcsv parse of a gzip (or
 * plain) CSV file, with callbacks that only count. Nothing can read the log
 * faster with these two libraries, so extract is measured against it.
 *
 *   floor FILE            prints "rows fields bytes" (uncompressed bytes)
 *   floor --inflate FILE  zlib only, no parse: prints "bytes"; the ceiling of
 *                         a pipeline with one inflating thread */
#include <csv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static long long fields, rows;

static void on_field(void *data, size_t len, void *user)
{
    (void)data;
    (void)len;
    (void)user;
    fields++;
}

static void on_row(int c, void *user)
{
    (void)c;
    (void)user;
    rows++;
}

int main(int argc, char **argv)
{
    const int inflate_only = argc == 3 && strcmp(argv[1], "--inflate") == 0;
    if (argc != 2 + inflate_only) {
        fprintf(stderr, "usage: floor [--inflate] FILE\n");
        return 2;
    }
    const char *path = argv[1 + inflate_only];
    gzFile in = gzopen(path, "rb"); /* reads plain files as they are */
    if (!in) {
        perror(path);
        return 1;
    }
    gzbuffer(in, 256 * 1024);
    static char buf[512 * 1024];
    long long bytes = 0;
    int got;
    if (inflate_only) {
        while ((got = gzread(in, buf, sizeof buf)) > 0)
            bytes += got;
        gzclose(in);
        printf("%lld\n", bytes);
        return got < 0;
    }
    struct csv_parser p;
    csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL);
    while ((got = gzread(in, buf, sizeof buf)) > 0) {
        bytes += got;
        if (csv_parse(&p, buf, (size_t)got, on_field, on_row, NULL) != (size_t)got) {
            fprintf(stderr, "parse error: %s\n", csv_strerror(csv_error(&p)));
            return 1;
        }
    }
    csv_fini(&p, on_field, on_row, NULL);
    csv_free(&p);
    gzclose(in);
    printf("%lld %lld %lld\n", rows, fields, bytes);
    return got < 0;
}
