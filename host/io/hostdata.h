/* A data set read from a file into host memory, before it goes to the device.
 * Filled by the IDX (idx.c) and CSV (csv.c) readers; freed by nncl__host_data_free. */
#ifndef NNCL_HOSTDATA_H
#define NNCL_HOSTDATA_H

#include "io/ioerr.h"

#include <stdint.h>

typedef enum {
    NNCL__LABELS_NONE = 0,  /* features only (e.g. a CSV to predict on) */
    NNCL__LABELS_CLASS = 1, /* labels[i] is a class index 0 .. classes-1 */
    NNCL__LABELS_FLOAT = 2  /* targets[i] is a float (regression) */
} nncl__label_kind;

typedef struct {
    size_t rows, cols;
    uint8_t *u8;   /* rows*cols bytes (IDX images; scale 1/255 on use), or NULL */
    float *f32;    /* rows*cols floats (CSV), or NULL; exactly one of u8/f32 is set */
    nncl__label_kind label_kind;
    int32_t *labels;  /* rows class indices when label_kind == CLASS, else NULL */
    float *targets;   /* rows floats when label_kind == FLOAT, else NULL */
    int classes;      /* 1 + the largest label for CLASS, else 0 */
} nncl__host_data;

void nncl__host_data_free(nncl__host_data *d);

/* Reads an IDX image file (magic 0x00000803, u8, rows x H x W -> rows x H*W)
 * and an IDX label file (magic 0x00000801, u8); either may be gzip-compressed
 * (detected by content, not by name). labels_path may be NULL.
 * Errors: NNCL_ERR_IO (cannot open/read; names the file and errno text),
 * NNCL_ERR_FORMAT (wrong magic, truncated data, counts that disagree, sizes
 * in the header larger than the file — checked before allocating), each
 * message naming the file, the offset and the problem. */
nncl_status nncl__idx_read(nncl__errbuf *err, const char *images_path,
                           const char *labels_path, nncl__host_data *out);

typedef struct {
    const char *label_column; /* a header name or a decimal index; NULL: the last column;
                                 "" or "none": no label column */
    int classify;             /* 1: labels are integer classes >= 0; 0: float targets */
    int max_classes;          /* > 0: labels must be < max_classes (else FORMAT error) */
} nncl__csv_options;

/* Reads a numeric CSV: comma or semicolon separated (detected from the first
 * line), an optional header row (detected: a first row with a non-numeric
 * cell), blank lines ignored, CRLF accepted. Errors NNCL_ERR_IO / NNCL_ERR_FORMAT
 * with "file:line:column: problem" (non-numeric cell, ragged row, empty file,
 * label not an integer or out of range, unknown label column, NaN/inf cell). */
nncl_status nncl__csv_read(nncl__errbuf *err, const char *path, const nncl__csv_options *opt,
                           nncl__host_data *out);

#endif
