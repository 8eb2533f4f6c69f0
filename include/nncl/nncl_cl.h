/* SPDX-License-Identifier: MIT */
/* nncl interop: run nncl on a caller's OpenCL objects.
 *
 * Wrap an existing cl_context/cl_device_id/cl_command_queue in an
 * nncl_context, wrap cl_mem buffers (with an offset and a leading dimension)
 * as nncl_tensor views without copying, and enqueue nncl's kernels on the
 * caller's queue with an optional wait list and a returned event, so nncl fits
 * into an existing OpenCL pipeline.
 *
 * Ownership: nncl retains what it wraps and releases exactly that on destroy,
 * so the caller's reference counts are as they were and its objects stay
 * usable. Include <CL/cl.h> (OpenCL 1.2 or later) before or through this file. */
#ifndef NNCL_NNCL_CL_H
#define NNCL_NNCL_CL_H

#ifndef CL_TARGET_OPENCL_VERSION
#define CL_TARGET_OPENCL_VERSION 120
#endif
#include <CL/cl.h>

#include "nncl/nncl.h"

#ifdef __cplusplus
extern "C" {
#endif

/* An nncl context on the caller's context, device and in-order queue (an
 * out-of-order queue is NNCL_ERR_UNSUPPORTED). nncl builds its kernels in the
 * caller's context. options may be NULL (its device field is ignored; its
 * profile field needs a queue made with CL_QUEUE_PROFILING_ENABLE).
 * nncl_context_destroy waits for the queue, then releases nncl's references. */
NNCL_API nncl_status nncl_context_create_from_cl(cl_context context, cl_device_id device,
                                                 cl_command_queue queue,
                                                 const nncl_context_options *options,
                                                 nncl_context **out);
/* The OpenCL objects behind a context (not retained for the caller). */
NNCL_API cl_context nncl_context_cl_context(const nncl_context *ctx);
NNCL_API cl_device_id nncl_context_cl_device(const nncl_context *ctx);
NNCL_API cl_command_queue nncl_context_cl_queue(const nncl_context *ctx);

/* A rows x cols float32 view of `mem`, element (r, c) at float index
 * offset + r·ld + c (ld >= cols), without copying. The view retains mem;
 * nncl_tensor_destroy releases it. The buffer must belong to ctx's context
 * and be large enough (checked). */
NNCL_API nncl_status nncl_tensor_wrap_cl(nncl_context *ctx, cl_mem mem, size_t offset, size_t rows,
                                         size_t cols, size_t ld, nncl_tensor **out);
/* The buffer behind a tensor (not retained), and its offset and leading
 * dimension in floats (either pointer may be NULL). */
NNCL_API cl_mem nncl_tensor_cl_mem(const nncl_tensor *t, size_t *offset, size_t *ld);

/* Event plumbing for the nncl_cl_* ops: they start after every event of
 * wait_list, and *event (if event is non-NULL) completes when the op has;
 * the caller releases *event. sync NULL: no waits, no event. Grows as the
 * options structs of nncl.h do (size; see the top of nncl.h). */
typedef struct nncl_cl_sync {
    size_t size;      /* sizeof(nncl_cl_sync) or 0 */
    cl_uint num_events;
    const cl_event *wait_list;
    cl_event *event;
} nncl_cl_sync;

/* No waits, no event: what sync NULL means. */
NNCL_API nncl_cl_sync nncl_cl_sync_defaults(void);

/* C = act(alpha·op(A)·op(B) + beta·C + bias), bias 1 x N or NULL. */
NNCL_API nncl_status nncl_cl_gemm(nncl_context *ctx, int trans_a, int trans_b, float alpha,
                                  const nncl_tensor *A, const nncl_tensor *B, float beta,
                                  nncl_tensor *C, const nncl_tensor *bias, nncl_activation act,
                                  const nncl_cl_sync *sync);
/* Y = act(X) elementwise (Y may be X; not softmax). */
NNCL_API nncl_status nncl_cl_activation_forward(nncl_context *ctx, const nncl_tensor *X,
                                                nncl_tensor *Y, nncl_activation act,
                                                const nncl_cl_sync *sync);
/* dY ← dY ⊙ act'(Y) (act' from the outputs Y), and db = Σ_rows dY (1 x cols,
 * NULL to skip), summed in a fixed order. */
NNCL_API nncl_status nncl_cl_activation_backward(nncl_context *ctx, nncl_tensor *dY,
                                                 const nncl_tensor *Y, nncl_activation act,
                                                 nncl_tensor *db, const nncl_cl_sync *sync);
/* Loss of outputs Z (logits for softmax-ce and bce) against targets T
 * (rows x 1 class indices for softmax-ce, else like Z): grad (like Z, NULL to
 * skip) gets d(mean loss)/dZ; row_loss (rows x 1, NULL to skip) each row's loss
 * summed over its outputs. */
NNCL_API nncl_status nncl_cl_loss(nncl_context *ctx, nncl_loss loss, const nncl_tensor *Z,
                                  const nncl_tensor *T, nncl_tensor *grad, nncl_tensor *row_loss,
                                  const nncl_cl_sync *sync);
/* sum (1 x 1) = Σ of every element of X, in a fixed order. */
NNCL_API nncl_status nncl_cl_sum(nncl_context *ctx, const nncl_tensor *X, nncl_tensor *sum,
                                 const nncl_cl_sync *sync);
/* One optimizer step over params (any shape) with grads, m, v of the same
 * shape (m, v zeroed by the caller before step 0); step is 0-based. */
NNCL_API nncl_status nncl_cl_optimizer_update(nncl_context *ctx, const nncl_optimizer *opt,
                                              uint64_t step, nncl_tensor *params,
                                              const nncl_tensor *grads, nncl_tensor *m,
                                              nncl_tensor *v, const nncl_cl_sync *sync);

#ifdef __cplusplus
}
#endif
#endif /* NNCL_NNCL_CL_H */
