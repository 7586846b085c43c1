/* The floor for lapse extract on JSON lines: yajl's event parser over the
 * plain file's bytes, every line one value of one handle (as
 * src/data/reader_json.c reads a chunk), with callbacks that only count. No
 * reader built on yajl can be faster.
 *
 *   json_floor FILE   prints "values bytes" (values: strings and numbers) */
#include <yajl/yajl_parse.h>

#include <stdio.h>
#include <stdlib.h>

static long long values;

static int on_null(void *ctx)
{
    (void)ctx;
    return 1;
}

static int on_boolean(void *ctx, int value)
{
    (void)ctx;
    (void)value;
    return 1;
}

static int on_number(void *ctx, const char *text, size_t len)
{
    (void)ctx;
    (void)text;
    (void)len;
    values++;
    return 1;
}

static int on_string(void *ctx, const unsigned char *text, size_t len)
{
    (void)ctx;
    (void)text;
    (void)len;
    values++;
    return 1;
}

static int on_key(void *ctx, const unsigned char *key, size_t len)
{
    (void)ctx;
    (void)key;
    (void)len;
    return 1;
}

static const yajl_callbacks callbacks = {
    on_null, on_boolean, NULL, NULL, on_number, on_string, on_null, on_key, on_null, on_null, on_null,
};

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: json_floor FILE\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    yajl_handle yajl = yajl_alloc(&callbacks, NULL, NULL);
    yajl_config(yajl, yajl_allow_multiple_values, 1);
    yajl_config(yajl, yajl_dont_validate_strings, 1);
    static unsigned char buf[1 << 19];
    size_t n;
    long long bytes = 0;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        bytes += (long long)n;
        if (yajl_parse(yajl, buf, n) != yajl_status_ok) {
            fprintf(stderr, "json_floor: bad JSON\n");
            return 1;
        }
    }
    if (yajl_complete_parse(yajl) != yajl_status_ok) {
        fprintf(stderr, "json_floor: bad JSON at the end\n");
        return 1;
    }
    yajl_free(yajl);
    fclose(f);
    printf("%lld %lld\n", values, bytes);
    return 0;
}
