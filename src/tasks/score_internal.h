/* Shared by score.c and score_write.c. */
#ifndef LAPSE_SCORE_INTERNAL_H
#define LAPSE_SCORE_INTERNAL_H

/* The threads a scorer runs. */
struct lapse_scorer;
int lapse__score_threads(const struct lapse_scorer *scorer);

/* Whether lapse_score_rows gives contributions (lapse_score_contribs). */
int lapse__score_has_contribs(const struct lapse_scorer *scorer);

/* The scaled rows of the last lapse_score_rows call (n x the model's
 * width): what the reasons' ":high" or ":low" read. */
const double *lapse__score_scaled(const struct lapse_scorer *scorer);

#endif
