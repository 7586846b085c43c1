/* The floor for lapse extract: zlib inflate + libcsv parse of a gzip (or
 * plain) CSV file, with callbacks that only count. Nothing can read the log
 * faster with these two libraries, so extract is measured against it.
 *
 *   floor FILE    prints "rows fields bytes" (uncompressed bytes) */
#include <csv.h>
#include <stdio.h>
#include <stdlib.h>
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
    if (argc != 2) {
        fprintf(stderr, "usage: floor FILE\n");
        return 2;
    }
    gzFile in = gzopen(argv[1], "rb"); /* reads plain files as they are */
    if (!in) {
        perror(argv[1]);
        return 1;
    }
    gzbuffer(in, 256 * 1024);
    struct csv_parser p;
    csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL);
    static char buf[512 * 1024];
    long long bytes = 0;
    int got;
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
