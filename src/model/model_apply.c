/* Applying the parts of a model that are the same for every classifier:
 * the segments and the calibration, and a hazard model's bands (the scaler
 * is lapse_scaler_apply). */
#include "lapse/model.h"

#include "lapse/calibrate.h"

#include <math.h>
#include <string.h>

#define PROFILE_CACHED 64 /* profile features scaled once per row */

void lapse_model_segment_rows(const lapse_model *model, const double *raw, size_t n,
                              size_t *segment)
{
    const lapse_model_segments *g = &model->segments;
    const size_t d = model->n_features;
    const lapse_scaler z = { g->transform, g->mean, g->scale }; /* a view of the segments' */
    /* A row's scaled profile once for all centroids, when it fits here. */
    double scaled[PROFILE_CACHED];
    const int cached = g->n_profile <= PROFILE_CACHED;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; cached && j < g->n_profile; j++)
            scaled[j] = lapse_scaler_value(&z, j, raw[i * d + g->profile[j]]);
        size_t best = 0;
        double best_dist = INFINITY;
        for (size_t c = 0; c < g->k; c++) {
            double dist = 0;
            for (size_t j = 0; j < g->n_profile; j++) {
                const double v =
                    cached ? scaled[j] : lapse_scaler_value(&z, j, raw[i * d + g->profile[j]]);
                const double diff = v - g->centroids[c * g->n_profile + j];
                dist += diff * diff;
            }
            if (dist < best_dist) {
                best_dist = dist;
                best = c;
            }
        }
        segment[i] = best;
    }
}

double lapse_model_calibrate(const lapse_model *model, double decision)
{
    const lapse_model_calibration *cal = &model->calibration;
    /* A borrowed view: the breakpoints stay the model's. */
    const lapse_calibration view = {
        cal->kind == LAPSE_CALIBRATION_PLATT ? LAPSE_CALIBRATE_PLATT : LAPSE_CALIBRATE_ISOTONIC,
        cal->a, cal->b, cal->n, cal->x, cal->y,
    };
    double probability;
    lapse_calibrate_apply(&probability, &view, &decision, 1);
    return probability;
}

void lapse_model_hazards(const lapse_model *model, double *hazard, const double *raw_row,
                         double decision, const double *band_margin)
{
    const lapse_hazard *hz = model->hazard;
    size_t first, last;
    lapse_hazard_at_risk(&first, &last, hz, raw_row);
    for (size_t b = 0; b < hz->n_bands; b++)
        hazard[b] = b < first || b >= last ? 0.0
                    : band_margin         ? lapse_model_calibrate(model, band_margin[b])
                                          : lapse_model_calibrate(model, decision + hz->offset[b]);
}

int lapse_model_band_trees(const lapse_model *model)
{
    return model->hazard && model->classifier.kind == LAPSE_CLASSIFIER_GBDT;
}

size_t lapse_model_tree_features(const lapse_model *model)
{
    return model->n_features + (model->hazard != NULL);
}

/* The band a row's decision is read from: its last band at risk, else
 * (at risk in none) the last band. */
static size_t decision_band_of(size_t first, size_t last, size_t n_bands)
{
    return last > first ? last - 1 : n_bands - 1;
}

size_t lapse_model_decision_band(const lapse_model *model, const double *raw_row)
{
    size_t first, last;
    lapse_hazard_at_risk(&first, &last, model->hazard, raw_row);
    return decision_band_of(first, last, model->hazard->n_bands);
}

/* The person-period rows (d + 1 doubles each), where each goes in out
 * (size_t), and their margins (double). */
size_t lapse_model_band_scratch(const lapse_model *model, size_t n)
{
    const size_t periods = n * model->hazard->n_bands;
    return periods * ((model->n_features + 2) * sizeof(double) + sizeof(size_t));
}

void lapse_model_band_margins(const lapse_model *model, const lapse_forest *forest, double *out,
                              const double *raw, const double *scaled, size_t n, int fast,
                              void *scratch, void *forest_scratch)
{
    const lapse_hazard *hz = model->hazard;
    const size_t k = hz->n_bands, d = model->n_features, wide = d + 1;
    double *rows = scratch, *margin = rows + n * k * wide;
    size_t *where = (size_t *)(margin + n * k), periods = 0;
    for (size_t i = 0; i < n; i++) {
        size_t first, last;
        lapse_hazard_at_risk(&first, &last, hz, raw + i * d);
        const size_t top = decision_band_of(first, last, k), from = last > first ? first : top;
        for (size_t b = 0; b < k; b++)
            out[i * k + b] = NAN;
        for (size_t b = from; b <= top; b++) {
            double *row = rows + periods * wide;
            memcpy(row, scaled + i * d, d * sizeof *row);
            row[d] = (double)b;
            where[periods++] = i * k + b;
        }
    }
    lapse_forest_margin(forest, margin, rows, periods, fast, forest_scratch);
    for (size_t p = 0; p < periods; p++)
        out[where[p]] = margin[p];
}
