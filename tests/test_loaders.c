/* SPDX-License-Identifier: MIT */
/* Tests for the host data readers: IDX (plain and gzip) and CSV, valid files
 * and every malformed case, checking the status and the error message.
 * Needs no OpenCL device: the readers run with a NULL context. */
#include "io/hostdata.h"
#include "testutil.h"

#include <stdio.h>
#include <string.h>
#include <zlib.h>

/* Where the readers and writers under test put the detail of a failure. */
static nncl__errbuf io_err;

/* ---- helpers ----------------------------------------------------------------- */

static const char *write_file(const char *name, const void *data, size_t n)
{
    const char *p = nncl_test_path(name);
    FILE *f = fopen(p, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, n, f), n);
    ck_assert_int_eq(fclose(f), 0);
    return p;
}

static const char *write_text(const char *name, const char *text)
{
    return write_file(name, text, strlen(text));
}

static const char *write_gz(const char *name, const void *data, size_t n)
{
    const char *p = nncl_test_path(name);
    gzFile g = gzopen(p, "wb");
    ck_assert_ptr_nonnull(g);
    ck_assert_int_eq(gzwrite(g, data, (unsigned)n), (int)n);
    ck_assert_int_eq(gzclose(g), Z_OK);
    return p;
}

static size_t put_be32(unsigned char *b, uint32_t v)
{
    b[0] = (unsigned char)(v >> 24);
    b[1] = (unsigned char)(v >> 16);
    b[2] = (unsigned char)(v >> 8);
    b[3] = (unsigned char)v;
    return 4;
}

/* An IDX image file: header (magic, n, rows, cols) then `data` bytes of pixels i*7+1. */
static size_t idx_images(unsigned char *b, uint32_t magic, uint32_t n, uint32_t h, uint32_t w,
                         size_t data)
{
    size_t k = put_be32(b, magic);
    k += put_be32(b + k, n);
    k += put_be32(b + k, h);
    k += put_be32(b + k, w);
    for (size_t i = 0; i < data; i++) b[k++] = (unsigned char)(i * 7 + 1);
    return k;
}

static size_t idx_labels(unsigned char *b, uint32_t magic, uint32_t n, const unsigned char *lab,
                         size_t count)
{
    size_t k = put_be32(b, magic);
    k += put_be32(b + k, n);
    memcpy(b + k, lab, count);
    return k + count;
}

static const unsigned char LABELS[3] = {0, 4, 1};

/* A valid pair: 3 images of 2x3, labels 0 4 1. */
static void valid_pair(int gz, const char **images, const char **labels)
{
    unsigned char b[64], l[16];
    size_t n = idx_images(b, 0x803, 3, 2, 3, 18), m = idx_labels(l, 0x801, 3, LABELS, 3);
    *images = gz ? write_gz("img.gz", b, n) : write_file("img.idx", b, n);
    *labels = gz ? write_gz("lab.gz", l, m) : write_file("lab.idx", l, m);
}

static void assert_zeroed(const nncl__host_data *d)
{
    ck_assert_ptr_null(d->u8);
    ck_assert_ptr_null(d->f32);
    ck_assert_ptr_null(d->labels);
    ck_assert_ptr_null(d->targets);
    ck_assert_uint_eq(d->rows, 0);
    ck_assert_uint_eq(d->cols, 0);
    ck_assert_int_eq(d->classes, 0);
    ck_assert_ptr_null(d->col_names);
    ck_assert_ptr_null(d->label_name);
    ck_assert_ptr_null(d->class_names);
    ck_assert_uint_eq(d->dropped_rows, 0);
}

/* Asserts the status, that the message holds both substrings, and that out is empty. */
#define EXPECT_ERR(st, want, d, sub1, sub2)                                                 \
    do {                                                                                   \
        const char *m_ = io_err.text;                                            \
        ck_assert_msg((st) == (want), "status %s, want %s (message: %s)",                  \
                      nncl_status_string(st), nncl_status_string(want), m_);               \
        ck_assert_msg(strstr(m_, (sub1)) != NULL, "message \"%s\" lacks \"%s\"", m_, (sub1)); \
        ck_assert_msg(strstr(m_, (sub2)) != NULL, "message \"%s\" lacks \"%s\"", m_, (sub2)); \
        assert_zeroed(&(d));                                                               \
        nncl__host_data_free(&(d));                                                        \
    } while (0)

static nncl_status idx(const char *images, const char *labels, nncl__host_data *d)
{
    memset(d, 0xab, sizeof *d); /* the reader must zero it, even on failure */
    return nncl__idx_read(&io_err, images, labels, d);
}

/* ---- IDX ------------------------------------------------------------------------ */

static void check_valid_pair(int gz)
{
    const char *im, *lb;
    nncl__host_data d;
    valid_pair(gz, &im, &lb);
    ck_assert_int_eq(idx(im, lb, &d), NNCL_OK);
    ck_assert_uint_eq(d.rows, 3);
    ck_assert_uint_eq(d.cols, 6);
    ck_assert_ptr_nonnull(d.u8);
    ck_assert_ptr_null(d.f32);
    for (size_t i = 0; i < 18; i++) ck_assert_uint_eq(d.u8[i], (unsigned char)(i * 7 + 1));
    ck_assert_int_eq(d.label_kind, NNCL__LABELS_CLASS);
    ck_assert_int_eq(d.labels[0], 0);
    ck_assert_int_eq(d.labels[1], 4);
    ck_assert_int_eq(d.labels[2], 1);
    ck_assert_int_eq(d.classes, 5);
    ck_assert_ptr_null(d.targets);
    nncl__host_data_free(&d);
    assert_zeroed(&d);
    nncl__host_data_free(&d); /* twice is safe */
}

START_TEST(idx_plain_valid) { check_valid_pair(0); }
END_TEST

START_TEST(idx_gzip_valid) { check_valid_pair(1); }
END_TEST

START_TEST(idx_mixed_and_no_labels)
{
    unsigned char b[64], l[16];
    size_t n = idx_images(b, 0x803, 3, 2, 3, 18), m = idx_labels(l, 0x801, 3, LABELS, 3);
    const char *im = write_gz("mix-img.gz", b, n), *lb = write_file("mix-lab.idx", l, m);
    nncl__host_data d;
    ck_assert_int_eq(idx(im, lb, &d), NNCL_OK);
    ck_assert_uint_eq(d.u8[17], (unsigned char)(17 * 7 + 1));
    ck_assert_int_eq(d.labels[1], 4);
    nncl__host_data_free(&d);

    ck_assert_int_eq(idx(im, NULL, &d), NNCL_OK);
    ck_assert_uint_eq(d.rows, 3);
    ck_assert_uint_eq(d.cols, 6);
    ck_assert_uint_eq(d.u8[5], 5 * 7 + 1);
    ck_assert_int_eq(d.label_kind, NNCL__LABELS_NONE);
    ck_assert_ptr_null(d.labels);
    ck_assert_int_eq(d.classes, 0);
    nncl__host_data_free(&d);
}
END_TEST

START_TEST(idx_wrong_magic)
{
    unsigned char b[64], l[16];
    const char *im, *lb;
    nncl__host_data d;
    size_t n = idx_images(b, 0x801, 3, 2, 3, 18), m = idx_labels(l, 0x801, 3, LABELS, 3);
    im = write_file("magic-img.idx", b, n);
    lb = write_file("magic-lab.idx", l, m);
    EXPECT_ERR(idx(im, lb, &d), NNCL_ERR_FORMAT, d, "magic-img.idx", "wrong magic 0x00000801");
    ck_assert_ptr_nonnull(strstr(io_err.text, "offset 0"));

    /* labels given where images are expected, and images as labels */
    n = idx_images(b, 0x803, 3, 2, 3, 18);
    im = write_file("magic-img2.idx", b, n);
    EXPECT_ERR(idx(im, im, &d), NNCL_ERR_FORMAT, d, "magic-img2.idx", "this is an image file");
    n = idx_images(b, 0x12345678, 3, 2, 3, 18);
    im = write_gz("magic-img3.gz", b, n);
    EXPECT_ERR(idx(im, NULL, &d), NNCL_ERR_FORMAT, d, "magic-img3.gz", "0x12345678");
}
END_TEST

START_TEST(idx_truncated_images)
{
    unsigned char b[64];
    const char *lb, *im;
    nncl__host_data d;
    valid_pair(0, &im, &lb);
    /* 3 images promised, 2 present: plain (checked from the size) and gzip (while reading) */
    size_t n = idx_images(b, 0x803, 3, 2, 3, 12);
    im = write_file("trunc-img.idx", b, n);
    EXPECT_ERR(idx(im, lb, &d), NNCL_ERR_FORMAT, d, "trunc-img.idx", "truncated");
    ck_assert_ptr_nonnull(strstr(io_err.text, "ends at offset 28"));
    im = write_gz("trunc-img.gz", b, n);
    EXPECT_ERR(idx(im, lb, &d), NNCL_ERR_FORMAT, d, "trunc-img.gz", "truncated at offset 28");

    /* a cut header */
    im = write_file("trunc-hdr.idx", b, 10);
    EXPECT_ERR(idx(im, lb, &d), NNCL_ERR_FORMAT, d, "trunc-hdr.idx", "truncated header");

    /* a gzip stream cut short */
    unsigned char big[16 + 4000];
    n = idx_images(big, 0x803, 1000, 2, 2, 4000);
    for (size_t i = 16; i < n; i++) big[i] = (unsigned char)((i * 2654435761u) >> 13);
    im = write_gz("cut.gz", big, n);
    FILE *f = fopen(im, "rb");
    unsigned char z[8192];
    size_t zn = fread(z, 1, sizeof z, f);
    fclose(f);
    ck_assert_uint_gt(zn, 200);
    im = write_file("cut2.gz", z, zn / 2);
    EXPECT_ERR(idx(im, NULL, &d), NNCL_ERR_FORMAT, d, "cut2.gz", "offset");
}
END_TEST

START_TEST(idx_truncated_labels)
{
    unsigned char l[16];
    const char *im, *lb;
    nncl__host_data d;
    valid_pair(0, &im, &lb);
    size_t m = idx_labels(l, 0x801, 3, LABELS, 2);
    lb = write_file("trunc-lab.idx", l, m);
    EXPECT_ERR(idx(im, lb, &d), NNCL_ERR_FORMAT, d, "trunc-lab.idx", "3 labels");
    ck_assert_ptr_nonnull(strstr(io_err.text, "truncated"));
    lb = write_gz("trunc-lab.gz", l, m);
    EXPECT_ERR(idx(im, lb, &d), NNCL_ERR_FORMAT, d, "trunc-lab.gz", "truncated at offset 10");
}
END_TEST

START_TEST(idx_header_bigger_than_file)
{
    unsigned char b[64];
    nncl__host_data d;
    size_t n = idx_images(b, 0x803, 1000000, 28, 28, 18);
    const char *im = write_file("big.idx", b, n);
    EXPECT_ERR(idx(im, NULL, &d), NNCL_ERR_FORMAT, d, "big.idx", "1000000 images of 28x28");
    ck_assert_ptr_nonnull(strstr(io_err.text, "ends at offset 34"));
    im = write_gz("big.gz", b, n);
    EXPECT_ERR(idx(im, NULL, &d), NNCL_ERR_FORMAT, d, "big.gz", "gzip file can hold");

    /* n * rows * cols overflows */
    n = idx_images(b, 0x803, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0);
    im = write_file("huge.idx", b, n);
    EXPECT_ERR(idx(im, NULL, &d), NNCL_ERR_FORMAT, d, "huge.idx", "too large");
    n = idx_images(b, 0x803, 0, 28, 28, 0);
    im = write_file("zero.idx", b, n);
    EXPECT_ERR(idx(im, NULL, &d), NNCL_ERR_FORMAT, d, "zero.idx", "no data");
}
END_TEST

START_TEST(idx_trailing_data)
{
    unsigned char b[64];
    nncl__host_data d;
    size_t n = idx_images(b, 0x803, 3, 2, 3, 19);
    const char *im = write_file("trail.idx", b, n);
    EXPECT_ERR(idx(im, NULL, &d), NNCL_ERR_FORMAT, d, "trail.idx", "unexpected data at offset 34");
}
END_TEST

START_TEST(idx_counts_disagree)
{
    unsigned char l[16];
    const char *im, *lb;
    nncl__host_data d;
    valid_pair(1, &im, &lb);
    size_t m = idx_labels(l, 0x801, 2, LABELS, 2);
    lb = write_file("two.idx", l, m);
    EXPECT_ERR(idx(im, lb, &d), NNCL_ERR_FORMAT, d, "counts disagree", "img.gz has 3 images");
    ck_assert_ptr_nonnull(strstr(io_err.text, "two.idx has 2 labels"));
}
END_TEST

START_TEST(idx_empty_and_missing)
{
    const char *im, *lb;
    nncl__host_data d;
    valid_pair(0, &im, &lb);
    const char *empty = write_file("empty.idx", "", 0);
    EXPECT_ERR(idx(empty, lb, &d), NNCL_ERR_FORMAT, d, "empty.idx", "empty file");
    EXPECT_ERR(idx(im, empty, &d), NNCL_ERR_FORMAT, d, "empty.idx", "IDX label header");
    EXPECT_ERR(idx(nncl_test_path("nope.idx"), lb, &d), NNCL_ERR_IO, d, "nope.idx",
               "No such file");
    EXPECT_ERR(idx(im, nncl_test_path("nolab.idx"), &d), NNCL_ERR_IO, d, "nolab.idx", "cannot open");
    EXPECT_ERR(idx(nncl_test_tmpdir(), NULL, &d), NNCL_ERR_IO, d, nncl_test_tmpdir(),
               "directory");
}
END_TEST

/* ---- CSV ------------------------------------------------------------------------ */

static nncl_status csv(const char *path, const char *label, int classify, int max_classes,
                       nncl__host_data *d)
{
    nncl__csv_options o = {.label_column = label, .classify = classify, .max_classes = max_classes};
    memset(d, 0xab, sizeof *d);
    return nncl__csv_read(&io_err, path, &o, d);
}

/* text, written to <tmpdir>/name and read as csv() reads it, is a FORMAT
 * error whose message holds sub1 and sub2, and leaves the data zeroed. */
static void expect_csv_error(const char *name, const char *text, const char *label, int classify,
                             int max_classes, const char *sub1, const char *sub2)
{
    nncl__host_data d;
    EXPECT_ERR(csv(write_text(name, text), label, classify, max_classes, &d), NNCL_ERR_FORMAT, d, sub1, sub2);
}

static void assert_floats(const float *got, const float *want, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(got[i] == want[i], "element %zu is %g, want %g", i, (double)got[i],
                      (double)want[i]);
}

START_TEST(csv_header_and_default_label)
{
    nncl__host_data d;
    const char *p = write_text("h.csv", "a,b,label\n1,2,0\n3.5,-4e1,2\n");
    ck_assert_int_eq(csv(p, NULL, 1, 0, &d), NNCL_OK);
    ck_assert_uint_eq(d.rows, 2);
    ck_assert_uint_eq(d.cols, 2);
    ck_assert_ptr_null(d.u8);
    assert_floats(d.f32, (const float[]){1, 2, 3.5f, -40}, 4);
    ck_assert_int_eq(d.label_kind, NNCL__LABELS_CLASS);
    ck_assert_int_eq(d.labels[0], 0);
    ck_assert_int_eq(d.labels[1], 2);
    ck_assert_int_eq(d.classes, 3);
    ck_assert_ptr_null(d.targets);
    nncl__host_data_free(&d);
    assert_zeroed(&d);
}
END_TEST

START_TEST(csv_no_header)
{
    nncl__host_data d;
    const char *p = write_text("nh.csv", "1,2,3\n4,5,6.0");
    ck_assert_int_eq(csv(p, NULL, 1, 0, &d), NNCL_OK);
    ck_assert_uint_eq(d.rows, 2);
    ck_assert_uint_eq(d.cols, 2);
    assert_floats(d.f32, (const float[]){1, 2, 4, 5}, 4);
    ck_assert_int_eq(d.labels[0], 3);
    ck_assert_int_eq(d.labels[1], 6);
    ck_assert_int_eq(d.classes, 7);
    nncl__host_data_free(&d);
}
END_TEST

START_TEST(csv_semicolons_crlf_blank_quotes)
{
    nncl__host_data d;
    const char *p = write_text("semi.csv", "\r\n\"x\"; \"y\" ;\"t\"\r\n\r\n 1 ; 2;0\r\n  \r\n"
                                           "3;4.25;1\r\n\r\n");
    ck_assert_int_eq(csv(p, "y", 0, 0, &d), NNCL_OK);
    ck_assert_uint_eq(d.rows, 2);
    ck_assert_uint_eq(d.cols, 2);
    assert_floats(d.f32, (const float[]){1, 0, 3, 1}, 4);
    ck_assert_int_eq(d.label_kind, NNCL__LABELS_FLOAT);
    assert_floats(d.targets, (const float[]){2, 4.25f}, 2);
    ck_assert_ptr_null(d.labels);
    ck_assert_int_eq(d.classes, 0);
    nncl__host_data_free(&d);
}
END_TEST

START_TEST(csv_tab_separated)
{
    nncl__host_data d;
    const char *p = write_text("tabs.tsv", "a\tb\tlabel\n1\t2.5\t0\n-3\t4\t1\n");
    ck_assert_int_eq(csv(p, NULL, 1, 0, &d), NNCL_OK);
    ck_assert_uint_eq(d.rows, 2);
    ck_assert_uint_eq(d.cols, 2);
    assert_floats(d.f32, (const float[]){1, 2.5f, -3, 4}, 4);
    ck_assert_int_eq(d.labels[1], 1);
    nncl__host_data_free(&d);
}
END_TEST

START_TEST(csv_label_by_name_index_none)
{
    nncl__host_data d;
    const char *p = write_text("cols.csv", "a,cls,b\n1,2,3\n4,0,6\n");
    ck_assert_int_eq(csv(p, "cls", 1, 3, &d), NNCL_OK);
    assert_floats(d.f32, (const float[]){1, 3, 4, 6}, 4);
    ck_assert_int_eq(d.labels[0], 2);
    ck_assert_int_eq(d.labels[1], 0);
    ck_assert_int_eq(d.classes, 3);
    nncl__host_data_free(&d);

    ck_assert_int_eq(csv(p, "0", 1, 0, &d), NNCL_OK);
    assert_floats(d.f32, (const float[]){2, 3, 0, 6}, 4);
    ck_assert_int_eq(d.labels[0], 1);
    ck_assert_int_eq(d.labels[1], 4);
    ck_assert_int_eq(d.classes, 5);
    nncl__host_data_free(&d);

    const char *none[] = {"none", ""};
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(csv(p, none[i], 1, 0, &d), NNCL_OK);
        ck_assert_uint_eq(d.rows, 2);
        ck_assert_uint_eq(d.cols, 3);
        assert_floats(d.f32, (const float[]){1, 2, 3, 4, 0, 6}, 6);
        ck_assert_int_eq(d.label_kind, NNCL__LABELS_NONE);
        ck_assert_ptr_null(d.labels);
        ck_assert_ptr_null(d.targets);
        ck_assert_int_eq(d.classes, 0);
        nncl__host_data_free(&d);
    }
}
END_TEST

START_TEST(csv_float_targets_and_integral_labels)
{
    nncl__host_data d;
    const char *p = write_text("reg.csv", "1,0.5\n2,-1.25\n3,3.0\n");
    ck_assert_int_eq(csv(p, NULL, 0, 0, &d), NNCL_OK);
    ck_assert_uint_eq(d.cols, 1);
    assert_floats(d.f32, (const float[]){1, 2, 3}, 3);
    assert_floats(d.targets, (const float[]){0.5f, -1.25f, 3}, 3);
    nncl__host_data_free(&d);

    p = write_text("int.csv", "1,3.0\n2,0\n");
    ck_assert_int_eq(csv(p, NULL, 1, 4, &d), NNCL_OK);
    ck_assert_int_eq(d.labels[0], 3);
    ck_assert_int_eq(d.classes, 4);
    nncl__host_data_free(&d);
}
END_TEST

START_TEST(csv_bad_cells)
{
    expect_csv_error("bad.csv", "1,2,0\n3,abc,1\n", NULL, 1, 0, "bad.csv:2:2:", "\"abc\"");
    expect_csv_error("trail.csv", "a;b\n1;2\n\n1.5x;0\n", NULL, 1, 0, "trail.csv:4:1:", "not a number");
    expect_csv_error("nan.csv", "x,y\n1,0\nnan,1\n", NULL, 1, 0, "nan.csv:3:1:", "non-finite");
    expect_csv_error("inf.csv", "1,0\n2,-inf\n", NULL, 0, 0, "inf.csv:2:2:", "\"-inf\"");
    expect_csv_error("big.csv", "1,0\n1e39,1\n", NULL, 1, 0, "big.csv:2:1:", "float range");
    expect_csv_error("hex.csv", "1,0\n0x10,1\n", NULL, 1, 0, "hex.csv:2:1:", "not a number");
    expect_csv_error("emptycell.csv", "1,2,0\n1,,0\n", NULL, 1, 0, "emptycell.csv:2:2:", "empty cell");
}
END_TEST

START_TEST(csv_ragged_and_empty)
{
    nncl__host_data d;
    expect_csv_error("rag.csv", "a,b,c\n1,2,0\n1,2\n", NULL, 1, 0, "rag.csv:3:3:", "ragged row");
    expect_csv_error("rag2.csv", "1,2,0\n\n1,2,0,4\n", NULL, 1, 0, "rag2.csv:3:4:", "4 fields, expected 3");
    expect_csv_error("empty.csv", "", NULL, 1, 0, "empty.csv", "no data rows");
    expect_csv_error("blank.csv", "\n  \r\n\n", NULL, 1, 0, "blank.csv", "no data rows");
    expect_csv_error("hdr.csv", "a,b,c\r\n\r\n", NULL, 1, 0, "hdr.csv", "no data rows");
    expect_csv_error("one.csv", "y\n1\n", NULL, 1, 0, "one.csv", "no feature columns");
    EXPECT_ERR(csv(nncl_test_path("missing.csv"), NULL, 1, 0, &d), NNCL_ERR_IO, d, "missing.csv",
               "No such file");
}
END_TEST

START_TEST(csv_bad_labels)
{
    expect_csv_error("range.csv", "1,2\n1,3\n", NULL, 1, 3, "range.csv:2:2:", "\"3\" is out of range");
    ck_assert_ptr_nonnull(strstr(io_err.text, "0..2"));
    expect_csv_error("neg.csv", "1,0\n1,-1\n", NULL, 1, 0, "neg.csv:2:2:", "is negative");
    expect_csv_error("frac.csv", "x;lab\n1;2.5\n", "lab", 1, 0, "frac.csv:2:2:", "not an integer");
    expect_csv_error("name.csv", "alpha,beta\n1,2\n", "gamma", 1, 0,
                     "unknown label column \"gamma\"", "\"alpha\", \"beta\"");
    ck_assert_ptr_nonnull(strstr(io_err.text, "name.csv:1:"));
    expect_csv_error("nohdr.csv", "1,2\n3,4\n", "beta", 1, 0, "nohdr.csv", "no header row");
    expect_csv_error("nohdr.csv", "1,2\n3,4\n", "2", 1, 0, "nohdr.csv", "label column 2 out of range");
}
END_TEST

/* ---- CSV as people write it: quoting, names, string labels, missing values ---- */

static nncl_status csv_policy(const char *path, const char *label, int classify,
                              int max_classes, nncl__csv_missing missing, nncl__host_data *d)
{
    nncl__csv_options o = {.label_column = label, .classify = classify, .max_classes = max_classes,
                           .missing = missing};
    memset(d, 0xab, sizeof *d);
    return nncl__csv_read(&io_err, path, &o, d);
}

static void assert_names(char *const *got, const char *const *want, size_t n)
{
    ck_assert_ptr_nonnull(got);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(strcmp(got[i], want[i]) == 0, "name %zu is \"%s\", want \"%s\"", i,
                      got[i], want[i]);
}

START_TEST(csv_quoted_header_and_cells)
{
    nncl__host_data d;
    const char *p = write_text("q.csv", "\"length, cm\",width,label\n\"1.5\",2,0\n3,\"4\",1\n");
    ck_assert_int_eq(csv(p, NULL, 1, 0, &d), NNCL_OK);
    ck_assert_uint_eq(d.rows, 2);
    ck_assert_uint_eq(d.cols, 2);
    assert_floats(d.f32, (const float[]){1.5f, 2, 3, 4}, 4);
    assert_names(d.col_names, (const char *[]){"length, cm", "width"}, 2);
    ck_assert_str_eq(d.label_name, "label");
    nncl__host_data_free(&d);

    /* doubled quotes, a separator and a CRLF line break inside quotes, spaces around */
    p = write_text("q2.csv", "a;\"say \"\"hi\"\"; \r\nbye\" ; \"t\"\r\n1;2;0\r\n");
    ck_assert_int_eq(csv(p, "t", 1, 0, &d), NNCL_OK);
    ck_assert_uint_eq(d.rows, 1);
    assert_names(d.col_names, (const char *[]){"a", "say \"hi\"; \r\nbye"}, 2);
    ck_assert_str_eq(d.label_name, "t");
    nncl__host_data_free(&d);

    /* the label named by a quoted header name */
    p = write_text("q3.csv", "\"x, y\",\"class, name\",z\n1,0,2\n");
    ck_assert_int_eq(csv(p, "class, name", 1, 0, &d), NNCL_OK);
    assert_floats(d.f32, (const float[]){1, 2}, 2);
    ck_assert_int_eq(d.labels[0], 0);
    assert_names(d.col_names, (const char *[]){"x, y", "z"}, 2);
    ck_assert_str_eq(d.label_name, "class, name");
    nncl__host_data_free(&d);
}
END_TEST

START_TEST(csv_quote_errors_and_lines)
{
    /* a header cell spanning lines 1-3: later lines keep their own numbers */
    expect_csv_error("ql.csv", "\"multi\nline\nname\",b,label\n1,2,0\n1,x,0\n", NULL, 1, 0,
                     "ql.csv:5:2:", "\"x\"");
    expect_csv_error("ql2.csv", "a,b,label\n1,\"2\n\",0\n1,2\n", NULL, 1, 0, "ql2.csv:4:3:", "ragged row");
    expect_csv_error("ql3.csv", "a,b,label\n1,\"2\n\",0\n", NULL, 1, 0, "ql3.csv:2:2:", "not a number");

    expect_csv_error("unterm.csv", "a,b,label\n1,2,0\n3,\"4,1\n5,6,0\n", NULL, 1, 0,
                     "unterm.csv:3:2:", "unterminated quote");
    expect_csv_error("unterm2.csv", "\"a,b,label\n1,2,0\n", NULL, 1, 0,
                     "unterm2.csv:1:1:", "unterminated quote");
    expect_csv_error("after.csv", "a,b,label\n1,\"2\"x,0\n", NULL, 1, 0,
                     "after.csv:2:2:", "after a closing quote");
}
END_TEST

START_TEST(csv_header_names)
{
    nncl__host_data d;
    const char *p = write_text("names.csv", "a,cls,b\n1,2,3\n");
    ck_assert_int_eq(csv(p, "cls", 1, 0, &d), NNCL_OK);
    assert_names(d.col_names, (const char *[]){"a", "b"}, 2);
    ck_assert_str_eq(d.label_name, "cls");
    ck_assert_ptr_null(d.class_names);
    nncl__host_data_free(&d);
    assert_zeroed(&d);

    ck_assert_int_eq(csv(p, "none", 1, 0, &d), NNCL_OK);
    assert_names(d.col_names, (const char *[]){"a", "cls", "b"}, 3);
    ck_assert_ptr_null(d.label_name);
    nncl__host_data_free(&d);

    p = write_text("nonames.csv", "1,2,3\n4,5,6\n");
    ck_assert_int_eq(csv(p, NULL, 1, 0, &d), NNCL_OK);
    ck_assert_ptr_null(d.col_names);
    ck_assert_ptr_null(d.label_name);
    nncl__host_data_free(&d);

    /* a data set made of some rows keeps its own copy of the names */
    ck_assert_int_eq(csv(nncl_test_path("names.csv"), "cls", 1, 0, &d), NNCL_OK);
    nncl__host_data e = {0};
    e.cols = d.cols;
    ck_assert_int_eq(nncl__host_data_copy_names(&e, &d), 0);
    nncl__host_data_free(&d);
    assert_names(e.col_names, (const char *[]){"a", "b"}, 2);
    ck_assert_str_eq(e.label_name, "cls");
    nncl__host_data_free(&e);
}
END_TEST

START_TEST(csv_string_labels)
{
    nncl__host_data d;
    /* iris as UCI ships it: no header, the species as a name */
    const char *p = write_text("iris.data", "5.1,3.5,setosa\n4.9,3.0,virginica\n"
                                            "6.0,2.2,versicolor\n5.0,3.6,setosa\n\n");
    ck_assert_int_eq(csv(p, NULL, 1, 65536, &d), NNCL_OK);
    ck_assert_uint_eq(d.rows, 4);
    ck_assert_uint_eq(d.cols, 2);
    ck_assert_ptr_null(d.col_names);
    assert_floats(d.f32, (const float[]){5.1f, 3.5f, 4.9f, 3.0f, 6.0f, 2.2f, 5.0f, 3.6f}, 8);
    ck_assert_int_eq(d.label_kind, NNCL__LABELS_CLASS);
    ck_assert_int_eq(d.classes, 3);
    assert_names(d.class_names, (const char *[]){"setosa", "versicolor", "virginica"}, 3);
    const int32_t want[] = {0, 2, 1, 0};
    for (int i = 0; i < 4; i++) ck_assert_int_eq(d.labels[i], want[i]);
    nncl__host_data_free(&d);
    assert_zeroed(&d);

    /* with a header, quoted names equal unquoted ones */
    p = write_text("iris.csv", "sl,sw,species\n1,2,\"b\"\"x\"\n3,4,a\n5,6,\"a\"\n");
    ck_assert_int_eq(csv(p, NULL, 1, 0, &d), NNCL_OK);
    ck_assert_int_eq(d.classes, 2);
    assert_names(d.class_names, (const char *[]){"a", "b\"x"}, 2);
    ck_assert_int_eq(d.labels[0], 1);
    ck_assert_int_eq(d.labels[1], 0);
    ck_assert_int_eq(d.labels[2], 0);
    ck_assert_str_eq(d.label_name, "species");
    nncl__host_data_free(&d);

    /* one name makes every label a name, in strcmp order */
    p = write_text("mixed.csv", "x,y\n1,2\n2,10\n3,setosa\n4,2\n");
    ck_assert_int_eq(csv(p, NULL, 1, 0, &d), NNCL_OK);
    ck_assert_int_eq(d.classes, 3);
    assert_names(d.class_names, (const char *[]){"10", "2", "setosa"}, 3);
    const int32_t want2[] = {1, 0, 2, 1};
    for (int i = 0; i < 4; i++) ck_assert_int_eq(d.labels[i], want2[i]);
    nncl__host_data_free(&d);

    /* numeric labels stay indices, without names */
    p = write_text("numlab.csv", "x,y\n1,2\n2,0\n");
    ck_assert_int_eq(csv(p, NULL, 1, 0, &d), NNCL_OK);
    ck_assert_int_eq(d.classes, 3);
    ck_assert_ptr_null(d.class_names);
    nncl__host_data_free(&d);

    /* too many names: the error says how many */
    EXPECT_ERR(csv(p = write_text("many.csv", "1,a\n2,b\n3,c\n4,a\n"), NULL, 1, 2, &d),
               NNCL_ERR_FORMAT, d, "many.csv", "3 distinct class names");
    ck_assert_ptr_nonnull(strstr(io_err.text, "2"));
    /* names for a regression target are still not numbers */
    EXPECT_ERR(csv(p, NULL, 0, 0, &d), NNCL_ERR_FORMAT, d, "many.csv:1:2:", "not a number");
}
END_TEST

START_TEST(csv_missing_error)
{
    expect_csv_error("miss.csv", "a,b,label\n1,2,0\n1,NA,0\n", NULL, 1, 0, "miss.csv:3:2:", "missing value");
    ck_assert_ptr_nonnull(strstr(io_err.text, "--missing drop|mean"));
    expect_csv_error("miss2.csv", "a,b,label\n?,2,0\n", NULL, 1, 0, "miss2.csv:2:1:", "missing value");
    expect_csv_error("miss3.csv", "a,b,label\n1,NaN,0\n", NULL, 1, 0, "miss3.csv:2:2:", "missing value");
    expect_csv_error("miss4.csv", "1,2,0\n1,,0\n", NULL, 1, 0, "miss4.csv:2:2:", "empty cell");
    ck_assert_ptr_nonnull(strstr(io_err.text, "--missing drop|mean"));
    expect_csv_error("miss5.csv", "a,b,label\n1,2,\n", NULL, 1, 0, "miss5.csv:2:3:", "empty cell");
    /* a missing-looking first row is data, not a header */
    expect_csv_error("miss6.csv", "NA,2,0\n1,2,0\n", NULL, 1, 0, "miss6.csv:1:1:", "missing value");
}
END_TEST

START_TEST(csv_missing_drop)
{
    nncl__host_data d;
    const char *p = write_text("drop.csv", "a,b,label\n1,2,0\nNA,3,1\n4,5,\n6,?,1\n"
                                           "7,8,setosa\n9,nan,setosa\n10,11,1\n");
    ck_assert_int_eq(csv_policy(p, NULL, 1, 0, NNCL__MISSING_DROP, &d), NNCL_OK);
    ck_assert_uint_eq(d.rows, 3);
    ck_assert_uint_eq(d.dropped_rows, 4);
    assert_floats(d.f32, (const float[]){1, 2, 7, 8, 10, 11}, 6);
    assert_names(d.class_names, (const char *[]){"0", "1", "setosa"}, 3);
    ck_assert_int_eq(d.labels[0], 0);
    ck_assert_int_eq(d.labels[1], 2);
    ck_assert_int_eq(d.labels[2], 1);
    nncl__host_data_free(&d);

    /* every row dropped */
    p = write_text("dropall.csv", "a,label\nNA,1\n2,\n");
    EXPECT_ERR(csv_policy(p, NULL, 1, 0, NNCL__MISSING_DROP, &d), NNCL_ERR_FORMAT, d,
               "dropall.csv", "no data rows");
    ck_assert_ptr_nonnull(strstr(io_err.text, "2 rows with missing values"));
}
END_TEST

START_TEST(csv_missing_mean)
{
    nncl__host_data d;
    const char *p = write_text("mean.csv", "a,b,y\n1,,0.5\n3,4,1.5\n?,8,\nNA,6,2\n");
    ck_assert_int_eq(csv_policy(p, NULL, 0, 0, NNCL__MISSING_MEAN, &d), NNCL_OK);
    ck_assert_uint_eq(d.rows, 3);
    ck_assert_uint_eq(d.dropped_rows, 1);
    /* means over the rows kept: a = (1+3)/2, b = (4+6)/2 */
    assert_floats(d.f32, (const float[]){1, 5, 3, 4, 2, 6}, 6);
    assert_floats(d.targets, (const float[]){0.5f, 1.5f, 2}, 3);
    nncl__host_data_free(&d);

    p = write_text("meannone.csv", "a,b,y\n1,,0\n3,NA,1\n");
    EXPECT_ERR(csv_policy(p, NULL, 1, 0, NNCL__MISSING_MEAN, &d), NNCL_ERR_FORMAT, d,
               "meannone.csv", "column 2 (\"b\") has no values");
}
END_TEST

START_TEST(csv_and_idx_sniff)
{
    const char *p = write_text("wine_train.data", "14.2,1.71,2.43,1\n13.2,1.78,2.14,1\n");
    ck_assert_int_eq(nncl__csv_sniff(p), 1);
    ck_assert_uint_eq(nncl__idx_sniff(p), 0);
    p = write_text("WINE.CSV", "\xEF\xBB\xBF\"alcohol, %\";malic;class\r\n14.2;1.71;1\r\n");
    ck_assert_int_eq(nncl__csv_sniff(p), 1);
    p = write_text("t.txt", "a\tb\n1\t2\n3\t4\n");
    ck_assert_int_eq(nncl__csv_sniff(p), 1);
    p = write_text("col.dat", "y\n1.5\n-2\n3e4\n");
    ck_assert_int_eq(nncl__csv_sniff(p), 1);
    p = write_text("iris.data", "5.1,3.5,setosa\n4.9,3.0,virginica\n");
    ck_assert_int_eq(nncl__csv_sniff(p), 1);

    /* not tables: prose, inconsistent separators, an IDX file named .csv, binary */
    p = write_text("prose.csv", "Hello there.\nThis is not, a table; at all\n");
    ck_assert_int_eq(nncl__csv_sniff(p), 0);
    unsigned char b[64];
    size_t n = idx_images(b, 0x803, 3, 2, 3, 18);
    p = write_file("images.csv", b, n);
    ck_assert_int_eq(nncl__csv_sniff(p), 0);
    ck_assert_uint_eq(nncl__idx_sniff(p), 0x803);
    p = write_gz("labels.csv", b, idx_labels(b, 0x801, 3, LABELS, 3));
    ck_assert_int_eq(nncl__csv_sniff(p), 0);
    ck_assert_uint_eq(nncl__idx_sniff(p), 0x801);
    p = write_file("bin.csv", "1,2\n\0\x01,3\n", 8);
    ck_assert_int_eq(nncl__csv_sniff(p), 0);
    ck_assert_uint_eq(nncl__idx_sniff(p), 0);
    p = write_gz("text.gz", "1,2\n3,4\n", 8);
    ck_assert_uint_eq(nncl__idx_sniff(p), 0);
    ck_assert_int_eq(nncl__csv_sniff(write_text("empty.dat", "")), 0);
    ck_assert_int_eq(nncl__csv_sniff(nncl_test_path("nosuch.csv")), 0);
    ck_assert_uint_eq(nncl__idx_sniff(nncl_test_path("nosuch.idx")), 0);
    ck_assert_int_eq(nncl__csv_sniff(nncl_test_tmpdir()), 0);
}
END_TEST

/* A model's inputs matched by header name: any order, the label column
 * optional, and every missing or extra column named. */
START_TEST(csv_features_by_name)
{
    const char *want[2] = {"a", "b"};
    nncl__csv_options o = {.label_column = "label", .classify = 1, .features = want, .n_features = 2};
    nncl__host_data d;
    const char *p = write_text("byname.csv", "b,label,a\n2,0,1\n4,1,3\n");
    ck_assert_int_eq(nncl__csv_read(&io_err, p, &o, &d), NNCL_OK);
    ck_assert_uint_eq(d.cols, 2);
    assert_floats(d.f32, (const float[]){1, 2, 3, 4}, 4);
    ck_assert_int_eq(d.labels[1], 1);
    assert_names(d.col_names, want, 2);
    nncl__host_data_free(&d);

    p = write_text("nolabel.csv", "b,a\n2,1\n");
    ck_assert_int_eq(nncl__csv_read(&io_err, p, &o, &d), NNCL_OK);
    ck_assert_int_eq(d.label_kind, NNCL__LABELS_NONE);
    assert_floats(d.f32, (const float[]){1, 2}, 2);
    nncl__host_data_free(&d);

    p = write_text("wrongcols.csv", "a,c,label,d\n1,2,0,3\n");
    EXPECT_ERR(nncl__csv_read(&io_err, p, &o, &d), NNCL_ERR_FORMAT, d, "missing \"b\"",
               "extra \"c\", \"d\"");
    p = write_text("extra.csv", "a,b,z\n1,2,3\n");
    EXPECT_ERR(nncl__csv_read(&io_err, p, &o, &d), NNCL_ERR_FORMAT, d, "do not match", "extra \"z\"");

    o.label_column = "none";
    p = write_text("positional.csv", "5,6\n7,8\n");
    ck_assert_int_eq(nncl__csv_read(&io_err, p, &o, &d), NNCL_OK);
    assert_floats(d.f32, (const float[]){5, 6, 7, 8}, 4);
    nncl__host_data_free(&d);
    p = write_text("positional3.csv", "5,6,7\n");
    EXPECT_ERR(nncl__csv_read(&io_err, p, &o, &d), NNCL_ERR_FORMAT, d, "3 feature columns", "takes 2");
}
END_TEST

static void host_cases(Suite *s)
{
    NNCL_TEST_CASE(s, "idx", 0, idx_plain_valid, idx_gzip_valid, idx_mixed_and_no_labels,
                   idx_wrong_magic, idx_truncated_images, idx_truncated_labels,
                   idx_header_bigger_than_file, idx_trailing_data, idx_counts_disagree,
                   idx_empty_and_missing);
    NNCL_TEST_CASE(s, "csv", 0, csv_header_and_default_label, csv_no_header,
                   csv_semicolons_crlf_blank_quotes, csv_tab_separated,
                   csv_label_by_name_index_none, csv_float_targets_and_integral_labels,
                   csv_bad_cells, csv_ragged_and_empty, csv_bad_labels,
                   csv_quoted_header_and_cells, csv_quote_errors_and_lines, csv_header_names,
                   csv_string_labels, csv_missing_error, csv_missing_drop, csv_missing_mean,
                   csv_and_idx_sniff, csv_features_by_name);
}

int main(int argc, char **argv) { return nncl_test_run("loaders", host_cases, NULL, argc, argv); }
