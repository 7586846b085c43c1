/* Shared by score.c and score_write.c. */
#ifndef LAPSE_SCORE_INTERNAL_H
#define LAPSE_SCORE_INTERNAL_H

/* The threads a scorer runs. */
struct lapse_scorer;
int lapse__score_threads(const struct lapse_scorer *scorer);

/* Whether lapse_score_rows gives contributions (lapse_score_contribs). */
int lapse__score_has_contribs(const struct lapse_scorer *scorer);

/* Per row of the last lapse_score_rows call, which reasons are ":high"
 * (bit q for reason q: the feature's scaled value is above 0, above the
 * training mean) rather than ":low". */
const unsigned char *lapse__score_high(const struct lapse_scorer *scorer);

#endif
