/* Internal: the byte writer and section reader of the model file
 * (model_io.c), shared with the BTYD sections (model_btyd.c). */
#ifndef LAPSE_MODEL_IO_INTERNAL_H
#define LAPSE_MODEL_IO_INTERNAL_H

#include "lapse/error.h"
#include "lapse/model.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    unsigned char *data;
    size_t len, cap;
    int failed;
} writer;

/* Little-endian values appended to w (a failed allocation sets w->failed). */
void put_u8(writer *w, unsigned v);
void put_u32(writer *w, uint32_t v);
void put_u64(writer *w, uint64_t v);
void put_f64(writer *w, double v);
void put_f64s(writer *w, const double *v, size_t n);

typedef struct {
    const unsigned char *data; /* the whole file, so offsets are file offsets */
    size_t pos, end;           /* the section being read: [pos, end) */
    const char *section;
    const char *path;
    lapse_error *err;
} reader;

#define MALFORMED(r, offset, ...)                                                              \
    lapse_error_set((r)->err, LAPSE_ERR_FORMAT, (r)->path, 0, 0, (int64_t)(offset), __VA_ARGS__)

/* Values read from [r->pos, r->end): LAPSE_ERR_FORMAT, with the offset,
 * when the section ends first. */
int get_u8(reader *r, unsigned *out);
int get_u32(reader *r, uint32_t *out);
int get_u64(reader *r, uint64_t *out);
int get_f64(reader *r, double *out);

/* The BTYD model file (model_btyd.c): its sections, written instead of the
 * classifier's; whether a file's first section (at body) is BTYD; and the
 * decoding of the sections in [body, body_end) into a new model. */
void model_btyd_encode(writer *w, const lapse_model_btyd *btyd);
/* A BTYD section's payload alone (a STCK section starts with it). */
void model_btyd_put(writer *w, const lapse_model_btyd *btyd);
int model_btyd_get(reader *r, lapse_model_btyd *btyd);
int model_btyd_is_file(const unsigned char *data, size_t body, size_t body_end);
int model_btyd_decode(lapse_model **out, const unsigned char *data, size_t body, size_t body_end,
                      const char *path, lapse_error *err);

#endif
