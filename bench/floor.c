/* The floor for lapse extract: zlib inflate + libcsv parse of a gzip (or
 * plain) CSV file, with callbacks that only count. Nothing can read the log
 * faster with these two libraries, so extract is measured against it.
 *
 *   floor FILE            prints "rows fields bytes" (uncompressed bytes)
 *   floor --inflate FILE  zlib only, no parse: prints "bytes"; the ceiling of
 *                         a pipeline with one inflating thread
 *   floor --inflate-isal FILE  the same with ISA-L's igzip (built with
 *                         -DFLOOR_ISAL -lisal): the peer lapse's gzip input
 *                         uses where it is installed */
#include <csv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#ifdef FLOOR_ISAL
#include <isa-l/igzip_lib.h>

/* Inflates every member of a gzip file with ISA-L; prints the bytes. */
static int inflate_isal(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return 1;
    }
    static unsigned char in[256 * 1024], out[512 * 1024];
    static struct inflate_state st;
    isal_inflate_init(&st);
    st.crc_flag = ISAL_GZIP;
    long long bytes = 0;
    int ret = ISAL_DECOMP_OK;
    for (;;) {
        if (st.avail_in == 0) {
            st.avail_in = (uint32_t)fread(in, 1, sizeof in, f);
            st.next_in = in;
            if (st.avail_in == 0)
                break;
        }
        if (st.block_state == ISAL_BLOCK_FINISH) { /* the next member */
            isal_inflate_reset(&st);
            st.crc_flag = ISAL_GZIP;
        }
        st.next_out = out;
        st.avail_out = sizeof out;
        ret = isal_inflate(&st);
        if (ret < 0)
            break;
        bytes += (long long)(sizeof out - st.avail_out);
    }
    fclose(f);
    printf("%lld\n", bytes);
    return ret < 0 || st.block_state != ISAL_BLOCK_FINISH;
}
#endif

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
#ifdef FLOOR_ISAL
    if (argc == 3 && strcmp(argv[1], "--inflate-isal") == 0)
        return inflate_isal(argv[2]);
#endif
    const int inflate_only = argc == 3 && strcmp(argv[1], "--inflate") == 0;
    if (argc != 2 + inflate_only) {
        fprintf(stderr, "usage: floor [--inflate|--inflate-isal] FILE\n");
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
