/* SPDX-License-Identifier: MIT */
/* The CLI's SVG training chart: structure, missing values, a single epoch,
 * title escaping, and failures that leave nothing behind. */
#include "../host/cli/plot.c"

#include "testutil.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The whole file as a string (caller frees). */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "open %s", path);
    ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
    long len = ftell(f);
    ck_assert_int_ge(len, 0);
    rewind(f);
    char *s = malloc((size_t)len + 1);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(fread(s, 1, (size_t)len, f), (size_t)len);
    s[len] = '\0';
    fclose(f);
    return s;
}

static size_t count(const char *s, const char *needle)
{
    size_t k = 0;
    for (const char *p = s; (p = strstr(p, needle)) != NULL; p += strlen(needle)) k++;
    return k;
}

/* Starts with the XML declaration or <svg, ends with </svg>, and every
 * element is closed: as many '<' as '>' and no NaN or infinity anywhere. */
static void check_well_formed(const char *svg)
{
    ck_assert_msg(!strncmp(svg, "<?xml", 5) || !strncmp(svg, "<svg", 4), "start: %.40s", svg);
    size_t len = strlen(svg);
    while (len && (svg[len - 1] == '\n' || svg[len - 1] == ' ')) len--;
    ck_assert_msg(len >= 6 && !strncmp(svg + len - 6, "</svg>", 6), "does not end with </svg>");
    ck_assert_uint_eq(count(svg, "<"), count(svg, ">"));
    ck_assert_uint_eq(count(svg, "<svg"), 1);
    ck_assert_uint_eq(count(svg, "<g"), count(svg, "</g>"));
    ck_assert_uint_eq(count(svg, "<text"), count(svg, "</text>"));
    ck_assert_msg(!strstr(svg, "nan") && !strstr(svg, "inf") && !strstr(svg, "NaN"),
                  "a non-finite number in the SVG");
}

/* Writes epochs to <tmpdir>/name and returns the SVG text, checked well
 * formed (caller frees). */
static char *render(const char *name, const char *title, const plot_epoch *e, size_t n)
{
    char path[256], err[512] = "";
    snprintf(path, sizeof path, "%s/%s", nncl_test_tmpdir(), name);
    int rc = plot_write_svg(path, title, e, n, err, sizeof err);
    ck_assert_msg(rc == 0, "plot_write_svg: %s", err);
    char *svg = slurp(path);
    check_well_formed(svg);
    return svg;
}

static void make_run(plot_epoch *e, size_t n, int with_test)
{
    for (size_t i = 0; i < n; i++) {
        double t = (double)i;
        e[i].epoch = (int)i + 1;
        e[i].train_loss = 2.3 * exp(-0.35 * t) + 0.05;
        e[i].train_accuracy = 0.97 - 0.75 * exp(-0.45 * t);
        e[i].test_loss = with_test ? 2.2 * exp(-0.3 * t) + 0.12 + 0.004 * t * t : NAN;
        e[i].test_accuracy = with_test ? 0.94 - 0.7 * exp(-0.4 * t) - 0.002 * t : NAN;
    }
}

START_TEST(ten_epochs)
{
    plot_epoch e[10];
    make_run(e, 10, 1);
    char *svg = render("ten.svg", "MNIST, 10 epochs", e, 10);
    ck_assert_ptr_nonnull(strstr(svg, ">epoch</text>"));
    ck_assert_ptr_nonnull(strstr(svg, ">loss</text>"));
    ck_assert_ptr_nonnull(strstr(svg, ">accuracy</text>"));
    ck_assert_ptr_nonnull(strstr(svg, ">train</text>"));
    ck_assert_ptr_nonnull(strstr(svg, ">test</text>"));
    ck_assert_ptr_nonnull(strstr(svg, "MNIST, 10 epochs"));
    ck_assert_uint_eq(count(svg, "<g class=\"series-"), 4); /* two series in each panel */
    ck_assert_uint_eq(count(svg, "<path"), 2 + 4);          /* two axes, four lines */
    ck_assert_uint_eq(count(svg, "stroke-dasharray"), 4); /* test: two lines, two legend swatches */
    ck_assert_uint_ge(count(svg, "<circle"), 40);
    ck_assert_ptr_nonnull(strstr(svg, "%</text>")); /* accuracy ticks in percent */
    free(svg);
}
END_TEST

START_TEST(missing_values)
{
    plot_epoch e[10];
    make_run(e, 10, 1);
    e[3].train_loss = NAN;
    e[4].test_accuracy = INFINITY;
    e[0].train_accuracy = NAN;
    char *svg = render("gaps.svg", NULL, e, 10);
    ck_assert_ptr_null(strstr(svg, "\n<title>")); /* no document title (markers have theirs) */
    /* a gap in the line: the train loss path starts twice */
    const char *p = strstr(svg, "class=\"series-train\"");
    ck_assert_ptr_nonnull(p);
    const char *d = strstr(p, "d=\"");
    ck_assert_ptr_nonnull(d);
    const char *end = strchr(d + 3, '"');
    size_t moves = 0;
    for (const char *q = d + 3; q < end; q++) moves += *q == 'M';
    ck_assert_uint_eq(moves, 2);
    free(svg);
}
END_TEST

START_TEST(no_test_set)
{
    plot_epoch e[10];
    make_run(e, 10, 0);
    char *svg = render("notest.svg", "no test set", e, 10);
    ck_assert_ptr_nonnull(strstr(svg, ">train</text>"));
    ck_assert_ptr_null(strstr(svg, ">test</text>"));
    ck_assert_ptr_null(strstr(svg, "stroke-dasharray"));
    ck_assert_uint_eq(count(svg, "<g class=\"series-"), 2);
    ck_assert_uint_eq(count(svg, "<path"), 2 + 2);
    free(svg);
}
END_TEST

START_TEST(single_epoch)
{
    plot_epoch e = {1, 0.6931, 0.75, 0.7, 0.71};
    char *svg = render("one.svg", "one", &e, 1);
    ck_assert_ptr_nonnull(strstr(svg, ">train</text>"));
    ck_assert_ptr_nonnull(strstr(svg, ">test</text>"));
    ck_assert_uint_ge(count(svg, "<circle"), 4);
    ck_assert_ptr_nonnull(strstr(svg, ">1</text>")); /* the epoch tick */
    free(svg);
}
END_TEST

START_TEST(extreme_scales)
{
    plot_epoch e[8];
    make_run(e, 8, 1);
    for (int i = 0; i < 8; i++) e[i].train_loss = 1e12 * (i + 1), e[i].test_loss = 3e12;
    char *svg = render("huge.svg", "huge", e, 8);
    ck_assert_ptr_nonnull(strstr(svg, "e12</text>"));
    free(svg);

    for (int i = 0; i < 8; i++) e[i].train_loss = 1e-9 * (8 - i), e[i].test_loss = NAN;
    svg = render("tiny.svg", "tiny", e, 8);
    ck_assert_ptr_nonnull(strstr(svg, "e-9</text>"));
    free(svg);

    for (int i = 0; i < 8; i++) e[i].train_loss = 100.0 * pow(10.0, -i), e[i].test_loss = NAN;
    svg = render("log.svg", "log", e, 8);
    ck_assert_ptr_nonnull(strstr(svg, "loss (log scale)"));
    free(svg);

    for (int i = 0; i < 8; i++) e[i].train_loss = 0.25, e[i].test_loss = 0.25;
    svg = render("flat.svg", "flat", e, 8);
    free(svg);
}
END_TEST

START_TEST(zoomed_accuracy)
{
    plot_epoch e[10];
    for (int i = 0; i < 10; i++)
        e[i] = (plot_epoch){51 + i, 0.08 - 0.003 * i, 0.975 + 0.0015 * i, 0.11, 0.968};
    char *svg = render("zoom.svg", "zoom", e, 10);
    ck_assert_ptr_nonnull(strstr(svg, ">98.0%</text>"));
    ck_assert_ptr_null(strstr(svg, ">0%</text>"));
    ck_assert_ptr_nonnull(strstr(svg, ">51</text>"));
    free(svg);
}
END_TEST

START_TEST(empty_and_all_nan)
{
    char *svg = render("empty.svg", "empty", NULL, 0);
    ck_assert_uint_eq(count(svg, ">no data</text>"), 2);
    ck_assert_ptr_null(strstr(svg, ">train</text>"));
    free(svg);

    plot_epoch e[3];
    make_run(e, 3, 0);
    for (int i = 0; i < 3; i++) e[i].train_accuracy = NAN;
    svg = render("noacc.svg", "no accuracy", e, 3);
    ck_assert_uint_eq(count(svg, ">no data</text>"), 1);
    ck_assert_uint_eq(count(svg, ">train</text>"), 1);
    free(svg);
}
END_TEST

START_TEST(title_escaped)
{
    plot_epoch e[2];
    make_run(e, 2, 1);
    char *svg = render("title.svg", "a<b&c \"q\"", e, 2);
    ck_assert_ptr_nonnull(strstr(svg, "a&lt;b&amp;c &quot;q&quot;"));
    ck_assert_ptr_null(strstr(svg, "a<b"));
    free(svg);
}
END_TEST

/* No file in dir whose name starts with prefix. */
static void assert_no_file_starting(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL)
        ck_assert_msg(strncmp(ent->d_name, prefix, strlen(prefix)) != 0, "left behind: %s",
                      ent->d_name);
    closedir(d);
}

START_TEST(unwritable_path)
{
    plot_epoch e[3];
    make_run(e, 3, 1);
    char path[256], err[512] = "";
    snprintf(path, sizeof path, "%s/missing-dir/chart.svg", nncl_test_tmpdir());
    ck_assert_int_eq(plot_write_svg(path, "x", e, 3, err, sizeof err), -1);
    ck_assert_msg(strstr(err, path) != NULL, "err does not name the path: %s", err);
    ck_assert_msg(strstr(err, strerror(ENOENT)) != NULL, "err: %s", err);
    assert_no_file_starting(nncl_test_tmpdir(), "missing-dir");

    /* the target is a directory: the temp file is written, the rename fails */
    snprintf(path, sizeof path, "%s/adir", nncl_test_tmpdir());
    ck_assert_int_eq(mkdir(path, 0700), 0);
    err[0] = '\0';
    ck_assert_int_eq(plot_write_svg(path, "x", e, 3, err, sizeof err), -1);
    ck_assert_msg(strstr(err, path) != NULL, "err does not name the path: %s", err);
    assert_no_file_starting(nncl_test_tmpdir(), "adir.");

    /* no room for a message is fine too */
    ck_assert_int_eq(plot_write_svg(path, "x", e, 3, NULL, 0), -1);
    ck_assert_int_eq(plot_write_svg(NULL, "x", e, 3, err, sizeof err), -1);
    ck_assert_int_eq(plot_write_svg(path, "x", NULL, 3, err, sizeof err), -1);
}
END_TEST

START_TEST(replaces_existing)
{
    char path[256];
    snprintf(path, sizeof path, "%s/replace.svg", nncl_test_tmpdir());
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("old", f);
    fclose(f);
    plot_epoch e[4];
    make_run(e, 4, 1);
    char err[512] = "";
    ck_assert_msg(plot_write_svg(path, "new", e, 4, err, sizeof err) == 0, "%s", err);
    char *svg = slurp(path);
    check_well_formed(svg);
    free(svg);
    assert_no_file_starting(nncl_test_tmpdir(), "replace.svg.tmp");
}
END_TEST

static void host_cases(Suite *s)
{
    NNCL_TEST_CASE(s, "svg", 0, ten_epochs, missing_values, no_test_set, single_epoch,
                   extreme_scales, zoomed_accuracy, empty_and_all_nan, title_escaped,
                   unwritable_path, replaces_existing);
}

int main(int argc, char **argv) { return nncl_test_run("plot", host_cases, NULL, argc, argv); }
