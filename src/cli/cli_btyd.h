/* The BTYD side of lapse train, score and model show: the commands
 * dispatch here when the model is bgnbd or pareto-nbd. */
#ifndef LAPSE_CLI_BTYD_H
#define LAPSE_CLI_BTYD_H

#include "lapse/model.h"
#include "lapse/train_btyd.h"

#include <stdio.h>

/* lapse train --model bgnbd|pareto-nbd: fits args (one summary table, or
 * feature tables) and writes the model to output. Returns an exit code. */
int cli_train_btyd(const lapse_train_btyd_options *opts, const char *output, char *const *args,
                   int n_args, int quiet);

/* lapse score with a BTYD model: input (a file, not "-") into output.
 * horizon 0: the model's default. Returns an exit code. */
int cli_score_btyd(const lapse_model *model, const char *input, const char *output,
                   double horizon);

/* The parameters with standard errors and 95% intervals (exp(log est +-
 * 1.96 SE / est)), log-likelihoods and Gamma-Gamma's independence check, as
 * lapse model show and the train report print them. */
void cli_print_btyd(FILE *out, const lapse_model *m);

/* A classifier stacked on a BTYD model (m->stack): its BTYD fit and fill
 * value, and the validation AUC with the feature against without it. */
void cli_print_stack(FILE *out, const lapse_model *m);

#endif
