/* SPDX-License-Identifier: MIT */
/* IDX reader: MNIST-style image and label files, plain or gzip-compressed
 * (detected by content), read into host memory with every size checked; and
 * nncl__idx_sniff, which tells an IDX file by its magic whatever its name. */
#include "io/hostdata.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define IDX_IMAGES_MAGIC 0x00000803u
#define IDX_LABELS_MAGIC 0x00000801u
/* deflate expands at most about 1032:1, so a gzip file of S bytes cannot hold
 * more than S * 1032 bytes of data: a cheap check before allocating. */
#define GZIP_MAX_RATIO 1032ull
/* gzip data is read in growing chunks, so memory follows what is really there. */
#define GZIP_FIRST_CHUNK ((size_t)1 << 24)
/* gzread counts in unsigned int: larger reads go in pieces of 1 GiB. */
#define GZREAD_MAX ((size_t)1 << 30)

typedef struct {
    const char *path;
    const char *kind;              /* "image" or "label" */
    gzFile gz;
    int gzip;
    int sized;                     /* a regular file: size is known */
    unsigned long long size;       /* bytes on disk */
    unsigned long long offset;     /* bytes consumed (of the decompressed data for gzip) */
} idx_file;

static uint32_t be32(const unsigned char *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | (uint32_t)b[3];
}

static const char *where(const idx_file *f)
{
    return f->gzip ? " (offsets in the decompressed data)" : "";
}

static nncl_status idx_open(nncl__errbuf *err, const char *path, const char *kind, idx_file *f)
{
    memset(f, 0, sizeof *f);
    f->path = path;
    f->kind = kind;
    int fd = open(path, O_RDONLY);
    if (fd < 0) return nncl__io_fail(err, NNCL_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    unsigned char magic[2];
    ssize_t got = -1;
    if (fstat(fd, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            errno = EISDIR;
        else
            got = read(fd, magic, 2);
        if (got >= 0 && lseek(fd, 0, SEEK_SET) != 0) got = -1;
    }
    if (got < 0) {
        int e = errno;
        close(fd);
        return nncl__io_fail(err, NNCL_ERR_IO, "%s: cannot read: %s", path, strerror(e));
    }
    f->sized = S_ISREG(st.st_mode);
    f->size = (unsigned long long)st.st_size;
    f->gzip = got == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    f->gz = gzdopen(fd, "rb");
    if (!f->gz) {
        close(fd);
        return nncl__io_fail(err, NNCL_ERR_OUT_OF_MEMORY, "%s: cannot start zlib", path);
    }
    return NNCL_OK;
}

static void idx_close(idx_file *f)
{
    if (f->gz) gzclose(f->gz);
    f->gz = NULL;
}

/* Reads up to n bytes; *got < n only at the end of the data. */
static nncl_status raw_read(nncl__errbuf *err, idx_file *f, void *dst, size_t n, size_t *got)
{
    unsigned char *p = dst;
    size_t done = 0;
    while (done < n) {
        size_t chunk = n - done > GZREAD_MAX ? GZREAD_MAX : n - done;
        int r = gzread(f->gz, p + done, (unsigned)chunk);
        if (r < 0) {
            int zerr = Z_OK;
            const char *msg = gzerror(f->gz, &zerr);
            if (zerr == Z_ERRNO)
                return nncl__io_fail(err, NNCL_ERR_IO, "%s: read error at offset %llu: %s", f->path,
                                  f->offset + done, strerror(errno));
            return nncl__io_fail(err, NNCL_ERR_FORMAT, "%s: corrupt gzip data at offset %llu%s: %s",
                              f->path, f->offset + done, where(f), msg);
        }
        if (r == 0) break;
        done += (size_t)r;
    }
    f->offset += done;
    *got = done;
    return NNCL_OK;
}

/* Reads the magic and ndims big-endian u32 counts. */
static nncl_status read_header(nncl__errbuf *err, idx_file *f, uint32_t magic, unsigned ndims,
                               uint32_t *dims)
{
    unsigned char b[16];
    size_t need = 4 + 4 * (size_t)ndims, got = 0;
    NNCL__IO_TRY(raw_read(err, f, b, need, &got));
    if (got == 0)
        return nncl__io_fail(err, NNCL_ERR_FORMAT, "%s: empty file: expected an IDX %s header",
                          f->path, f->kind);
    uint32_t m = got >= 4 ? be32(b) : 0;
    if (got >= 4 && m != magic)
        return nncl__io_fail(err, NNCL_ERR_FORMAT,
                          "%s: wrong magic 0x%08x at offset 0: an IDX %s file starts with 0x%08x%s",
                          f->path, (unsigned)m, f->kind, (unsigned)magic,
                          m == IDX_LABELS_MAGIC   ? " (this is a label file)"
                          : m == IDX_IMAGES_MAGIC ? " (this is an image file)"
                                                  : "");
    if (got < need)
        return nncl__io_fail(err, NNCL_ERR_FORMAT,
                          "%s: truncated header at offset %zu: an IDX %s header has %zu bytes%s",
                          f->path, got, f->kind, need, where(f));
    for (unsigned i = 0; i < ndims; i++) dims[i] = be32(b + 4 + 4 * i);
    return NNCL_OK;
}

/* Checks `bytes` of data after the header against what the file can hold. */
static nncl_status check_size(nncl__errbuf *err, const idx_file *f, unsigned long long bytes,
                              const char *what)
{
    if (!f->sized) return NNCL_OK;
    if (!f->gzip && f->offset + bytes > f->size)
        return nncl__io_fail(err, NNCL_ERR_FORMAT,
                          "%s: truncated: the header promises %s (%llu bytes from offset %llu), "
                          "but the file ends at offset %llu",
                          f->path, what, bytes, f->offset, f->size);
    if (f->gzip && bytes > f->size * GZIP_MAX_RATIO)
        return nncl__io_fail(err, NNCL_ERR_FORMAT,
                          "%s: the header promises %s (%llu bytes), more than a %llu-byte gzip "
                          "file can hold",
                          f->path, what, bytes, f->size);
    return NNCL_OK;
}

/* Reads exactly `bytes` of data into a new buffer, then checks nothing follows. */
static nncl_status read_data(nncl__errbuf *err, idx_file *f, size_t bytes, const char *what,
                             uint8_t **out)
{
    unsigned long long start = f->offset;
    size_t cap = f->gzip && bytes > GZIP_FIRST_CHUNK ? GZIP_FIRST_CHUNK : bytes;
    uint8_t *buf = malloc(cap ? cap : 1);
    size_t done = 0, got = 0;
    nncl_status st = NNCL_OK;
    if (!buf) return nncl__io_fail(err, NNCL_ERR_OUT_OF_MEMORY, "%s: cannot allocate %zu bytes",
                                f->path, cap);
    while (done < bytes) {
        if (done == cap) {
            size_t ncap = cap > bytes / 2 ? bytes : cap * 2;
            uint8_t *nb = realloc(buf, ncap);
            if (!nb) {
                st = nncl__io_fail(err, NNCL_ERR_OUT_OF_MEMORY, "%s: cannot allocate %zu bytes",
                                f->path, ncap);
                goto fail;
            }
            buf = nb;
            cap = ncap;
        }
        st = raw_read(err, f, buf + done, cap - done, &got);
        if (st != NNCL_OK) goto fail;
        done += got;
        if (done < cap) break;
    }
    if (done < bytes) {
        st = nncl__io_fail(err, NNCL_ERR_FORMAT,
                        "%s: truncated at offset %llu: the header promises %s (%zu bytes from "
                        "offset %llu)%s",
                        f->path, f->offset, what, bytes, start, where(f));
        goto fail;
    }
    unsigned char extra;
    st = raw_read(err, f, &extra, 1, &got);
    if (st == NNCL_OK && got != 0)
        st = nncl__io_fail(err, NNCL_ERR_FORMAT,
                        "%s: unexpected data at offset %llu, after the %s the header promises%s",
                        f->path, f->offset - 1, what, where(f));
    if (st != NNCL_OK) goto fail;
    *out = buf;
    return NNCL_OK;
fail:
    free(buf);
    return st;
}

nncl_status nncl__idx_read(nncl__errbuf *err, const char *images_path, const char *labels_path,
                           nncl__host_data *out)
{
    if (!out) return nncl__io_fail(err, NNCL_ERR_INVALID_ARG, "nncl__idx_read: out is NULL");
    memset(out, 0, sizeof *out);
    if (!images_path)
        return nncl__io_fail(err, NNCL_ERR_INVALID_ARG, "nncl__idx_read: images_path is NULL");

    idx_file im = {0}, lb = {0};
    uint32_t idim[3] = {0, 0, 0}, nlabels = 0;
    uint8_t *pixels = NULL, *raw_labels = NULL;
    int32_t *labels = NULL;
    char what[128];
    nncl_status st = idx_open(err, images_path, "image", &im);
    if (st == NNCL_OK) st = read_header(err, &im, IDX_IMAGES_MAGIC, 3, idim);
    if (st != NNCL_OK) goto done;

    /* n * rows * cols: rows * cols fits 64 bits; the product with n may not. */
    unsigned long long pix = (unsigned long long)idim[1] * idim[2];
    snprintf(what, sizeof what, "%u images of %ux%u", (unsigned)idim[0], (unsigned)idim[1],
             (unsigned)idim[2]);
    if (idim[0] == 0 || pix == 0) {
        st = nncl__io_fail(err, NNCL_ERR_FORMAT, "%s: the header at offset 4 describes %s: no data",
                        images_path, what);
        goto done;
    }
    if (pix > SIZE_MAX / idim[0]) {
        st = nncl__io_fail(err, NNCL_ERR_FORMAT,
                        "%s: the header at offset 4 describes %s: too large to address",
                        images_path, what);
        goto done;
    }
    size_t bytes = (size_t)pix * idim[0];
    st = check_size(err, &im, bytes, what);
    if (st != NNCL_OK) goto done;

    if (labels_path) {
        st = idx_open(err, labels_path, "label", &lb);
        if (st == NNCL_OK) st = read_header(err, &lb, IDX_LABELS_MAGIC, 1, &nlabels);
        if (st != NNCL_OK) goto done;
        if (nlabels != idim[0]) {
            st = nncl__io_fail(err, NNCL_ERR_FORMAT,
                            "counts disagree: %s has %u images but %s has %u labels (counts at "
                            "offset 4)",
                            images_path, (unsigned)idim[0], labels_path, (unsigned)nlabels);
            goto done;
        }
        char lwhat[64];
        snprintf(lwhat, sizeof lwhat, "%u labels", (unsigned)nlabels);
        st = check_size(err, &lb, nlabels, lwhat);
        if (st == NNCL_OK) st = read_data(err, &im, bytes, what, &pixels);
        if (st == NNCL_OK) st = read_data(err, &lb, nlabels, lwhat, &raw_labels);
        if (st != NNCL_OK) goto done;
        labels = malloc(nlabels * sizeof *labels);
        if (!labels) {
            st = nncl__io_fail(err, NNCL_ERR_OUT_OF_MEMORY, "%s: cannot allocate %u labels",
                            labels_path, (unsigned)nlabels);
            goto done;
        }
        int classes = 0;
        for (uint32_t i = 0; i < nlabels; i++) {
            labels[i] = raw_labels[i];
            if (raw_labels[i] + 1 > classes) classes = raw_labels[i] + 1;
        }
        out->label_kind = NNCL__LABELS_CLASS;
        out->labels = labels;
        out->classes = classes;
        labels = NULL;
    } else {
        st = read_data(err, &im, bytes, what, &pixels);
        if (st != NNCL_OK) goto done;
    }
    out->rows = idim[0];
    out->cols = (size_t)pix;
    out->u8 = pixels;
    pixels = NULL;
done:
    idx_close(&im);
    idx_close(&lb);
    free(pixels);
    free(raw_labels);
    free(labels);
    return st;
}

/* zlib reads a file that is not gzip as it is, so one read sees the magic of both. */
unsigned nncl__idx_sniff(const char *path)
{
    gzFile g = path ? gzopen(path, "rb") : NULL;
    if (!g) return 0;
    unsigned char magic[4];
    int got = gzread(g, magic, sizeof magic);
    gzclose(g);
    if (got != (int)sizeof magic) return 0;
    uint32_t m = be32(magic);
    return m == IDX_IMAGES_MAGIC || m == IDX_LABELS_MAGIC ? m : 0;
}
