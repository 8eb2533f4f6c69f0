/* The model struct, shared by model.c (creation, parameters), train.c
 * (forward, backward, metrics), optim.c (updates) and modelfile.c (save/load). */
#ifndef NNCL_MODEL_H
#define NNCL_MODEL_H

#include "core/core.h"
#include "ops/ops.h"

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
    uint64_t step;

    /* Per-batch buffers for up to `capacity` rows, grown on demand:
     * act[l] = output of layer l (the logits for a softmax/BCE last layer),
     * delta[l] = gradient with respect to act[l], then to its pre-activation. */
    size_t capacity;
    cl_mem act[NNCL_MAX_LAYERS], delta[NNCL_MAX_LAYERS];
    cl_mem row_loss, row_correct;

    /* metrics[0..1]: training loss and correct sums since the last read;
     * metrics[2..3]: the same for the running evaluation. */
    cl_mem metrics;
    double train_rows;  /* rows accumulated in metrics[0..1] */
    /* Device-side error word (see kernels/activation.cl). */
    cl_mem status;

    /* Batches gathered from a data set (epoch.c): batch_x capacity x inputs,
     * batch_y capacity x target columns, idx the epoch's row order. */
    cl_mem batch_x, batch_y, idx;
    size_t batch_cap, idx_cap;
    /* Host staging for streamed data sets: stage_cap rows of inputs + 1 floats. */
    float *stage;
    size_t stage_cap;

    /* Standardisation applied in the gather: x' = (x - mean) · inv_std. */
    int has_norm;
    float *norm_mean, *norm_std; /* host copies, inputs entries each */
    cl_mem norm_mean_dev, norm_inv_std_dev;
};

/* Input width of layer l. */
static inline size_t nncl__layer_in(const nncl_model *m, size_t l)
{
    return l == 0 ? m->inputs : m->layers[l - 1].units;
}

/* Makes the per-batch buffers hold at least `rows` rows. */
nncl_status nncl__model_reserve(nncl_model *m, size_t rows);
/* Forward pass of rows rows of X into m->act; the last layer keeps logits for
 * softmax-ce and bce. */
nncl_status nncl__model_forward(nncl_model *m, nncl__view X, size_t rows);
/* Loss kernel on the last forward pass; gradient into delta[last] when
 * want_grad; sums into metrics[slot], metrics[slot+1]. */
nncl_status nncl__model_loss(nncl_model *m, nncl__view Y, size_t rows, int want_grad, cl_uint slot);
/* out (rows x outputs) = the model's outputs for its last forward pass:
 * probabilities (softmax-ce, bce) or values (mse). */
nncl_status nncl__model_outputs(nncl_model *m, nncl__view out, size_t rows);
/* Zeroes metrics[slot..slot+1] (enqueued). */
nncl_status nncl__model_clear_metrics(nncl_model *m, cl_uint slot);
/* Reads metrics[slot..slot+1] for `rows` rows as means; with clear, zeroes them. */
nncl_status nncl__model_read_metrics(nncl_model *m, cl_uint slot, double rows, float *loss, float *accuracy,
                                     int clear);
/* Backward pass from delta[last] (as the loss left it) into m->grads. */
nncl_status nncl__model_backward(nncl_model *m, nncl__view X, size_t rows);
/* Flags NaN/inf in X (rows x cols) in the status word. */
nncl_status nncl__check_finite(nncl_model *m, nncl__view X, size_t rows, size_t cols);
/* One optimizer launch over every parameter. */
nncl_status nncl__optim_update(nncl_model *m);
/* One launch of the optimizer kernel over n floats of each view; skipped on
 * the device when status[0] != 0. */
nncl_status nncl__optim_launch(nncl_context *ctx, const nncl_optimizer *o, uint64_t step,
                               nncl__view w, nncl__view g, nncl__view m, nncl__view v, size_t n,
                               cl_mem status);
/* Validates hyper-parameters; message names the bad one. */
nncl_status nncl__optim_validate(nncl_context *ctx, const nncl_optimizer *opt);
/* Learning rate for the model's current step under its schedule. */
float nncl__optim_lr(const nncl_optimizer *opt, uint64_t step);
/* Reads and clears the device error word; a set word becomes a status. */
nncl_status nncl__model_check_status(nncl_model *m);
/* Checks a full batch (X, Y) against the model's shapes. */
nncl_status nncl__model_check_batch(nncl_model *m, const nncl_tensor *X, const nncl_tensor *Y,
                                    const char *fn);

#endif
