/* SPDX-License-Identifier: MIT */
/* Training and inference: forward pass, losses (kernels/loss.cl), backward
 * pass, metrics, predict and evaluate. A step only enqueues work; the host
 * reads back when the caller asks for a number. */
#include "model/model_impl.h"

#include <stdio.h>
#include <string.h>

static nncl__view param_view(const nncl_model *m, size_t off, size_t ld)
{
    return (nncl__view){m->params, (cl_uint)off, (cl_uint)ld};
}

/* The last layer of a softmax-ce or bce model keeps logits in act[last]; the
 * loss (or predict) applies softmax / sigmoid itself, in a stable form. */
static nncl_activation stored_activation(const nncl_model *m, size_t l)
{
    if (l == m->n_layers - 1 && m->loss != NNCL_LOSS_MSE) return NNCL_ACT_IDENTITY;
    return m->layers[l].activation;
}

static nncl__view act_view(const nncl_model *m, size_t l)
{
    return (nncl__view){m->act[l], 0, (cl_uint)m->layers[l].units};
}

/* Layer l's inputs: X, or the outputs of the layer below. */
static nncl__view layer_input(const nncl_model *m, nncl__view X, size_t l)
{
    return l == 0 ? X : act_view(m, l - 1);
}

static nncl__view delta_view(const nncl_model *m, size_t l)
{
    return (nncl__view){m->delta[l], 0, (cl_uint)nncl__delta_ld(m, l)};
}

/* Makes packed_w current for the jobs a pass reads: the backward ones only
 * (forward 0), or all of them; one launch, none while the weights have not
 * changed since the last (packed_jobs). */
static nncl_status pack_weights(nncl_model *m, int forward)
{
    size_t jobs = forward ? 2 * m->n_layers - 1 : m->n_layers - 1;
    if (m->packed_jobs >= jobs) return NNCL_OK;
    NNCL__TRY(nncl__pack_many(m->ctx, m->params, m->packed_w, m->pack_jobs, jobs,
                              forward ? m->pack_items_all : m->pack_items_bwd));
    m->packed_jobs = jobs;
    return NNCL_OK;
}

/* W_l as the forward product over rows rows reads it packed (transposed 0),
 * or W_lᵀ as backward's dZ_l·W_lᵀ does (transposed 1), into *out; 0 where
 * that product does not pack B (then it reads W_l as it is). */
static int packed_weight(const nncl_model *m, size_t l, int transposed, size_t rows, nncl__view *out)
{
    size_t in = nncl__layer_in(m, l), units = m->layers[l].units;
    if (!m->packed_w || !nncl__gemm_packs_b(m->ctx, transposed, rows, transposed ? in : units)) return 0;
    *out = (nncl__view){m->packed_w, (cl_uint)(transposed ? m->pack_bwd_off : m->pack_fwd_off)[l],
                        (cl_uint)(transposed ? units : in)};
    return 1;
}

/* act[l] = act_l(act[l-1]·W_l + b_l), act[-1] = X, for l < layers. */
static nncl_status forward_layers(nncl_model *m, nncl__view X, size_t rows, size_t layers)
{
    for (size_t l = 0; l < layers; l++) {
        size_t in = nncl__layer_in(m, l), units = m->layers[l].units;
        nncl__view input = layer_input(m, X, l);
        nncl__view bias = param_view(m, m->b_off[l], units), packed;
        int prepacked = packed_weight(m, l, 0, rows, &packed);
        if (prepacked) NNCL__TRY(pack_weights(m, 1));
        nncl__gemm_extras x = {.bias = &bias, .act = stored_activation(m, l), .b_packed = prepacked ? &packed : NULL};
        NNCL__TRY(nncl__gemm(m->ctx, 0, 0, rows, units, in, 1.0f, input,
                             param_view(m, m->w_off[l], units), 0.0f, act_view(m, l), &x));
    }
    return NNCL_OK;
}

nncl_status nncl__model_forward(nncl_model *m, nncl__view X, size_t rows)
{
    return forward_layers(m, X, rows, m->n_layers);
}

/* What a standardised mse model's targets go in through, t·(1/std) -
 * mean/std, as a view in *buf; NULL for a model without one. */
static const nncl__view *target_standardisation(const nncl_model *m, nncl__view *buf)
{
    *buf = (nncl__view){m->target_affine, (cl_uint)nncl__target_standardise_off(nncl_model_outputs(m)), 0};
    return m->has_target_norm ? buf : NULL;
}

/* The first of the metric ring's rows that a batch of rows rows for slot
 * takes, after flushing the ring when the batch does not continue it; then
 * took_metric_rows once the loss is queued. */
static nncl_status metric_rows(nncl_model *m, size_t rows, cl_uint slot, cl_uint *first)
{
    if (m->pending_rows &&
        (m->pending_slot != slot || m->pending_batch != rows || m->pending_rows + rows > nncl__metric_ring(m->capacity)))
        NNCL__TRY(nncl__model_flush_metrics(m));
    *first = (cl_uint)m->pending_rows;
    return NNCL_OK;
}

static void took_metric_rows(nncl_model *m, size_t rows, cl_uint slot)
{
    m->pending_rows += rows;
    m->pending_slot = slot;
    m->pending_batch = rows;
}

/* Loss of the last forward pass against Y (kernels/loss.cl); with want_grad
 * delta[last] gets dL/d(last pre-activation), through the output activation
 * for mse, as the gradient of the mean over mean_rows rows. The batch's
 * loss and correct count go to metrics[slot], metrics[slot + 1], summed
 * with the rows that wait there (nncl__model_flush_metrics). */
nncl_status nncl__model_loss(nncl_model *m, nncl__view Y, size_t rows, size_t mean_rows, int want_grad,
                             cl_uint slot)
{
    nncl_context *ctx = m->ctx;
    size_t last = m->n_layers - 1;
    size_t o = m->layers[last].units;
    cl_uint first;
    NNCL__TRY(metric_rows(m, rows, slot, &first));
    nncl__view standardise;
    NNCL__TRY(nncl__loss(ctx, m->loss, stored_activation(m, last), act_view(m, last), &Y,
                         target_standardisation(m, &standardise), rows, mean_rows, o,
                         want_grad ? NNCL__LOSS_OUT_GRAD : NNCL__LOSS_OUT_NONE, delta_view(m, last), m->row_loss,
                         first, m->row_correct, m->status));
    took_metric_rows(m, rows, slot);
    return NNCL_OK;
}

/* The largest Wb (in floats) whose layer loss_head takes with the
 * output layer: each of its work-items reads all of Wb and Wbᵀ, which
 * should stay in a core's cache (128 KB each in the default model). */
#define HEAD_BELOW_MAX_WEIGHTS (64 * 1024)

/* How many of the last layers a training step over rows rows takes in one
 * loss_head launch, with the bits of their forward products, the loss and
 * their dZ products (kernels/loss.cl): 0; or 1, the output layer of a model
 * of at most NNCL_HEAD_WIDTH outputs (any loss) with a layer below, whose W
 * and Wᵀ are prepacked in panels the kernel reads whole (W's a multiple of
 * 16 columns wide, or one of 8; Wᵀ's a multiple of 16) and whose products
 * take k in one chain (no split K), on work-groups one row high; or 2, that
 * and the layer below, not the first, when its own products are whole-tile
 * panels (its width and its inputs' above one vector), unsplit, and its
 * weights small (HEAD_BELOW_MAX_WEIGHTS). */
static size_t fused_head(const nncl_model *m, size_t rows)
{
    nncl_context *ctx = m->ctx;
    size_t last = m->n_layers - 1, in = nncl__layer_in(m, last), units = m->layers[last].units;
    nncl__view w, wt;
    size_t w_tn = nncl__pack_width(ctx, units);
    /* (both kernels launch as one row of work-groups) */
    if (!ctx->tiles.fused_head || ctx->tiles.wgy != 1 || last == 0 || units > NNCL_HEAD_WIDTH ||
        !packed_weight(m, last, 0, rows, &w) || (w_tn % 16 != 0 && !(w_tn == 8 && units <= 8)) ||
        !packed_weight(m, last, 1, rows, &wt) || nncl__pack_width(ctx, in) % 16 != 0 ||
        nncl__gemm_splits_k(ctx, in) || nncl__gemm_splits_k(ctx, units))
        return 0;
    size_t a_cols = nncl__layer_in(m, last - 1), tn = (size_t)ctx->tiles.tn;
    int below = last >= 2 && nncl__pack_width(ctx, in) == tn && nncl__pack_width(ctx, a_cols) == tn &&
                !nncl__gemm_splits_k(ctx, a_cols) && a_cols * in <= HEAD_BELOW_MAX_WEIGHTS;
    return below ? 2 : 1;
}

/* The activation a dZ product takes the derivative of, for the layer
 * whose outputs are act[l]: NNCL_ACT_ID_NONE for none. */
static int dact_of(const nncl_model *m, size_t l)
{
    nncl_activation act = stored_activation(m, l);
    return act == NNCL_ACT_IDENTITY ? NNCL_ACT_ID_NONE : (int)act;
}

/* The loss and gradients of the last `layers` layers (fused_head) and the
 * dZ of the layer below them (what their forward products, nncl__model_loss
 * and their dZ products in backward give) in one launch. */
static nncl_status model_head(nncl_model *m, nncl__view Y, size_t rows, size_t mean_rows, cl_uint slot,
                              size_t layers)
{
    nncl_context *ctx = m->ctx;
    size_t last = m->n_layers - 1, in = nncl__layer_in(m, last), units = m->layers[last].units;
    NNCL__TRY(pack_weights(m, 1));
    nncl__view standardise;
    nncl__head_views v = {.loss = m->loss, .act = stored_activation(m, last),
                          .standardise = target_standardisation(m, &standardise),
                          .packed = m->packed_w, .params = m->params, .w_off = (cl_uint)m->pack_fwd_off[last],
                          .wt_off = (cl_uint)m->pack_bwd_off[last], .b_off = (cl_uint)m->b_off[last], .in = in,
                          .cols = units, .h = act_view(m, last - 1), .t = Y, .z = act_view(m, last),
                          .dz = delta_view(m, last), .dh = delta_view(m, last - 1), .dact = dact_of(m, last - 1),
                          .q = {m->delta_packed[last - 1], 0, (cl_uint)rows}};
    if (layers == 2) {
        size_t b = last - 1;
        v.below = (nncl__head_below){.on = 1, .a = act_view(m, b - 1), .a_cols = nncl__layer_in(m, b),
                                     .wb_off = (cl_uint)m->pack_fwd_off[b], .wbt_off = (cl_uint)m->pack_bwd_off[b],
                                     .bb_off = (cl_uint)m->b_off[b], .act = (int)stored_activation(m, b),
                                     .da = delta_view(m, b - 1), .qa = {m->delta_packed[b - 1], 0, (cl_uint)rows},
                                     .da_act = dact_of(m, b - 1)};
    }
    cl_uint first;
    NNCL__TRY(metric_rows(m, rows, slot, &first));
    NNCL__TRY(nncl__loss_head(ctx, &v, rows, mean_rows, m->row_loss, first, m->row_correct, m->status));
    took_metric_rows(m, rows, slot);
    return NNCL_OK;
}

nncl_status nncl__model_flush_metrics(nncl_model *m)
{
    if (m->pending_rows == 0) return NNCL_OK;
    /* loss and correct count in one launch: metrics[slot + LOSS], [slot + LOSS + 1] */
    _Static_assert(NNCL_METRIC_CORRECT == NNCL_METRIC_LOSS + 1, "the two sums are adjacent metrics");
    const nncl__view correct = {m->row_correct, 0, 1};
    size_t rows = m->pending_rows;
    m->pending_rows = 0;
    return nncl__sum(m->ctx, (nncl__view){m->row_loss, 0, 1}, &correct, rows, m->pending_batch, m->metrics,
                     m->pending_slot + NNCL_METRIC_LOSS, 0);
}

/* [dW_l; db_l] in the gradient buffer, (in+1) x units. */
static nncl__view grad_view(const nncl_model *m, size_t l)
{
    return (nncl__view){m->grads, (cl_uint)m->w_off[l], (cl_uint)m->layers[l].units};
}

/* dZ_l packed as layer l's weight gradient reads it (where that product
 * packs B), into *out: delta_packed[l], or delta[last] itself where its
 * rows are one packed panel; 0 where there is none. */
static int packed_delta(const nncl_model *m, size_t l, size_t rows, nncl__view *out)
{
    if (l + 1 == m->n_layers) {
        *out = (nncl__view){m->delta[l], 0, (cl_uint)rows};
        return m->packed_w && m->last_delta_ld == nncl__pack_width(m->ctx, m->layers[l].units);
    }
    *out = (nncl__view){m->delta_packed[l], 0, (cl_uint)rows};
    return out->mem != NULL;
}

/* The weight gradients that model_head left ready (of the layers from
 * n_layers - 1 - fused up, whose dZ it made), from the top down while each
 * would be one gemm_tp launch reading its dZ packed, in one gemm_tp_group
 * launch, where there are at least two. *from: the lowest layer taken
 * (n_layers: none). A communicator still gets each layer's gradient in
 * turn (backward's loop calls nncl__comm_layer_done for every layer, after
 * this launch is queued). */
static nncl_status group_ready_gradients(nncl_model *m, nncl__view X, size_t rows, size_t fused, size_t *from)
{
    *from = m->n_layers;
    if (!fused) return NNCL_OK;
    nncl__tp_job jobs[NNCL_TP_GROUP];
    size_t n = 0;
    for (size_t l = m->n_layers; l-- > m->n_layers - 1 - fused && n < NNCL_TP_GROUP;) {
        size_t in = nncl__layer_in(m, l);
        nncl__view input = layer_input(m, X, l), dz;
        if (!packed_delta(m, l, rows, &dz) || !nncl__gemm_tp_groups(m->ctx, in + 1, m->layers[l].units, rows, input.ld))
            break;
        jobs[n++] = (nncl__tp_job){in + 1, m->layers[l].units, rows, input, dz, grad_view(m, l)};
    }
    if (n < 2) return NNCL_OK;
    NNCL__TRY(nncl__gemm_tp_group(m->ctx, jobs, n));
    *from = m->n_layers - n;
    return NNCL_OK;
}

/* From delta[last] = dZ_last, the loss kernel's gradient of the last
 * pre-activation, for l = last .. 0, with a layer's bias stored right after
 * its weights (as row `in` of an (in+1) x units matrix):
 *   [dW_l; db_l] = [A_{l-1}, 1]ᵀ · dZ_l          (gemm TN, a row of ones)
 *   dZ_{l-1} = (dZ_l · W_lᵀ) ⊙ act_{l-1}'(A_{l-1})  (gemm NT, fused derivative)
 * but for the last `fused` layers, whose dZ products model_head made; the
 * weight gradients that this leaves ready go in one launch where they can
 * (group_ready_gradients). */
nncl_status nncl__model_backward(nncl_model *m, nncl__view X, size_t rows, size_t fused)
{
    nncl_context *ctx = m->ctx;
    if (m->packed_w) NNCL__TRY(pack_weights(m, 0)); /* the Wᵀ (a training step's forward did them) */
    size_t grouped;
    NNCL__TRY(group_ready_gradients(m, X, rows, fused, &grouped));
    for (size_t l = m->n_layers; l-- > 0;) {
        size_t in = nncl__layer_in(m, l), units = m->layers[l].units;
        nncl__view dz_packed;
        int dz_is_packed = packed_delta(m, l, rows, &dz_packed);
        nncl__gemm_extras with_bias = {.ones_row = 1, .b_packed = dz_is_packed ? &dz_packed : NULL};
        if (l > 0 && l + fused < m->n_layers) { /* dZ_{l-1} on the side queue, beside dW_l: neither needs the other */
            nncl__view below = act_view(m, l - 1), packed;
            nncl_activation act_below = stored_activation(m, l - 1);
            int prepacked = packed_weight(m, l, 1, rows, &packed);
            nncl__view dz_below = {m->delta_packed[l - 1], 0, (cl_uint)rows};
            nncl__gemm_extras through_act = {.dact_y = act_below == NNCL_ACT_IDENTITY ? NULL : &below,
                                             .dact = act_below, .b_packed = prepacked ? &packed : NULL,
                                             .c_packed = dz_below.mem ? &dz_below : NULL};
            NNCL__TRY(nncl__side_begin(ctx));
            nncl_status st = nncl__gemm(ctx, 0, 1, rows, in, units, 1.0f, delta_view(m, l),
                                        param_view(m, m->w_off[l], units), 0.0f, delta_view(m, l - 1),
                                        &through_act);
            nncl_status ended = nncl__side_end(ctx);
            if (st == NNCL_OK) st = ended;
            if (st != NNCL_OK) { /* the main queue still ends after whatever did get queued */
                nncl__side_join(ctx);
                return st;
            }
        }
        nncl_status st = NNCL_OK;
        if (l < grouped)
            st = nncl__gemm(ctx, 1, 0, in + 1, units, rows, 1.0f, layer_input(m, X, l), delta_view(m, l), 0.0f,
                            grad_view(m, l), &with_bias);
        if (st == NNCL_OK && m->comm) st = nncl__comm_layer_done(m, l);
        nncl_status joined = nncl__side_join(ctx);
        NNCL__TRY(st != NNCL_OK ? st : joined);
    }
    return NNCL_OK;
}

nncl_status nncl__model_check_batch(nncl_model *m, const nncl_tensor *X, const nncl_tensor *Y,
                                    const char *fn)
{
    if (!m) return nncl__fail(NULL, NNCL_ERR_INVALID_ARG, "%s: model is NULL", fn);
    char what[96];
    snprintf(what, sizeof what, "%s: X", fn);
    NNCL__TRY(nncl__check_tensor(m->ctx, X, what));
    if (X->cols != m->inputs)
        return nncl__fail(m->ctx, NNCL_ERR_SHAPE, "%s: X is %zux%zu; the model takes %zu inputs",
                          fn, X->rows, X->cols, m->inputs);
    if (!Y) return NNCL_OK;
    snprintf(what, sizeof what, "%s: Y", fn);
    NNCL__TRY(nncl__check_tensor(m->ctx, Y, what));
    size_t want_cols = m->loss == NNCL_LOSS_SOFTMAX_CE ? 1 : nncl_model_outputs(m);
    if (Y->rows != X->rows || Y->cols != want_cols)
        return nncl__fail(m->ctx, NNCL_ERR_SHAPE,
                          "%s: X is %zux%zu and Y %zux%zu; a %s model needs Y %zux%zu%s", fn,
                          X->rows, X->cols, Y->rows, Y->cols, nncl_loss_name(m->loss), X->rows,
                          want_cols,
                          m->loss == NNCL_LOSS_SOFTMAX_CE ? " (class indices)" : "");
    return NNCL_OK;
}

/* Forward, loss and backward on one batch; the loss sums go to the metric
 * pair at slot; the gradients are those of the mean over mean_rows rows. */
static nncl_status forward_backward(nncl_model *m, nncl__view x, nncl__view y, size_t rows, size_t mean_rows,
                                    cl_uint slot, int check_input)
{
    NNCL__TRY(nncl__model_reserve(m, rows));
    if (check_input) NNCL__TRY(nncl__check_finite(m->ctx, x, rows, m->inputs, m->status, NNCL_DEV_NONFINITE_INPUT));
    const size_t fused = fused_head(m, rows);
    NNCL__TRY(forward_layers(m, x, rows, m->n_layers - fused));
    NNCL__TRY(fused ? model_head(m, y, rows, mean_rows, slot, fused)
                    : nncl__model_loss(m, y, rows, mean_rows, 1, slot));
    return nncl__model_backward(m, x, rows, fused);
}

nncl_status nncl__model_step(nncl_model *m, nncl__view X, nncl__view Y, size_t rows, int check_input)
{
    if (m->comm) return nncl__model_step_slice(m, X, Y, rows, rows * (size_t)nncl__model_ranks(m, NULL), check_input);
    NNCL__TRY(forward_backward(m, X, Y, rows, rows, NNCL_METRIC_TRAIN, check_input));
    NNCL__TRY(nncl__optim_update(m));
    m->train_rows += (double)rows;
    return NNCL_OK;
}

/* With a communicator: this rank's rows of a global batch; backward queues
 * each gradient bucket's copy as it goes, the host sums them over the ranks
 * (the loss divided this rank's rows by global_rows, so the sum is the
 * global batch's mean), and the optimizer applies it. train_rows counts the
 * global batch on every rank; the metric sums stay this rank's until read. */
nncl_status nncl__model_step_slice(nncl_model *m, nncl__view X, nncl__view Y, size_t rows, size_t global_rows,
                                   int check_input)
{
    if (!m->comm) return nncl__model_step(m, X, Y, rows, check_input);
    nncl__comm_step_begin(m);
    /* each rank's gradient is already its share of the global batch's mean */
    nncl_status st = rows ? forward_backward(m, X, Y, rows, global_rows, NNCL_METRIC_TRAIN, check_input) : NNCL_OK;
    if (st != NNCL_OK) {
        nncl__comm_step_abort(m); /* no bucket stays open for a later compute_gradients */
        return st;
    }
    NNCL__TRY(nncl__comm_reduce_gradients(m, rows));
    NNCL__TRY(nncl__optim_update(m));
    m->train_rows += (double)global_rows;
    return NNCL_OK;
}

nncl_status nncl__model_eval_batch(nncl_model *m, nncl__view X, const nncl__view *Y, size_t rows,
                                   int check_input)
{
    NNCL__TRY(nncl__model_reserve(m, rows));
    if (check_input) NNCL__TRY(nncl__check_finite(m->ctx, X, rows, m->inputs, m->status, NNCL_DEV_NONFINITE_INPUT));
    NNCL__TRY(nncl__model_forward(m, X, rows));
    if (!Y) return NNCL_OK; /* predicting: nncl__model_outputs checks what it returns */
    /* Finite inputs can still overflow float32 (±3e38 in a CSV): evaluation
     * and prediction refuse the same rows with the same message. */
    NNCL__TRY(nncl__check_finite(m->ctx, act_view(m, m->n_layers - 1), rows, nncl_model_outputs(m), m->status,
                                 NNCL_DEV_NONFINITE_OUTPUT));
    return nncl__model_loss(m, *Y, rows, rows, 0, NNCL_METRIC_EVAL);
}

nncl__view nncl__model_last_layer(const nncl_model *m) { return act_view(m, m->n_layers - 1); }

nncl_status nncl_model_compute_gradients(nncl_model *m, const nncl_tensor *X, const nncl_tensor *Y)
{
    if (m && !Y) return nncl__fail(m->ctx, NNCL_ERR_INVALID_ARG, "nncl_model_compute_gradients: Y is NULL");
    NNCL__TRY(nncl__model_check_batch(m, X, Y, "nncl_model_compute_gradients"));
    NNCL__TRY(forward_backward(m, nncl__view_of(X), nncl__view_of(Y), X->rows, X->rows, NNCL_METRIC_EVAL, 1));
    return nncl_model_sync(m);
}

nncl_status nncl_model_train_step(nncl_model *m, const nncl_tensor *X, const nncl_tensor *Y)
{
    if (m && !Y) return nncl__fail(m->ctx, NNCL_ERR_INVALID_ARG, "nncl_model_train_step: Y is NULL");
    NNCL__TRY(nncl__model_check_batch(m, X, Y, "nncl_model_train_step"));
    return nncl__model_step(m, nncl__view_of(X), nncl__view_of(Y), X->rows, 1);
}

nncl_status nncl__model_check_status(nncl_model *m)
{
    cl_int word[NNCL_STATUS_WORDS] = {0};
    NNCL__CHECK_CL(m->ctx,
                   clEnqueueReadBuffer(m->ctx->queue, m->status, CL_TRUE, 0, sizeof word, word, 0,
                                       NULL, NULL),
                   "reading the device status");
    if (word[NNCL_STATUS_CODE] == NNCL_DEV_OK) return NNCL_OK;
    cl_int zero[NNCL_STATUS_WORDS] = {0};
    NNCL__CHECK_CL(m->ctx,
                   clEnqueueWriteBuffer(m->ctx->queue, m->status, CL_TRUE, 0, sizeof zero, zero, 0,
                                        NULL, NULL),
                   "clearing the device status");
    /* The updates skipped since the bad batch are not counted: the step
     * (the schedule's clock) and the state's step go back to that batch, so
     * that a checkpoint written now resumes right there. The epoch's training
     * sums hold the bad loss and start over. */
    cl_uint tag = (cl_uint)word[NNCL_STATUS_STEP];
    if (tag & NNCL_STEP_TAG_SET) {
        uint64_t skipped_steps = ((uint64_t)m->step - (tag & NNCL_STEP_TAG_BITS)) & NNCL_STEP_TAG_BITS;
        if (skipped_steps <= m->step) m->step -= skipped_steps;
        m->state_step -= skipped_steps < m->state_step ? skipped_steps : m->state_step;
        if (word[NNCL_STATUS_CODE] == NNCL_DEV_NONFINITE_LOSS) {
            NNCL__TRY(nncl__model_clear_metrics(m, NNCL_METRIC_TRAIN));
            m->train_rows = 0;
        }
    }
    const char *skipped = "; no update was made from that batch on";
    float value;
    memcpy(&value, &word[NNCL_STATUS_VALUE], sizeof value); /* labels and targets travel as float bits */
    int row = word[NNCL_STATUS_ROW];
    switch (word[NNCL_STATUS_CODE]) {
    case NNCL_DEV_BAD_LABEL:
        return nncl__fail(m->ctx, NNCL_ERR_INVALID_ARG,
                          "label %g in row %d of a batch is not a class index in [0, %zu)%s",
                          (double)value, row, nncl_model_outputs(m), skipped);
    case NNCL_DEV_BAD_TARGET:
        return nncl__fail(m->ctx, NNCL_ERR_INVALID_ARG,
                          "target %g in row %d of a batch is outside [0, 1], which bce needs%s",
                          (double)value, row, skipped);
    case NNCL_DEV_NONFINITE_INPUT:
        return nncl__fail(m->ctx, NNCL_ERR_NUMERIC,
                          "input row %d, column %d of a batch is NaN or infinite%s", row,
                          word[NNCL_STATUS_VALUE], skipped);
    case NNCL_DEV_NONFINITE_OUTPUT:
        return nncl__fail(m->ctx, NNCL_ERR_NUMERIC,
                          "the model's output %d for row %d of a batch is not finite: an input is too large "
                          "for float32 arithmetic (finite, but it overflows in the model)",
                          word[NNCL_STATUS_VALUE], row);
    default:
        return nncl__fail(m->ctx, NNCL_ERR_NUMERIC,
                          "the loss of row %d of a batch is not finite (the training diverged: "
                          "try a lower learning rate)%s",
                          row, skipped);
    }
}

nncl_status nncl_model_sync(nncl_model *m)
{
    if (!m) return nncl__fail(NULL, NNCL_ERR_INVALID_ARG, "nncl_model_sync: model is NULL");
    NNCL__TRY(nncl__model_flush_metrics(m));
    NNCL__CHECK_CL(m->ctx, clFinish(m->ctx->queue), "clFinish");
    return nncl__model_check_status(m);
}

nncl_status nncl__model_clear_metrics(nncl_model *m, cl_uint slot)
{
    float zero = 0.0f;
    if (m->pending_slot == slot) m->pending_rows = 0; /* their sums would be cleared too */
    NNCL__CHECK_CL(m->ctx,
                   clEnqueueFillBuffer(m->ctx->queue, m->metrics, &zero, sizeof zero, slot * sizeof(float),
                                       2 * sizeof(float), 0, NULL, NULL),
                   "clearing metrics");
    return NNCL_OK;
}

/* Reads metrics[slot..slot+1] (summed over the ranks with reduce and a
 * communicator) and turns the sums into means over rows; with clear,
 * zeroes them for the next pass. */
static nncl_status read_metrics(nncl_model *m, cl_uint slot, double rows, float *loss, float *accuracy, int clear,
                                int reduce)
{
    float sums[2]; /* loss at NNCL_METRIC_LOSS, correct at _CORRECT */
    NNCL__TRY(nncl__model_flush_metrics(m));
    NNCL__CHECK_CL(m->ctx,
                   clEnqueueReadBuffer(m->ctx->queue, m->metrics, CL_TRUE, slot * sizeof(float),
                                       sizeof sums, sums, 0, NULL, NULL),
                   "reading metrics");
    if (reduce) NNCL__TRY(nncl__model_allreduce(m, sums, 2));
    if (clear) NNCL__TRY(nncl__model_clear_metrics(m, slot)); /* queued: the next pass adds after it */
    double terms = m->loss == NNCL_LOSS_SOFTMAX_CE ? rows : rows * (double)nncl_model_outputs(m);
    if (loss) *loss = terms > 0 ? (float)(sums[NNCL_METRIC_LOSS] / terms) : 0.0f;
    if (accuracy) *accuracy = terms > 0 ? (float)(sums[NNCL_METRIC_CORRECT] / terms) : 0.0f;
    return NNCL_OK;
}

nncl_status nncl__model_read_metrics(nncl_model *m, cl_uint slot, double rows, float *loss, float *accuracy,
                                     int clear)
{
    return read_metrics(m, slot, rows, loss, accuracy, clear, 0);
}

nncl_status nncl__model_read_global_metrics(nncl_model *m, cl_uint slot, double rows, float *loss,
                                            float *accuracy, int clear)
{
    return read_metrics(m, slot, rows, loss, accuracy, clear, 1);
}

nncl_status nncl__model_merge_train_metrics(nncl_model *m)
{
    if (!m->comm) return NNCL_OK;
    float sums[2];
    NNCL__TRY(nncl__model_flush_metrics(m));
    NNCL__CHECK_CL(m->ctx,
                   clEnqueueReadBuffer(m->ctx->queue, m->metrics, CL_TRUE, NNCL_METRIC_TRAIN * sizeof(float),
                                       sizeof sums, sums, 0, NULL, NULL),
                   "reading metrics");
    NNCL__TRY(nncl__model_allreduce(m, sums, 2));
    int rank;
    nncl__model_ranks(m, &rank);
    if (rank != 0) return nncl__model_clear_metrics(m, NNCL_METRIC_TRAIN); /* rank 0 holds the sums */
    NNCL__CHECK_CL(m->ctx,
                   clEnqueueWriteBuffer(m->ctx->queue, m->metrics, CL_TRUE, NNCL_METRIC_TRAIN * sizeof(float),
                                        sizeof sums, sums, 0, NULL, NULL),
                   "writing metrics");
    return NNCL_OK;
}

nncl_status nncl_model_train_metrics(nncl_model *m, float *loss, float *accuracy)
{
    if (!m) return nncl__fail(NULL, NNCL_ERR_INVALID_ARG, "nncl_model_train_metrics: model is NULL");
    nncl_status st = nncl__model_check_status(m);
    double rows = m->train_rows;
    m->train_rows = 0;
    if (st != NNCL_OK) {
        float ignored[2];
        nncl__model_read_metrics(m, NNCL_METRIC_TRAIN, 0, &ignored[0], &ignored[1], 1);
        return st;
    }
    return nncl__model_read_global_metrics(m, NNCL_METRIC_TRAIN, rows, loss, accuracy, 1);
}

nncl_status nncl__model_reset_train_metrics(nncl_model *m)
{
    m->train_rows = 0;
    return nncl__model_clear_metrics(m, NNCL_METRIC_TRAIN);
}

nncl_status nncl__model_running_loss(nncl_model *m, float *loss)
{
    return nncl__model_read_global_metrics(m, NNCL_METRIC_TRAIN, m->train_rows, loss, NULL, 0);
}

/* Forward passes over X in chunks of NNCL__EVAL_ROWS rows; after each, the
 * loss against the same rows of Z summed into the evaluation metrics
 * (with_loss), or the model's outputs written to those rows of Z. */
static nncl_status forward_chunks(nncl_model *m, const nncl_tensor *X, const nncl_tensor *Z, int with_loss)
{
    size_t chunk = X->rows < NNCL__EVAL_ROWS ? X->rows : NNCL__EVAL_ROWS;
    for (size_t r0 = 0; r0 < X->rows; r0 += chunk) {
        size_t rows = X->rows - r0 < chunk ? X->rows - r0 : chunk;
        nncl__view x = nncl__view_of(X), z = nncl__view_of(Z);
        x.off += (cl_uint)(r0 * x.ld);
        z.off += (cl_uint)(r0 * z.ld);
        NNCL__TRY(nncl__model_eval_batch(m, x, with_loss ? &z : NULL, rows, 1));
        if (!with_loss) NNCL__TRY(nncl__model_outputs(m, z, rows));
    }
    return NNCL_OK;
}

nncl_status nncl_model_evaluate(nncl_model *m, const nncl_tensor *X, const nncl_tensor *Y,
                                float *loss, float *accuracy)
{
    NNCL__TRY(nncl__model_check_batch(m, X, Y, "nncl_model_evaluate"));
    if (!Y) return nncl__fail(m->ctx, NNCL_ERR_INVALID_ARG, "nncl_model_evaluate: Y is NULL");
    NNCL__TRY(nncl__model_clear_metrics(m, NNCL_METRIC_EVAL)); /* may hold sums of compute_gradients */
    NNCL__TRY(forward_chunks(m, X, Y, 1));
    nncl_status st = nncl__model_check_status(m);
    float ignored;
    nncl_status read = nncl__model_read_metrics(m, NNCL_METRIC_EVAL, (double)X->rows, loss ? loss : &ignored,
                                                accuracy ? accuracy : &ignored, 1);
    return st != NNCL_OK ? st : read;
}

/* out = what the model outputs for its last forward pass: softmax of the
 * logits (softmax-ce, stable form), sigmoid of them (bce), or the outputs. */
static nncl_status outputs_of(nncl_model *m, nncl__view out, size_t rows)
{
    size_t outputs = nncl_model_outputs(m), last = m->n_layers - 1;
    nncl__view z = act_view(m, last);
    if (m->has_target_norm) { /* y = y'·diag(std) + mean */
        nncl__view scale = {m->target_affine, 0, (cl_uint)outputs};
        nncl__view offset = {m->target_affine, (cl_uint)(outputs * outputs), (cl_uint)outputs};
        nncl__gemm_extras x = {.bias = &offset};
        return nncl__gemm(m->ctx, 0, 0, rows, outputs, outputs, 1.0f, z, scale, 0.0f, out, &x);
    }
    if (m->loss != NNCL_LOSS_SOFTMAX_CE)
        return nncl__act_forward(m->ctx, z, out, rows, outputs,
                                 m->loss == NNCL_LOSS_BCE ? NNCL_ACT_SIGMOID : NNCL_ACT_IDENTITY);
    /* The loss kernel without labels or gradient writes the probabilities. */
    return nncl__loss(m->ctx, m->loss, NNCL_ACT_IDENTITY, z, NULL, NULL, rows, rows, outputs, NNCL__LOSS_OUT_PROBS, out,
                      NULL, 0, NULL, NULL);
}

/* ... checked finite (as evaluation checks the logits), so that no path
 * that computes on user data hands back a NaN. */
nncl_status nncl__model_outputs(nncl_model *m, nncl__view out, size_t rows)
{
    NNCL__TRY(outputs_of(m, out, rows));
    return nncl__check_finite(m->ctx, out, rows, nncl_model_outputs(m), m->status, NNCL_DEV_NONFINITE_OUTPUT);
}

nncl_status nncl_model_predict(nncl_model *m, const nncl_tensor *X, nncl_tensor *out)
{
    NNCL__TRY(nncl__model_check_batch(m, X, NULL, "nncl_model_predict"));
    NNCL__TRY(nncl__check_tensor(m->ctx, out, "nncl_model_predict: out"));
    size_t outputs = nncl_model_outputs(m);
    if (out->rows != X->rows || out->cols != outputs)
        return nncl__fail(m->ctx, NNCL_ERR_SHAPE,
                          "nncl_model_predict: X is %zux%zu, out %zux%zu; need out %zux%zu",
                          X->rows, X->cols, out->rows, out->cols, X->rows, outputs);
    NNCL__TRY(forward_chunks(m, X, out, 0));
    return nncl__model_check_status(m);
}
