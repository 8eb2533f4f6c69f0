/* SPDX-License-Identifier: MIT */
/* Device tensors: float32, row-major rows x cols, possibly a view (offset and
 * leading dimension) into a larger buffer such as a model's flat parameters. */
#include "core/core.h"

#include <stdlib.h>

nncl_status nncl__check_tensor(nncl_context *ctx, const nncl_tensor *t, const char *what)
{
    if (!t) return nncl__fail(ctx, NNCL_ERR_INVALID_ARG, "%s is NULL", what);
    if (t->ctx != ctx)
        return nncl__fail(ctx, NNCL_ERR_INVALID_ARG, "%s belongs to another context", what);
    return NNCL_OK;
}

int nncl__overlap(const nncl_tensor *a, const nncl_tensor *b)
{
    if (!a || !b || a->mem != b->mem) return 0;
    size_t a_end = a->offset + (a->rows - 1) * a->ld + a->cols, b_end = b->offset + (b->rows - 1) * b->ld + b->cols;
    return a->offset < b_end && b->offset < a_end;
}

nncl_status nncl_tensor_create(nncl_context *ctx, size_t rows, size_t cols, nncl_tensor **out)
{
    if (!ctx) return nncl__fail(NULL, NNCL_ERR_INVALID_ARG, "nncl_tensor_create: ctx is NULL");
    if (!out) return nncl__fail(ctx, NNCL_ERR_INVALID_ARG, "nncl_tensor_create: out is NULL");
    *out = NULL;
    if (rows == 0 || cols == 0)
        return nncl__fail(ctx, NNCL_ERR_SHAPE, "nncl_tensor_create: zero-sized tensor %zux%zu",
                          rows, cols);
    if (rows > SIZE_MAX / sizeof(float) / cols)
        return nncl__fail(ctx, NNCL_ERR_OUT_OF_MEMORY,
                          "nncl_tensor_create: %zux%zu floats overflow the address space", rows,
                          cols);
    size_t bytes = rows * cols * sizeof(float);
    if (bytes > ctx->info.max_alloc_bytes)
        return nncl__fail(ctx, NNCL_ERR_OUT_OF_MEMORY,
                          "nncl_tensor_create: %zux%zu floats need %zu bytes; the device "
                          "allows at most %llu in one buffer",
                          rows, cols, bytes, (unsigned long long)ctx->info.max_alloc_bytes);
    nncl_tensor *t = calloc(1, sizeof *t);
    if (!t) return nncl__fail(ctx, NNCL_ERR_OUT_OF_MEMORY, "nncl_tensor_create: host memory");
    cl_int err = nncl__buffer_create(ctx, CL_MEM_READ_WRITE, bytes, NULL, &t->mem);
    if (err != CL_SUCCESS) {
        free(t);
        return nncl__fail(ctx, NNCL_ERR_OUT_OF_MEMORY,
                          "nncl_tensor_create: %zu bytes for %zux%zu floats: %s", bytes, rows,
                          cols, nncl__cl_error_name(err));
    }
    t->ctx = ctx;
    t->rows = rows;
    t->cols = cols;
    t->ld = cols;
    t->owns_mem = 1;
    *out = t;
    return NNCL_OK;
}

void nncl_tensor_destroy(nncl_tensor *t)
{
    if (!t) return;
    if (t->owns_mem) nncl__buffer_release(t->ctx, &t->mem);
    else if (t->mem) clReleaseMemObject(t->mem); /* a caller's buffer: the view's own reference, never counted */
    free(t);
}

size_t nncl_tensor_rows(const nncl_tensor *t) { return t ? t->rows : 0; }
size_t nncl_tensor_cols(const nncl_tensor *t) { return t ? t->cols : 0; }

static nncl_status check_transfer(const nncl_tensor *t, const void *host, size_t count,
                                  const char *fn)
{
    if (!t) return nncl__fail(NULL, NNCL_ERR_INVALID_ARG, "%s: tensor is NULL", fn);
    if (!host) return nncl__fail(t->ctx, NNCL_ERR_INVALID_ARG, "%s: host pointer is NULL", fn);
    if (count != t->rows * t->cols)
        return nncl__fail(t->ctx, NNCL_ERR_SHAPE,
                          "%s: %zu floats given for a %zux%zu tensor (%zu floats)", fn, count,
                          t->rows, t->cols, t->rows * t->cols);
    return NNCL_OK;
}

/* Origin, region and pitches of a (possibly strided) view, for the rect copies. */
static void view_rect(const nncl_tensor *t, size_t origin[3], size_t region[3])
{
    origin[0] = t->offset * sizeof(float);
    origin[1] = origin[2] = 0;
    region[0] = t->cols * sizeof(float);
    region[1] = t->rows;
    region[2] = 1;
}

/* Copies between host memory and the tensor (a strided view by rectangle),
 * blocking, in the direction `write` says. */
static nncl_status transfer(const nncl_tensor *t, void *host, size_t count, int write, const char *fn)
{
    NNCL__TRY(check_transfer(t, host, count, fn));
    nncl_context *ctx = t->ctx;
    cl_int err;
    if (t->ld == t->cols) {
        size_t at = t->offset * sizeof(float), bytes = count * sizeof(float);
        err = write ? clEnqueueWriteBuffer(ctx->queue, t->mem, CL_TRUE, at, bytes, host, 0, NULL, NULL)
                    : clEnqueueReadBuffer(ctx->queue, t->mem, CL_TRUE, at, bytes, host, 0, NULL, NULL);
    } else {
        size_t origin[3], host_origin[3] = {0, 0, 0}, region[3];
        size_t pitch = t->ld * sizeof(float), host_pitch = t->cols * sizeof(float);
        view_rect(t, origin, region);
        err = write ? clEnqueueWriteBufferRect(ctx->queue, t->mem, CL_TRUE, origin, host_origin, region, pitch, 0,
                                               host_pitch, 0, host, 0, NULL, NULL)
                    : clEnqueueReadBufferRect(ctx->queue, t->mem, CL_TRUE, origin, host_origin, region, pitch, 0,
                                              host_pitch, 0, host, 0, NULL, NULL);
    }
    if (err != CL_SUCCESS) return nncl__cl_fail(ctx, err, fn);
    return NNCL_OK;
}

nncl_status nncl_tensor_upload(nncl_tensor *t, const float *src, size_t count)
{
    return transfer(t, (void *)src, count, 1, "nncl_tensor_upload");
}

nncl_status nncl_tensor_download(const nncl_tensor *t, float *dst, size_t count)
{
    return transfer(t, dst, count, 0, "nncl_tensor_download");
}
