/* SPDX-License-Identifier: MIT */
/* Interop (include/nncl/nncl_cl.h): the OpenCL objects behind nncl's, caller
 * buffers as tensor views, and the low-level ops enqueued on the caller's
 * queue after a wait list, returning an event. */
#include "core/core.h"
#include "nncl/nncl_cl.h"
#include "ops/ops.h"

#include <stdio.h>
#include <stdlib.h>

cl_context nncl_context_cl_context(const nncl_context *ctx) { return ctx ? ctx->cl : NULL; }
cl_device_id nncl_context_cl_device(const nncl_context *ctx) { return ctx ? ctx->device : NULL; }
cl_command_queue nncl_context_cl_queue(const nncl_context *ctx) { return ctx ? ctx->queue : NULL; }

nncl_status nncl_tensor_wrap_cl(nncl_context *ctx, cl_mem mem, size_t offset, size_t rows, size_t cols,
                                size_t ld, nncl_tensor **out)
{
    if (!ctx || !mem || !out)
        return nncl__fail(ctx, NNCL_ERR_INVALID_ARG, "nncl_tensor_wrap_cl: ctx, mem and out are required");
    *out = NULL;
    if (rows == 0 || cols == 0 || ld < cols)
        return nncl__fail(ctx, NNCL_ERR_SHAPE, "nncl_tensor_wrap_cl: %zux%zu with leading dimension %zu; "
                          "need rows, cols > 0 and ld >= cols", rows, cols, ld);
    cl_context owner = NULL;
    size_t bytes = 0;
    cl_int err = clGetMemObjectInfo(mem, CL_MEM_CONTEXT, sizeof owner, &owner, NULL);
    if (err == CL_SUCCESS) err = clGetMemObjectInfo(mem, CL_MEM_SIZE, sizeof bytes, &bytes, NULL);
    if (err != CL_SUCCESS) return nncl__cl_fail(ctx, err, "nncl_tensor_wrap_cl: clGetMemObjectInfo");
    if (owner != ctx->cl)
        return nncl__fail(ctx, NNCL_ERR_INVALID_ARG, "nncl_tensor_wrap_cl: the buffer belongs to another OpenCL context");
    /* Every size below 2^32 (the kernels index in 32 bits), so this cannot wrap. */
    if (offset >= UINT32_MAX || rows >= UINT32_MAX || ld >= UINT32_MAX)
        return nncl__fail(ctx, NNCL_ERR_SHAPE, "nncl_tensor_wrap_cl: offset %zu, rows %zu, ld %zu; each must be "
                          "below 2^32", offset, rows, ld);
    uint64_t last = (uint64_t)offset + (uint64_t)(rows - 1) * ld + cols; /* one past the last element */
    if (last > bytes / sizeof(float) || last >= UINT32_MAX)
        return nncl__fail(ctx, NNCL_ERR_SHAPE,
                          "nncl_tensor_wrap_cl: %zux%zu at offset %zu, ld %zu needs %zu floats; the buffer holds %zu",
                          rows, cols, offset, ld, (size_t)last, bytes / sizeof(float));
    nncl_tensor *t = calloc(1, sizeof *t);
    if (!t) return nncl__fail(ctx, NNCL_ERR_OUT_OF_MEMORY, "nncl_tensor_wrap_cl");
    clRetainMemObject(mem);
    *t = (nncl_tensor){ctx, mem, offset, rows, cols, ld, 0};
    *out = t;
    return NNCL_OK;
}

cl_mem nncl_tensor_cl_mem(const nncl_tensor *t, size_t *offset, size_t *ld)
{
    if (offset) *offset = t ? t->offset : 0;
    if (ld) *ld = t ? t->ld : 0;
    return t ? t->mem : NULL;
}

static nncl_status sync_before(nncl_context *ctx, const nncl_cl_sync *caller_sync)
{
    nncl_cl_sync sync = nncl_cl_sync_defaults();
    NNCL__OPTIONS_READ(&sync, caller_sync);
    if (sync.num_events == 0) return NNCL_OK;
    if (!sync.wait_list) return nncl__fail(ctx, NNCL_ERR_INVALID_ARG, "nncl_cl_sync: wait_list is NULL");
    /* A barrier holds every later command of the in-order queue until the events complete. */
    NNCL__CHECK_CL(ctx, clEnqueueBarrierWithWaitList(ctx->queue, sync.num_events, sync.wait_list, NULL),
                   "clEnqueueBarrierWithWaitList");
    return NNCL_OK;
}

static nncl_status sync_after(nncl_context *ctx, const nncl_cl_sync *caller_sync, nncl_status st)
{
    nncl_cl_sync sync = nncl_cl_sync_defaults();
    NNCL__OPTIONS_READ(&sync, caller_sync);
    if (st != NNCL_OK || !sync.event) return st;
    NNCL__CHECK_CL(ctx, clEnqueueMarkerWithWaitList(ctx->queue, 0, NULL, sync.event),
                   "clEnqueueMarkerWithWaitList");
    return NNCL_OK;
}

nncl_status nncl_cl_gemm(nncl_context *ctx, int trans_a, int trans_b, float alpha, const nncl_tensor *A,
                         const nncl_tensor *B, float beta, nncl_tensor *C, const nncl_tensor *bias,
                         nncl_activation act, const nncl_cl_sync *sync)
{
    size_t M = 0, N = 0, K = 0;
    NNCL__TRY(nncl__gemm_check(ctx, "nncl_cl_gemm", trans_a, trans_b, alpha, A, B, beta, C, bias, &M, &N, &K));
    if ((int)act < 0 || act >= NNCL_ACT_SOFTMAX)
        return nncl__fail(ctx, NNCL_ERR_INVALID_ARG, "nncl_cl_gemm: activation %d not allowed", (int)act);
    NNCL__TRY(sync_before(ctx, sync));
    nncl__view b = bias ? nncl__view_of(bias) : (nncl__view){0};
    nncl__gemm_extras x = {.bias = bias ? &b : NULL, .act = act};
    nncl_status st = nncl__gemm(ctx, trans_a, trans_b, M, N, K, alpha, nncl__view_of(A), nncl__view_of(B),
                                beta, nncl__view_of(C), &x);
    return sync_after(ctx, sync, st);
}

nncl_status nncl_cl_activation_forward(nncl_context *ctx, const nncl_tensor *X, nncl_tensor *Y,
                                       nncl_activation act, const nncl_cl_sync *sync)
{
    if (!ctx) return nncl__fail(NULL, NNCL_ERR_INVALID_ARG, "nncl_cl_activation_forward: ctx is NULL");
    NNCL__TRY(nncl__check_tensor(ctx, X, "nncl_cl_activation_forward: X"));
    NNCL__TRY(nncl__check_tensor(ctx, Y, "nncl_cl_activation_forward: Y"));
    if (X->rows != Y->rows || X->cols != Y->cols)
        return nncl__fail(ctx, NNCL_ERR_SHAPE, "nncl_cl_activation_forward: X %zux%zu, Y %zux%zu", X->rows,
                          X->cols, Y->rows, Y->cols);
    if ((int)act < 0 || act >= NNCL_ACT_SOFTMAX)
        return nncl__fail(ctx, NNCL_ERR_INVALID_ARG, "nncl_cl_activation_forward: activation %d not allowed", (int)act);
    NNCL__TRY(sync_before(ctx, sync));
    return sync_after(ctx, sync, nncl__act_forward(ctx, nncl__view_of(X), nncl__view_of(Y), X->rows, X->cols, act));
}

nncl_status nncl_cl_activation_backward(nncl_context *ctx, nncl_tensor *dY, const nncl_tensor *Y,
                                        nncl_activation act, nncl_tensor *db, const nncl_cl_sync *sync)
{
    if (!ctx) return nncl__fail(NULL, NNCL_ERR_INVALID_ARG, "nncl_cl_activation_backward: ctx is NULL");
    NNCL__TRY(nncl__check_tensor(ctx, dY, "nncl_cl_activation_backward: dY"));
    NNCL__TRY(nncl__check_tensor(ctx, Y, "nncl_cl_activation_backward: Y"));
    if (db) NNCL__TRY(nncl__check_tensor(ctx, db, "nncl_cl_activation_backward: db"));
    if (dY->rows != Y->rows || dY->cols != Y->cols || (db && (db->rows != 1 || db->cols != Y->cols)))
        return nncl__fail(ctx, NNCL_ERR_SHAPE, "nncl_cl_activation_backward: dY %zux%zu, Y %zux%zu, db %zux%zu",
                          dY->rows, dY->cols, Y->rows, Y->cols, db ? db->rows : 0, db ? db->cols : 0);
    if ((int)act < 0 || act >= NNCL_ACT_SOFTMAX)
        return nncl__fail(ctx, NNCL_ERR_INVALID_ARG, "nncl_cl_activation_backward: activation %d not allowed", (int)act);
    NNCL__TRY(sync_before(ctx, sync));
    nncl__view bias = db ? nncl__view_of(db) : (nncl__view){0};
    return sync_after(ctx, sync, nncl__act_backward_bias(ctx, nncl__view_of(dY), nncl__view_of(Y), Y->rows,
                                                         Y->cols, act, db ? &bias : NULL));
}

nncl_status nncl_cl_sum(nncl_context *ctx, const nncl_tensor *X, nncl_tensor *sum, const nncl_cl_sync *sync)
{
    if (!ctx) return nncl__fail(NULL, NNCL_ERR_INVALID_ARG, "nncl_cl_sum: ctx is NULL");
    NNCL__TRY(nncl__check_tensor(ctx, X, "nncl_cl_sum: X"));
    NNCL__TRY(nncl__check_tensor(ctx, sum, "nncl_cl_sum: sum"));
    if (sum->rows != 1 || sum->cols != 1)
        return nncl__fail(ctx, NNCL_ERR_SHAPE, "nncl_cl_sum: sum is %zux%zu, need 1x1", sum->rows, sum->cols);
    if (X->ld != X->cols && X->rows > 1)
        return nncl__fail(ctx, NNCL_ERR_UNSUPPORTED, "nncl_cl_sum: X must be contiguous (ld %zu != cols %zu)",
                          X->ld, X->cols);
    NNCL__TRY(sync_before(ctx, sync));
    return sync_after(ctx, sync, nncl__sum(ctx, nncl__view_of(X), NULL, X->rows * X->cols, 0, sum->mem,
                                           (cl_uint)sum->offset, 1));
}

nncl_status nncl_cl_loss(nncl_context *ctx, nncl_loss loss, const nncl_tensor *Z, const nncl_tensor *T,
                         nncl_tensor *grad, nncl_tensor *row_loss, const nncl_cl_sync *sync)
{
    if (!ctx) return nncl__fail(NULL, NNCL_ERR_INVALID_ARG, "nncl_cl_loss: ctx is NULL");
    NNCL__TRY(nncl__check_tensor(ctx, Z, "nncl_cl_loss: Z"));
    NNCL__TRY(nncl__check_tensor(ctx, T, "nncl_cl_loss: T"));
    if (grad) NNCL__TRY(nncl__check_tensor(ctx, grad, "nncl_cl_loss: grad"));
    if (row_loss) NNCL__TRY(nncl__check_tensor(ctx, row_loss, "nncl_cl_loss: row_loss"));
    if (!nncl_loss_name(loss)) return nncl__fail(ctx, NNCL_ERR_INVALID_ARG, "nncl_cl_loss: unknown loss %d", (int)loss);
    size_t rows = Z->rows, cols = Z->cols, tcols = loss == NNCL_LOSS_SOFTMAX_CE ? 1 : cols;
    if (T->rows != rows || T->cols != tcols || (grad && (grad->rows != rows || grad->cols != cols)) ||
        (row_loss && (row_loss->rows != rows || row_loss->cols != 1)))
        return nncl__fail(ctx, NNCL_ERR_SHAPE, "nncl_cl_loss: Z %zux%zu needs T %zux%zu, grad %zux%zu, row_loss %zux1",
                          rows, cols, rows, tcols, rows, cols, rows);
    if (row_loss && row_loss->ld != 1 && rows > 1)
        return nncl__fail(ctx, NNCL_ERR_UNSUPPORTED, "nncl_cl_loss: row_loss must be contiguous");
    /* No per-call buffers: the kernel writes the row losses straight into
     * row_loss and skips what nobody asked for (correctness, the status word). */
    NNCL__TRY(sync_before(ctx, sync));
    nncl__view z = nncl__view_of(Z), t = nncl__view_of(T);
    nncl_status st = nncl__loss(ctx, loss, NNCL_ACT_IDENTITY, z, &t, NULL, rows, rows, cols,
                                grad ? NNCL__LOSS_OUT_GRAD : NNCL__LOSS_OUT_NONE, grad ? nncl__view_of(grad) : z,
                                row_loss ? row_loss->mem : NULL, row_loss ? (cl_uint)row_loss->offset : 0, NULL,
                                NULL);
    return sync_after(ctx, sync, st);
}

nncl_status nncl_cl_optimizer_update(nncl_context *ctx, const nncl_optimizer *caller_opt, uint64_t step,
                                     nncl_tensor *params, const nncl_tensor *grads, nncl_tensor *m,
                                     nncl_tensor *v, const nncl_cl_sync *sync)
{
    if (!ctx) return nncl__fail(NULL, NNCL_ERR_INVALID_ARG, "nncl_cl_optimizer_update: ctx is NULL");
    nncl_optimizer read = caller_opt ? nncl__optim_read(caller_opt) : (nncl_optimizer){0};
    const nncl_optimizer *opt = caller_opt ? &read : NULL;
    nncl_status bad = nncl__optim_validate(ctx, opt);
    if (bad != NNCL_OK) {
        /* Name the call in the message, as every other interop failure does. */
        char why[512];
        snprintf(why, sizeof why, "%.500s", ctx->error);
        return nncl__fail(ctx, bad, "nncl_cl_optimizer_update: %s", why);
    }
    const nncl_tensor *all[4] = {params, grads, m, v};
    static const char *const names[4] = {"params", "grads", "m", "v"};
    for (int i = 0; i < 4; i++) {
        char what[64];
        snprintf(what, sizeof what, "nncl_cl_optimizer_update: %s", names[i]);
        NNCL__TRY(nncl__check_tensor(ctx, all[i], what));
        if (all[i]->rows != params->rows || all[i]->cols != params->cols)
            return nncl__fail(ctx, NNCL_ERR_SHAPE, "nncl_cl_optimizer_update: %s is %zux%zu, params %zux%zu",
                              names[i], all[i]->rows, all[i]->cols, params->rows, params->cols);
        if (all[i]->ld != all[i]->cols && all[i]->rows > 1)
            return nncl__fail(ctx, NNCL_ERR_UNSUPPORTED, "nncl_cl_optimizer_update: %s must be contiguous", names[i]);
    }
    NNCL__TRY(sync_before(ctx, sync));
    /* No status word: the caller's own kernels do not flag bad batches. */
    nncl_status st = nncl__optim_launch(ctx, opt, step, step, nncl__view_of(params), nncl__view_of(grads),
                                        nncl__view_of(m), nncl__view_of(v), params->rows * params->cols, NULL);
    return sync_after(ctx, sync, st);
}
