/* SPDX-License-Identifier: MIT */
/* safetensors writer and reader (host/safetensors.c) and the JSON reader
 * under it (host/json.c): round trips, the exact byte layout, a check with an
 * independent Python reader, atomic replacement, and one test per kind of
 * malformed file. Needs no OpenCL device. */
#include "testutil.h"

#include "io/json.h"
#include "io/safetensors.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* Where the readers and writers under test put the detail of a failure. */
static nncl__errbuf io_err;


/* The whole file, malloc'd; its size in *size. */
static unsigned char *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *size = (size_t)n;
    return b;
}

/* A file whose length field says len_field, then json, then data_len zero bytes. */
static const char *write_raw_len(const char *name, uint64_t len_field, const char *json,
                                 size_t data_len)
{
    const char *path = nncl_test_path(name);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    unsigned char len8[8];
    for (int i = 0; i < 8; i++) len8[i] = (unsigned char)(len_field >> (8 * i));
    fwrite(len8, 1, 8, f);
    fwrite(json, 1, strlen(json), f);
    for (size_t i = 0; i < data_len; i++) fputc(0, f);
    ck_assert_int_eq(fclose(f), 0);
    return path;
}

static const char *write_raw(const char *name, const char *json, size_t data_len)
{
    return write_raw_len(name, strlen(json), json, data_len);
}

/* Reading path fails with want, and the message names the file and contains what. */
static void expect_read_error(const char *path, nncl_status want, const char *what)
{
    nncl__st_file *f = (nncl__st_file *)1;
    nncl_status st = nncl__st_read(&io_err, path, &f);
    const char *msg = io_err.text;
    ck_assert_msg(st == want, "%s: got %s (%s), want %s", path, nncl_status_string(st), msg,
                  nncl_status_string(want));
    ck_assert_ptr_null(f);
    ck_assert_msg(strstr(msg, path) != NULL, "message does not name the file: %s", msg);
    ck_assert_msg(strstr(msg, what) != NULL, "message lacks \"%s\": %s", what, msg);
}

/* 1 if some entry of dir contains ".tmp.". */
static int has_tmp_file(const char *dir)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    int found = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strstr(e->d_name, ".tmp.")) found = 1;
    closedir(d);
    return found;
}

static float bits_to_float(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* ---- round trips ---- */

static const char *meta_quote = "say \"hi\"";
static const char *meta_backslash = "C:\\dir\\file\tend\n";
static const char *meta_unicode = "h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x98\x80";

START_TEST(round_trip_bit_identical)
{
    enum { R = 7, C = 13 };
    float w[R * C], b[C];
    nncl_test_fill_uniform(w, R * C, 1, -3.0f, 3.0f);
    nncl_test_fill_uniform(b, C, 2, -1.0f, 1.0f);
    /* Values that must survive bit for bit. */
    w[0] = -0.0f;
    w[1] = INFINITY;
    w[2] = -INFINITY;
    w[3] = bits_to_float(0x7fc12345u); /* NaN with a payload */
    w[4] = bits_to_float(0x00000001u); /* smallest denormal */
    w[5] = 3.4028235e38f;
    nncl__st_tensor t[2] = {
        {"layers.0.weight", 2, {R, C}, w},
        {"layers.0.bias", 1, {C, 0}, b},
    };
    nncl__st_meta m[3] = {{"quote", meta_quote}, {"back\\slash", meta_backslash},
                          {"unicode \xc3\xa9", meta_unicode}};
    const char *path = nncl_test_path("round.safetensors");
    ck_assert_int_eq(nncl__st_write(&io_err, path, t, 2, m, 3), NNCL_OK);

    nncl__st_file *f = NULL;
    nncl_status st = nncl__st_read(&io_err, path, &f);
    ck_assert_msg(st == NNCL_OK, "%s", io_err.text);
    ck_assert_uint_eq(nncl__st_count(f), 2);
    ck_assert_str_eq(nncl__st_at(f, 0)->name, "layers.0.weight"); /* file order */
    ck_assert_str_eq(nncl__st_at(f, 1)->name, "layers.0.bias");
    ck_assert_ptr_null(nncl__st_at(f, 2));

    const nncl__st_tensor *rw = nncl__st_find(f, "layers.0.weight");
    ck_assert_ptr_nonnull(rw);
    ck_assert_int_eq(rw->ndim, 2);
    ck_assert_uint_eq(rw->shape[0], R);
    ck_assert_uint_eq(rw->shape[1], C);
    ck_assert_int_eq(memcmp(rw->data, w, sizeof w), 0);
    const nncl__st_tensor *rb = nncl__st_find(f, "layers.0.bias");
    ck_assert_ptr_nonnull(rb);
    ck_assert_int_eq(rb->ndim, 1);
    ck_assert_uint_eq(rb->shape[0], C);
    ck_assert_int_eq(memcmp(rb->data, b, sizeof b), 0);
    ck_assert_ptr_null(nncl__st_find(f, "layers.0"));

    ck_assert_str_eq(nncl__st_meta_get(f, "quote"), meta_quote);
    ck_assert_str_eq(nncl__st_meta_get(f, "back\\slash"), meta_backslash);
    ck_assert_str_eq(nncl__st_meta_get(f, "unicode \xc3\xa9"), meta_unicode);
    ck_assert_ptr_null(nncl__st_meta_get(f, "missing"));
    nncl__st_close(f);
}
END_TEST

START_TEST(round_trip_empty_and_zero_sized)
{
    const char *path = nncl_test_path("empty.safetensors");
    ck_assert_int_eq(nncl__st_write(&io_err, path, NULL, 0, NULL, 0), NNCL_OK);
    size_t size;
    unsigned char *b = slurp(path, &size);
    ck_assert_uint_eq(size, 16); /* 8 + "{}" padded to 8 */
    ck_assert_int_eq(memcmp(b, "\x08\0\0\0\0\0\0\0{}      ", 16), 0);
    free(b);
    nncl__st_file *f = NULL;
    ck_assert_int_eq(nncl__st_read(&io_err, path, &f), NNCL_OK);
    ck_assert_uint_eq(nncl__st_count(f), 0);
    ck_assert_ptr_null(nncl__st_find(f, "x"));
    nncl__st_close(f);

    float one = 1.5f;
    nncl__st_tensor t[2] = {{"none", 2, {0, 4}, NULL}, {"one", 1, {1, 0}, &one}};
    ck_assert_int_eq(nncl__st_write(&io_err, path, t, 2, NULL, 0), NNCL_OK);
    ck_assert_int_eq(nncl__st_read(&io_err, path, &f), NNCL_OK);
    ck_assert_uint_eq(nncl__st_find(f, "none")->shape[0], 0);
    ck_assert_uint_eq(nncl__st_find(f, "none")->shape[1], 4);
    ck_assert(nncl__st_find(f, "one")->data[0] == 1.5f);
    nncl__st_close(f);
}
END_TEST

/* ---- the exact bytes ---- */

static void check_layout(const char *path, const char *json, const unsigned char *data,
                         size_t data_len)
{
    size_t n = strlen(json), padded = n;
    while ((8 + padded) % 8) padded++;
    size_t size;
    unsigned char *b = slurp(path, &size);
    ck_assert_uint_eq(size, 8 + padded + data_len);
    uint64_t len = 0;
    for (int i = 7; i >= 0; i--) len = len << 8 | b[i];
    ck_assert_uint_eq(len, padded);
    ck_assert_msg(memcmp(b + 8, json, n) == 0, "header is %.*s\nwant      %s", (int)n,
                  (const char *)b + 8, json);
    for (size_t i = n; i < padded; i++) ck_assert_int_eq(b[8 + i], ' ');
    ck_assert_int_eq(memcmp(b + 8 + padded, data, data_len), 0);
    free(b);
}

START_TEST(exact_byte_layout)
{
    const float v[2] = {1.0f, -2.0f};
    nncl__st_tensor t = {"a", 1, {2, 0}, v};
    nncl__st_meta m = {"k", "v\"\\\x01"};
    const char *path = nncl_test_path("tiny.safetensors");
    ck_assert_int_eq(nncl__st_write(&io_err, path, &t, 1, &m, 1), NNCL_OK);
    static const unsigned char data1[8] = {0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0};
    check_layout(path,
                 "{\"__metadata__\":{\"k\":\"v\\\"\\\\\\u0001\"},"
                 "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
                 data1, sizeof data1);

    /* Two tensors, no metadata: contiguous offsets in the order given. */
    const float w[2] = {0.5f, 2.0f}, bias[1] = {-1.0f};
    nncl__st_tensor t2[2] = {{"w", 2, {1, 2}, w}, {"b", 1, {1, 0}, bias}};
    ck_assert_int_eq(nncl__st_write(&io_err, path, t2, 2, NULL, 0), NNCL_OK);
    static const unsigned char data2[12] = {0x00, 0x00, 0x00, 0x3f, 0x00, 0x00,
                                            0x00, 0x40, 0x00, 0x00, 0x80, 0xbf};
    check_layout(path,
                 "{\"w\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[0,8]},"
                 "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}",
                 data2, sizeof data2);
}
END_TEST

/* An independent reader: Python's json and struct (plus numpy when present). */
static const char *py_reader =
    "import json, struct, sys\n"
    "b = open(sys.argv[1], 'rb').read()\n"
    "n, = struct.unpack('<Q', b[:8])\n"
    "assert (8 + n) % 8 == 0 and 8 + n <= len(b)\n"
    "h = json.loads(b[8:8 + n].decode('utf-8'))\n"
    "meta = h.pop('__metadata__')\n"
    "assert meta == {'quote': 'say \"hi\"', 'path': 'C:\\\\dir', "
    "'uni': 'h\\u00e9llo \\u2713 \\U0001F600'}, meta\n"
    "assert list(h) == ['w', 'b'], list(h)\n"
    "data = b[8 + n:]\n"
    "want = {'w': ([2, 3], [i * 0.25 - 1 for i in range(6)]), 'b': ([3], [10.0, -0.5, 3.0])}\n"
    "end = 0\n"
    "for name, e in h.items():\n"
    "    assert e['dtype'] == 'F32'\n"
    "    lo, hi = e['data_offsets']\n"
    "    assert lo == end\n"
    "    end = hi\n"
    "    shape, vals = want[name]\n"
    "    assert e['shape'] == shape\n"
    "    got = list(struct.unpack('<%df' % len(vals), data[lo:hi]))\n"
    "    assert got == vals, (name, got)\n"
    "    try:\n"
    "        import numpy as np\n"
    "    except ImportError:\n"
    "        continue\n"
    "    a = np.frombuffer(data[lo:hi], dtype='<f4').reshape(shape)\n"
    "    assert a.ravel().tolist() == vals\n"
    "assert end == len(data)\n"
    "print('python reader: ok')\n";

START_TEST(readable_by_python)
{
    if (system("python3 -c 'import json, struct' >/dev/null 2>&1") != 0) {
        fprintf(stderr, "python3 not available: independent reader check skipped\n");
        return;
    }
    float w[6], b[3] = {10.0f, -0.5f, 3.0f};
    for (int i = 0; i < 6; i++) w[i] = (float)i * 0.25f - 1.0f;
    nncl__st_tensor t[2] = {{"w", 2, {2, 3}, w}, {"b", 1, {3, 0}, b}};
    nncl__st_meta m[3] = {{"quote", "say \"hi\""}, {"path", "C:\\dir"}, {"uni", meta_unicode}};
    const char *path = nncl_test_path("py.safetensors");
    ck_assert_int_eq(nncl__st_write(&io_err, path, t, 2, m, 3), NNCL_OK);
    const char *script = nncl_test_path("reader.py");
    FILE *f = fopen(script, "w");
    ck_assert_ptr_nonnull(f);
    fputs(py_reader, f);
    fclose(f);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "python3 '%s' '%s'", script, path);
    ck_assert_msg(system(cmd) == 0, "the Python reader rejected %s", path);
}
END_TEST

/* ---- atomic replacement ---- */

START_TEST(write_into_missing_dir_fails_and_leaves_nothing)
{
    const float v = 1.0f;
    nncl__st_tensor t = {"a", 1, {1, 0}, &v};
    const char *path = nncl_test_path("no-such-dir/x.safetensors");
    ck_assert_int_eq(nncl__st_write(&io_err, path, &t, 1, NULL, 0), NNCL_ERR_IO);
    const char *msg = io_err.text;
    ck_assert_msg(strstr(msg, path) && strstr(msg, strerror(ENOENT)), "%s", msg);
    struct stat sb;
    ck_assert_int_ne(stat(nncl_test_path("no-such-dir"), &sb), 0);
}
END_TEST

START_TEST(overwrite_replaces_content_without_leftovers)
{
    const char *dir = nncl_test_path("over");
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    const char *path = nncl_test_path("over/m.safetensors");
    float a[4] = {1, 2, 3, 4}, b[2] = {9, 8};
    nncl__st_tensor ta = {"a", 1, {4, 0}, a}, tb = {"b", 2, {1, 2}, b};
    ck_assert_int_eq(nncl__st_write(&io_err, path, &ta, 1, NULL, 0), NNCL_OK);
    ck_assert_int_eq(nncl__st_write(&io_err, path, &tb, 1, NULL, 0), NNCL_OK);
    nncl__st_file *f = NULL;
    ck_assert_int_eq(nncl__st_read(&io_err, path, &f), NNCL_OK);
    ck_assert_uint_eq(nncl__st_count(f), 1);
    ck_assert_ptr_null(nncl__st_find(f, "a"));
    ck_assert_int_eq(memcmp(nncl__st_find(f, "b")->data, b, sizeof b), 0);
    nncl__st_close(f);
    ck_assert(!has_tmp_file(dir));
}
END_TEST

START_TEST(failed_rename_removes_temporary)
{
    /* The destination is a directory: refused before anything is written. */
    const char *dir = nncl_test_path("ren");
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    const char *path = nncl_test_path("ren/target");
    ck_assert_int_eq(mkdir(path, 0700), 0);
    const float v = 1.0f;
    nncl__st_tensor t = {"a", 1, {1, 0}, &v};
    ck_assert_int_eq(nncl__st_write(&io_err, path, &t, 1, NULL, 0), NNCL_ERR_IO);
    ck_assert_msg(strstr(io_err.text, "not a regular file"), "%s", io_err.text);
    ck_assert(!has_tmp_file(dir));
    struct stat sb;
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert(S_ISDIR(sb.st_mode));
}
END_TEST

START_TEST(write_error_keeps_old_file)
{
    /* A file size limit makes the writes fail (EFBIG), as a full disk would. */
    const char *dir = nncl_test_path("full");
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    const char *path = nncl_test_path("full/m.safetensors");
    float small = 42.0f;
    nncl__st_tensor ts = {"small", 1, {1, 0}, &small};
    ck_assert_int_eq(nncl__st_write(&io_err, path, &ts, 1, NULL, 0), NNCL_OK);

    enum { N = 1 << 16 };
    float *big = calloc(N, sizeof *big);
    ck_assert_ptr_nonnull(big);
    nncl__st_tensor tb = {"big", 1, {N, 0}, big};
    struct rlimit old;
    ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    struct rlimit lim = old;
    lim.rlim_cur = 4096;
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
    nncl_status st = nncl__st_write(&io_err, path, &tb, 1, NULL, 0);
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, old_handler);
    free(big);

    const char *msg = io_err.text;
    ck_assert_msg(st == NNCL_ERR_IO, "%s: %s", nncl_status_string(st), msg);
    ck_assert_msg(strstr(msg, path) && strstr(msg, strerror(EFBIG)), "%s", msg);
    ck_assert(!has_tmp_file(dir));
    nncl__st_file *f = NULL;
    ck_assert_int_eq(nncl__st_read(&io_err, path, &f), NNCL_OK);
    ck_assert(nncl__st_find(f, "small")->data[0] == 42.0f);
    nncl__st_close(f);
}
END_TEST

START_TEST(write_rejects_bad_arguments)
{
    const float v[2] = {1, 2};
    const char *path = nncl_test_path("bad-args.safetensors");
    nncl__st_tensor dup[2] = {{"x", 1, {1, 0}, v}, {"x", 1, {1, 0}, v + 1}};
    ck_assert_int_eq(nncl__st_write(&io_err, path, dup, 2, NULL, 0), NNCL_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(io_err.text, "duplicate tensor name 'x'"));
    nncl__st_tensor three = {"t", 3, {1, 2}, v};
    ck_assert_int_eq(nncl__st_write(&io_err, path, &three, 1, NULL, 0), NNCL_ERR_INVALID_ARG);
    nncl__st_tensor reserved = {"__metadata__", 1, {1, 0}, v};
    ck_assert_int_eq(nncl__st_write(&io_err, path, &reserved, 1, NULL, 0), NNCL_ERR_INVALID_ARG);
    nncl__st_tensor nodata = {"n", 1, {2, 0}, NULL};
    ck_assert_int_eq(nncl__st_write(&io_err, path, &nodata, 1, NULL, 0), NNCL_ERR_INVALID_ARG);
    nncl__st_meta m[2] = {{"k", "1"}, {"k", "2"}};
    ck_assert_int_eq(nncl__st_write(&io_err, path, NULL, 0, m, 2), NNCL_ERR_INVALID_ARG);
    nncl__st_meta bad_utf8 = {"k", "\xff"};
    ck_assert_int_eq(nncl__st_write(&io_err, path, NULL, 0, &bad_utf8, 1), NNCL_ERR_INVALID_ARG);
    struct stat sb;
    ck_assert_int_ne(stat(path, &sb), 0); /* nothing written */
}
END_TEST

/* ---- malformed files ---- */

#define T1(name, shape, offs) \
    "\"" name "\":{\"dtype\":\"F32\",\"shape\":" shape ",\"data_offsets\":" offs "}"

START_TEST(read_rejects_short_and_oversized_headers)
{
    const char *p = nncl_test_path("short.safetensors");
    FILE *f = fopen(p, "wb");
    fwrite("\x02\0\0\0\0", 1, 5, f);
    fclose(f);
    expect_read_error(p, NNCL_ERR_FORMAT, "too short for the 8-byte header length");
    expect_read_error(write_raw_len("long.safetensors", 1000, "{}", 0), NNCL_ERR_FORMAT,
                      "header length 1000 is larger than the rest of the file (2 bytes)");
    /* Absurd lengths are refused before anything is allocated. */
    expect_read_error(write_raw_len("huge.safetensors", 1ull << 62, "{}", 0), NNCL_ERR_FORMAT,
                      "is larger than the rest of the file");
    expect_read_error(write_raw_len("zero.safetensors", 0, "", 0), NNCL_ERR_FORMAT,
                      "invalid JSON header");
    /* Within the file but over the 100 MB limit (a sparse file, so cheap). */
    p = write_raw_len("limit.safetensors", 100000001, "{}", 0);
    ck_assert_int_eq(truncate(p, 8 + 100000001 + 8), 0);
    expect_read_error(p, NNCL_ERR_FORMAT, "header length 100000001 exceeds the limit of 100000000");
    unlink(p);
}
END_TEST

/* A CSV (or any other file) given as a model says what it is not, and shows
 * how it starts, instead of a nonsensical header length. */
START_TEST(read_names_a_file_that_is_not_safetensors)
{
    const char *p = nncl_test_path("iris.csv");
    FILE *f = fopen(p, "wb");
    fputs("sepal length (cm),sepal width (cm),target\n5.1,3.5,setosa\n", f);
    fclose(f);
    expect_read_error(p, NNCL_ERR_FORMAT,
                      "not a safetensors file (it starts with \"sepal length (cm\")");
    /* A plausible length whose header is not a JSON object. */
    expect_read_error(write_raw("list.st", "[1, 2, 3]", 0), NNCL_ERR_FORMAT,
                      "not a safetensors file (it starts with "
                      "\"\\x09\\x00\\x00\\x00\\x00\\x00\\x00\\x00[1, 2, 3\")");
    /* Quotes and backslashes in the first bytes are escaped. */
    p = nncl_test_path("quoted.txt");
    f = fopen(p, "wb");
    fputs("\"a\\b\" and a long line of text\n", f);
    fclose(f);
    expect_read_error(p, NNCL_ERR_FORMAT, "(it starts with \"\\\"a\\\\b\\\" and a long\")");
}
END_TEST

START_TEST(read_rejects_bad_json)
{
    expect_read_error(write_raw("j1.st", "{\"a\":", 0), NNCL_ERR_FORMAT,
                      "invalid JSON header: byte 5: expected a JSON value, found end of input");
    expect_read_error(write_raw("j2.st", "{} x", 0), NNCL_ERR_FORMAT,
                      "unexpected 'x' after the JSON value");
    expect_read_error(write_raw("j3.st", "{} }", 0), NNCL_ERR_FORMAT,
                      "byte 3: unexpected '}' after the JSON value");
    expect_read_error(write_raw("j4.st", "{\"a\":1,}", 0), NNCL_ERR_FORMAT,
                      "expected a string key");
    expect_read_error(write_raw("j5.st", "{\"a\\q\":1}", 0), NNCL_ERR_FORMAT, "invalid escape");
    expect_read_error(write_raw("j6.st", "{\"\\ud800\":1}", 0), NNCL_ERR_FORMAT,
                      "without a low surrogate");
    expect_read_error(write_raw("j7.st", "{\"\xc3(\":1}", 0), NNCL_ERR_FORMAT, "invalid UTF-8");
    expect_read_error(write_raw("j8.st", "[]", 0), NNCL_ERR_FORMAT, "not a JSON object");
    expect_read_error(write_raw("j9.st", "{\"a\":01}", 0), NNCL_ERR_FORMAT, "leading zero");
    char deep[300] = "{\"__metadata__\":";
    for (int i = 0; i < 100; i++) strcat(deep, "[");
    expect_read_error(write_raw("j10.st", deep, 0), NNCL_ERR_FORMAT, "nesting deeper than 64");
}
END_TEST

START_TEST(read_rejects_bad_entries)
{
    expect_read_error(write_raw("e1.st",
                                "{\"x\":{\"dtype\":\"F16\",\"shape\":[2],"
                                "\"data_offsets\":[0,4]}}",
                                4),
                      NNCL_ERR_FORMAT, "tensor 'x' has dtype F16; only F32 is supported");
    expect_read_error(write_raw("e2.st", "{" T1("m", "[2,2]", "[0,12]") "}", 12), NNCL_ERR_FORMAT,
                      "tensor 'm' has data_offsets [0, 12] but its shape needs 16 bytes");
    expect_read_error(write_raw("e3.st", "{" T1("c", "[1,1,1]", "[0,4]") "}", 4), NNCL_ERR_FORMAT,
                      "tensor 'c' needs a shape of 1 or 2 dimensions (found 3)");
    expect_read_error(write_raw("e4.st", "{" T1("s", "[]", "[0,0]") "}", 0), NNCL_ERR_FORMAT,
                      "1 or 2 dimensions (found 0)");
    expect_read_error(write_raw("e5.st", "{" T1("n", "[-1]", "[0,4]") "}", 4), NNCL_ERR_FORMAT,
                      "tensor 'n' has a shape entry that is not a non-negative integer");
    expect_read_error(write_raw("e6.st", "{" T1("f", "[1.5]", "[0,4]") "}", 4), NNCL_ERR_FORMAT,
                      "not a non-negative integer");
    expect_read_error(write_raw("e7.st", "{" T1("o", "[1]", "[0]") "}", 4), NNCL_ERR_FORMAT,
                      "tensor 'o' needs data_offsets [begin, end]");
    expect_read_error(write_raw("e8.st", "{" T1("r", "[1]", "[8,4]") "}", 8), NNCL_ERR_FORMAT,
                      "tensor 'r' has data_offsets [8, 4]");
    expect_read_error(write_raw("e9.st", "{" T1("b", "[2]", "[0,8]") "}", 4), NNCL_ERR_FORMAT,
                      "tensor 'b' has data_offsets end 8 beyond the data area (4 bytes)");
    expect_read_error(write_raw("e10.st", "{\"x\":[]}", 0), NNCL_ERR_FORMAT,
                      "tensor 'x' is not an object");
    expect_read_error(write_raw("e11.st", "{\"x\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4),
                      NNCL_ERR_FORMAT, "tensor 'x' has no dtype string");
    expect_read_error(write_raw("e12.st",
                                "{" T1("h", "[65536,65536]", "[0,4]") "}", 4),
                      NNCL_ERR_FORMAT,
                      "tensor 'h' has data_offsets [0, 4] but its shape needs 17179869184 bytes");
    expect_read_error(write_raw("e13.st",
                                "{" T1("o", "[4294967296,4294967296]", "[0,4]") "}", 4),
                      NNCL_ERR_FORMAT, "tensor 'o' has a shape too large");
    expect_read_error(write_raw("e14.st", "{" T1("o", "[4611686018427387904]", "[0,4]") "}", 4),
                      NNCL_ERR_FORMAT, "tensor 'o' has a shape too large");
}
END_TEST

START_TEST(read_rejects_bad_layout)
{
    expect_read_error(write_raw("l1.st",
                                "{" T1("a", "[2]", "[0,8]") "," T1("b", "[2]", "[4,12]") "}", 12),
                      NNCL_ERR_FORMAT, "tensors 'a' and 'b' overlap");
    expect_read_error(write_raw("l2.st",
                                "{" T1("a", "[1]", "[0,4]") "," T1("b", "[1]", "[8,12]") "}", 12),
                      NNCL_ERR_FORMAT, "gap of 4 bytes in the data area before tensor 'b'");
    expect_read_error(write_raw("l3.st", "{" T1("a", "[1]", "[4,8]") "}", 8), NNCL_ERR_FORMAT,
                      "gap of 4 bytes in the data area before tensor 'a'");
    expect_read_error(write_raw("l4.st", "{" T1("a", "[1]", "[0,4]") "}", 8), NNCL_ERR_FORMAT,
                      "4 extra bytes at the end of the data area");
    expect_read_error(write_raw("l5.st", "{}", 3), NNCL_ERR_FORMAT, "3 extra bytes");
    expect_read_error(write_raw("l6.st",
                                "{" T1("a", "[1]", "[0,4]") "," T1("a", "[1]", "[4,8]") "}", 8),
                      NNCL_ERR_FORMAT, "duplicate tensor name 'a'");

    /* Out of order in the header is fine as long as the data area is tiled. */
    const char *p =
        write_raw("l7.st", "{" T1("b", "[1]", "[4,8]") "," T1("a", "[1]", "[0,4]") "}", 8);
    nncl__st_file *f = NULL;
    ck_assert_int_eq(nncl__st_read(&io_err, p, &f), NNCL_OK);
    ck_assert_str_eq(nncl__st_at(f, 0)->name, "b");
    ck_assert_ptr_eq(nncl__st_find(f, "b")->data, nncl__st_find(f, "a")->data + 1);
    nncl__st_close(f);
}
END_TEST

START_TEST(read_rejects_bad_metadata)
{
    expect_read_error(write_raw("m1.st", "{\"__metadata__\":{\"k\":1}}", 0), NNCL_ERR_FORMAT,
                      "__metadata__ value for 'k' is not a string");
    expect_read_error(write_raw("m2.st", "{\"__metadata__\":[\"k\"]}", 0), NNCL_ERR_FORMAT,
                      "__metadata__ is not an object");
    expect_read_error(write_raw("m3.st", "{\"__metadata__\":{},\"__metadata__\":{}}", 0),
                      NNCL_ERR_FORMAT, "__metadata__ appears twice");
    expect_read_error(write_raw("m4.st", "{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", 0),
                      NNCL_ERR_FORMAT, "duplicate __metadata__ key 'k'");
}
END_TEST

START_TEST(read_rejects_missing_file_and_directory)
{
    expect_read_error(nncl_test_path("does-not-exist.safetensors"), NNCL_ERR_IO, strerror(ENOENT));
    expect_read_error(nncl_test_tmpdir(), NNCL_ERR_IO, "not a regular file");
    ck_assert_int_eq(nncl__st_read(&io_err, NULL, NULL), NNCL_ERR_INVALID_ARG);
}
END_TEST

/* ---- the JSON reader and writer ---- */

START_TEST(json_decodes_strings_and_numbers)
{
    const char *text = " {\"s\":\"a\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\u2713\\ud83d\\ude00\","
                       "\"n\":[0,18446744073709551615,18446744073709551616,-1,1.5,2e3],"
                       "\"l\":[true,false,null],\"e\":{}} ";
    nncl__json v;
    char err[128];
    ck_assert_int_eq(nncl__json_parse(text, strlen(text), &v, err, sizeof err), NNCL_OK);
    const nncl__json *s = nncl__json_get(&v, "s");
    ck_assert_str_eq(s->str, "a\"\\/\b\f\n\r\t\xc3\xa9\xe2\x9c\x93\xf0\x9f\x98\x80");
    const nncl__json *n = nncl__json_get(&v, "n");
    ck_assert_uint_eq(n->count, 6);
    ck_assert(n->items[0].is_uint && n->items[0].uint == 0);
    ck_assert(n->items[1].is_uint && n->items[1].uint == UINT64_MAX);
    for (int i = 2; i < 6; i++)
        ck_assert(n->items[i].type == NNCL__JSON_NUMBER && !n->items[i].is_uint);
    const nncl__json *l = nncl__json_get(&v, "l");
    ck_assert(l->items[0].type == NNCL__JSON_TRUE && l->items[1].type == NNCL__JSON_FALSE &&
              l->items[2].type == NNCL__JSON_NULL);
    ck_assert(nncl__json_get(&v, "e")->type == NNCL__JSON_OBJECT);
    ck_assert_ptr_null(nncl__json_get(&v, "missing"));
    nncl__json_free(&v);

    const char *bad[] = {"", "[1,]", "\"\\u0000\"", "\"\\udc00\"", "\"\x01\"", "[1 2]", "tru",
                         "-", "1.", "1e", "\"\xed\xa0\x80\"", "\"\xc0\x80\"", "{\"a\" 1}", "\"abc"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ck_assert_msg(nncl__json_parse(bad[i], strlen(bad[i]), &v, err, sizeof err) ==
                          NNCL_ERR_FORMAT,
                      "accepted %s", bad[i]);
        ck_assert(v.type == NNCL__JSON_NULL && v.items == NULL && v.str == NULL);
    }
}
END_TEST

START_TEST(json_writer_round_trips)
{
    const char *s = "q\"b\\c\x01\x1f\n\t\xc3\xa9";
    nncl__json_buf b = {0};
    nncl__json_put_string(&b, s);
    nncl__json_puts(&b, " ");
    nncl__json_put_uint(&b, UINT64_MAX);
    ck_assert(!b.failed);
    ck_assert_str_eq(b.data, "\"q\\\"b\\\\c\\u0001\\u001f\\n\\t\xc3\xa9\" 18446744073709551615");
    nncl__json v;
    ck_assert_int_eq(nncl__json_parse(b.data, strlen(b.data) - 21, &v, NULL, 0), NNCL_OK);
    ck_assert_str_eq(v.str, s);
    nncl__json_free(&v);
    free(b.data);
}
END_TEST

static void host_cases(Suite *s)
{
    NNCL_TEST_CASE(s, "core", 0, round_trip_bit_identical, round_trip_empty_and_zero_sized,
                   exact_byte_layout, readable_by_python,
                   write_into_missing_dir_fails_and_leaves_nothing,
                   overwrite_replaces_content_without_leftovers, failed_rename_removes_temporary,
                   write_error_keeps_old_file, write_rejects_bad_arguments,
                   read_rejects_short_and_oversized_headers,
                   read_names_a_file_that_is_not_safetensors, read_rejects_bad_json,
                   read_rejects_bad_entries, read_rejects_bad_layout, read_rejects_bad_metadata,
                   read_rejects_missing_file_and_directory, json_decodes_strings_and_numbers,
                   json_writer_round_trips);
}

int main(int argc, char **argv) { return nncl_test_run("safetensors", host_cases, NULL, argc, argv); }
