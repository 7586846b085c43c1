/* Fuzz target: BTYD summary tables (lapse_btyd_summary_read), then the
 * BG/NBD log-likelihood and predictions on what was read.
 *
 * Beyond not crashing or leaking: a refusal carries a code, a message and
 * the path; an accepted table holds only customers a fit takes (x a whole
 * number >= 0, T > 0 and finite, 0 <= t_x <= T, t_x = 0 when x = 0, a
 * mean spend > 0 for repeat buyers), and at fixed parameters the
 * log-likelihood is finite and the predictions are probabilities and
 * finite counts (or a refusal with a message). Customers are capped so every input stays cheap. */
#include "fuzz_file.h"

#include "lapse/btyd.h"
#include "lapse/error.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SCORED 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_customers(const lapse_btyd_data *d)
{
    for (size_t i = 0; i < d->n; i++) {
        const double x = d->x[i], tx = d->t_x[i], T = d->T[i];
        if (!(x >= 0) || x != floor(x) || !isfinite(x) || !(T > 0) || !isfinite(T) ||
            !(tx >= 0) || tx > T || (x == 0 && tx != 0))
            abort();
        if (d->m && x > 0 && !(d->m[i] > 0 && isfinite(d->m[i])))
            abort();
        if (d->ids && (!d->ids[i] || !d->ids[i][0]))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file_path(0, data, size);
    lapse_btyd_data *d = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    const int status = lapse_btyd_summary_read(&d, path, &err);
    if (status != LAPSE_OK) {
        if (d || err.code != status || !err.message[0] || strcmp(err.path, path) != 0)
            abort();
        return 0;
    }
    check_customers(d);
    if (d->n == 0) {
        lapse_btyd_data_free(d);
        return 0;
    }
    lapse_btyd_data head = *d;
    head.n = d->n < MAX_SCORED ? d->n : MAX_SCORED;
    const lapse_btyd_fit_result model = { LAPSE_BTYD_BGNBD, { 0.243, 4.414, 0.793, 2.426 },
                                          { 0 }, 0, 0, 1 };
    double ll;
    /* A density in t_x: it may exceed 1 (many purchases in a tiny T), not infinity. */
    if (lapse_btyd_loglik(&ll, LAPSE_BTYD_BGNBD, model.params, &head, &err) == LAPSE_OK &&
        !isfinite(ll))
        abort();
    const lapse_gammagamma_fit_result gg = { { 6.25, 3.74, 15.44 }, { 0 }, 0, 1, 0, 0, 1 };
    lapse_btyd_prediction p[MAX_SCORED];
    err = (lapse_error)LAPSE_ERROR_INIT;
    const int predicted = lapse_btyd_predict(p, &model, d->m ? &gg : NULL, &head, 4, &err);
    if (predicted == LAPSE_OK) {
        for (size_t i = 0; i < head.n; i++)
            if (!(p[i].p_alive >= 0 && p[i].p_alive <= 1) ||
                !(p[i].p_none >= 0 && p[i].p_none <= 1) || !(p[i].expected >= 0) ||
                !isfinite(p[i].expected))
                abort();
    } else if (!err.message[0]) {
        abort();
    }
    lapse_btyd_data_free(d);
    return 0;
}
