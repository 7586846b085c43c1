/* The floor for lapse extract on JSON lines with json-c: each line of a
 * plain file through one reused json_tokener (reset, json_tokener_parse_ex,
 * json_object_put), as src/data/reader_json.c does it, and nothing else: no
 * key looked up, no event built. No reader built on json-c can be faster.
 *
 *   json_floor FILE   prints "lines objects bytes" */
#include <json-c/json_object.h>
#include <json-c/json_tokener.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    struct json_tokener *tok = json_tokener_new();
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long long lines = 0, objects = 0, bytes = 0;
    while ((len = getline(&line, &cap, f)) > 0) {
        bytes += len;
        lines++;
        json_tokener_reset(tok);
        json_object *obj = json_tokener_parse_ex(tok, line, (int)len);
        objects += obj != NULL;
        json_object_put(obj);
    }
    printf("%lld %lld %lld\n", lines, objects, bytes);
    json_tokener_free(tok);
    free(line);
    fclose(f);
    return 0;
}
