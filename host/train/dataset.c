/* SPDX-License-Identifier: MIT */
/* Data sets: loading (idx.c, csv.c read the files), placement in device
 * memory or streaming, validation splits and per-column statistics. */
#include "train/dataset.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* IDX magic numbers (nncl__idx_sniff): images and labels. */
#define IDX_IMAGES_MAGIC 0x803u

#define FASHION_MNIST_DIR "/usr/share/datasets/fashion-mnist"

void nncl_dataset_set_device_budget(nncl_context *ctx, uint64_t bytes)
{
    if (ctx) nncl__context_set_dataset_budget(ctx, bytes);
}

static size_t feature_bytes(const nncl__host_data *h)
{
    return h->rows * h->cols * (h->u8 ? 1 : sizeof(float));
}

/* Uploads features and targets once, unless they exceed the budget (then the
 * data set streams). */
static nncl_status place(nncl_dataset *ds)
{
    nncl_context *ctx = ds->ctx;
    uint64_t budget = nncl__context_dataset_budget(ctx);
    size_t bytes = feature_bytes(&ds->host);
    if (bytes > budget || bytes > ctx->info.max_alloc_bytes) {
        ds->streamed = 1;
        return NNCL_OK;
    }
    const void *src = ds->host.u8 ? (const void *)ds->host.u8 : (const void *)ds->host.f32;
    cl_int err = nncl__buffer_create(ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, bytes, (void *)src, &ds->features);
    if (err != CL_SUCCESS) {
        /* Not enough device memory after all: stream instead of failing. */
        ds->streamed = 1;
        return NNCL_OK;
    }
    if (ds->targets) {
        err = nncl__buffer_create(ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, ds->host.rows * sizeof(float),
                                  ds->targets, &ds->targets_dev);
        if (err != CL_SUCCESS) return nncl__cl_fail(ctx, err, "uploading data-set targets");
    }
    return NNCL_OK;
}

/* Takes ownership of *h (zeroed on return) and makes a data set of it. */
static nncl_status wrap(nncl_context *ctx, nncl__host_data *h, nncl_dataset **out)
{
    if (h->rows > NNCL__MAX_ROWS) {
        size_t rows = h->rows;
        nncl__host_data_free(h);
        return nncl__fail(ctx, NNCL_ERR_SHAPE, "data set: %zu rows; at most %zu", rows, NNCL__MAX_ROWS);
    }
    nncl_dataset *ds = calloc(1, sizeof *ds);
    if (!ds) {
        nncl__host_data_free(h);
        return nncl__fail(ctx, NNCL_ERR_OUT_OF_MEMORY, "data set: host memory");
    }
    ds->ctx = ctx;
    ds->host = *h;
    memset(h, 0, sizeof *h);
    ds->scale = ds->host.u8 ? 1.0f / UINT8_MAX : 1.0f;
    size_t rows = ds->host.rows;
    if (ds->host.label_kind != NNCL__LABELS_NONE) {
        ds->targets = malloc(rows * sizeof(float));
        if (!ds->targets) {
            nncl_dataset_destroy(ds);
            return nncl__fail(ctx, NNCL_ERR_OUT_OF_MEMORY, "data set: %zu targets", rows);
        }
        for (size_t i = 0; i < rows; i++)
            ds->targets[i] = ds->host.label_kind == NNCL__LABELS_CLASS ? (float)ds->host.labels[i]
                                                                       : ds->host.targets[i];
    }
    /* Targets never change: found once here, not at every epoch (check_fit) */
    ds->first_outside_unit = rows;
    for (size_t i = 0; ds->targets && i < rows && ds->first_outside_unit == rows; i++)
        if (!(ds->targets[i] >= 0.0f && ds->targets[i] <= 1.0f)) ds->first_outside_unit = i;
    nncl_status st = place(ds);
    if (st != NNCL_OK) {
        nncl_dataset_destroy(ds);
        return st;
    }
    *out = ds;
    return NNCL_OK;
}

nncl_status nncl_dataset_from_arrays(nncl_context *ctx, const float *features, size_t rows, size_t cols,
                                     const float *targets, nncl_target_kind kind, nncl_dataset **out)
{
    const char *fn = "nncl_dataset_from_arrays";
    if (!ctx || !features || !out) return nncl__fail(ctx, NNCL_ERR_INVALID_ARG, "%s: NULL argument", fn);
    *out = NULL;
    if (rows == 0 || cols == 0)
        return nncl__fail(ctx, NNCL_ERR_SHAPE, "%s: %zu rows x %zu columns; both must be > 0", fn, rows, cols);
    if (rows > NNCL__MAX_ROWS)
        return nncl__fail(ctx, NNCL_ERR_SHAPE, "%s: %zu rows; a data set holds at most %zu", fn, rows,
                          NNCL__MAX_ROWS);
    if (kind != NNCL_TARGET_NONE && kind != NNCL_TARGET_CLASS && kind != NNCL_TARGET_VALUE)
        return nncl__fail(ctx, NNCL_ERR_INVALID_ARG, "%s: unknown target kind %d", fn, (int)kind);
    if ((kind == NNCL_TARGET_NONE) != (targets == NULL))
        return nncl__fail(ctx, NNCL_ERR_INVALID_ARG, "%s: targets %s but the kind is %s", fn,
                          targets ? "given" : "NULL", kind == NNCL_TARGET_NONE ? "NONE" : "CLASS or VALUE");
    if (cols > SIZE_MAX / sizeof(float) / rows)
        return nncl__fail(ctx, NNCL_ERR_OUT_OF_MEMORY, "%s: %zu x %zu floats", fn, rows, cols);
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++)
            if (!isfinite(features[r * cols + c]))
                return nncl__fail(ctx, NNCL_ERR_NUMERIC, "%s: feature row %zu, column %zu is %g", fn, r, c,
                                  (double)features[r * cols + c]);
    for (size_t r = 0; kind != NNCL_TARGET_NONE && r < rows; r++) {
        float t = targets[r];
        if (!isfinite(t))
            return nncl__fail(ctx, NNCL_ERR_NUMERIC, "%s: target of row %zu is %g", fn, r, (double)t);
        if (kind == NNCL_TARGET_CLASS && (!(t >= 0.0f && t < (float)NNCL_MAX_CLASSES) || t != floorf(t)))
            return nncl__fail(ctx, NNCL_ERR_INVALID_ARG, "%s: target %g of row %zu is not a class index in [0, %d)",
                              fn, (double)t, r, NNCL_MAX_CLASSES);
    }
    nncl__host_data h;
    memset(&h, 0, sizeof h);
    h.rows = rows;
    h.cols = cols;
    h.label_kind = kind == NNCL_TARGET_CLASS ? NNCL__LABELS_CLASS
                   : kind == NNCL_TARGET_VALUE ? NNCL__LABELS_FLOAT
                                               : NNCL__LABELS_NONE;
    h.f32 = malloc(rows * cols * sizeof(float));
    if (kind == NNCL_TARGET_CLASS) h.labels = malloc(rows * sizeof *h.labels);
    if (kind == NNCL_TARGET_VALUE) h.targets = malloc(rows * sizeof *h.targets);
    if (!h.f32 || (kind == NNCL_TARGET_CLASS && !h.labels) || (kind == NNCL_TARGET_VALUE && !h.targets)) {
        nncl__host_data_free(&h);
        return nncl__fail(ctx, NNCL_ERR_OUT_OF_MEMORY, "%s: %zu x %zu floats and their targets", fn, rows, cols);
    }
    memcpy(h.f32, features, rows * cols * sizeof(float));
    for (size_t r = 0; kind != NNCL_TARGET_NONE && r < rows; r++) {
        if (h.targets) h.targets[r] = targets[r];
        if (!h.labels) continue;
        h.labels[r] = (int32_t)targets[r];
        if (h.labels[r] + 1 > h.classes) h.classes = h.labels[r] + 1;
    }
    return wrap(ctx, &h, out);
}

nncl_status nncl_dataset_load_idx(nncl_context *ctx, const char *images_path,
                                  const char *labels_path, nncl_dataset **out)
{
    if (!ctx || !images_path || !out)
        return nncl__fail(ctx, NNCL_ERR_INVALID_ARG, "nncl_dataset_load_idx: NULL argument");
    *out = NULL;
    nncl__host_data h;
    memset(&h, 0, sizeof h);
    nncl__errbuf err;
    nncl_status st = nncl__idx_read(&err, images_path, labels_path, &h);
    if (st != NNCL_OK) return nncl__fail(ctx, st, "%s", err.text);
    return wrap(ctx, &h, out);
}

_Static_assert(NNCL_MISSING_ERROR == (int)NNCL__MISSING_ERROR && NNCL_MISSING_DROP == (int)NNCL__MISSING_DROP &&
                   NNCL_MISSING_MEAN == (int)NNCL__MISSING_MEAN,
               "nncl_missing and nncl__csv_missing disagree");

/* NNCL_CSV_AUTO's rule for whole-number labels read as classes (names are
 * always classes): too many distinct values, or too few rows for each, make
 * them regression targets. */
static int looks_like_values(const nncl__host_data *h)
{
    if (h->label_kind != NNCL__LABELS_CLASS || h->class_names) return 0;
    char *seen = calloc((size_t)h->classes + 1, 1);
    if (!seen) return 0;
    size_t distinct = 0;
    for (size_t r = 0; r < h->rows; r++)
        if (!seen[h->labels[r]]) seen[h->labels[r]] = 1, distinct++;
    free(seen);
    return distinct > NNCL_CSV_AUTO_MAX_CLASSES || h->rows < NNCL_CSV_AUTO_ROWS_PER_CLASS * distinct;
}

/* Class labels into float targets (the same numbers). */
static nncl_status labels_to_targets(nncl__host_data *h)
{
    h->targets = malloc((h->rows ? h->rows : 1) * sizeof *h->targets);
    if (!h->targets) return NNCL_ERR_OUT_OF_MEMORY;
    for (size_t r = 0; r < h->rows; r++) h->targets[r] = (float)h->labels[r];
    free(h->labels);
    h->labels = NULL;
    h->label_kind = NNCL__LABELS_FLOAT;
    h->classes = 0;
    return NNCL_OK;
}

nncl_status nncl_dataset_load_csv(nncl_context *ctx, const char *path,
                                  const nncl_csv_options *caller_options, nncl_dataset **out)
{
    if (!ctx || !path || !out)
        return nncl__fail(ctx, NNCL_ERR_INVALID_ARG, "nncl_dataset_load_csv: NULL argument");
    *out = NULL;
    nncl_csv_options options = nncl_csv_options_defaults();
    NNCL__OPTIONS_READ(&options, caller_options);
    int mode = options.regression;
    if (mode != 0 && mode != 1 && mode != NNCL_CSV_AUTO)
        return nncl__fail(ctx, NNCL_ERR_INVALID_ARG, "nncl_dataset_load_csv: regression %d (0, 1 or NNCL_CSV_AUTO)",
                          mode);
    if ((unsigned)options.missing > NNCL_MISSING_MEAN)
        return nncl__fail(ctx, NNCL_ERR_INVALID_ARG, "nncl_dataset_load_csv: unknown missing-value policy %d",
                          (int)options.missing);
    if (options.n_features && !options.features)
        return nncl__fail(ctx, NNCL_ERR_INVALID_ARG, "nncl_dataset_load_csv: n_features %zu but features is NULL",
                          options.n_features);
    nncl__csv_options opt = {.label_column = options.label_column, .classify = mode != 1,
                             .max_classes = NNCL_MAX_CLASSES, .missing = (nncl__csv_missing)options.missing,
                             .features = options.features, .n_features = options.n_features};
    nncl__host_data h;
    memset(&h, 0, sizeof h);
    nncl__errbuf err;
    nncl_status st = nncl__csv_read(&err, path, &opt, &h);
    if (st == NNCL_ERR_FORMAT && mode == NNCL_CSV_AUTO) {
        /* Fractions or negative labels read as values; when that fails too,
         * the first read's error (a bad feature, a missing cell) is the one. */
        nncl__errbuf values_err;
        opt.classify = 0;
        if (nncl__csv_read(&values_err, path, &opt, &h) == NNCL_OK) st = NNCL_OK;
    } else if (st == NNCL_OK && mode == NNCL_CSV_AUTO && looks_like_values(&h)) {
        st = labels_to_targets(&h);
        if (st != NNCL_OK) snprintf(err.text, sizeof err.text, "%s: out of memory", path);
    }
    if (st != NNCL_OK) return nncl__fail(ctx, st, "%s", err.text);
    return wrap(ctx, &h, out);
}

const char *nncl_dataset_feature_name(const nncl_dataset *ds, size_t i)
{
    return ds && ds->host.col_names && i < ds->host.cols ? ds->host.col_names[i] : NULL;
}

const char *nncl_dataset_target_name(const nncl_dataset *ds) { return ds ? ds->host.label_name : NULL; }

const char *nncl_dataset_class_name(const nncl_dataset *ds, size_t i)
{
    return ds && ds->host.class_names && i < (size_t)ds->host.classes ? ds->host.class_names[i] : NULL;
}

size_t nncl_dataset_dropped_rows(const nncl_dataset *ds) { return ds ? ds->host.dropped_rows : 0; }

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The IDX file of `stem` in dir, gzip-compressed or not. */
static int find_idx(const char *dir, const char *stem, char *path, size_t size)
{
    snprintf(path, size, "%s/%s.gz", dir, stem);
    struct stat st;
    if (stat(path, &st) == 0) return 1;
    snprintf(path, size, "%s/%s", dir, stem);
    return stat(path, &st) == 0;
}

nncl_status nncl_dataset_open(nncl_context *ctx, const char *name, const char *part,
                              const nncl_csv_options *options, nncl_dataset **out)
{
    if (!ctx || !name || !out)
        return nncl__fail(ctx, NNCL_ERR_INVALID_ARG, "nncl_dataset_open: NULL argument");
    *out = NULL;
    const char *dir = name;
    if (!strcmp(name, "fashion-mnist")) {
        dir = FASHION_MNIST_DIR;
        if (!is_dir(dir))
            return nncl__fail(ctx, NNCL_ERR_IO,
                              "fashion-mnist: %s not found; install it with `apt-get install "
                              "dataset-fashion-mnist`",
                              dir);
    }
    if (!is_dir(dir)) {
        unsigned magic = nncl__idx_sniff(name);
        if (magic)
            return nncl__fail(ctx, NNCL_ERR_FORMAT,
                              "%s: an IDX %s file; give the folder that holds the four IDX files", name,
                              magic == IDX_IMAGES_MAGIC ? "images" : "labels");
        if (!nncl__csv_sniff(name)) {
            FILE *f = fopen(name, "rb");
            if (!f) return nncl__fail(ctx, NNCL_ERR_IO, "%s: cannot open: %s", name, strerror(errno));
            fclose(f);
            return nncl__fail(ctx, NNCL_ERR_FORMAT, "%s: not a CSV table or an IDX folder (judged by its content)",
                              name);
        }
        return nncl_dataset_load_csv(ctx, name, options, out);
    }
    int test = part && !strcmp(part, "test");
    if (part && !test && strcmp(part, "train"))
        return nncl__fail(ctx, NNCL_ERR_INVALID_ARG, "data set part \"%s\": use train or test", part);
    char images[4096], labels[4096];
    const char *image_stem = test ? "t10k-images-idx3-ubyte" : "train-images-idx3-ubyte";
    const char *label_stem = test ? "t10k-labels-idx1-ubyte" : "train-labels-idx1-ubyte";
    if (!find_idx(dir, image_stem, images, sizeof images) ||
        !find_idx(dir, label_stem, labels, sizeof labels))
        return nncl__fail(ctx, NNCL_ERR_IO, "%s: no %s and %s (plain or .gz) in this folder", dir,
                          image_stem, label_stem);
    return nncl_dataset_load_idx(ctx, images, labels, out);
}

void nncl_dataset_destroy(nncl_dataset *ds)
{
    if (!ds) return;
    nncl__buffer_release(ds->ctx, &ds->features);
    nncl__buffer_release(ds->ctx, &ds->targets_dev);
    nncl__host_data_free(&ds->host);
    free(ds->targets);
    free(ds);
}

size_t nncl_dataset_rows(const nncl_dataset *ds) { return ds ? ds->host.rows : 0; }
size_t nncl_dataset_cols(const nncl_dataset *ds) { return ds ? ds->host.cols : 0; }
int nncl_dataset_classes(const nncl_dataset *ds) { return ds ? ds->host.classes : 0; }
int nncl_dataset_is_streamed(const nncl_dataset *ds) { return ds ? ds->streamed : 0; }

/* Feature (r, c) as the model sees it before standardisation. */
static double feature(const nncl_dataset *ds, size_t r, size_t c)
{
    size_t i = r * ds->host.cols + c;
    return ds->host.u8 ? ds->host.u8[i] * (double)ds->scale : ds->host.f32[i];
}

nncl_status nncl_dataset_stats(const nncl_dataset *ds, float *mean, float *stddev, size_t cols)
{
    if (!ds || !mean || !stddev)
        return nncl__fail(ds ? ds->ctx : NULL, NNCL_ERR_INVALID_ARG, "nncl_dataset_stats: NULL argument");
    if (cols != ds->host.cols)
        return nncl__fail(ds->ctx, NNCL_ERR_SHAPE, "nncl_dataset_stats: %zu columns asked, the data set has %zu",
                          cols, ds->host.cols);
    for (size_t c = 0; c < cols; c++) {
        double sum = 0, sq = 0;
        for (size_t r = 0; r < ds->host.rows; r++) sum += feature(ds, r, c);
        double mu = sum / (double)ds->host.rows;
        for (size_t r = 0; r < ds->host.rows; r++) {
            double d = feature(ds, r, c) - mu;
            sq += d * d;
        }
        mean[c] = (float)mu;
        stddev[c] = (float)sqrt(sq / (double)ds->host.rows);
    }
    return NNCL_OK;
}

nncl_status nncl_dataset_target_stats(const nncl_dataset *ds, double *mean, double *stddev)
{
    if (!ds || !mean || !stddev)
        return nncl__fail(ds ? ds->ctx : NULL, NNCL_ERR_INVALID_ARG, "nncl_dataset_target_stats: NULL argument");
    if (!ds->targets) return nncl__fail(ds->ctx, NNCL_ERR_INVALID_ARG, "the data set has no targets");
    double sum = 0, sq = 0, rows = (double)ds->host.rows;
    for (size_t i = 0; i < ds->host.rows; i++) sum += ds->targets[i];
    *mean = sum / rows;
    for (size_t i = 0; i < ds->host.rows; i++) sq += (ds->targets[i] - *mean) * (ds->targets[i] - *mean);
    *stddev = sqrt(sq / rows);
    return NNCL_OK;
}

nncl_status nncl_dataset_targets(const nncl_dataset *ds, float *dst, size_t count)
{
    if (!ds || !dst)
        return nncl__fail(ds ? ds->ctx : NULL, NNCL_ERR_INVALID_ARG, "nncl_dataset_targets: NULL argument");
    if (!ds->targets) return nncl__fail(ds->ctx, NNCL_ERR_INVALID_ARG, "the data set has no targets");
    if (count != ds->host.rows)
        return nncl__fail(ds->ctx, NNCL_ERR_SHAPE, "nncl_dataset_targets: %zu asked, %zu rows", count,
                          ds->host.rows);
    memcpy(dst, ds->targets, count * sizeof(float));
    return NNCL_OK;
}

/* A new data set of the rows order[0..n) of ds. */
static nncl_status subset(const nncl_dataset *ds, const size_t *order, size_t n, nncl_dataset **out)
{
    nncl__host_data h = ds->host;
    size_t cols = h.cols, width = h.u8 ? 1 : sizeof(float);
    h.rows = n;
    h.u8 = NULL, h.f32 = NULL, h.labels = NULL, h.targets = NULL;
    int names_ok = nncl__host_data_copy_names(&h, &ds->host) == 0;
    void *features = malloc(n * cols * width);
    if (h.label_kind == NNCL__LABELS_CLASS) h.labels = malloc(n * sizeof *h.labels);
    if (h.label_kind == NNCL__LABELS_FLOAT) h.targets = malloc(n * sizeof *h.targets);
    if (ds->host.u8) h.u8 = features; else h.f32 = features;
    if (!features || !names_ok || (h.label_kind == NNCL__LABELS_CLASS && !h.labels) ||
        (h.label_kind == NNCL__LABELS_FLOAT && !h.targets)) {
        nncl__host_data_free(&h);
        return nncl__fail(ds->ctx, NNCL_ERR_OUT_OF_MEMORY, "splitting a data set: host memory");
    }
    const char *src = ds->host.u8 ? (const char *)ds->host.u8 : (const char *)ds->host.f32;
    for (size_t i = 0; i < n; i++) {
        memcpy((char *)features + i * cols * width, src + order[i] * cols * width, cols * width);
        if (h.labels) h.labels[i] = ds->host.labels[order[i]];
        if (h.targets) h.targets[i] = ds->host.targets[order[i]];
    }
    return wrap(ds->ctx, &h, out);
}

nncl_status nncl_dataset_split(const nncl_dataset *ds, double fraction, uint64_t seed,
                               nncl_dataset **train, nncl_dataset **valid)
{
    if (!ds || !train || !valid)
        return nncl__fail(ds ? ds->ctx : NULL, NNCL_ERR_INVALID_ARG, "nncl_dataset_split: NULL argument");
    *train = *valid = NULL;
    size_t rows = ds->host.rows;
    /* fraction is checked before it is converted (NaN or < 0 would be undefined). */
    size_t n_valid = fraction > 0 && fraction < 1 ? (size_t)(fraction * (double)rows + 0.5) : 0;
    if (n_valid == 0 || n_valid >= rows)
        return nncl__fail(ds->ctx, NNCL_ERR_INVALID_ARG,
                          "validation split %g of %zu rows leaves an empty part; use a fraction "
                          "in (0, 1)",
                          fraction, rows);
    size_t *order = malloc(rows * sizeof *order);
    if (!order) return nncl__fail(ds->ctx, NNCL_ERR_OUT_OF_MEMORY, "splitting: %zu rows", rows);
    nncl__shuffle(order, rows, seed, UINT64_MAX);
    nncl_status st = subset(ds, order, rows - n_valid, train);
    if (st == NNCL_OK) st = subset(ds, order + rows - n_valid, n_valid, valid);
    free(order);
    if (st != NNCL_OK) {
        nncl_dataset_destroy(*train);
        *train = NULL;
    }
    return st;
}
