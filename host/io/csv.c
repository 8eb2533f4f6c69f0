/* SPDX-License-Identifier: MIT */
/* CSV reader: a table as people write it, into host memory as f32 features
 * plus an optional label column (class indices or float targets).
 *
 * Records follow RFC 4180: a field may be enclosed in double quotes, and a
 * quoted field may hold the separator, CR/LF line breaks and "" for a quote.
 * Spaces around a field (and around its quotes) are dropped; a quote inside
 * an unquoted field is kept as text. The separator is the most frequent of
 * comma, semicolon and tab outside quotes on the first record. Blank lines
 * are skipped, CRLF and a UTF-8 BOM accepted.
 *
 * Header: the first record is a header when it names the label column, or
 * has a text cell in a column whose next cell is a number, or is the only
 * record holding text. Its names are kept (nncl__host_data.col_names,
 * label_name), quotes removed.
 *
 * Labels: numbers when every label is a number (class indices for
 * classification, targets for regression); for classification, any other
 * text makes every label a class name, numbered 0..k-1 in strcmp order of
 * the distinct names (scikit-learn's LabelEncoder order), names kept in
 * class_names.
 *
 * Missing values: an empty cell or one of NA, NaN, nan, ? (quoted or not).
 * nncl__csv_options.missing says what they do: ERROR (a message naming the
 * cell and the policies), DROP (rows with any missing value are left out),
 * MEAN (a missing feature takes its column's mean over the rows kept; a row
 * with a missing label is left out). Rows left out are counted in
 * dropped_rows; labels and means come from the rows kept only.
 *
 * Errors read "file:line:column: problem": the column is the 1-based field
 * number; the line is where the cell starts for a cell's problem, where the
 * record starts for a record's problem (a ragged row), so lines stay right
 * after a quoted field that spans lines.
 *
 * Memory: the file is read whole, then two passes over it (count the rows
 * kept and choose the label kind; parse); the arrays are allocated once,
 * for the rows kept. Class names are interned in a hash table, so memory
 * stays linear in the file. */
#include "io/hostdata.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *p;     /* into the file buffer: the field's text, quotes left out */
    size_t n;    /* bytes of text (before "" is turned into ") */
    size_t line; /* the line the field starts on */
    int escaped; /* quoted and holding "": unescape before use */
} cell;

/* A cell in a message: quoted, cut at CELL_SHOWN bytes. */
#define CELL_SHOWN 40
#define CELL_FMT "\"%.*s%s\""
#define CELL_ARG(c) (int)((c).n > CELL_SHOWN ? CELL_SHOWN : (c).n), (c).p, (c).n > CELL_SHOWN ? "..." : ""

typedef struct {
    nncl__errbuf *err;
    const char *path;
    char *buf;
    size_t len;  /* buf[len] == '\0' */
    size_t pos;  /* the next byte to read */
    size_t line; /* 1-based line of buf[pos] */
    char sep;
} reader;

/* Blank on a line: spaces, CR and tabs. */
static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

/* Blank around a field: the same, but a tab is a field when it separates. */
static int is_pad(const reader *R, char c) { return is_space(c) && c != R->sep; }

static const char UTF8_BOM[] = "\xEF\xBB\xBF";

/* Reads one field starting at R->pos into *out; *end = 1 when it is the last
 * of its record. Leaves R->pos after the field's separator or line end. */
static nncl_status next_field(reader *R, size_t col, cell *out, int *end)
{
    char *b = R->buf;
    size_t i = R->pos;
    while (i < R->len && is_pad(R, b[i])) i++;
    out->line = R->line;
    out->escaped = 0;
    if (i < R->len && b[i] == '"') {
        size_t start = ++i;
        for (;;) {
            char *q = memchr(b + i, '"', R->len - i);
            if (!q)
                return nncl__io_fail(R->err, NNCL_ERR_FORMAT,
                                     "%s:%zu:%zu: unterminated quote: the quoted field that "
                                     "starts here runs to the end of the file",
                                     R->path, out->line, col);
            for (char *t = b + i; (t = memchr(t, '\n', (size_t)(q - t))) != NULL; t++) R->line++;
            i = (size_t)(q - b) + 1;
            if (b[i] != '"') break; /* b[len] is '\0', so b[i] is always there */
            out->escaped = 1;
            i++;
        }
        out->p = b + start;
        out->n = i - 1 - start;
        while (i < R->len && is_pad(R, b[i])) i++;
        if (i < R->len && b[i] != R->sep && b[i] != '\n')
            return nncl__io_fail(R->err, NNCL_ERR_FORMAT,
                                 "%s:%zu:%zu: unexpected text after a closing quote (write \"\" "
                                 "for a quote inside a quoted field)",
                                 R->path, R->line, col);
    } else {
        size_t start = i;
        while (i < R->len && b[i] != R->sep && b[i] != '\n') i++;
        size_t stop = i;
        while (stop > start && is_pad(R, b[stop - 1])) stop--;
        out->p = b + start;
        out->n = stop - start;
    }
    *end = i >= R->len || b[i] == '\n';
    if (i < R->len && b[i] == '\n') R->line++;
    R->pos = i < R->len ? i + 1 : R->len;
    return NNCL_OK;
}

/* Reads the next record, skipping blank lines: *fields = its number of fields
 * (0 at the end of the file), the first `max` of them stored in cells. */
static nncl_status next_record(reader *R, cell *cells, size_t max, size_t *fields)
{
    *fields = 0;
    for (;;) {
        size_t i = R->pos;
        while (i < R->len && is_space(R->buf[i])) i++;
        if (i >= R->len) {
            R->pos = R->len;
            return NNCL_OK;
        }
        if (R->buf[i] != '\n') break;
        R->pos = i + 1;
        R->line++;
    }
    size_t k = 0;
    for (int end = 0; !end; k++) {
        cell c;
        NNCL__IO_TRY(next_field(R, k + 1, &c, &end));
        if (k < max) cells[k] = c;
    }
    *fields = k;
    return NNCL_OK;
}

/* Counts commas, semicolons and tabs outside quotes in the record that starts
 * at s (up to a line end outside quotes or e); returns where it ends. */
static const char *count_separators(const char *s, const char *e, size_t count[3])
{
    int quoted = 0;
    count[0] = count[1] = count[2] = 0;
    for (; s < e && (quoted || *s != '\n'); s++) {
        quoted ^= *s == '"';
        if (!quoted) {
            count[0] += *s == ',';
            count[1] += *s == ';';
            count[2] += *s == '\t';
        }
    }
    return s;
}

static char most_frequent_separator(const size_t count[3])
{
    return count[2] > count[0] && count[2] > count[1] ? '\t' : count[1] > count[0] ? ';' : ',';
}

/* Writes the text of c with "" turned into " and a NUL after it into dst
 * (room for c.n + 1 bytes); returns its length. */
static size_t unescape(cell c, char *dst)
{
    size_t k = 0;
    for (size_t i = 0; i < c.n; i++) {
        dst[k++] = c.p[i];
        if (c.escaped && c.p[i] == '"') i++;
    }
    dst[k] = '\0';
    return k;
}

/* 1 if the whole cell is a decimal number (finite or not; strtod's hex
 * forms such as 0x10 are not data). */
static int parse_num(cell c, double *v)
{
    if (c.n == 0 || c.escaped || memchr(c.p, 'x', c.n) || memchr(c.p, 'X', c.n)) return 0;
    char save = c.p[c.n];
    c.p[c.n] = '\0';
    char *end;
    *v = strtod(c.p, &end);
    c.p[c.n] = save;
    return end == c.p + c.n;
}

/* The spellings of a missing value besides an empty cell. */
static const char *const MISSING_TOKENS[] = {"NA", "NaN", "nan", "?"};

static int is_missing(cell c)
{
    if (c.n == 0) return 1;
    for (size_t i = 0; i < sizeof MISSING_TOKENS / sizeof *MISSING_TOKENS; i++)
        if (!c.escaped && strlen(MISSING_TOKENS[i]) == c.n && !memcmp(c.p, MISSING_TOKENS[i], c.n))
            return 1;
    return 0;
}

/* The message for a missing value under policy ERROR. */
static nncl_status missing_error(nncl__errbuf *err, const char *path, size_t col, cell c)
{
    static const char hint[] = "use --missing drop|mean to leave such rows out or fill in "
                               "the column's mean";
    double v;
    if (c.n == 0)
        return nncl__io_fail(err, NNCL_ERR_FORMAT, "%s:%zu:%zu: empty cell (a missing value); %s",
                             path, c.line, col, hint);
    return nncl__io_fail(err, NNCL_ERR_FORMAT, "%s:%zu:%zu: missing value " CELL_FMT "%s; %s",
                         path, c.line, col, CELL_ARG(c),
                         parse_num(c, &v) ? " (a non-finite number is not data)" : "", hint);
}

/* Parses a data cell that is not missing as a finite float, or fails naming
 * path:line:col. */
static nncl_status cell_value(nncl__errbuf *err, const char *path, size_t col, cell c, double *v)
{
    if (!parse_num(c, v))
        return nncl__io_fail(err, NNCL_ERR_FORMAT, "%s:%zu:%zu: not a number: " CELL_FMT, path,
                             c.line, col, CELL_ARG(c));
    if (!isfinite(*v))
        return nncl__io_fail(err, NNCL_ERR_FORMAT, "%s:%zu:%zu: non-finite value " CELL_FMT, path,
                             c.line, col, CELL_ARG(c));
    if (fabs(*v) > FLT_MAX)
        return nncl__io_fail(err, NNCL_ERR_FORMAT,
                             "%s:%zu:%zu: value " CELL_FMT " is out of float range", path, c.line,
                             col, CELL_ARG(c));
    return NNCL_OK;
}

/* The texts of the first record's cells, unquoted, as one allocation (the
 * layout of nncl__host_data.col_names); NULL without memory. */
static char **record_names(const cell *cells, size_t ncols)
{
    size_t bytes = ncols * sizeof(char *);
    for (size_t i = 0; i < ncols; i++) bytes += cells[i].n + 1;
    char **names = malloc(bytes);
    if (!names) return NULL;
    char *text = (char *)(names + ncols);
    for (size_t i = 0; i < ncols; i++) {
        names[i] = text;
        text += unescape(cells[i], text) + 1;
    }
    return names;
}

/* 1 if the first record is a header: it names the label column wanted, or
 * a text cell in it sits above a number, or it is the only record and holds
 * text. `second` has n2 fields (0: no second record). */
static int is_header(const cell *first, char *const *names, size_t ncols, const cell *second,
                     size_t n2, const char *want)
{
    double v;
    int text = 0;
    for (size_t i = 0; i < ncols; i++) {
        if (parse_num(first[i], &v) || is_missing(first[i])) continue;
        if (want && !strcmp(want, names[i])) return 1;
        text = 1;
    }
    if (!text || n2 == 0) return text;
    for (size_t i = 0; i < ncols && i < n2; i++)
        if (!parse_num(first[i], &v) && !is_missing(first[i]) && parse_num(second[i], &v))
            return 1;
    return 0;
}

/* Resolves the label column: *col = index, or -1 for none. hdr is NULL without a header. */
static nncl_status find_label(nncl__errbuf *err, const char *path, size_t line, const char *want,
                              char *const *hdr, size_t ncols, long *col)
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
        if (strcmp(hdr[i], want) == 0) {
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
        size_t n = strlen(hdr[i]);
        int w = snprintf(names + used, sizeof names - used, "%s\"%.*s%s\"", i ? ", " : "",
                         (int)(n > 40 ? 40 : n), hdr[i], n > 40 ? "..." : "");
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
static nncl_status class_label(nncl__errbuf *err, const char *path, size_t col, cell c, double v,
                               int max_classes, int32_t *label)
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
                                 path, c.line, col, CELL_ARG(c), why, max_classes - 1);
        return nncl__io_fail(err, NNCL_ERR_FORMAT,
                             "%s:%zu:%zu: label " CELL_FMT
                             " %s: class labels must be non-negative integers",
                             path, c.line, col, CELL_ARG(c), why);
    }
    *label = (int32_t)v;
    return NNCL_OK;
}

/* ---- class names: interned while reading, numbered in strcmp order after ---- */

typedef struct {
    char *pool;        /* the names, NUL-terminated, back to back */
    size_t pool_len, pool_cap;
    size_t *start;     /* per id: offset of its name in pool */
    size_t count, start_cap;
    uint32_t *slots;   /* open addressing: 0 empty, else id + 1 */
    size_t nslots;     /* a power of two, at least twice count */
    char *scratch;     /* an unescaped cell */
    size_t scratch_cap;
} name_set;

static void name_set_free(name_set *s)
{
    free(s->pool);
    free(s->start);
    free(s->slots);
    free(s->scratch);
    memset(s, 0, sizeof *s);
}

static uint64_t name_hash(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    return h;
}

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap) return 0;
    size_t n = *cap ? *cap : 64;
    while (n < need) n *= 2;
    void *q = realloc(*p, n * size);
    if (!q) return -1;
    *p = q;
    *cap = n;
    return 0;
}

/* Doubles the table (or makes the first one) and puts every id back. */
static int rehash(name_set *s)
{
    size_t n = s->nslots ? s->nslots * 2 : 64;
    uint32_t *slots = calloc(n, sizeof *slots);
    if (!slots) return -1;
    for (size_t id = 0; id < s->count; id++) {
        const char *name = s->pool + s->start[id];
        size_t i = (size_t)name_hash(name, strlen(name)) & (n - 1);
        while (slots[i]) i = (i + 1) & (n - 1);
        slots[i] = (uint32_t)id + 1;
    }
    free(s->slots);
    s->slots = slots;
    s->nslots = n;
    return 0;
}

/* The id of c's text, added if new; -1 without memory. */
static long name_id(name_set *s, cell c)
{
    if (grow((void **)&s->scratch, &s->scratch_cap, c.n + 1, 1)) return -1;
    size_t n = unescape(c, s->scratch);
    if ((s->count + 1) * 2 > s->nslots && rehash(s)) return -1;
    size_t i = (size_t)name_hash(s->scratch, n) & (s->nslots - 1);
    for (; s->slots[i]; i = (i + 1) & (s->nslots - 1)) {
        const char *name = s->pool + s->start[s->slots[i] - 1];
        if (!strncmp(name, s->scratch, n) && name[n] == '\0') return (long)s->slots[i] - 1;
    }
    if (s->count >= INT32_MAX || grow((void **)&s->pool, &s->pool_cap, s->pool_len + n + 1, 1) ||
        grow((void **)&s->start, &s->start_cap, s->count + 1, sizeof *s->start))
        return -1;
    memcpy(s->pool + s->pool_len, s->scratch, n + 1);
    s->start[s->count] = s->pool_len;
    s->pool_len += n + 1;
    s->slots[i] = (uint32_t)s->count + 1;
    return (long)s->count++;
}

typedef struct {
    const char *name;
    int32_t id;
} named_id;

static int by_name(const void *a, const void *b)
{
    return strcmp(((const named_id *)a)->name, ((const named_id *)b)->name);
}

/* Renumbers labels[0..rows) from first-seen ids to strcmp order of the names
 * and returns the sorted names (one allocation); NULL without memory. */
static char **sort_names(const name_set *s, int32_t *labels, size_t rows)
{
    named_id *order = malloc(s->count * sizeof *order);
    char **sorted = malloc(s->count * sizeof *sorted);
    int32_t *rank = malloc(s->count * sizeof *rank);
    char **names = NULL;
    if (order && sorted && rank) {
        for (size_t id = 0; id < s->count; id++)
            order[id] = (named_id){s->pool + s->start[id], (int32_t)id};
        qsort(order, s->count, sizeof *order, by_name);
        for (size_t k = 0; k < s->count; k++) {
            rank[order[k].id] = (int32_t)k;
            sorted[k] = (char *)order[k].name;
        }
        names = nncl__names_dup(sorted, s->count);
        if (names)
            for (size_t r = 0; r < rows; r++) labels[r] = rank[labels[r]];
    }
    free(order);
    free(sorted);
    free(rank);
    return names;
}

/* ---- the table --------------------------------------------------------------- */

typedef struct {
    reader R;
    const nncl__csv_options *opt;
    size_t ncols, nfeat;  /* fields per record; features (ncols less the label) */
    long lab;             /* the label column, or -1 */
    long *feat_of;        /* ncols entries: the feature a column is (0..nfeat-1), or -1 */
    size_t *col_of;       /* nfeat entries: the column of each feature */
    int header, classify, string_labels;
    size_t first_line;    /* where the first record starts */
    size_t data_pos, data_line; /* where the data records start */
    size_t rows, dropped; /* records kept, records left out for missing values */
    cell *cells;          /* room for two records */
    char **names;         /* the first record's texts (the header's names if header) */
} csv_table;

/* 1 if the record is left out under the missing-value policy. */
static int is_dropped(const csv_table *t)
{
    if (t->opt->missing == NNCL__MISSING_MEAN) return t->lab >= 0 && is_missing(t->cells[t->lab]);
    if (t->opt->missing != NNCL__MISSING_DROP) return 0;
    for (size_t c = 0; c < t->ncols; c++)
        if (is_missing(t->cells[c])) return 1;
    return 0;
}

/* Appends `name` to a list of names in text ("a", "b"), cut when full. */
static void list_name(char *text, size_t size, const char *name)
{
    size_t used = strlen(text), n = strlen(name);
    if (used + 8 < size)
        snprintf(text + used, size - used, "%s\"%.*s%s\"", used ? ", " : "", (int)(n > 40 ? 40 : n), name,
                 n > 40 ? "..." : "");
}

/* Which column is which feature: all but the label in file order, or the
 * columns opt->features names, in that order. */
static nncl_status map_features(csv_table *t)
{
    reader *R = &t->R;
    const nncl__csv_options *o = t->opt;
    t->feat_of = malloc(t->ncols * sizeof *t->feat_of);
    /* the file-order map below fills nfeat slots before the named columns
     * (n_features of them) replace it; + 1 keeps the size nonzero */
    size_t slots = o->features && o->n_features > t->nfeat ? o->n_features : t->nfeat;
    t->col_of = malloc((slots + 1) * sizeof *t->col_of);
    if (!t->feat_of || !t->col_of)
        return nncl__io_fail(R->err, NNCL_ERR_OUT_OF_MEMORY, "%s: cannot allocate %zu columns", R->path, t->ncols);
    for (size_t c = 0, j = 0; c < t->ncols; c++) {
        t->feat_of[c] = (long)c == t->lab ? -1 : (long)j;
        if ((long)c != t->lab) t->col_of[j++] = c;
    }
    if (!o->features) return NNCL_OK;
    if (!t->header) {
        if (t->nfeat == o->n_features) return NNCL_OK;
        return nncl__io_fail(R->err, NNCL_ERR_FORMAT,
                             "%s: %zu feature columns and no header row to match by name; the model takes %zu",
                             R->path, t->nfeat, o->n_features);
    }
    char missing[512] = "", extra[512] = "";
    for (size_t c = 0; c < t->ncols; c++) t->feat_of[c] = -1;
    for (size_t j = 0; j < o->n_features; j++) {
        size_t c = 0;
        while (c < t->ncols && ((long)c == t->lab || strcmp(t->names[c], o->features[j]) != 0)) c++;
        if (c == t->ncols) {
            list_name(missing, sizeof missing, o->features[j]);
            continue;
        }
        t->col_of[j] = c;
        t->feat_of[c] = (long)j;
    }
    for (size_t c = 0; c < t->ncols; c++)
        if ((long)c != t->lab && t->feat_of[c] < 0) list_name(extra, sizeof extra, t->names[c]);
    if (*missing || *extra)
        return nncl__io_fail(R->err, NNCL_ERR_FORMAT, "%s:%zu: the columns do not match the model's inputs:%s%s%s%s",
                             R->path, t->first_line, *missing ? " missing " : "", missing,
                             *extra ? (*missing ? "; extra " : " extra ") : "", extra);
    t->nfeat = o->n_features;
    return NNCL_OK;
}

/* The separator, column count, header and label column, from the first two
 * records; leaves where the data starts in t. */
static nncl_status read_layout(csv_table *t)
{
    reader *R = &t->R;
    if (R->len >= 3 && memcmp(R->buf, UTF8_BOM, 3) == 0) R->pos = 3;
    char *nul = memchr(R->buf, '\0', R->len);
    if (nul) {
        size_t line = 1;
        for (char *q = R->buf; q < nul; q++) line += *q == '\n';
        return nncl__io_fail(R->err, NNCL_ERR_FORMAT, "%s:%zu: NUL byte: not a text file",
                             R->path, line);
    }
    const char *s = R->buf + R->pos, *e = R->buf + R->len;
    for (const char *q = s; q < e; s = ++q) { /* past blank lines */
        while (q < e && is_space(*q)) q++;
        if (q == e || *q != '\n') break;
    }
    size_t count[3];
    count_separators(s, e, count);
    R->sep = most_frequent_separator(count);

    size_t pos0 = R->pos, line0 = R->line, n1, n2;
    NNCL__IO_TRY(next_record(R, NULL, 0, &t->ncols));
    if (t->ncols == 0)
        return nncl__io_fail(R->err, NNCL_ERR_FORMAT, "%s: no data rows (the file is empty)",
                             R->path);
    t->cells = malloc(2 * t->ncols * sizeof *t->cells);
    if (!t->cells)
        return nncl__io_fail(R->err, NNCL_ERR_OUT_OF_MEMORY, "%s: cannot allocate %zu columns",
                             R->path, t->ncols);
    R->pos = pos0;
    R->line = line0;
    NNCL__IO_TRY(next_record(R, t->cells, t->ncols, &n1));
    t->first_line = t->cells[0].line;
    size_t after_pos = R->pos, after_line = R->line;
    NNCL__IO_TRY(next_record(R, t->cells + t->ncols, t->ncols, &n2));
    t->names = record_names(t->cells, t->ncols);
    if (!t->names)
        return nncl__io_fail(R->err, NNCL_ERR_OUT_OF_MEMORY, "%s: cannot allocate the header",
                             R->path);
    const char *want = t->opt->label_column;
    int by_name = want && *want && strcmp(want, "none") != 0;
    t->header = is_header(t->cells, t->names, t->ncols, t->cells + t->ncols, n2,
                          by_name ? want : NULL);
    const char *label = want;
    if (t->opt->features && by_name) { /* an absent label column: no labels */
        int present = 0;
        for (size_t c = 0; t->header && c < t->ncols; c++) present |= strcmp(t->names[c], want) == 0;
        /* Without a header only an index can name a column. */
        if (!present && (t->header || strspn(want, "0123456789") != strlen(want))) label = "none";
    }
    NNCL__IO_TRY(find_label(R->err, R->path, t->first_line, label, t->header ? t->names : NULL,
                            t->ncols, &t->lab));
    t->nfeat = t->ncols - (t->lab >= 0);
    NNCL__IO_TRY(map_features(t));
    if (t->nfeat == 0)
        return nncl__io_fail(R->err, NNCL_ERR_FORMAT,
                             "%s:%zu: no feature columns: the only column is the label", R->path,
                             t->first_line);
    t->classify = t->lab >= 0 && t->opt->classify;
    t->data_pos = t->header ? after_pos : pos0;
    t->data_line = t->header ? after_line : line0;
    return NNCL_OK;
}

/* Pass 1: checks that every record has ncols fields, counts the rows kept and
 * left out, and sees whether the class labels are names. */
static nncl_status count_rows(csv_table *t)
{
    reader *R = &t->R;
    R->pos = t->data_pos;
    R->line = t->data_line;
    double v;
    for (;;) {
        size_t k;
        NNCL__IO_TRY(next_record(R, t->cells, t->ncols, &k));
        if (k == 0) break;
        if (k != t->ncols)
            return nncl__io_fail(R->err, NNCL_ERR_FORMAT,
                                 "%s:%zu:%zu: ragged row: %zu fields, expected %zu (as on line "
                                 "%zu)",
                                 R->path, t->cells[0].line, (k < t->ncols ? k : t->ncols) + 1, k,
                                 t->ncols, t->first_line);
        if (is_dropped(t)) {
            t->dropped++;
            continue;
        }
        t->rows++;
        if (t->classify && !t->string_labels) {
            cell c = t->cells[t->lab];
            t->string_labels = !is_missing(c) && !parse_num(c, &v);
        }
    }
    if (t->rows == 0 && t->dropped > 0)
        return nncl__io_fail(R->err, NNCL_ERR_FORMAT,
                             "%s: no data rows left after dropping %zu rows with missing values",
                             R->path, t->dropped);
    if (t->rows == 0)
        return nncl__io_fail(R->err, NNCL_ERR_FORMAT,
                             "%s: no data rows (only a header, on line %zu)", R->path,
                             t->first_line);
    return NNCL_OK;
}

/* The label of one kept row into labels[r] (a number or a first-seen name id)
 * or targets[r]; *classes grows to 1 + the largest numeric label. */
static nncl_status read_label(csv_table *t, cell c, size_t r, int32_t *labels, float *targets,
                              name_set *names, int *classes)
{
    reader *R = &t->R;
    size_t col = (size_t)t->lab + 1;
    double v;
    if (t->string_labels) {
        long id = name_id(names, c);
        if (id < 0)
            return nncl__io_fail(R->err, NNCL_ERR_OUT_OF_MEMORY,
                                 "%s: out of memory for the class names", R->path);
        labels[r] = (int32_t)id;
        return NNCL_OK;
    }
    NNCL__IO_TRY(cell_value(R->err, R->path, col, c, &v));
    if (!t->classify) {
        targets[r] = (float)v;
        return NNCL_OK;
    }
    NNCL__IO_TRY(class_label(R->err, R->path, col, c, v, t->opt->max_classes, &labels[r]));
    if (labels[r] + 1 > *classes) *classes = labels[r] + 1;
    return NNCL_OK;
}

/* Pass 2: parses the rows kept; a missing feature under MEAN becomes NaN
 * (no parsed value is NaN) for fill_means. */
static nncl_status parse_rows(csv_table *t, float *f32, int32_t *labels, float *targets,
                              name_set *names, int *classes)
{
    reader *R = &t->R;
    R->pos = t->data_pos;
    R->line = t->data_line;
    double v;
    for (size_t r = 0; r < t->rows;) {
        size_t k;
        NNCL__IO_TRY(next_record(R, t->cells, t->ncols, &k));
        if (is_dropped(t)) continue;
        float *dst = f32 + r * t->nfeat;
        for (size_t c = 0; c < t->ncols; c++) {
            cell x = t->cells[c];
            if (is_missing(x)) {
                if (t->opt->missing == NNCL__MISSING_ERROR)
                    return missing_error(R->err, R->path, c + 1, x);
                dst[t->feat_of[c]] = NAN; /* a feature: a missing label's row was dropped */
            } else if ((long)c == t->lab) {
                NNCL__IO_TRY(read_label(t, x, r, labels, targets, names, classes));
            } else {
                NNCL__IO_TRY(cell_value(R->err, R->path, c + 1, x, &v));
                dst[t->feat_of[c]] = (float)v;
            }
        }
        r++;
    }
    return NNCL_OK;
}

/* MEAN: each NaN (a missing feature) becomes its column's mean over the rows kept. */
static nncl_status fill_means(const csv_table *t, float *f32)
{
    for (size_t j = 0; j < t->nfeat; j++) {
        double sum = 0;
        size_t present = 0;
        for (size_t r = 0; r < t->rows; r++) {
            float v = f32[r * t->nfeat + j];
            if (!isnan(v)) sum += v, present++;
        }
        if (present == t->rows) continue;
        size_t col = t->col_of[j];
        if (present == 0)
            return nncl__io_fail(t->R.err, NNCL_ERR_FORMAT,
                                 "%s: column %zu%s%s%s has no values: cannot fill in its mean "
                                 "(--missing mean)",
                                 t->R.path, col + 1, t->header ? " (\"" : "",
                                 t->header ? t->names[col] : "", t->header ? "\")" : "");
        float mean = (float)(sum / (double)present);
        for (size_t r = 0; r < t->rows; r++)
            if (isnan(f32[r * t->nfeat + j])) f32[r * t->nfeat + j] = mean;
    }
    return NNCL_OK;
}

/* The header's feature names (col_names layout) and the label's name. */
static int keep_names(const csv_table *t, char ***col_names, char **label_name)
{
    char **feat = malloc(t->nfeat * sizeof *feat + 1);
    if (!feat) return -1;
    for (size_t j = 0; j < t->nfeat; j++) feat[j] = t->names[t->col_of[j]];
    *col_names = nncl__names_dup(feat, t->nfeat);
    free(feat);
    if (t->lab >= 0) {
        size_t n = strlen(t->names[t->lab]) + 1;
        *label_name = malloc(n);
        if (*label_name) memcpy(*label_name, t->names[t->lab], n);
    }
    return !*col_names || (t->lab >= 0 && !*label_name) ? -1 : 0;
}

nncl_status nncl__csv_read(nncl__errbuf *err, const char *path, const nncl__csv_options *opt,
                           nncl__host_data *out)
{
    if (!out) return nncl__io_fail(err, NNCL_ERR_INVALID_ARG, "nncl__csv_read: out is NULL");
    memset(out, 0, sizeof *out);
    if (!path || !opt)
        return nncl__io_fail(err, NNCL_ERR_INVALID_ARG, "nncl__csv_read: %s is NULL",
                             path ? "opt" : "path");
    if (opt->missing != NNCL__MISSING_ERROR && opt->missing != NNCL__MISSING_DROP &&
        opt->missing != NNCL__MISSING_MEAN)
        return nncl__io_fail(err, NNCL_ERR_INVALID_ARG, "nncl__csv_read: missing policy %d",
                             (int)opt->missing);

    csv_table t = {.R = {err, path, NULL, 0, 0, 1, ','}, .opt = opt};
    name_set names = {0};
    float *f32 = NULL, *targets = NULL;
    int32_t *labels = NULL;
    char **col_names = NULL, **class_names = NULL, *label_name = NULL;
    int classes = 0;
    nncl_status st = read_file(err, path, &t.R.buf, &t.R.len);
    if (st != NNCL_OK) return st;
    if ((st = read_layout(&t)) != NNCL_OK || (st = count_rows(&t)) != NNCL_OK) goto done;

    /* Each record holds ncols - 1 separators, so rows * ncols is at most twice
     * the file's length: no overflow. */
    f32 = malloc(t.rows * t.nfeat * sizeof *f32);
    if (t.classify) labels = malloc(t.rows * sizeof *labels);
    if (t.lab >= 0 && !t.classify) targets = malloc(t.rows * sizeof *targets);
    if (!f32 || (t.lab >= 0 && !labels && !targets)) {
        st = nncl__io_fail(err, NNCL_ERR_OUT_OF_MEMORY, "%s: cannot allocate %zu x %zu floats",
                           path, t.rows, t.ncols);
        goto done;
    }
    if ((st = parse_rows(&t, f32, labels, targets, &names, &classes)) != NNCL_OK) goto done;
    if (opt->missing == NNCL__MISSING_MEAN && (st = fill_means(&t, f32)) != NNCL_OK) goto done;
    if (t.string_labels) {
        if (opt->max_classes > 0 && names.count > (size_t)opt->max_classes) {
            st = nncl__io_fail(err, NNCL_ERR_FORMAT,
                               "%s: the label column holds %zu distinct class names, more than "
                               "the %d allowed",
                               path, names.count, opt->max_classes);
            goto done;
        }
        classes = (int)names.count;
        class_names = sort_names(&names, labels, t.rows);
    }
    if ((t.string_labels && !class_names) ||
        (t.header && keep_names(&t, &col_names, &label_name) != 0)) {
        st = nncl__io_fail(err, NNCL_ERR_OUT_OF_MEMORY, "%s: cannot allocate the names", path);
        goto done;
    }
    *out = (nncl__host_data){
        .rows = t.rows,
        .cols = t.nfeat,
        .f32 = f32,
        .label_kind = t.lab < 0 ? NNCL__LABELS_NONE
                      : t.classify ? NNCL__LABELS_CLASS
                                   : NNCL__LABELS_FLOAT,
        .labels = labels,
        .targets = targets,
        .classes = t.classify ? classes : 0,
        .col_names = col_names,
        .label_name = label_name,
        .class_names = class_names,
        .dropped_rows = t.dropped,
    };
    f32 = targets = NULL;
    labels = NULL;
    col_names = class_names = NULL;
    label_name = NULL;
done:
    free(t.R.buf);
    free(t.cells);
    free(t.names);
    free(t.feat_of);
    free(t.col_of);
    name_set_free(&names);
    free(f32);
    free(targets);
    free(labels);
    free(col_names);
    free(class_names);
    free(label_name);
    return st;
}

/* ---- sniffing ------------------------------------------------------------------ */

#define SNIFF_BYTES 8192 /* how much of the file is looked at */
#define SNIFF_RECORDS 20 /* how many records of it at most */

/* 1 if the record [s, e) is one cell holding a number (spaces and quotes around allowed). */
static int numeric_record(const char *s, const char *e)
{
    while (s < e && (is_space(*s) || *s == '"')) s++;
    while (e > s && (is_space(e[-1]) || e[-1] == '"')) e--;
    char text[64];
    if (s == e || (size_t)(e - s) >= sizeof text || memchr(s, 'x', (size_t)(e - s)) ||
        memchr(s, 'X', (size_t)(e - s)))
        return 0;
    memcpy(text, s, (size_t)(e - s));
    text[e - s] = '\0';
    char *end;
    strtod(text, &end);
    return end == text + (e - s);
}

int nncl__csv_sniff(const char *path)
{
    FILE *f = path ? fopen(path, "rb") : NULL;
    if (!f) return 0;
    char buf[SNIFF_BYTES];
    size_t n = fread(buf, 1, sizeof buf, f);
    int whole = n < sizeof buf && !ferror(f);
    fclose(f);
    const char *s = buf, *e = buf + n;
    if (n >= 3 && memcmp(buf, UTF8_BOM, 3) == 0) s += 3;
    for (const char *q = s; q < e; q++) {
        unsigned char c = (unsigned char)*q;
        if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f) return 0;
    }
    if (!whole) /* the last record may be cut */
        while (e > s && e[-1] != '\n') e--;

    size_t first[3] = {0}, records = 0;
    int same[3] = {1, 1, 1}, one_column = 1, first_numeric = 0, rest_numeric = 1;
    while (s < e && records < SNIFF_RECORDS) {
        const char *q = s;
        while (q < e && is_space(*q)) q++;
        if (q < e && *q == '\n') { /* a blank line */
            s = q + 1;
            continue;
        }
        if (q == e) break;
        size_t count[3];
        const char *end = count_separators(s, e, count);
        if (end == e && !whole) break; /* a quoted field runs past what was read */
        for (int k = 0; k < 3; k++) {
            if (records == 0) first[k] = count[k];
            same[k] &= count[k] == first[k];
            one_column &= count[k] == 0;
        }
        if (records == 0)
            first_numeric = numeric_record(s, end);
        else
            rest_numeric &= numeric_record(s, end);
        records++;
        s = end < e ? end + 1 : e;
    }
    if (records == 0) return 0;
    for (int k = 0; k < 3; k++)
        if (same[k] && first[k] > 0) return 1;
    /* one column: numbers, under an optional header */
    return one_column && rest_numeric && (records > 1 || first_numeric);
}
