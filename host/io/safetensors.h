/* SPDX-License-Identifier: MIT */
/* safetensors files: an 8-byte little-endian header length N, N bytes of JSON
 * header (padded with spaces to a multiple of 8), then the raw tensor bytes.
 * Only F32 tensors of 1 or 2 dimensions are written or accepted here. */
#ifndef NNCL_SAFETENSORS_H
#define NNCL_SAFETENSORS_H

#include "io/ioerr.h"

typedef struct {
    const char *name;     /* e.g. "layers.0.weight" */
    int ndim;             /* 1 or 2 */
    size_t shape[2];
    const float *data;    /* shape[0] (* shape[1]) floats, host order = little-endian */
} nncl__st_tensor;

typedef struct {
    const char *key;
    const char *value;    /* any UTF-8 string; JSON-escaped on write */
} nncl__st_meta;

/* Writes the file atomically (atomicfile.h: a unique temporary file beside
 * it, fflush + fsync, then rename over path). On any failure the old file (if any) is untouched and
 * the temporary is removed. Tensors are laid out in the order given, offsets
 * contiguous from 0. Names must be unique (else NNCL_ERR_INVALID_ARG). */
nncl_status nncl__st_write(nncl__errbuf *err, const char *path, const nncl__st_tensor *tensors,
                           size_t n_tensors, const nncl__st_meta *meta, size_t n_meta);

typedef struct nncl__st_file nncl__st_file;

/* Reads and validates a whole file: header length within the file, JSON
 * well-formed, every entry has dtype "F32", a shape of 1 or 2 non-negative
 * dims, data_offsets [begin,end] with end-begin == 4*product(shape), offsets
 * inside the data area, non-overlapping, and together covering it exactly;
 * __metadata__ a string->string object. NNCL_ERR_IO / NNCL_ERR_FORMAT with the
 * file name and the problem. The caller frees with nncl__st_close. */
nncl_status nncl__st_read(nncl__errbuf *err, const char *path, nncl__st_file **out);
void nncl__st_close(nncl__st_file *f);
/* The tensor called name, or NULL. The returned struct and its data live as
 * long as f. */
const nncl__st_tensor *nncl__st_find(const nncl__st_file *f, const char *name);
size_t nncl__st_count(const nncl__st_file *f);
const nncl__st_tensor *nncl__st_at(const nncl__st_file *f, size_t i);
/* The metadata value for key, or NULL. */
const char *nncl__st_meta_get(const nncl__st_file *f, const char *key);

#endif
