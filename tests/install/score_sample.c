/* A program a data team would write against the installed library: loads a
 * model, scores a feature table to standard output, as `lapse score` does.
 * Built by tests/install.sh with nothing but pkg-config's flags for lapse.
 *   score_sample MODEL TABLE */
#include <lapse/error.h>
#include <lapse/model.h>
#include <lapse/score.h>
#include <lapse/version.h>

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: score_sample MODEL TABLE\n");
        return 2;
    }
    /* The headers this was compiled with and the library it runs with agree. */
    if (strcmp(lapse_version(), LAPSE_VERSION_STRING) != 0) {
        fprintf(stderr, "library %s, headers %s\n", lapse_version(), LAPSE_VERSION_STRING);
        return 1;
    }
    lapse_error err = LAPSE_ERROR_INIT;
    lapse_model *model = NULL;
    lapse_scorer *scorer = NULL;
    int status = lapse_model_load(&model, argv[1], &err);
    if (!status)
        status = lapse_score_create(&scorer, model, NULL, &err);
    if (!status)
        status = lapse_score_table(scorer, argv[2], stdout, NULL, NULL, &err);
    if (status)
        fprintf(stderr, "score_sample: %s\n", err.message);
    lapse_score_free(scorer);
    lapse_model_free(model);
    return status ? 1 : 0;
}
