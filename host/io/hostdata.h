/* SPDX-License-Identifier: MIT */
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
    /* Names (NUL-terminated UTF-8 as in the file, quotes removed). Each list is
     * one allocation: the pointers, then the strings; free() of the list frees all. */
    char **col_names;    /* cols feature column names from a CSV header, else NULL */
    char *label_name;    /* the label column's header name, else NULL */
    char **class_names;  /* classes names when the CSV labels were strings: class i is
                            class_names[i] (sorted by strcmp), else NULL */
    size_t dropped_rows; /* CSV rows left out for missing values (not counted in rows) */
} nncl__host_data;

/* Frees every array and name list of d and zeroes it; NULL and a zeroed d are harmless. */
void nncl__host_data_free(nncl__host_data *d);

/* A copy of the n strings names[0..n) as one allocation (see col_names); NULL
 * when names is NULL or n is 0, or without memory. The caller frees it with free(). */
char **nncl__names_dup(char *const *names, size_t n);

/* Gives dst its own copies of src's col_names, label_name and class_names (for a
 * data set made of some of src's rows). Returns 0, or -1 without memory (dst's
 * names are then NULL). */
int nncl__host_data_copy_names(nncl__host_data *dst, const nncl__host_data *src);

/* Reads an IDX image file (magic 0x00000803, u8, rows x H x W -> rows x H*W)
 * and an IDX label file (magic 0x00000801, u8); either may be gzip-compressed
 * (detected by content, not by name). labels_path may be NULL.
 * Errors: NNCL_ERR_IO (cannot open/read; names the file and errno text),
 * NNCL_ERR_FORMAT (wrong magic, truncated data, counts that disagree, sizes
 * in the header larger than the file — checked before allocating), each
 * message naming the file, the offset and the problem. */
nncl_status nncl__idx_read(nncl__errbuf *err, const char *images_path,
                           const char *labels_path, nncl__host_data *out);

/* The IDX magic at the start of the file (decompressed first if it is gzip):
 * 0x803 (images) or 0x801 (labels); 0 when it is neither or cannot be read. */
unsigned nncl__idx_sniff(const char *path);

/* A missing value is an empty cell or one of NA, NaN, nan, ? (see csv.c). */
typedef enum {
    NNCL__MISSING_ERROR = 0, /* a FORMAT error naming file:line:column */
    NNCL__MISSING_DROP = 1,  /* rows with a missing feature or label are left out */
    NNCL__MISSING_MEAN = 2   /* a missing feature takes its column's mean over the rows
                                kept; a row with a missing label is left out */
} nncl__csv_missing;

typedef struct {
    const char *label_column; /* a header name or a decimal index; NULL: the last column;
                                 "" or "none": no label column */
    int classify;             /* 1: labels are integer classes >= 0; 0: float targets */
    int max_classes;          /* > 0: numeric labels must be < max_classes, string labels
                                 at most max_classes distinct names (else FORMAT error) */
    nncl__csv_missing missing; /* what a missing value does; 0 (ERROR) by default */
    /* NULL, or n_features header names: the features are exactly these
     * columns, in this order (a model's inputs, matched by name). The file
     * may hold the label column besides them, and nothing else: a name it
     * lacks, or a column that is neither, is a FORMAT error naming them all.
     * A label_column name the header lacks then means "no labels", and so
     * does any name (not an index) in a file without a header, which must
     * have its columns in the model's order. */
    const char *const *features;
    size_t n_features;
} nncl__csv_options;

/* Reads a CSV of numeric features (csv.c's header comment has the details):
 * comma, semicolon or tab separated (detected from the first record), RFC 4180
 * quoting (separators, line breaks and "" inside quotes), an optional header
 * row (detected; names kept in col_names and label_name), blank lines ignored,
 * CRLF and a UTF-8 BOM accepted. Class labels may be names (class_names, in
 * strcmp order); missing values (empty, NA, NaN, nan, ?) follow opt->missing,
 * rows left out counted in dropped_rows. Errors NNCL_ERR_IO / NNCL_ERR_FORMAT
 * with "file:line:column: problem", the line being where the cell (or, for a
 * ragged row, the record) starts: non-numeric cell, missing value, ragged row,
 * unterminated quote, empty file, label not an integer or out of range, too
 * many class names, unknown label column, inf cell, a column with no values
 * to take the mean of. On failure *out is zeroed. */
nncl_status nncl__csv_read(nncl__errbuf *err, const char *path, const nncl__csv_options *opt,
                           nncl__host_data *out);

/* 1 if the file looks like a table nncl__csv_read can take, judged by its
 * content and not its name: text (no NUL or other control bytes but tab, CR,
 * LF in the first 8 KiB), and over its first lines either the same number of
 * commas, semicolons or tabs (outside quotes) on every line, or a single
 * column of numbers under an optional header. 0 otherwise, or when the file
 * cannot be read. */
int nncl__csv_sniff(const char *path);

#endif
