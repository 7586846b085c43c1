/* Fuzz target: lapse report's readers and page (lapse_report_write).
 *
 * The first byte picks what the rest of the input is: 0 the scored file,
 * 1 last month's scores, 2 a feature table (--table), 3 a campaign eval
 * report; the other inputs are a small valid scored file. Beyond not
 * crashing or leaking: a refusal has a code and a message, and a page that
 * is written is whole (a doctype, every <svg> and <section> closed). */
#include "fuzz_file.h"

#include "lapse/report.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char scored[] =
    "user_id,asof,p_churn,risk_tier,segment,reason_1,action,label\n"
    "a,2026-05-31,0.9,high,s1,days_silent:high,coupon,1\n"
    "b,2026-05-31,0.2,low,s2,spend_90:low,phone,0\n"
    "c,2026-05-31,0.6,high,s1,spend_90:low,coupon,\n";

static size_t count(const char *text, size_t len, const char *needle)
{
    size_t n = 0;
    const size_t k = strlen(needle);
    for (size_t i = 0; i + k <= len; i++)
        n += memcmp(text + i, needle, k) == 0;
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const char *fuzzed = fuzz_file_path(0, data + 1, size - 1);
    const char *fixed = fuzz_file_path(1, (const uint8_t *)scored, sizeof scored - 1);
    lapse_report_inputs in = LAPSE_REPORT_INPUTS_INIT;
    in.scored = fixed;
    switch (data[0] % 4) {
    case 0: in.scored = fuzzed; break;
    case 1: in.previous_scores = fuzzed; break;
    case 2: in.table = fuzzed; break;
    default: in.campaign = fuzzed; break;
    }
    char *html = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&html, &len);
    if (!out)
        abort();
    lapse_error err = LAPSE_ERROR_INIT;
    lapse_report_summary summary;
    const int status = lapse_report_write(&summary, out, &in, &err);
    if (fclose(out) != 0)
        abort();
    if (status != 0) {
        if (err.code != status || !err.message[0])
            abort();
    } else if (len < 15 || memcmp(html, "<!DOCTYPE html>", 15) != 0 ||
               count(html, len, "<svg") != count(html, len, "</svg>") ||
               count(html, len, "<section") != count(html, len, "</section>") ||
               !strstr(html, "</html>")) {
        abort();
    }
    free(html);
    return 0;
}
