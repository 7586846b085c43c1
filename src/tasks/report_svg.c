/* The report's numbers and charts: one formatting policy, and SVG drawn as
 * text (axes with round ticks, lines, points with intervals, bars), sized
 * by a viewBox so the page scales them and printing keeps them sharp. */
#include "report_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define CHART_W 400.0
#define CHART_H 300.0
#define CHAR_W 6.2 /* a generous width of one 11px sans-serif character */

const char *report_fmt_count(char *buf, size_t size, uint64_t n)
{
    char digits[32];
    const int len = snprintf(digits, sizeof digits, "%llu", (unsigned long long)n);
    size_t o = 0;
    for (int i = 0; i < len && o + 2 < size; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
    return buf;
}

const char *report_fmt_pct(char *buf, size_t size, double share)
{
    if (isnan(share))
        snprintf(buf, size, "\xe2\x80\x93");
    else
        snprintf(buf, size, "%.1f%%", 100 * share);
    return buf;
}

const char *report_fmt_fig(char *buf, size_t size, double v)
{
    if (isnan(v))
        snprintf(buf, size, "\xe2\x80\x93");
    else
        snprintf(buf, size, "%.3f", fabs(v) < 0.0005 ? 0 : v); /* never "-0.000" */
    return buf;
}

void report_put_text(FILE *out, const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        const char c = text[i];
        if (c == '&')
            fputs("&amp;", out);
        else if (c == '<')
            fputs("&lt;", out);
        else if (c == '>')
            fputs("&gt;", out);
        else if (c == '"')
            fputs("&quot;", out);
        else if ((unsigned char)c < 0x20)
            fputc(' ', out); /* control bytes are not allowed in HTML text */
        else
            fputc(c, out);
    }
}

void report_puts(FILE *out, const char *text)
{
    report_put_text(out, text, strlen(text));
}

/* A round step giving about `want` intervals over the range. */
static double nice_step(double range, int want)
{
    const double raw = range / want;
    const double mag = pow(10, floor(log10(raw)));
    const double f = raw / mag;
    return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
}

static void tick_label(char *buf, size_t size, double v, double step, report_axis_kind kind)
{
    if (kind == AXIS_PERCENT) {
        const int decimals = step * 100 >= 1 ? 0 : 1;
        snprintf(buf, size, "%.*f%%", decimals, 100 * v + 0.0);
    } else if (kind == AXIS_COUNT && v >= 1e6) {
        snprintf(buf, size, "%gM", v / 1e6);
    } else if (kind == AXIS_COUNT && v >= 1e4) {
        snprintf(buf, size, "%gk", v / 1e3);
    } else {
        const int decimals = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
        snprintf(buf, size, "%.*f", decimals, v + 0.0);
    }
}

static double px(const report_chart *c, double x)
{
    return c->left + (x - c->x.lo) / (c->x.hi - c->x.lo) * (c->right - c->left);
}

static double py(const report_chart *c, double y)
{
    const double v = fmin(fmax(y, c->y.lo), c->y.hi);
    return c->bottom - (v - c->y.lo) / (c->y.hi - c->y.lo) * (c->bottom - c->top);
}

static void svg_open(FILE *out, const char *cls, double w, double h, const char *title)
{
    fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"%s\" viewBox=\"0 0 %.0f %.0f\" "
                 "width=\"%.0f\" height=\"%.0f\" role=\"img\"><title>", cls, w, h, w, h);
    report_puts(out, title);
    fputs("</title>\n", out);
}

void report_chart_begin(report_chart *c, FILE *out, const char *title, const report_axis *x,
                        const report_axis *y)
{
    c->out = out;
    c->x = *x;
    c->y = *y;
    if (!(c->x.hi > c->x.lo))
        c->x.hi = c->x.lo + 1;
    if (!(c->y.hi > c->y.lo))
        c->y.hi = c->y.lo + 1;
    c->w = CHART_W;
    c->h = CHART_H;
    c->left = 58;
    c->right = CHART_W - 14;
    c->top = 30;
    c->bottom = CHART_H - 44;
    svg_open(out, "chart", c->w, c->h, title);
    fprintf(out, "<rect class=\"frame\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n",
            c->left, c->top, c->right - c->left, c->bottom - c->top);
    char label[32];
    const double xs = nice_step(c->x.hi - c->x.lo, 5);
    for (double t = ceil(c->x.lo / xs - 1e-9) * xs; t <= c->x.hi + xs * 1e-9; t += xs) {
        const double X = px(c, t);
        fprintf(out, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>",
                X, c->top, X, c->bottom);
        tick_label(label, sizeof label, t, xs, c->x.kind);
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", X,
                c->bottom + 15, label);
    }
    const double ys = nice_step(c->y.hi - c->y.lo, 5);
    for (double t = ceil(c->y.lo / ys - 1e-9) * ys; t <= c->y.hi + ys * 1e-9; t += ys) {
        const double Y = py(c, t);
        fprintf(out, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>",
                c->left, Y, c->right, Y);
        tick_label(label, sizeof label, t, ys, c->y.kind);
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                c->left - 5, Y + 4, label);
    }
    fprintf(out, "<text class=\"axis\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
            (c->left + c->right) / 2, c->h - 10);
    report_puts(out, c->x.label);
    fprintf(out, "</text>\n<text class=\"axis\" transform=\"translate(14 %.1f) rotate(-90)\" "
                 "text-anchor=\"middle\">", (c->top + c->bottom) / 2);
    report_puts(out, c->y.label);
    fputs("</text>\n", out);
}

void report_chart_line(report_chart *c, const double *x, const double *y, size_t n,
                       const char *cls)
{
    fprintf(c->out, "<polyline class=\"%s\" points=\"", cls);
    double last_x = NAN, last_y = NAN;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i]))
            continue;
        /* Points a tenth of a unit apart look the same: write one (empty
         * bins of a 1000-bin curve repeat their neighbour). */
        const double X = round(px(c, x[i]) * 10) / 10, Y = round(py(c, y[i]) * 10) / 10;
        if (X != last_x || Y != last_y)
            fprintf(c->out, "%.1f,%.1f ", X, Y);
        last_x = X;
        last_y = Y;
    }
    fputs("\"/>\n", c->out);
}

void report_chart_points(report_chart *c, const double *x, const double *y, const double *lo,
                         const double *hi, size_t n, const char *cls)
{
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i]))
            continue;
        const double X = px(c, x[i]);
        if (lo && hi)
            fprintf(c->out, "<line class=\"%s\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>",
                    cls, X, py(c, lo[i]), X, py(c, hi[i]));
        fprintf(c->out, "<circle class=\"%s dot\" cx=\"%.1f\" cy=\"%.1f\" r=\"3\"/>\n", cls, X,
                py(c, y[i]));
    }
}

void report_chart_bars(report_chart *c, const double *x0, const double *x1, const double *y,
                       size_t n, const char *cls)
{
    for (size_t i = 0; i < n; i++) {
        if (!(y[i] > 0))
            continue;
        const double X0 = px(c, x0[i]), X1 = px(c, x1[i]), Y = py(c, y[i]);
        fprintf(c->out, "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>",
                cls, X0, Y, X1 - X0, c->bottom - Y);
    }
    fputc('\n', c->out);
}

void report_chart_hline(report_chart *c, double y, const char *label)
{
    const double Y = py(c, y);
    fprintf(c->out, "<line class=\"ref\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>",
            c->left, Y, c->right, Y);
    fprintf(c->out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", c->right - 3, Y - 3);
    report_puts(c->out, label);
    fputs("</text>\n", c->out);
}

void report_chart_legend(report_chart *c, const char *const *names, const char *const *classes,
                         size_t n)
{
    double x = c->left;
    for (size_t i = 0; i < n; i++) {
        if (classes[i][0] == 'b')
            fprintf(c->out, "<rect class=\"%s\" x=\"%.1f\" y=\"10\" width=\"14\" height=\"10\"/>",
                    classes[i], x);
        else
            fprintf(c->out, "<line class=\"%s\" x1=\"%.1f\" y1=\"15\" x2=\"%.1f\" y2=\"15\"/>",
                    classes[i], x, x + 14);
        fprintf(c->out, "<text x=\"%.1f\" y=\"19\">", x + 18);
        report_puts(c->out, names[i]);
        fputs("</text>\n", c->out);
        x += 18 + CHAR_W * (double)strlen(names[i]) + 14;
    }
}

void report_chart_end(report_chart *c)
{
    fputs("</svg>\n", c->out);
}

void report_hbars(FILE *out, const char *title, const char *const *names, const size_t *lens,
                  const double *values, size_t n, int percent, const char *axis_label,
                  double mark)
{
    enum { NAME_CHARS = 30 };
    const double row = 18, label_w = 8 + CHAR_W * NAME_CHARS, value_w = 56, w = 560;
    const double top = 8, h = top + row * (double)n + 46;
    double max = 0;
    for (size_t i = 0; i < n; i++)
        max = fmax(max, values[i]);
    if (isfinite(mark))
        max = fmax(max, mark);
    if (!(max > 0))
        max = 1;
    const double bar_w = w - label_w - value_w;
    svg_open(out, "bars", w, h, title);
    /* The threshold first, so the values' halos cover it. */
    const double axis_y = top + row * (double)n + 4;
    if (isfinite(mark)) {
        const double x = label_w + bar_w * mark / max;
        char value[32];
        fprintf(out, "<line class=\"ref\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>",
                x, top, x, axis_y);
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", x,
                axis_y + 11,
                percent ? report_fmt_pct(value, sizeof value, mark)
                        : report_fmt_fig(value, sizeof value, mark));
    }
    for (size_t i = 0; i < n; i++) {
        const double y = top + row * (double)i;
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", label_w - 6,
                y + row - 5);
        if (lens[i] > NAME_CHARS) {
            report_put_text(out, names[i], NAME_CHARS - 1);
            fputs("\xe2\x80\xa6", out);
        } else {
            report_put_text(out, names[i], lens[i]);
        }
        const double bw = bar_w * values[i] / max;
        fprintf(out, "</text><rect class=\"b0\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                     "height=\"%.1f\"/>",
                label_w, y + 2, bw, row - 4);
        char value[32];
        if (percent)
            report_fmt_pct(value, sizeof value, values[i]);
        else
            report_fmt_fig(value, sizeof value, values[i]);
        fprintf(out, "<text class=\"value\" x=\"%.1f\" y=\"%.1f\">%s</text>\n", label_w + bw + 4,
                y + row - 5, value);
    }
    fprintf(out, "<line class=\"frame\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>",
            label_w, axis_y, label_w + bar_w, axis_y);
    fprintf(out, "<text class=\"axis\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
            label_w + bar_w / 2, axis_y + 30);
    report_puts(out, axis_label);
    fputs("</text>\n</svg>\n", out);
}

const char *report_fmt_p(char *buf, size_t size, double p)
{
    if (isnan(p))
        snprintf(buf, size, "\xe2\x80\x93");
    else if (p < 0.001)
        snprintf(buf, size, "&lt; 0.001");
    else
        snprintf(buf, size, "%.3f", p);
    return buf;
}

void report_forest(FILE *out, const char *title, const char *const *names, const size_t *lens,
                   const double *est, const double *lo, const double *hi, size_t n,
                   const char *axis_label)
{
    enum { NAME_CHARS = 30 };
    const double row = 20, label_w = 8 + CHAR_W * NAME_CHARS, w = 560, right = w - 24;
    const double top = 8, axis_y = top + row * (double)n + 4, h = axis_y + 46;
    double min = 0, max = 0;
    for (size_t i = 0; i < n; i++) {
        const double v[3] = { est[i], lo[i], hi[i] };
        for (int k = 0; k < 3; k++)
            if (isfinite(v[k])) {
                min = fmin(min, v[k]);
                max = fmax(max, v[k]);
            }
    }
    if (!(max > min))
        max = min + 0.01;
    const double step = nice_step(max - min, 5);
    min = floor(min / step - 1e-9) * step;
    max = ceil(max / step + 1e-9) * step;
#define FOREST_X(v) (label_w + ((v) - min) / (max - min) * (right - label_w))
    svg_open(out, "bars", w, h, title);
    char label[32];
    for (double t = min; t <= max + step * 1e-9; t += step) {
        const double x = FOREST_X(t);
        fprintf(out, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", x,
                top, x, axis_y);
        tick_label(label, sizeof label, t, step, AXIS_PERCENT);
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", x,
                axis_y + 14, label);
    }
    fprintf(out, "<line class=\"ref\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
            FOREST_X(0.0), top, FOREST_X(0.0), axis_y);
    for (size_t i = 0; i < n; i++) {
        const double y = top + row * (double)i + row / 2;
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", label_w - 6, y + 4);
        if (lens[i] > NAME_CHARS) {
            report_put_text(out, names[i], NAME_CHARS - 1);
            fputs("\xe2\x80\xa6", out);
        } else {
            report_put_text(out, names[i], lens[i]);
        }
        fputs("</text>", out);
        if (isfinite(lo[i]) && isfinite(hi[i]))
            fprintf(out, "<line class=\"s0\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>",
                    FOREST_X(lo[i]), y, FOREST_X(hi[i]), y);
        if (isfinite(est[i]))
            fprintf(out, "<circle class=\"s0 dot\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\"/>",
                    FOREST_X(est[i]), y);
        fputc('\n', out);
    }
#undef FOREST_X
    fprintf(out, "<line class=\"frame\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>",
            label_w, axis_y, right, axis_y);
    fprintf(out, "<text class=\"axis\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
            (label_w + right) / 2, axis_y + 34);
    report_puts(out, axis_label);
    fputs("</text>\n</svg>\n", out);
}
