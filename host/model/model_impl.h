/* SPDX-License-Identifier: MIT */
/* The model struct, private to host/model: model.c (creation, parameters,
 * optimizer, normalisation), step.c (forward, backward, metrics) and
 * modelfile.c (save/load). The layers above see model.h only. */
#ifndef NNCL_MODEL_MODEL_IMPL_H
#define NNCL_MODEL_MODEL_IMPL_H

#include "model/model.h"

/* Widths (inputs, a layer's units) are below this: 2^31, the message's
 * "1 .. 2^31 - 1". */
#define NNCL__WIDTH_LIMIT ((size_t)1 << 31)

struct nncl_model {
    nncl_context *ctx;
    size_t inputs;
    size_t n_layers;
    nncl_layer_spec layers[NNCL_MAX_LAYERS];
    nncl_loss loss;
    uint64_t seed;

    /* Flat buffers, n_params floats each: per layer W (in x out) then b. */
    size_t n_params;
    size_t w_off[NNCL_MAX_LAYERS], b_off[NNCL_MAX_LAYERS];
    cl_mem params, grads, opt_m, opt_v;
    nncl_optimizer opt;
    uint64_t step;       /* updates made since creation: the schedule's clock */
    uint64_t state_step; /* updates the optimizer state (m, v) has seen since it was last
                          * zeroed: Adam's bias correction; <= step */

    /* The weights as the products that pack them read them: for l > 0,
     * W_lᵀ (backward's dZ_l·W_lᵀ) and every W_l (forward), in panels at
     * pack_bwd_off[l], pack_fwd_off[l] floats of packed_w, made by one
     * pack_b_many launch over the job table pack_jobs: the L-1 backward
     * jobs first (pack_items_bwd work-items), so that they alone are a
     * prefix of it, then the forward ones (pack_items_all in all).
     * packed_jobs: how many leading jobs match the weights now; packing
     * sets it, whatever writes the weights zeroes it
     * (nncl__model_weights_written), so a step packs once and evaluation
     * not at all.
     * packed_w NULL: the products pack for themselves (gemm_local; a model
     * whose packed weights would pass 2^32 floats). */
    cl_mem packed_w, pack_jobs;
    size_t pack_fwd_off[NNCL_MAX_LAYERS], pack_bwd_off[NNCL_MAX_LAYERS];
    size_t pack_items_bwd, pack_items_all, packed_jobs;

    /* Per-batch buffers for up to `capacity` rows, grown on demand:
     * act[l] = output of layer l (the logits for a softmax/BCE last layer),
     * delta[l] = gradient with respect to act[l], then to its pre-activation. */
    size_t capacity;
    cl_mem act[NNCL_MAX_LAYERS], delta[NNCL_MAX_LAYERS];
    /* delta[last]'s row length (nncl__delta_ld): the outputs, or where they
     * fit one packed panel, its width (the columns past the outputs zero),
     * so that the last layer's weight gradient reads the loss gradient as
     * it is. */
    size_t last_delta_ld;
    /* For l < last, delta[l] packed as layer l's weight gradient reads it,
     * left there by the product that makes delta[l]; NULL where that
     * product would not read it packed at the batch the buffers were sized
     * for (nncl__gemm_reads_packed) or packed_w is NULL. */
    cl_mem delta_packed[NNCL_MAX_LAYERS];
    cl_mem row_loss, row_correct;
    /* The loss kernel's per-row loss and correctness wait in row_loss and
     * row_correct (nncl__metric_ring(capacity) rows each) to be summed into
     * the metric pair at pending_slot: pending_rows of them, from row 0,
     * batches of pending_batch rows. One launch sums them, batch by batch as separate
     * launches would (the same bits), when the next batch would not fit,
     * has another size or another slot, and before the sums are read,
     * cleared or synced (nncl__model_flush_metrics). */
    size_t pending_rows, pending_batch;
    cl_uint pending_slot;

    /* NNCL_METRIC_COUNT floats: loss and correct sums of training since the
     * last read (NNCL_METRIC_TRAIN) and of the running evaluation
     * (NNCL_METRIC_EVAL); kernels/nncl_shared.h. */
    cl_mem metrics;
    double train_rows;  /* rows accumulated in the training pair */
    /* The device status word, NNCL_STATUS_WORDS ints (nncl_shared.h). */
    cl_mem status;

    /* Data-parallel training (dist.c); NULL when the model trains alone. */
    struct nncl__comm *comm;

    /* What the train layer keeps per model (nncl__model_attach). */
    void *attachment;
    nncl__attachment_free attachment_free;

    /* Target standardisation of an mse model (model.c): the loss kernel
     * takes t' = t·(1/std) + (-mean/std) as it reads each target, outputs
     * come back as y = y'·std + mean (a GEMM by the diagonal). With o
     * outputs, target_affine holds diag(std) (o x o), mean (o), then
     * 1/std (o) and -mean/std (o), from nncl__target_standardise_off(o). */
    int has_target_norm;
    float *target_mean, *target_std; /* host copies, outputs entries each */
    cl_mem target_affine;

    /* What the model keeps about its training (info.c; saved by modelfile.c). */
    char **feature_names; /* inputs entries, or NULL */
    char *target_name;    /* or NULL */
    char **class_names;   /* n_classes entries, or NULL */
    size_t n_classes;
    nncl_epoch_record *history;
    size_t history_len, history_cap;

    /* Standardisation applied in the gather: x' = (x - mean) · inv_std. */
    int has_norm;
    float *norm_mean, *norm_std; /* host copies, inputs entries each */
    float *norm_inv_std;         /* 1/std (1 for constant columns), as uploaded */
    cl_mem norm_mean_dev, norm_inv_std_dev;
};

/* Input width of layer l. */
static inline size_t nncl__layer_in(const nncl_model *m, size_t l)
{
    return l == 0 ? m->inputs : m->layers[l - 1].units;
}

/* Rows of row_loss and row_correct for batches of up to `capacity` rows. */
static inline size_t nncl__metric_ring(size_t capacity)
{
    return capacity > NNCL__METRIC_RING_ROWS ? capacity : NNCL__METRIC_RING_ROWS;
}

/* To be called by whatever writes m->params (the optimizer, set_params,
 * load): the packed copies are stale from then on. */
static inline void nncl__model_weights_written(nncl_model *m) { m->packed_jobs = 0; }

/* Row length of delta[l]. */
static inline size_t nncl__delta_ld(const nncl_model *m, size_t l)
{
    return l + 1 == m->n_layers ? m->last_delta_ld : m->layers[l].units;
}

/* Forward pass of rows rows of X into m->act; the last layer keeps logits for
 * softmax-ce and bce. */
nncl_status nncl__model_forward(nncl_model *m, nncl__view X, size_t rows);
/* Loss kernel on the last forward pass; gradient (of the mean over
 * mean_rows rows) into delta[last] when want_grad; sums into the metric
 * pair at slot (queued with later batches: pending_rows). */
nncl_status nncl__model_loss(nncl_model *m, nncl__view Y, size_t rows, size_t mean_rows, int want_grad,
                             cl_uint slot);
/* Queues the sum of the per-row results that wait (see pending_rows). */
nncl_status nncl__model_flush_metrics(nncl_model *m);
/* Backward pass from delta[last] (as the loss left it) into m->grads; the
 * dZ products of the last `fused` layers were made with the loss. */
nncl_status nncl__model_backward(nncl_model *m, nncl__view X, size_t rows, size_t fused);
/* One optimizer launch over every parameter; counts the step. */
nncl_status nncl__optim_update(nncl_model *m);
/* Data-parallel steps (dist.c), with m->comm set: after backward has
 * enqueued layer l's gradient GEMM, queues the copy of a bucket that closes
 * there to host memory; after the whole backward pass, sums every bucket
 * over the ranks (each rank's loss already divided by the global batch's
 * rows) and queues the sums back into m->grads. rows (this rank's) may be 0. */
void nncl__comm_step_begin(nncl_model *m);
/* Ends a step that failed before its reduction: releases its buckets. */
void nncl__comm_step_abort(nncl_model *m);
nncl_status nncl__comm_layer_done(nncl_model *m, size_t l);
nncl_status nncl__comm_reduce_gradients(nncl_model *m, size_t rows);
/* Frees the communicator state. */
void nncl__comm_free(nncl_model *m);
/* Frees what info.c keeps (names, history). */
void nncl__model_free_info(nncl_model *m);

/* Checks a full batch (X, Y) against the model's shapes. */
nncl_status nncl__model_check_batch(nncl_model *m, const nncl_tensor *X, const nncl_tensor *Y,
                                    const char *fn);

/* Where target_affine's 1/std and -mean/std vectors start (o outputs). */
static inline size_t nncl__target_standardise_off(size_t o) { return o * o + o; }

#endif
