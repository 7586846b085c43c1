/* Fuzz target: lapse eval's reader of scored files (lapse_eval_read) and the
 * ROC points of what it read (lapse_eval_roc).
 *
 * Beyond not crashing or leaking: a refusal has a code and a message; rows
 * read have p in [0, 1], labels 0 or 1, and group ids inside their names;
 * the ROC curve runs from (0, 0) to (1, 1), rising, within its bound; the
 * horizons' columns (p_<days>, days_to_churn) hold increasing horizons and
 * probabilities, and their concordance lies in [0, 1] (or is NaN). */
#include "fuzz_file.h"

#include "lapse/eval.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *paths[1] = { fuzz_file_path(0, data, size) };
    lapse_eval_rows rows;
    lapse_error err = LAPSE_ERROR_INIT;
    if (lapse_eval_read(&rows, paths, 1, &err) != LAPSE_OK) {
        if (err.code == 0 || err.message[0] == '\0')
            abort();
        lapse_eval_rows_free(&rows);
        return 0;
    }
    size_t positives = 0;
    for (size_t i = 0; i < rows.n; i++) {
        if (!(rows.p[i] >= 0 && rows.p[i] <= 1) || (rows.y[i] != 0 && rows.y[i] != 1))
            abort();
        positives += (size_t)rows.y[i];
        for (int g = 0; g < LAPSE_EVAL_GROUPS; g++)
            if (rows.group[g].id && rows.group[g].id[i] >= rows.group[g].n_names)
                abort();
    }
    for (size_t h = 1; h < rows.n_horizons; h++)
        if (rows.horizons[h] <= rows.horizons[h - 1])
            abort();
    for (size_t i = 0; rows.p_horizon && i < rows.n * rows.n_horizons; i++)
        if (!(rows.p_horizon[i] >= 0 && rows.p_horizon[i] <= 1))
            abort();
    if (rows.days_to_churn) {
        double c;
        uint64_t pairs;
        for (size_t i = 0; i < rows.n; i++)
            if (rows.days_to_churn[i] < 0)
                abort();
        if (lapse_eval_concordance(&c, &pairs, &rows, &err) != LAPSE_OK ||
            (pairs ? !(c >= 0 && c <= 1) : !isnan(c)))
            abort();
    }
    if (positives > 0 && positives < rows.n) {
        lapse_eval_roc_point *roc;
        size_t n;
        if (lapse_eval_roc(&roc, &n, 8, rows.p, rows.y, rows.n, &err) != LAPSE_OK)
            abort(); /* only out of memory, which the fuzzer's inputs cannot cause */
        if (n < 2 || n > 8 || roc[0].fpr != 0 || roc[0].tpr != 0 || roc[n - 1].fpr != 1 ||
            roc[n - 1].tpr != 1)
            abort();
        for (size_t i = 1; i < n; i++)
            if (roc[i].fpr < roc[i - 1].fpr || roc[i].tpr < roc[i - 1].tpr)
                abort();
        free(roc);
    }
    lapse_eval_rows_free(&rows);
    return 0;
}
