/* SPDX-License-Identifier: MIT */
/* Training curves as a self-contained SVG chart, written with plain stdio:
 * two panels side by side (loss, accuracy), each with a grid, numeric ticks
 * at round steps, axis labels, a legend, and train (solid) / test (dashed)
 * series drawn as lines with circle markers. */
#include "plot.h"
#include "io/atomicfile.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PLOT_WIDTH 1000.0
#define PLOT_PANEL_HEIGHT 380.0 /* everything below the title */
#define PLOT_TITLE_HEIGHT 32.0
#define PLOT_MAX_TICKS 32
#define PLOT_MAX_MINOR 160
#define PLOT_FONT "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"

enum { PLOT_LOSS, PLOT_ACCURACY };
enum { PLOT_TRAIN, PLOT_TEST };

static const char *const plot_series_color[2] = {"#1f77b4", "#e8710a"};
static const char *const plot_panel_name[2] = {"Loss", "Accuracy"};
static const char *const plot_axis_name[2] = {"loss", "accuracy"};

typedef struct {
    int log;     /* lo and hi are log10 of the bounds */
    int percent; /* values and labels are percentages */
    double lo, hi;
    int nticks, nminor;
    double ticks[PLOT_MAX_TICKS]; /* in value space (not log10) */
    char labels[PLOT_MAX_TICKS][32];
    double minor[PLOT_MAX_MINOR]; /* minor grid lines of a log axis, value space */
} plot_axis;

/* A value to plot: loss as is, accuracy in percent; NAN when not finite (or
 * so large that differences of such values would overflow). */
static double plot_value(const plot_epoch *e, int panel, int series)
{
    double v = panel == PLOT_LOSS ? (series == PLOT_TRAIN ? e->train_loss : e->test_loss)
                                  : (series == PLOT_TRAIN ? e->train_accuracy : e->test_accuracy);
    if (!isfinite(v) || fabs(v) > 1e300) return NAN;
    return panel == PLOT_ACCURACY ? v * 100.0 : v;
}

/* A round step (1, 2 or 5 times a power of ten) close to raw. */
static double plot_nice_step(double raw)
{
    if (!(raw > 0) || !isfinite(raw)) return 1.0;
    double p = pow(10.0, floor(log10(raw)));
    double f = raw / p;
    return (f < 1.5 ? 1.0 : f < 3.0 ? 2.0 : f < 7.0 ? 5.0 : 10.0) * p;
}

/* "1.5e+12" -> "1.5e12", "2.0e-05" -> "2.0e-5". */
static void plot_tidy_exponent(char *s)
{
    char *e = strchr(s, 'e');
    if (!e) return;
    char *d = e + 1, *r = e + 1;
    if (*r == '+') r++;
    else if (*r == '-') *d++ = *r++;
    while (*r == '0' && r[1]) r++;
    memmove(d, r, strlen(r) + 1);
}

static void plot_format_tick(char *buf, size_t len, double v, double step, double maxabs,
                             int percent)
{
    if (fabs(v) < step * 1e-6) v = 0.0;
    if (!percent && maxabs > 0 && (maxabs >= 1e6 || maxabs < 1e-3)) {
        if (v == 0.0) {
            snprintf(buf, len, "0");
            return;
        }
        int prec = (int)(floor(log10(maxabs) + 1e-9) - floor(log10(step) + 1e-9));
        prec = prec < 0 ? 0 : prec > 12 ? 12 : prec;
        snprintf(buf, len, "%.*e", prec, v);
        plot_tidy_exponent(buf);
        return;
    }
    int dec = (int)-floor(log10(step) + 1e-9);
    dec = dec < 0 ? 0 : dec > 12 ? 12 : dec;
    snprintf(buf, len, "%.*f%s", dec, v, percent ? "%" : "");
}

/* A linear axis over [dmin, dmax], padded by pad times the span (at least half
 * a percentage point on a percent axis) and widened to whole steps. */
static void plot_axis_linear(plot_axis *a, double dmin, double dmax, double pad, int percent,
                             int target)
{
    memset(a, 0, sizeof *a);
    a->percent = percent;
    double lo = dmin, hi = dmax, span = dmax - dmin;
    if (span <= 0) {
        double d = percent ? 1.0 : fabs(dmin) * 0.1;
        if (d == 0) d = 1.0;
        lo -= d, hi += d;
    } else {
        pad *= span;
        if (percent && pad > 0 && pad < 0.5) pad = 0.5;
        lo -= pad, hi += pad;
    }
    if (dmin >= 0 && lo < 0) lo = 0;
    int in_unit = percent && dmin >= 0 && dmax <= 100;
    if (in_unit && hi > 100) hi = 100;
    double step = plot_nice_step((hi - lo) / target);
    lo = floor(lo / step) * step;
    hi = ceil(hi / step) * step;
    if (in_unit && hi - lo > 50) { /* most of the range anyway: show all of it */
        lo = 0, hi = 100;
        step = plot_nice_step(100.0 / target);
    }
    if (in_unit && lo < 0) lo = 0;
    if (in_unit && hi > 100) hi = 100;
    a->lo = lo, a->hi = hi;
    double maxabs = fmax(fabs(lo), fabs(hi));
    for (int i = 0; a->nticks < PLOT_MAX_TICKS; i++) {
        double v = lo + i * step;
        if (v > hi + step * 1e-6) break;
        a->ticks[a->nticks] = v;
        plot_format_tick(a->labels[a->nticks], sizeof a->labels[0], v, step, maxabs, percent);
        a->nticks++;
    }
}

/* A log10 axis over [dmin, dmax] (both > 0), with ticks at powers of ten. */
static void plot_axis_log(plot_axis *a, double dmin, double dmax)
{
    memset(a, 0, sizeof *a);
    a->log = 1;
    double l0 = log10(dmin), l1 = log10(dmax), pad = (l1 - l0) * 0.05;
    a->lo = l0 - pad, a->hi = l1 + pad;
    int k0 = (int)ceil(a->lo - 1e-9), k1 = (int)floor(a->hi + 1e-9);
    int every = (k1 - k0) / 8 + 1;
    for (int k = k0; k <= k1 && a->nticks < PLOT_MAX_TICKS; k++) {
        if (k % every) continue;
        a->ticks[a->nticks] = pow(10.0, k);
        char *label = a->labels[a->nticks];
        if (k >= -3 && k <= 4) snprintf(label, sizeof a->labels[0], "%g", pow(10.0, k));
        else snprintf(label, sizeof a->labels[0], "1e%d", k);
        a->nticks++;
    }
    if (every > 1) return;
    for (int k = (int)floor(a->lo); k <= (int)ceil(a->hi); k++)
        for (int m = 2; m <= 9 && a->nminor < PLOT_MAX_MINOR; m++) {
            double v = m * pow(10.0, k), l = log10(v);
            if (l > a->lo && l < a->hi) a->minor[a->nminor++] = v;
        }
}

/* Where v falls on the axis: 0 at lo, 1 at hi. */
static double plot_frac(const plot_axis *a, double v)
{
    double x = a->log ? log10(v) : v;
    return (x - a->lo) / (a->hi - a->lo);
}

/* Rough rendered width of s in a sans-serif font of the given size. */
static double plot_text_width(const char *s, double size)
{
    double w = 0;
    for (; *s; s++) {
        if (*s == '.' || *s == ',' || *s == 'i' || *s == 'l') w += 0.28;
        else if (*s == '-') w += 0.34;
        else if (*s == '%' || *s == 'm' || *s == 'w') w += 0.89;
        else w += 0.57;
    }
    return w * size;
}

/* Writes s as XML character data: markup characters escaped, control
 * characters (not allowed in XML 1.0) turned into spaces. */
static void plot_put_escaped(FILE *f, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        default: fputc(c < 0x20 || c == 0x7f ? ' ' : c, f);
        }
    }
}

/* The chart geometry shared by both panels. */
typedef struct {
    const plot_epoch *epochs;
    size_t n;
    const char *series_name[2]; /* "train", and the held-out set's name */
    plot_axis x;
    double top, bottom; /* plot area, y pixels */
} plot_chart;

static void plot_line(FILE *f, double x1, double y1, double x2, double y2)
{
    fprintf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\"/>\n", x1, y1, x2, y2);
}

static void plot_series_style(FILE *f, int series)
{
    fprintf(f, " fill=\"none\" stroke=\"%s\" stroke-width=\"2\" stroke-linejoin=\"round\"%s",
            plot_series_color[series], series == PLOT_TEST ? " stroke-dasharray=\"7 4\"" : "");
}

static void plot_marker(FILE *f, double x, double y, double r, int series)
{
    if (series == PLOT_TRAIN)
        fprintf(f, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"%.2f\" fill=\"%s\" stroke=\"#fff\" "
                   "stroke-width=\"1\"",
                x, y, r, plot_series_color[series]);
    else
        fprintf(f, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"%.2f\" fill=\"#fff\" stroke=\"%s\" "
                   "stroke-width=\"1.6\"",
                x, y, r, plot_series_color[series]);
}

static void plot_panel(FILE *f, const plot_chart *c, int panel)
{
    const double panel_w = PLOT_WIDTH / 2, px0 = panel * panel_w;
    int present[2] = {0, 0};
    double dmin = INFINITY, dmax = -INFINITY;
    for (int s = 0; s < 2; s++)
        for (size_t i = 0; i < c->n; i++) {
            double v = plot_value(&c->epochs[i], panel, s);
            if (isnan(v)) continue;
            present[s] = 1;
            dmin = fmin(dmin, v), dmax = fmax(dmax, v);
        }
    int any = present[0] || present[1];
    if (!any) dmin = 0, dmax = panel == PLOT_ACCURACY ? 100 : 1;

    plot_axis y;
    if (panel == PLOT_LOSS && dmin > 0 && dmax / dmin >= 1000) plot_axis_log(&y, dmin, dmax);
    else plot_axis_linear(&y, dmin, dmax, any ? 0.06 : 0.0, panel == PLOT_ACCURACY, 5);

    double label_w = 0;
    for (int t = 0; t < y.nticks; t++) label_w = fmax(label_w, plot_text_width(y.labels[t], 12));
    const double left = px0 + 34 + label_w + 10, right = px0 + panel_w - 26;
    const double top = c->top, bottom = c->bottom, w = right - left, h = bottom - top;
#define PX(v) (left + plot_frac(&c->x, (v)) * w)
#define PY(v) (bottom - plot_frac(&y, (v)) * h)

    fprintf(f, "<g class=\"panel-%s\">\n", plot_axis_name[panel]);
    fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"#fcfcfd\" "
               "stroke=\"#e3e3e6\"/>\n",
            left, top, w, h);

    /* grid */
    fputs("<g stroke=\"#f0f0f2\" stroke-width=\"1\">\n", f);
    for (int t = 0; t < y.nminor; t++)
        plot_line(f, left, PY(y.minor[t]), right, PY(y.minor[t]));
    fputs("</g>\n<g stroke=\"#e3e3e6\" stroke-width=\"1\">\n", f);
    for (int t = 0; t < y.nticks; t++)
        plot_line(f, left, PY(y.ticks[t]), right, PY(y.ticks[t]));
    for (int t = 0; t < c->x.nticks; t++)
        plot_line(f, PX(c->x.ticks[t]), top, PX(c->x.ticks[t]), bottom);
    fputs("</g>\n", f);

    /* axes, ticks and their labels */
    fprintf(f, "<path d=\"M%.2f %.2fV%.2fH%.2f\" fill=\"none\" stroke=\"#6b6b70\" "
               "stroke-width=\"1.2\"/>\n",
            left, top, bottom, right);
    fputs("<g stroke=\"#6b6b70\" stroke-width=\"1\">\n", f);
    for (int t = 0; t < y.nticks; t++)
        plot_line(f, left - 5, PY(y.ticks[t]), left, PY(y.ticks[t]));
    for (int t = 0; t < c->x.nticks; t++)
        plot_line(f, PX(c->x.ticks[t]), bottom, PX(c->x.ticks[t]), bottom + 5);
    fputs("</g>\n<g font-size=\"12\" fill=\"#45454a\">\n", f);
    for (int t = 0; t < y.nticks; t++)
        fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"end\">%s</text>\n", left - 8,
                PY(y.ticks[t]) + 4, y.labels[t]);
    for (int t = 0; t < c->x.nticks; t++)
        fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\">%s</text>\n",
                PX(c->x.ticks[t]), bottom + 19, c->x.labels[t]);
    fputs("</g>\n", f);
    fprintf(f, "<g font-size=\"13\" fill=\"#2a2a2e\" text-anchor=\"middle\">\n"
               "<text x=\"%.2f\" y=\"%.2f\">epoch</text>\n"
               "<text transform=\"translate(%.2f %.2f) rotate(-90)\">%s%s</text>\n</g>\n",
            left + w / 2, bottom + 42, px0 + 22, top + h / 2, plot_axis_name[panel],
            y.log ? " (log scale)" : "");

    /* heading and legend above the plot area */
    fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"14\" font-weight=\"600\" "
               "fill=\"#2a2a2e\">%s</text>\n",
            left, top - 12, plot_panel_name[panel]);
    double lx = right;
    for (int s = 0; s < 2; s++)
        if (present[s]) lx -= 30 + plot_text_width(c->series_name[s], 12) + (lx < right ? 16 : 0);
    fputs("<g class=\"legend\" font-size=\"12\" fill=\"#45454a\">\n", f);
    for (int s = 0; s < 2; s++) {
        if (!present[s]) continue;
        double ly = top - 16;
        fprintf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\"", lx, ly, lx + 24, ly);
        plot_series_style(f, s);
        fputs("/>\n", f);
        plot_marker(f, lx + 12, ly, 3.5, s);
        fputs("/>\n", f);
        fprintf(f, "<text x=\"%.2f\" y=\"%.2f\">%s</text>\n", lx + 30, ly + 4, c->series_name[s]);
        lx += 30 + plot_text_width(c->series_name[s], 12) + 16;
    }
    fputs("</g>\n", f);

    if (!any)
        fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"14\" fill=\"#8a8a90\" "
                   "text-anchor=\"middle\">no data</text>\n",
                left + w / 2, top + h / 2 + 5);

    /* the series: lines (broken where a value is missing), then markers */
    double spacing = w / fmax(1.0, (c->x.hi - c->x.lo)); /* pixels per epoch */
    double r = spacing < 3 ? 0 : fmin(3.5, fmax(2.0, spacing / 4));
    for (int s = 1; s >= 0; s--) {
        if (!present[s]) continue;
        fprintf(f, "<g class=\"series-%s\">\n<path d=\"", c->series_name[s]);
        int pen = 0;
        for (size_t i = 0; i < c->n; i++) {
            double v = plot_value(&c->epochs[i], panel, s);
            if (isnan(v)) {
                pen = 0;
                continue;
            }
            fprintf(f, "%s%.2f %.2f", pen ? "L" : "M", PX(c->epochs[i].epoch), PY(v));
            pen = 1;
        }
        fputs("\"", f);
        plot_series_style(f, s);
        fputs("/>\n", f);
        for (size_t i = 0; r > 0 && i < c->n; i++) {
            double v = plot_value(&c->epochs[i], panel, s);
            if (isnan(v)) continue;
            plot_marker(f, PX(c->epochs[i].epoch), PY(v), r, s);
            if (panel == PLOT_ACCURACY)
                fprintf(f, "><title>%s accuracy, epoch %d: %.2f%%</title></circle>\n",
                        c->series_name[s], c->epochs[i].epoch, v);
            else
                fprintf(f, "><title>%s loss, epoch %d: %.6g</title></circle>\n",
                        c->series_name[s], c->epochs[i].epoch, v);
        }
        fputs("</g>\n", f);
    }
    fputs("</g>\n", f);
#undef PX
#undef PY
}

static void plot_render(FILE *f, const char *title, const char *held_out, const plot_epoch *epochs, size_t n)
{
    int has_title = title && *title;
    double height = PLOT_PANEL_HEIGHT + (has_title ? PLOT_TITLE_HEIGHT : 0);
    plot_chart c = {.epochs = epochs, .n = n, .series_name = {"train", held_out}};
    c.top = (has_title ? PLOT_TITLE_HEIGHT : 0) + 50;
    c.bottom = height - 56;

    /* the epoch axis, shared by both panels: whole-number ticks */
    double e0 = INFINITY, e1 = -INFINITY;
    for (size_t i = 0; i < n; i++) e0 = fmin(e0, epochs[i].epoch), e1 = fmax(e1, epochs[i].epoch);
    if (n == 0) e0 = 1, e1 = 10;
    plot_axis *x = &c.x;
    memset(x, 0, sizeof *x);
    double pad = e1 > e0 ? fmax((e1 - e0) * 0.04, 0.25) : 0.5;
    x->lo = e0 - pad, x->hi = e1 + pad;
    double step = plot_nice_step((e1 - e0) / 7);
    if (step < 1) step = 1;
    for (double v = ceil(x->lo / step) * step; v <= x->hi && x->nticks < PLOT_MAX_TICKS;
         v += step) {
        x->ticks[x->nticks] = v;
        snprintf(x->labels[x->nticks], sizeof x->labels[0], "%.0f", v == 0 ? 0.0 : v);
        x->nticks++;
    }

    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
               "viewBox=\"0 0 %.0f %.0f\" font-family=\"%s\">\n",
            PLOT_WIDTH, height, PLOT_WIDTH, height, PLOT_FONT);
    if (has_title) {
        fputs("<title>", f);
        plot_put_escaped(f, title);
        fputs("</title>\n", f);
    }
    fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n");
    if (has_title) {
        fprintf(f, "<text x=\"%.2f\" y=\"30\" font-size=\"18\" font-weight=\"600\" "
                   "fill=\"#1d1d20\" text-anchor=\"middle\">",
                PLOT_WIDTH / 2);
        plot_put_escaped(f, title);
        fputs("</text>\n", f);
    }
    plot_panel(f, &c, PLOT_LOSS);
    plot_panel(f, &c, PLOT_ACCURACY);
    fputs("</svg>\n", f);
}

static int plot_fail(char *err, size_t errlen, const char *path, int e)
{
    if (err && errlen) snprintf(err, errlen, "cannot write %s: %s", path, strerror(e));
    return -1;
}

int plot_write_svg(const char *path, const char *title, const plot_epoch *epochs, size_t n,
                   char *err, size_t errlen)
{
    return plot_write_svg_named(path, title, "test", epochs, n, err, errlen);
}

int plot_write_svg_named(const char *path, const char *title, const char *held_out, const plot_epoch *epochs,
                         size_t n, char *err, size_t errlen)
{
    if (!path || !*path || (!epochs && n))
        return plot_fail(err, errlen, path ? path : "(null)", EINVAL);
    nncl__atomic_file af;
    int e = nncl__atomic_open(&af, path);
    if (e) return plot_fail(err, errlen, path, e);
    errno = 0;
    plot_render(af.f, title, held_out, epochs, n);
    e = nncl__atomic_commit(&af, NULL);
    return e ? plot_fail(err, errlen, path, e) : 0;
}
