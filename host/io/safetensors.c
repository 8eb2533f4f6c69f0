/* SPDX-License-Identifier: MIT */
/* safetensors files (F32, 1-D and 2-D tensors): an atomic writer (temporary
 * file, fsync, rename: atomicfile.c) and a validating reader. The JSON header goes through
 * json.c. See safetensors.h. */
#include "io/safetensors.h"

#include "io/atomicfile.h"
#include "io/json.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The largest header accepted, as in the reference implementation. */
#define MAX_HEADER_BYTES 100000000ull
/* What a valid header can hold, by which the JSON parse is bounded before it
 * builds anything (a tree costs ~100 bytes a value, and a 100 MB header of
 * "[0,0,..." once took 2.5 GB): the top object and __metadata__, metadata
 * strings, and per tensor its entry, dtype, shape, data_offsets and up to 4
 * numbers. A tensor of data needs 4 bytes of it; empty tensors and metadata
 * entries are counted apart. */
#define MAX_META_ENTRIES 4096
#define MAX_EMPTY_TENSORS 4096
#define VALUES_PER_TENSOR 8

struct nncl__st_file {
    nncl__json header;             /* names, keys and values point into it */
    float *data;                   /* the data area, host order */
    nncl__st_tensor *tensors;      /* file order */
    size_t n_tensors;
    const nncl__st_tensor **by_name; /* sorted by name, for nncl__st_find */
    nncl__st_meta *meta;
    size_t n_meta;
};

typedef unsigned long long ull;

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
/* Fails with "<path>: <message>". */
static nncl_status st_fail(nncl__errbuf *err, nncl_status status, const char *path,
                           const char *fmt, ...)
{
    char msg[NNCL__IO_ERRLEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return nncl__io_fail(err, status, "%s: %s", path, msg);
}

static int host_is_little_endian(void)
{
    const uint32_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

static void swap32(void *p, size_t n)
{
    unsigned char *b = p;
    for (size_t i = 0; i < n; i++, b += 4) {
        unsigned char t0 = b[0], t1 = b[1];
        b[0] = b[3];
        b[1] = b[2];
        b[2] = t1;
        b[3] = t0;
    }
}

/* shape[0] (* shape[1]) elements, times 4 bytes, in *bytes; 0 on overflow. */
static int tensor_bytes(int ndim, const uint64_t *shape, uint64_t *bytes)
{
    uint64_t n = shape[0];
    if (ndim == 2) {
        if (shape[1] && n > UINT64_MAX / shape[1]) return 0;
        n *= shape[1];
    }
    if (n > UINT64_MAX / 4 || n > SIZE_MAX / 4) return 0;
    *bytes = n * 4;
    return 1;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The first name that occurs twice in names[0..n) (sorted in place), or NULL. */
static const char *find_duplicate(const char **names, size_t n)
{
    if (n > 1) qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 1; i < n; i++)
        if (strcmp(names[i - 1], names[i]) == 0) return names[i];
    return NULL;
}

/* ---- writing ---- */

static nncl_status check_write_args(nncl__errbuf *err, const char *path,
                                    const nncl__st_tensor *tensors, size_t n_tensors,
                                    const nncl__st_meta *meta, size_t n_meta)
{
    const char *who = path ? path : "(null)";
    if (!path || !*path) return nncl__io_fail(err, NNCL_ERR_INVALID_ARG, "safetensors write: no path");
    if ((n_tensors && !tensors) || (n_meta && !meta))
        return st_fail(err, NNCL_ERR_INVALID_ARG, who, "NULL tensor or metadata array");
    for (size_t i = 0; i < n_tensors; i++) {
        const nncl__st_tensor *t = &tensors[i];
        uint64_t shape[2] = {t->shape[0], t->ndim == 2 ? t->shape[1] : 1}, bytes = 0;
        if (!t->name || !nncl__json_utf8_valid(t->name, strlen(t->name)))
            return st_fail(err, NNCL_ERR_INVALID_ARG, who, "tensor %zu has no UTF-8 name", i);
        if (strcmp(t->name, "__metadata__") == 0)
            return st_fail(err, NNCL_ERR_INVALID_ARG, who,
                           "a tensor cannot be called __metadata__");
        if (t->ndim != 1 && t->ndim != 2)
            return st_fail(err, NNCL_ERR_INVALID_ARG, who,
                           "tensor '%s' has %d dimensions; only 1 or 2 are supported", t->name,
                           t->ndim);
        if (!tensor_bytes(t->ndim, shape, &bytes))
            return st_fail(err, NNCL_ERR_INVALID_ARG, who, "tensor '%s' is too large", t->name);
        if (bytes && !t->data)
            return st_fail(err, NNCL_ERR_INVALID_ARG, who, "tensor '%s' has no data", t->name);
    }
    for (size_t i = 0; i < n_meta; i++)
        if (!meta[i].key || !meta[i].value ||
            !nncl__json_utf8_valid(meta[i].key, strlen(meta[i].key)) ||
            !nncl__json_utf8_valid(meta[i].value, strlen(meta[i].value)))
            return st_fail(err, NNCL_ERR_INVALID_ARG, who,
                           "metadata entry %zu is not a pair of UTF-8 strings", i);

    size_t n = n_tensors > n_meta ? n_tensors : n_meta;
    const char **names = malloc((n ? n : 1) * sizeof *names);
    if (!names) return nncl__io_fail(err, NNCL_ERR_OUT_OF_MEMORY, "out of memory");
    for (size_t i = 0; i < n_tensors; i++) names[i] = tensors[i].name;
    const char *dup = find_duplicate(names, n_tensors);
    nncl_status st = NNCL_OK;
    if (dup) {
        st = st_fail(err, NNCL_ERR_INVALID_ARG, who, "duplicate tensor name '%s'", dup);
    } else {
        for (size_t i = 0; i < n_meta; i++) names[i] = meta[i].key;
        dup = find_duplicate(names, n_meta);
        if (dup) st = st_fail(err, NNCL_ERR_INVALID_ARG, who, "duplicate metadata key '%s'", dup);
    }
    free(names);
    return st;
}

/* The whole header: 8-byte length, JSON, spaces up to a multiple of 8. */
static int build_header(nncl__json_buf *b, const nncl__st_tensor *tensors, size_t n_tensors,
                        const nncl__st_meta *meta, size_t n_meta)
{
    nncl__json_put(b, "\0\0\0\0\0\0\0\0", 8); /* length, filled in below */
    nncl__json_puts(b, "{");
    if (n_meta) {
        nncl__json_puts(b, "\"__metadata__\":{");
        for (size_t i = 0; i < n_meta; i++) {
            if (i) nncl__json_puts(b, ",");
            nncl__json_put_string(b, meta[i].key);
            nncl__json_puts(b, ":");
            nncl__json_put_string(b, meta[i].value);
        }
        nncl__json_puts(b, "}");
    }
    uint64_t offset = 0;
    for (size_t i = 0; i < n_tensors; i++) {
        const nncl__st_tensor *t = &tensors[i];
        uint64_t shape[2] = {t->shape[0], t->ndim == 2 ? t->shape[1] : 1}, bytes = 0;
        tensor_bytes(t->ndim, shape, &bytes); /* checked by check_write_args */
        if (bytes > UINT64_MAX - offset) return 0;
        if (n_meta || i) nncl__json_puts(b, ",");
        nncl__json_put_string(b, t->name);
        nncl__json_puts(b, ":{\"dtype\":\"F32\",\"shape\":[");
        nncl__json_put_uint(b, shape[0]);
        if (t->ndim == 2) {
            nncl__json_puts(b, ",");
            nncl__json_put_uint(b, shape[1]);
        }
        nncl__json_puts(b, "],\"data_offsets\":[");
        nncl__json_put_uint(b, offset);
        nncl__json_puts(b, ",");
        nncl__json_put_uint(b, offset + bytes);
        nncl__json_puts(b, "]}");
        offset += bytes;
    }
    nncl__json_puts(b, "}");
    while (!b->failed && b->len % 8) nncl__json_puts(b, " ");
    if (b->failed) return 0;
    uint64_t n = b->len - 8;
    for (int i = 0; i < 8; i++) b->data[i] = (char)(unsigned char)(n >> (8 * i));
    return 1;
}

/* Writes the floats of t little-endian. 0 on a write error (errno set). */
static int write_floats(FILE *f, const nncl__st_tensor *t)
{
    size_t n = t->shape[0] * (t->ndim == 2 ? t->shape[1] : 1);
    if (n == 0) return 1;
    if (host_is_little_endian()) return fwrite(t->data, 4, n, f) == n;
    float chunk[1024]; /* byte-swapped a piece at a time */
    const size_t chunk_floats = sizeof chunk / sizeof *chunk;
    for (size_t done = 0; done < n;) {
        size_t k = n - done < chunk_floats ? n - done : chunk_floats;
        memcpy(chunk, t->data + done, k * 4);
        swap32(chunk, k);
        if (fwrite(chunk, 4, k, f) != k) return 0;
        done += k;
    }
    return 1;
}

nncl_status nncl__st_write(nncl__errbuf *err, const char *path, const nncl__st_tensor *tensors,
                           size_t n_tensors, const nncl__st_meta *meta, size_t n_meta)
{
    NNCL__IO_TRY(check_write_args(err, path, tensors, n_tensors, meta, n_meta));
    nncl__json_buf hdr = {0};
    if (!build_header(&hdr, tensors, n_tensors, meta, n_meta)) {
        free(hdr.data);
        return st_fail(err, NNCL_ERR_OUT_OF_MEMORY, path, "out of memory building the header");
    }
    nncl__atomic_file af;
    int sys_err = nncl__atomic_open(&af, path);
    if (sys_err) {
        free(hdr.data);
        if (sys_err == EISDIR || sys_err == EEXIST)
            return st_fail(err, NNCL_ERR_IO, path, "exists and is not a regular file; not replacing it");
        return st_fail(err, sys_err == ENOMEM ? NNCL_ERR_OUT_OF_MEMORY : NNCL_ERR_IO, path,
                       "cannot create the temporary file: %s", strerror(sys_err));
    }
    errno = 0;
    if (fwrite(hdr.data, 1, hdr.len, af.f) != hdr.len) sys_err = errno ? errno : EIO;
    for (size_t i = 0; !sys_err && i < n_tensors; i++)
        if (!write_floats(af.f, &tensors[i])) sys_err = errno ? errno : EIO;
    free(hdr.data);
    const char *step = "write failed";
    if (sys_err) nncl__atomic_abort(&af);
    else sys_err = nncl__atomic_commit(&af, &step);
    if (sys_err) return st_fail(err, NNCL_ERR_IO, path, "%s: %s", step, strerror(sys_err));
    return NNCL_OK;
}

/* ---- reading ---- */

void nncl__st_close(nncl__st_file *f)
{
    if (!f) return;
    nncl__json_free(&f->header);
    free(f->data);
    free(f->tensors);
    free(f->by_name);
    free(f->meta);
    free(f);
}

/* A uint64 array member of exactly `n` entries (n 0: 1 or 2) into v; count in *got. */
static int get_uints(const nncl__json *obj, const char *key, size_t n, uint64_t *v, size_t *got)
{
    const nncl__json *a = nncl__json_get(obj, key);
    if (!a || a->type != NNCL__JSON_ARRAY) return 0;
    *got = a->count;
    if (n ? a->count != n : (a->count < 1 || a->count > 2)) return 0;
    for (size_t i = 0; i < a->count; i++) {
        if (a->items[i].type != NNCL__JSON_NUMBER || !a->items[i].is_uint) return 0;
        v[i] = a->items[i].uint;
    }
    return 1;
}

static nncl_status read_metadata(nncl__errbuf *err, const char *path, nncl__st_file *f,
                                 const nncl__json *m)
{
    if (f->meta) return st_fail(err, NNCL_ERR_FORMAT, path, "__metadata__ appears twice");
    if (m->type != NNCL__JSON_OBJECT)
        return st_fail(err, NNCL_ERR_FORMAT, path, "__metadata__ is not an object");
    if (m->count > MAX_META_ENTRIES)
        return st_fail(err, NNCL_ERR_FORMAT, path, "__metadata__ has %zu entries; at most %d are read", m->count,
                       MAX_META_ENTRIES);
    f->meta = malloc((m->count ? m->count : 1) * sizeof *f->meta);
    const char **keys = malloc((m->count ? m->count : 1) * sizeof *keys);
    if (!f->meta || !keys) {
        free(keys);
        return st_fail(err, NNCL_ERR_OUT_OF_MEMORY, path, "out of memory");
    }
    for (size_t i = 0; i < m->count; i++) {
        if (m->items[i].type != NNCL__JSON_STRING) {
            free(keys);
            return st_fail(err, NNCL_ERR_FORMAT, path,
                           "__metadata__ value for '%s' is not a string", m->keys[i]);
        }
        f->meta[i].key = keys[i] = m->keys[i];
        f->meta[i].value = m->items[i].str;
    }
    f->n_meta = m->count;
    const char *dup = find_duplicate(keys, m->count);
    nncl_status st = NNCL_OK;
    if (dup) st = st_fail(err, NNCL_ERR_FORMAT, path, "duplicate __metadata__ key '%s'", dup);
    free(keys);
    return st;
}

/* One tensor entry into t, its data_offsets into off. */
static nncl_status read_entry(nncl__errbuf *err, const char *path, const char *name,
                              const nncl__json *e, uint64_t data_bytes, nncl__st_tensor *t,
                              uint64_t *off)
{
    uint64_t shape[2] = {0, 1}, bytes = 0;
    size_t ndim = 0, n_off = 0;
    if (e->type != NNCL__JSON_OBJECT)
        return st_fail(err, NNCL_ERR_FORMAT, path, "tensor '%s' is not an object", name);
    const nncl__json *dtype = nncl__json_get(e, "dtype");
    if (!dtype || dtype->type != NNCL__JSON_STRING)
        return st_fail(err, NNCL_ERR_FORMAT, path, "tensor '%s' has no dtype string", name);
    if (strcmp(dtype->str, "F32") != 0)
        return st_fail(err, NNCL_ERR_FORMAT, path,
                       "tensor '%s' has dtype %s; only F32 is supported", name, dtype->str);
    if (!get_uints(e, "shape", 0, shape, &ndim)) {
        if (ndim == 0 || ndim > 2)
            return st_fail(err, NNCL_ERR_FORMAT, path,
                           "tensor '%s' needs a shape of 1 or 2 dimensions (found %zu)", name,
                           ndim);
        return st_fail(err, NNCL_ERR_FORMAT, path,
                       "tensor '%s' has a shape entry that is not a non-negative integer", name);
    }
    if (!get_uints(e, "data_offsets", 2, off, &n_off))
        return st_fail(err, NNCL_ERR_FORMAT, path,
                       "tensor '%s' needs data_offsets [begin, end] of non-negative integers",
                       name);
    if (!tensor_bytes((int)ndim, shape, &bytes) || (uint64_t)(size_t)shape[0] != shape[0] ||
        (uint64_t)(size_t)shape[1] != shape[1])
        return st_fail(err, NNCL_ERR_FORMAT, path, "tensor '%s' has a shape too large", name);
    if (off[0] > off[1] || off[1] - off[0] != bytes)
        return st_fail(err, NNCL_ERR_FORMAT, path,
                       "tensor '%s' has data_offsets [%llu, %llu] but its shape needs %llu bytes "
                       "(4 per F32 element)",
                       name, (ull)off[0], (ull)off[1], (ull)bytes);
    if (off[1] > data_bytes)
        return st_fail(err, NNCL_ERR_FORMAT, path,
                       "tensor '%s' has data_offsets end %llu beyond the data area (%llu bytes)",
                       name, (ull)off[1], (ull)data_bytes);
    t->name = name;
    t->ndim = (int)ndim;
    t->shape[0] = (size_t)shape[0];
    t->shape[1] = ndim == 2 ? (size_t)shape[1] : 0;
    t->data = NULL;
    return NNCL_OK;
}

typedef struct {
    uint64_t begin, end;
    const char *name;
    size_t index; /* into nncl__st_file.tensors */
} span;

static int cmp_span(const void *a, const void *b)
{
    const span *x = a, *y = b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return 0;
}

static int cmp_tensor_name(const void *a, const void *b)
{
    const nncl__st_tensor *x = *(const nncl__st_tensor *const *)a;
    const nncl__st_tensor *y = *(const nncl__st_tensor *const *)b;
    return strcmp(x->name, y->name);
}

/* Checks that the spans are unique-named and tile [0, data_bytes) exactly. */
static nncl_status check_layout(nncl__errbuf *err, const char *path, nncl__st_file *f,
                                span *spans, uint64_t data_bytes)
{
    size_t n = f->n_tensors;
    for (size_t i = 0; i < n; i++) f->by_name[i] = &f->tensors[i];
    if (n > 1) qsort(f->by_name, n, sizeof *f->by_name, cmp_tensor_name);
    for (size_t i = 1; i < n; i++)
        if (strcmp(f->by_name[i - 1]->name, f->by_name[i]->name) == 0)
            return st_fail(err, NNCL_ERR_FORMAT, path, "duplicate tensor name '%s'",
                           f->by_name[i]->name);
    if (n > 1) qsort(spans, n, sizeof *spans, cmp_span);
    uint64_t covered = 0;
    for (size_t i = 0; i < n; i++) {
        if (spans[i].begin < covered)
            return st_fail(err, NNCL_ERR_FORMAT, path,
                           "tensors '%s' and '%s' overlap in the data area", spans[i - 1].name,
                           spans[i].name);
        if (spans[i].begin > covered)
            return st_fail(err, NNCL_ERR_FORMAT, path,
                           "gap of %llu bytes in the data area before tensor '%s'",
                           (ull)(spans[i].begin - covered), spans[i].name);
        covered = spans[i].end;
    }
    if (covered != data_bytes)
        return st_fail(err, NNCL_ERR_FORMAT, path,
                       "%llu extra bytes at the end of the data area not covered by any tensor",
                       (ull)(data_bytes - covered));
    return NNCL_OK;
}

/* Validates the parsed header into f; each tensor's begin offset into spans. */
static nncl_status read_header(nncl__errbuf *err, const char *path, nncl__st_file *f,
                               uint64_t data_bytes, span **spans_out)
{
    const nncl__json *h = &f->header;
    if (h->type != NNCL__JSON_OBJECT)
        return st_fail(err, NNCL_ERR_FORMAT, path, "the header is not a JSON object");
    size_t cap = h->count ? h->count : 1;
    f->tensors = malloc(cap * sizeof *f->tensors);
    f->by_name = malloc(cap * sizeof *f->by_name);
    span *spans = *spans_out = malloc(cap * sizeof *spans);
    if (!f->tensors || !f->by_name || !spans)
        return st_fail(err, NNCL_ERR_OUT_OF_MEMORY, path, "out of memory");
    for (size_t i = 0; i < h->count; i++) {
        if (strcmp(h->keys[i], "__metadata__") == 0) {
            NNCL__IO_TRY(read_metadata(err, path, f, &h->items[i]));
            continue;
        }
        uint64_t off[2];
        NNCL__IO_TRY(read_entry(err, path, h->keys[i], &h->items[i], data_bytes,
                             &f->tensors[f->n_tensors], off));
        spans[f->n_tensors].begin = off[0];
        spans[f->n_tensors].end = off[1];
        spans[f->n_tensors].name = h->keys[i];
        spans[f->n_tensors].index = f->n_tensors;
        f->n_tensors++;
    }
    return check_layout(err, path, f, spans, data_bytes);
}

/* Reads exactly n bytes; NNCL_OK, or an IO failure naming path. */
static nncl_status read_exact(nncl__errbuf *err, const char *path, FILE *fp, void *dst,
                              size_t n)
{
    errno = 0;
    if (n && fread(dst, 1, n, fp) != n) {
        if (ferror(fp))
            return st_fail(err, NNCL_ERR_IO, path, "read failed: %s",
                           strerror(errno ? errno : EIO));
        return st_fail(err, NNCL_ERR_IO, path, "file ended early (changed while reading?)");
    }
    return NNCL_OK;
}

/* A file that is not safetensors at all (a CSV given as a model) is named
 * by its first bytes, which say more than a nonsensical header length. */
#define FOREIGN_SHOWN_BYTES 16

/* bytes as C-escaped text into out (4 * count + 1 chars). */
static void show_bytes(const unsigned char *bytes, size_t count, char *out)
{
    for (size_t i = 0; i < count; i++) {
        unsigned char c = bytes[i];
        if (c == '"' || c == '\\') *out++ = '\\', *out++ = (char)c;
        else if (c >= 0x20 && c < 0x7f) *out++ = (char)c;
        else out += sprintf(out, "\\x%02x", c);
    }
    *out = '\0';
}

static nncl_status read_file(nncl__errbuf *err, const char *path, FILE *fp,
                             nncl__st_file *f)
{
    struct stat sb;
    unsigned char len8[8];
    if (fstat(fileno(fp), &sb) != 0)
        return st_fail(err, NNCL_ERR_IO, path, "cannot stat: %s", strerror(errno));
    if (!S_ISREG(sb.st_mode)) return st_fail(err, NNCL_ERR_IO, path, "not a regular file");
    uint64_t size = (uint64_t)sb.st_size;
    if (size < 8)
        return st_fail(err, NNCL_ERR_FORMAT, path,
                       "file is %llu bytes, too short for the 8-byte header length", (ull)size);
    unsigned char head[FOREIGN_SHOWN_BYTES];
    size_t head_len = size < sizeof head ? (size_t)size : sizeof head;
    NNCL__IO_TRY(read_exact(err, path, fp, head, head_len));
    if (fseek(fp, 8, SEEK_SET) != 0)
        return st_fail(err, NNCL_ERR_IO, path, "cannot seek: %s", strerror(errno));
    memcpy(len8, head, 8);
    char shown[4 * FOREIGN_SHOWN_BYTES + 1];
    show_bytes(head, head_len, shown);
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--) n = n << 8 | len8[i];
    /* Eight bytes of text as a length are over 2^56: a text file, not a
     * damaged model, so its length is no news. */
    int text_start = 1;
    for (int i = 0; i < 8; i++) text_start &= (len8[i] >= 0x20 && len8[i] < 0x7f) || isspace(len8[i]);
    if (n > size - 8 && text_start)
        return st_fail(err, NNCL_ERR_FORMAT, path, "not a safetensors file (it starts with \"%s\")", shown);
    if (n > size - 8)
        return st_fail(err, NNCL_ERR_FORMAT, path,
                       "not a safetensors file (it starts with \"%s\"): header length %llu is "
                       "larger than the rest of the file (%llu bytes)",
                       shown, (ull)n, (ull)(size - 8));
    if (n > MAX_HEADER_BYTES)
        return st_fail(err, NNCL_ERR_FORMAT, path, "header length %llu exceeds the limit of %llu",
                       (ull)n, MAX_HEADER_BYTES);
    uint64_t data_bytes = size - 8 - n;
    if ((uint64_t)(size_t)data_bytes != data_bytes)
        return st_fail(err, NNCL_ERR_FORMAT, path, "data area too large for this machine");

    char *text = malloc(n ? (size_t)n : 1);
    if (!text) return st_fail(err, NNCL_ERR_OUT_OF_MEMORY, path, "out of memory");
    nncl_status st = read_exact(err, path, fp, text, (size_t)n);
    if (st == NNCL_OK && (n == 0 || text[0] != '{'))
        st = st_fail(err, NNCL_ERR_FORMAT, path,
                     "not a safetensors file (it starts with \"%s\"): invalid JSON header: "
                     "not a JSON object (it must start with '{')", shown);
    if (st == NNCL_OK) {
        char json_err[256];
        uint64_t tensors = data_bytes / 4 + MAX_EMPTY_TENSORS;
        nncl__json_limits limits = {NNCL__JSON_MAX_DEPTH, (size_t)(2 + MAX_META_ENTRIES + VALUES_PER_TENSOR * tensors)};
        st = nncl__json_parse_limited(text, (size_t)n, &limits, &f->header, json_err, sizeof json_err);
        if (st != NNCL_OK) st = st_fail(err, st, path, "invalid JSON header: %s", json_err);
    }
    free(text);
    if (st != NNCL_OK) return st;

    span *spans = NULL;
    st = read_header(err, path, f, data_bytes, &spans);
    if (st == NNCL_OK) {
        /* Only now, with the layout known to be sound, the data itself. */
        f->data = malloc(data_bytes ? (size_t)data_bytes : 1);
        if (!f->data) st = st_fail(err, NNCL_ERR_OUT_OF_MEMORY, path, "out of memory");
    }
    if (st == NNCL_OK) st = read_exact(err, path, fp, f->data, (size_t)data_bytes);
    if (st == NNCL_OK) {
        if (!host_is_little_endian()) swap32(f->data, (size_t)data_bytes / 4);
        for (size_t i = 0; i < f->n_tensors; i++)
            f->tensors[spans[i].index].data = f->data + spans[i].begin / 4;
    }
    free(spans);
    return st;
}

nncl_status nncl__st_read(nncl__errbuf *err, const char *path, nncl__st_file **out)
{
    if (!out) return nncl__io_fail(err, NNCL_ERR_INVALID_ARG, "safetensors read: out is NULL");
    *out = NULL;
    if (!path) return nncl__io_fail(err, NNCL_ERR_INVALID_ARG, "safetensors read: no path");
    FILE *fp = fopen(path, "rb");
    if (!fp) return st_fail(err, NNCL_ERR_IO, path, "cannot open: %s", strerror(errno));
    nncl__st_file *f = calloc(1, sizeof *f);
    nncl_status st = f ? read_file(err, path, fp, f)
                       : st_fail(err, NNCL_ERR_OUT_OF_MEMORY, path, "out of memory");
    fclose(fp);
    if (st != NNCL_OK) {
        nncl__st_close(f);
        return st;
    }
    *out = f;
    return NNCL_OK;
}

const nncl__st_tensor *nncl__st_find(const nncl__st_file *f, const char *name)
{
    if (!f || !name) return NULL;
    size_t lo = 0, hi = f->n_tensors;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(f->by_name[mid]->name, name);
        if (c == 0) return f->by_name[mid];
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

size_t nncl__st_count(const nncl__st_file *f) { return f ? f->n_tensors : 0; }

const nncl__st_tensor *nncl__st_at(const nncl__st_file *f, size_t i)
{
    return f && i < f->n_tensors ? &f->tensors[i] : NULL;
}

const char *nncl__st_meta_get(const nncl__st_file *f, const char *key)
{
    if (!f || !key) return NULL;
    for (size_t i = 0; i < f->n_meta; i++)
        if (strcmp(f->meta[i].key, key) == 0) return f->meta[i].value;
    return NULL;
}
