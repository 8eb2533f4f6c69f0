/* CSV reader: a numeric table (comma or semicolon separated, optional header
 * row, CRLF, blank lines) into host memory as f32 features plus an optional
 * label column. Quoted separators are not supported; surrounding double quotes
 * on a cell are stripped. */
#include "io/hostdata.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *p; /* into the file buffer, which has a byte to spare after every cell */
    size_t n;
} cell;

/* A cell in a message: quoted, cut at CELL_SHOWN bytes. */
#define CELL_SHOWN 40
#define CELL_FMT "\"%.*s%s\""
#define CELL_ARG(c) (int)((c).n > CELL_SHOWN ? CELL_SHOWN : (c).n), (c).p, (c).n > CELL_SHOWN ? "..." : ""

typedef struct {
    char *buf;
    size_t len;  /* buf[len] == '\0' */
    size_t pos;  /* start of the next line */
    size_t line; /* 1-based number of the line last returned */
} lines;

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

/* The next line, without its line ending; 0 at the end of the file. */
static int next_line(lines *L, char **s, size_t *n)
{
    if (L->pos >= L->len) return 0;
    char *b = L->buf + L->pos;
    char *nl = memchr(b, '\n', L->len - L->pos);
    size_t k = nl ? (size_t)(nl - b) : L->len - L->pos;
    L->pos += k + (nl != NULL);
    L->line++;
    *s = b;
    *n = k;
    return 1;
}

/* The next line that is not blank; 0 at the end of the file. */
static int next_data_line(lines *L, char **s, size_t *n)
{
    while (next_line(L, s, n)) {
        for (size_t i = 0; i < *n; i++)
            if (!is_space((*s)[i])) return 1;
    }
    return 0;
}

static cell trim(char *b, char *e)
{
    while (b < e && is_space(*b)) b++;
    while (e > b && is_space(e[-1])) e--;
    if (e - b >= 2 && *b == '"' && e[-1] == '"') {
        b++;
        e--;
    }
    return (cell){b, (size_t)(e - b)};
}

/* Splits a line at sep into up to max cells; returns the number of fields. */
static size_t split(char *s, size_t n, char sep, cell *out, size_t max)
{
    char *end = s + n;
    size_t k = 0;
    for (;;) {
        char *e = memchr(s, sep, (size_t)(end - s));
        if (!e) e = end;
        if (k < max) out[k] = trim(s, e);
        k++;
        if (e == end) return k;
        s = e + 1;
    }
}

/* 1 if the whole cell is a decimal number (finite or not; strtod's hex
 * forms such as 0x10 are not data). */
static int parse_num(cell c, double *v)
{
    if (c.n == 0 || memchr(c.p, 'x', c.n) || memchr(c.p, 'X', c.n)) return 0;
    char save = c.p[c.n];
    c.p[c.n] = '\0';
    char *end;
    *v = strtod(c.p, &end);
    c.p[c.n] = save;
    return end == c.p + c.n;
}

/* Parses a data cell as a finite float, or fails naming path:line:col. */
static nncl_status cell_value(nncl__errbuf *err, const char *path, size_t line, size_t col,
                              cell c, double *v)
{
    if (c.n == 0)
        return nncl__io_fail(err, NNCL_ERR_FORMAT, "%s:%zu:%zu: empty cell", path, line, col);
    if (!parse_num(c, v))
        return nncl__io_fail(err, NNCL_ERR_FORMAT, "%s:%zu:%zu: not a number: " CELL_FMT, path,
                          line, col, CELL_ARG(c));
    if (!isfinite(*v))
        return nncl__io_fail(err, NNCL_ERR_FORMAT, "%s:%zu:%zu: non-finite value " CELL_FMT, path,
                          line, col, CELL_ARG(c));
    if (fabs(*v) > FLT_MAX)
        return nncl__io_fail(err, NNCL_ERR_FORMAT, "%s:%zu:%zu: value " CELL_FMT
                          " is out of float range", path, line, col, CELL_ARG(c));
    return NNCL_OK;
}

/* Resolves the label column: *col = index, or -1 for none. hdr is NULL without a header. */
static nncl_status find_label(nncl__errbuf *err, const char *path, size_t line, const char *want,
                              const cell *hdr, size_t ncols, long *col)
{
    if (!want) {
        *col = (long)ncols - 1;
        return NNCL_OK;
    }
    if (!*want || strcmp(want, "none") == 0) {
        *col = -1;
        return NNCL_OK;
    }
    size_t wn = strlen(want);
    for (size_t i = 0; hdr && i < ncols; i++) {
        if (hdr[i].n == wn && memcmp(hdr[i].p, want, wn) == 0) {
            *col = (long)i;
            return NNCL_OK;
        }
    }
    if (strspn(want, "0123456789") == wn) {
        errno = 0;
        unsigned long long i = strtoull(want, NULL, 10);
        if (errno == 0 && i < ncols) {
            *col = (long)i;
            return NNCL_OK;
        }
        return nncl__io_fail(err, NNCL_ERR_FORMAT,
                          "%s: label column %s out of range: the file has %zu columns (0..%zu)",
                          path, want, ncols, ncols - 1);
    }
    if (!hdr)
        return nncl__io_fail(err, NNCL_ERR_FORMAT,
                          "%s: unknown label column \"%s\": the file has no header row "
                          "(give a 0-based column index)",
                          path, want);
    char names[512];
    size_t used = 0;
    names[0] = '\0';
    for (size_t i = 0; i < ncols && used < sizeof names; i++) {
        int w = snprintf(names + used, sizeof names - used, "%s" CELL_FMT, i ? ", " : "",
                         CELL_ARG(hdr[i]));
        if (w < 0) break;
        used += (size_t)w;
    }
    return nncl__io_fail(err, NNCL_ERR_FORMAT,
                      "%s:%zu: unknown label column \"%s\"; the header has: %s", path, line,
                      want, names);
}

/* The whole file is read into one buffer that starts this large and doubles. */
#define READ_FIRST_BYTES ((size_t)1 << 16)

/* Reads the whole file, NUL-terminated. */

static nncl_status read_file(nncl__errbuf *err, const char *path, char **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return nncl__io_fail(err, NNCL_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = READ_FIRST_BYTES, n = 0;
    char *b = malloc(cap + 1);
    while (b) {
        n += fread(b + n, 1, cap - n, f);
        if (n < cap) break;
        char *nb = cap <= SIZE_MAX / 2 - 1 ? realloc(b, cap * 2 + 1) : NULL;
        if (!nb) free(b);
        b = nb;
        cap *= 2;
    }
    int read_errno = ferror(f) ? errno : 0;
    fclose(f);
    if (!b) return nncl__io_fail(err, NNCL_ERR_OUT_OF_MEMORY, "%s: file too large to read", path);
    if (read_errno) {
        free(b);
        return nncl__io_fail(err, NNCL_ERR_IO, "%s: read error: %s", path, strerror(read_errno));
    }
    b[n] = '\0';
    *buf = b;
    *len = n;
    return NNCL_OK;
}

/* Checks a class label: a non-negative integer below max_classes (if > 0). */
static nncl_status class_label(nncl__errbuf *err, const char *path, size_t line, size_t col,
                               cell c, double v, int max_classes, int32_t *label)
{
    const char *why = v < 0 ? "is negative"
                      : v != floor(v) ? "is not an integer"
                      : max_classes > 0 && v >= max_classes ? "is out of range"
                      : v >= INT32_MAX ? "is too large"
                                       : NULL;
    if (why) {
        if (max_classes > 0)
            return nncl__io_fail(err, NNCL_ERR_FORMAT,
                              "%s:%zu:%zu: label " CELL_FMT
                              " %s: class labels must be integers 0..%d",
                              path, line, col, CELL_ARG(c), why, max_classes - 1);
        return nncl__io_fail(err, NNCL_ERR_FORMAT,
                          "%s:%zu:%zu: label " CELL_FMT
                          " %s: class labels must be non-negative integers",
                          path, line, col, CELL_ARG(c), why);
    }
    *label = (int32_t)v;
    return NNCL_OK;
}

nncl_status nncl__csv_read(nncl__errbuf *err, const char *path, const nncl__csv_options *opt,
                           nncl__host_data *out)
{
    if (!out) return nncl__io_fail(err, NNCL_ERR_INVALID_ARG, "nncl__csv_read: out is NULL");
    memset(out, 0, sizeof *out);
    if (!path || !opt)
        return nncl__io_fail(err, NNCL_ERR_INVALID_ARG, "nncl__csv_read: %s is NULL",
                          path ? "opt" : "path");

    lines L = {0};
    cell *cells = NULL;
    float *f32 = NULL, *targets = NULL;
    int32_t *labels = NULL;
    char *s;
    size_t n;
    nncl_status st = read_file(err, path, &L.buf, &L.len);
    if (st != NNCL_OK) return st;
    if (L.len >= 3 && memcmp(L.buf, "\xEF\xBB\xBF", 3) == 0) L.pos = 3; /* UTF-8 BOM */
    char *nul = memchr(L.buf, '\0', L.len);
    if (nul) {
        size_t line = 1;
        for (char *q = L.buf; q < nul; q++) line += *q == '\n';
        st = nncl__io_fail(err, NNCL_ERR_FORMAT, "%s:%zu: NUL byte: not a text file", path, line);
        goto done;
    }
    if (!next_data_line(&L, &s, &n)) {
        st = nncl__io_fail(err, NNCL_ERR_FORMAT, "%s: no data rows (the file is empty)", path);
        goto done;
    }

    /* The first non-blank line: separator (the most frequent of comma,
     * semicolon and tab), column count, header or data. */
    size_t semis = 0, commas = 0, tabs = 0;
    for (size_t i = 0; i < n; i++) {
        semis += s[i] == ';';
        commas += s[i] == ',';
        tabs += s[i] == '\t';
    }
    char sep = tabs > commas && tabs > semis ? '\t' : semis > commas ? ';' : ',';
    size_t first_line = L.line, ncols = split(s, n, sep, NULL, 0);
    cells = malloc(ncols * sizeof *cells);
    if (!cells) {
        st = nncl__io_fail(err, NNCL_ERR_OUT_OF_MEMORY, "%s: cannot allocate %zu columns", path,
                        ncols);
        goto done;
    }
    split(s, n, sep, cells, ncols);
    int header = 0;
    double v = 0;
    for (size_t i = 0; i < ncols && !header; i++) header = !parse_num(cells[i], &v);
    long lab = -1;
    st = find_label(err, path, first_line, opt->label_column, header ? cells : NULL, ncols, &lab);
    if (st != NNCL_OK) goto done;
    size_t nfeat = ncols - (lab >= 0);
    if (nfeat == 0) {
        st = nncl__io_fail(err, NNCL_ERR_FORMAT,
                        "%s:%zu: no feature columns: the only column is the label", path,
                        first_line);
        goto done;
    }

    /* Pass 1: count rows and check that every row has ncols fields. */
    size_t data_start = header ? L.pos : (size_t)(s - L.buf), data_line = L.line - !header;
    size_t rows = header ? 0 : 1;
    while (next_data_line(&L, &s, &n)) {
        size_t k = split(s, n, sep, NULL, 0);
        if (k != ncols) {
            st = nncl__io_fail(err, NNCL_ERR_FORMAT,
                            "%s:%zu:%zu: ragged row: %zu fields, expected %zu (as on line %zu)",
                            path, L.line, (k < ncols ? k : ncols) + 1, k, ncols, first_line);
            goto done;
        }
        rows++;
    }
    if (rows == 0) {
        st = nncl__io_fail(err, NNCL_ERR_FORMAT, "%s: no data rows (only a header, on line %zu)",
                        path, first_line);
        goto done;
    }

    /* Pass 2: parse. Each row holds ncols - 1 separators, so rows * ncols is at
     * most twice the file's length: no overflow. */
    int classify = lab >= 0 && opt->classify;
    f32 = malloc(rows * nfeat * sizeof *f32);
    if (lab >= 0 && classify) labels = malloc(rows * sizeof *labels);
    if (lab >= 0 && !classify) targets = malloc(rows * sizeof *targets);
    if (!f32 || (lab >= 0 && !labels && !targets)) {
        st = nncl__io_fail(err, NNCL_ERR_OUT_OF_MEMORY, "%s: cannot allocate %zu x %zu floats",
                        path, rows, ncols);
        goto done;
    }
    L.pos = data_start;
    L.line = data_line;
    int classes = 0;
    for (size_t r = 0; r < rows; r++) {
        next_data_line(&L, &s, &n);
        split(s, n, sep, cells, ncols);
        float *dst = f32 + r * nfeat;
        for (size_t c = 0; c < ncols; c++) {
            st = cell_value(err, path, L.line, c + 1, cells[c], &v);
            if (st == NNCL_OK && (long)c == lab && classify)
                st = class_label(err, path, L.line, c + 1, cells[c], v, opt->max_classes,
                                 &labels[r]);
            if (st != NNCL_OK) goto done;
            if ((long)c != lab) {
                *dst++ = (float)v;
            } else if (classify) {
                if (labels[r] + 1 > classes) classes = labels[r] + 1;
            } else {
                targets[r] = (float)v;
            }
        }
    }
    out->rows = rows;
    out->cols = nfeat;
    out->f32 = f32;
    out->labels = labels;
    out->targets = targets;
    out->label_kind = lab < 0 ? NNCL__LABELS_NONE
                      : classify ? NNCL__LABELS_CLASS
                                 : NNCL__LABELS_FLOAT;
    out->classes = classify ? classes : 0;
    f32 = targets = NULL;
    labels = NULL;
done:
    free(L.buf);
    free(cells);
    free(f32);
    free(targets);
    free(labels);
    return st;
}
