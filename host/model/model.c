/* SPDX-License-Identifier: MIT */
/* Models: creation from a spec, deterministic weight initialisation, the flat
 * parameter buffers and the per-batch buffers, the optimizer and the
 * standardisation kept with the model. */
#include "model/model_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const loss_names[] = {"mse", "bce", "softmax-ce"};
#define NNCL__LOSS_KINDS (int)(sizeof loss_names / sizeof *loss_names)

const char *nncl_loss_name(nncl_loss loss)
{
    return (int)loss >= 0 && (int)loss < NNCL__LOSS_KINDS ? loss_names[loss] : NULL;
}

nncl_status nncl_loss_parse(const char *name, nncl_loss *loss)
{
    if (!name || !loss) return nncl__fail(NULL, NNCL_ERR_INVALID_ARG, "nncl_loss_parse: NULL argument");
    for (int i = 0; i < NNCL__LOSS_KINDS; i++)
        if (!strcmp(name, loss_names[i])) {
            *loss = (nncl_loss)i;
            return NNCL_OK;
        }
    if (!strcmp(name, "softmax_ce") || !strcmp(name, "ce") || !strcmp(name, "cross-entropy")) {
        *loss = NNCL_LOSS_SOFTMAX_CE;
        return NNCL_OK;
    }
    return nncl__fail(NULL, NNCL_ERR_INVALID_ARG, "unknown loss \"%s\" (mse, bce, softmax-ce)", name);
}

/* Xavier/Glorot uniform for sigmoid/tanh/identity/softmax, He uniform for the
 * relu family; biases zero. Stream 0 of the counter-based generator. */
static void init_params(const nncl_model *m, float *host)
{
    uint64_t counter = 0;
    for (size_t l = 0; l < m->n_layers; l++) {
        size_t in = nncl__layer_in(m, l), out = m->layers[l].units;
        nncl_activation act = m->layers[l].activation;
        int he = act == NNCL_ACT_RELU || act == NNCL_ACT_LEAKY_RELU;
        float limit = he ? sqrtf(6.0f / (float)in) : sqrtf(6.0f / (float)(in + out));
        for (size_t i = 0; i < in * out; i++)
            host[m->w_off[l] + i] = (2.0f * nncl__random_uniform(m->seed, 0, counter++) - 1.0f) * limit;
        memset(host + m->b_off[l], 0, out * sizeof(float));
    }
}

static nncl_status check_spec(nncl_context *ctx, const nncl_model_spec *spec)
{
    if (!spec) return nncl__fail(ctx, NNCL_ERR_INVALID_ARG, "nncl_model_create: spec is NULL");
    if (spec->inputs == 0 || spec->inputs >= NNCL__WIDTH_LIMIT)
        return nncl__fail(ctx, NNCL_ERR_SHAPE, "model spec: inputs %zu; must be in 1 .. 2^31 - 1", spec->inputs);
    if (spec->n_layers == 0 || spec->n_layers > NNCL_MAX_LAYERS || !spec->layers)
        return nncl__fail(ctx, NNCL_ERR_INVALID_ARG,
                          "model spec: %zu layers; need 1 .. %d and a layer array",
                          spec->n_layers, NNCL_MAX_LAYERS);
    if (!nncl_loss_name(spec->loss))
        return nncl__fail(ctx, NNCL_ERR_INVALID_ARG, "model spec: unknown loss %d", (int)spec->loss);
    size_t last = spec->n_layers - 1;
    for (size_t l = 0; l < spec->n_layers; l++) {
        nncl_activation act = spec->layers[l].activation;
        if (spec->layers[l].units == 0 || spec->layers[l].units >= NNCL__WIDTH_LIMIT)
            return nncl__fail(ctx, NNCL_ERR_SHAPE, "model spec: layer %zu has %zu units; must be in 1 .. 2^31 - 1",
                              l, spec->layers[l].units);
        if (!nncl_activation_name(act))
            return nncl__fail(ctx, NNCL_ERR_INVALID_ARG, "model spec: layer %zu: unknown activation %d",
                              l, (int)act);
        if (act == NNCL_ACT_SOFTMAX && (l != last || spec->loss != NNCL_LOSS_SOFTMAX_CE))
            return nncl__fail(ctx, NNCL_ERR_INVALID_ARG,
                              "model spec: layer %zu: softmax is only for the last layer of a "
                              "softmax-ce model",
                              l);
    }
    nncl_activation out_act = spec->layers[last].activation;
    if (spec->loss == NNCL_LOSS_SOFTMAX_CE && out_act != NNCL_ACT_SOFTMAX)
        return nncl__fail(ctx, NNCL_ERR_INVALID_ARG,
                          "model spec: a softmax-ce model needs softmax on its last layer (has %s)",
                          nncl_activation_name(out_act));
    if (spec->loss == NNCL_LOSS_SOFTMAX_CE && spec->layers[last].units < 2)
        return nncl__fail(ctx, NNCL_ERR_SHAPE, "model spec: softmax-ce needs at least 2 classes");
    if (spec->loss == NNCL_LOSS_BCE && out_act != NNCL_ACT_SIGMOID)
        return nncl__fail(ctx, NNCL_ERR_INVALID_ARG,
                          "model spec: a bce model needs sigmoid on its last layer (has %s)",
                          nncl_activation_name(out_act));
    return NNCL_OK;
}

static nncl_status alloc_buffer(nncl_context *ctx, size_t floats, cl_mem *out, const char *what)
{
    cl_int err = nncl__buffer_create(ctx, CL_MEM_READ_WRITE, floats * sizeof(float), NULL, out);
    if (err != CL_SUCCESS)
        return nncl__fail(ctx, NNCL_ERR_OUT_OF_MEMORY, "%s: %zu bytes: %s", what,
                          floats * sizeof(float), nncl__cl_error_name(err));
    return NNCL_OK;
}

static nncl_status zero_buffer(nncl_context *ctx, cl_mem mem, size_t floats)
{
    float zero = 0.0f;
    NNCL__CHECK_CL(ctx,
                   clEnqueueFillBuffer(ctx->queue, mem, &zero, sizeof zero, 0,
                                       floats * sizeof(float), 0, NULL, NULL),
                   "clEnqueueFillBuffer");
    return NNCL_OK;
}

/* Lays out packed_w and uploads the job table that packs every weight
 * matrix into it (model_impl.h); nothing where products never read packed
 * panels, or where the layout would pass 2^32 floats. */
static nncl_status plan_weight_packs(nncl_model *m)
{
    nncl_context *ctx = m->ctx;
    size_t L = m->n_layers, n_jobs = 0, floats = 0, items = 0;
    nncl__pack_job jobs[2 * NNCL_MAX_LAYERS];
    if (!ctx->tiles.prepack) return NNCL_OK;
    for (int forward = 0; forward < 2; forward++) { /* W_lᵀ (l > 0), then W_l */
        for (size_t l = !forward; l < L; l++) {
            size_t in = nncl__layer_in(m, l), units = m->layers[l].units;
            size_t K = forward ? in : units, N = forward ? units : in, size = nncl__pack_floats(ctx, K, N);
            if (size == 0) return NNCL_OK;
            (forward ? m->pack_fwd_off : m->pack_bwd_off)[l] = floats;
            jobs[n_jobs++] = (nncl__pack_job){(cl_uint)m->w_off[l], (cl_uint)units, !forward, K, N, floats};
            floats += size;
            if (floats >= UINT32_MAX) return NNCL_OK;
        }
    }
    cl_uint table[2 * NNCL_MAX_LAYERS * NNCL_PACK_JOB_WORDS];
    for (size_t j = 0; j < n_jobs; j++) {
        if (j == L - 1) m->pack_items_bwd = items; /* the L-1 backward jobs end here */
        items += nncl__pack_job_record(ctx, &jobs[j], items, &table[j * NNCL_PACK_JOB_WORDS]);
    }
    m->pack_items_all = items;
    NNCL__TRY(alloc_buffer(ctx, floats, &m->packed_w, "packed weights"));
    cl_int err = nncl__buffer_create(ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR,
                                     n_jobs * NNCL_PACK_JOB_WORDS * sizeof(cl_uint), table, &m->pack_jobs);
    if (err != CL_SUCCESS) return nncl__cl_fail(ctx, err, "the weight-packing table");
    return NNCL_OK;
}

nncl_status nncl_model_create(nncl_context *ctx, const nncl_model_spec *caller_spec, nncl_model **out)
{
    if (!ctx) return nncl__fail(NULL, NNCL_ERR_INVALID_ARG, "nncl_model_create: ctx is NULL");
    if (!out) return nncl__fail(ctx, NNCL_ERR_INVALID_ARG, "nncl_model_create: out is NULL");
    *out = NULL;
    nncl_model_spec read = nncl_model_spec_defaults();
    NNCL__OPTIONS_READ(&read, caller_spec);
    const nncl_model_spec *spec = caller_spec ? &read : NULL;
    NNCL__TRY(check_spec(ctx, spec));
    nncl_model *m = calloc(1, sizeof *m);
    if (!m) return nncl__fail(ctx, NNCL_ERR_OUT_OF_MEMORY, "nncl_model_create: host memory");
    m->ctx = ctx;
    m->inputs = spec->inputs;
    m->n_layers = spec->n_layers;
    memcpy(m->layers, spec->layers, spec->n_layers * sizeof *spec->layers);
    m->loss = spec->loss;
    m->seed = spec->seed;
    /* Counted in 64 bits with every width below 2^31, so nothing wraps. */
    uint64_t total = 0;
    for (size_t l = 0; l < m->n_layers; l++) {
        uint64_t in = nncl__layer_in(m, l), units = m->layers[l].units;
        /* b_l right after W_l: backward computes [dW_l; db_l] as one
         * (in+1) x units product (see nncl__model_backward). */
        m->w_off[l] = (size_t)total;
        m->b_off[l] = (size_t)(total + in * units);
        total += in * units + units;
        if (total >= UINT32_MAX) break;
    }
    if (total >= UINT32_MAX) {
        free(m);
        return nncl__fail(ctx, NNCL_ERR_OUT_OF_MEMORY,
                          "nncl_model_create: more than 2^32 parameters; at most 2^32 - 1 are supported");
    }
    m->n_params = (size_t)total;
    m->opt = nncl_optimizer_defaults(NNCL_OPTIM_ADAM);
    float *host = malloc(m->n_params * sizeof *host);
    nncl_status st = host ? NNCL_OK
                          : nncl__fail(ctx, NNCL_ERR_OUT_OF_MEMORY, "nncl_model_create: %zu bytes",
                                       m->n_params * sizeof *host);
    if (st == NNCL_OK) st = alloc_buffer(ctx, m->n_params, &m->params, "model parameters");
    if (st == NNCL_OK) st = alloc_buffer(ctx, m->n_params, &m->grads, "model gradients");
    if (st == NNCL_OK) st = alloc_buffer(ctx, m->n_params, &m->opt_m, "optimizer state");
    if (st == NNCL_OK) st = alloc_buffer(ctx, m->n_params, &m->opt_v, "optimizer state");
    if (st == NNCL_OK) st = alloc_buffer(ctx, NNCL_METRIC_COUNT, &m->metrics, "metrics");
    if (st == NNCL_OK) st = alloc_buffer(ctx, NNCL_STATUS_WORDS, &m->status, "status word");
    if (st == NNCL_OK) st = plan_weight_packs(m);
    size_t outputs = nncl_model_outputs(m), width = m->packed_w ? nncl__pack_width(ctx, outputs) : 0;
    m->last_delta_ld = width >= outputs ? width : outputs;
    if (st == NNCL_OK) {
        init_params(m, host);
        cl_int err = clEnqueueWriteBuffer(ctx->queue, m->params, CL_TRUE, 0,
                                          m->n_params * sizeof(float), host, 0, NULL, NULL);
        if (err != CL_SUCCESS) st = nncl__cl_fail(ctx, err, "uploading initial weights");
    }
    if (st == NNCL_OK) st = zero_buffer(ctx, m->grads, m->n_params);
    if (st == NNCL_OK) st = zero_buffer(ctx, m->opt_m, m->n_params);
    if (st == NNCL_OK) st = zero_buffer(ctx, m->opt_v, m->n_params);
    if (st == NNCL_OK) st = zero_buffer(ctx, m->metrics, NNCL_METRIC_COUNT);
    if (st == NNCL_OK) st = zero_buffer(ctx, m->status, NNCL_STATUS_WORDS);
    free(host);
    if (st != NNCL_OK) {
        nncl_model_destroy(m);
        return st;
    }
    *out = m;
    return NNCL_OK;
}

static void release(nncl_model *m, cl_mem *mem) { nncl__buffer_release(m->ctx, mem); }

void nncl_model_destroy(nncl_model *m)
{
    if (!m) return;
    clFinish(m->ctx->queue);
    nncl__comm_free(m);
    release(m, &m->params), release(m, &m->grads), release(m, &m->opt_m), release(m, &m->opt_v);
    release(m, &m->metrics), release(m, &m->status);
    release(m, &m->packed_w), release(m, &m->pack_jobs);
    release(m, &m->row_loss), release(m, &m->row_correct);
    for (size_t l = 0; l < m->n_layers; l++)
        release(m, &m->act[l]), release(m, &m->delta[l]), release(m, &m->delta_packed[l]);
    release(m, &m->norm_mean_dev), release(m, &m->norm_inv_std_dev);
    release(m, &m->target_affine);
    free(m->target_mean);
    free(m->target_std);
    if (m->attachment_free) m->attachment_free(m->attachment);
    nncl__model_free_info(m);
    free(m->norm_mean);
    free(m->norm_std);
    free(m->norm_inv_std);
    free(m);
}

nncl_status nncl__model_reserve(nncl_model *m, size_t rows)
{
    if (rows <= m->capacity) return NNCL_OK;
    nncl_context *ctx = m->ctx;
    NNCL__TRY(nncl__model_flush_metrics(m)); /* (queued work keeps the old buffers alive) */
    release(m, &m->row_loss), release(m, &m->row_correct);
    for (size_t l = 0; l < m->n_layers; l++)
        release(m, &m->act[l]), release(m, &m->delta[l]), release(m, &m->delta_packed[l]);
    m->capacity = 0;
    NNCL__TRY(alloc_buffer(ctx, nncl__metric_ring(rows), &m->row_loss, "per-row loss"));
    NNCL__TRY(alloc_buffer(ctx, nncl__metric_ring(rows), &m->row_correct, "per-row accuracy"));
    for (size_t l = 0; l < m->n_layers; l++) {
        size_t units = m->layers[l].units;
        NNCL__TRY(alloc_buffer(ctx, rows * units, &m->act[l], "layer outputs"));
        NNCL__TRY(alloc_buffer(ctx, rows * nncl__delta_ld(m, l), &m->delta[l], "layer gradients"));
        /* for layer l's weight gradient ([A_{l-1}, 1]ᵀ·dZ_l), where it reads dZ_l packed */
        if (m->packed_w && l + 1 < m->n_layers && nncl__gemm_reads_packed(ctx, 0, nncl__layer_in(m, l) + 1, units, rows))
            NNCL__TRY(alloc_buffer(ctx, nncl__pack_floats(ctx, rows, units), &m->delta_packed[l],
                                   "packed layer gradients"));
    }
    if (m->last_delta_ld > nncl_model_outputs(m)) /* the panel's padding */
        NNCL__TRY(zero_buffer(ctx, m->delta[m->n_layers - 1], rows * m->last_delta_ld));
    m->capacity = rows;
    return NNCL_OK;
}

size_t nncl_model_inputs(const nncl_model *m) { return m ? m->inputs : 0; }
size_t nncl_model_outputs(const nncl_model *m) { return m ? m->layers[m->n_layers - 1].units : 0; }
size_t nncl_model_param_count(const nncl_model *m) { return m ? m->n_params : 0; }
uint64_t nncl_model_step(const nncl_model *m) { return m ? m->step : 0; }

nncl_status nncl_model_get_spec(const nncl_model *m, nncl_model_spec *spec)
{
    if (!m || !spec)
        return nncl__fail(m ? m->ctx : NULL, NNCL_ERR_INVALID_ARG, "nncl_model_get_spec: NULL argument");
    nncl_model_spec mine = nncl_model_spec_defaults();
    mine.inputs = m->inputs;
    mine.n_layers = m->n_layers;
    mine.layers = m->layers;
    mine.loss = m->loss;
    mine.seed = m->seed;
    NNCL__OPTIONS_WRITE(spec, &mine);
    return NNCL_OK;
}

static nncl_status copy_flat(const nncl_model *m, cl_mem mem, float *host, size_t count,
                             int to_device, const char *fn)
{
    if (!m) return nncl__fail(NULL, NNCL_ERR_INVALID_ARG, "%s: model is NULL", fn);
    if (!host) return nncl__fail(m->ctx, NNCL_ERR_INVALID_ARG, "%s: host pointer is NULL", fn);
    if (count != m->n_params)
        return nncl__fail(m->ctx, NNCL_ERR_SHAPE, "%s: %zu floats given, the model has %zu", fn,
                          count, m->n_params);
    cl_int err = to_device ? clEnqueueWriteBuffer(m->ctx->queue, mem, CL_TRUE, 0,
                                                  count * sizeof(float), host, 0, NULL, NULL)
                           : clEnqueueReadBuffer(m->ctx->queue, mem, CL_TRUE, 0,
                                                 count * sizeof(float), host, 0, NULL, NULL);
    if (err != CL_SUCCESS) return nncl__cl_fail(m->ctx, err, fn);
    return NNCL_OK;
}

nncl_status nncl_model_get_params(const nncl_model *m, float *dst, size_t count)
{
    return copy_flat(m, m ? m->params : NULL, dst, count, 0, "nncl_model_get_params");
}

nncl_status nncl_model_set_params(nncl_model *m, const float *src, size_t count)
{
    if (m && src)
        for (size_t i = 0; i < count && i < m->n_params; i++)
            if (!isfinite(src[i]))
                return nncl__fail(m->ctx, NNCL_ERR_NUMERIC,
                                  "nncl_model_set_params: parameter %zu is %g", i, (double)src[i]);
    if (m) nncl__model_weights_written(m);
    return copy_flat(m, m ? m->params : NULL, (float *)src, count, 1, "nncl_model_set_params");
}

nncl_status nncl_model_get_gradients(const nncl_model *m, float *dst, size_t count)
{
    return copy_flat(m, m ? m->grads : NULL, dst, count, 0, "nncl_model_get_gradients");
}

/* ---- the model's optimizer (the update rules are in host/ops/optim.c) ---- */

nncl_status nncl_model_set_optimizer(nncl_model *m, const nncl_optimizer *caller_opt)
{
    if (!m) return nncl__fail(NULL, NNCL_ERR_INVALID_ARG, "nncl_model_set_optimizer: model is NULL");
    if (!caller_opt) return nncl__optim_validate(m->ctx, NULL);
    nncl_optimizer read = nncl__optim_read(caller_opt);
    const nncl_optimizer *opt = &read;
    NNCL__TRY(nncl__optim_validate(m->ctx, opt));
    if (opt->kind != m->opt.kind) {
        float zero = 0.0f;
        size_t bytes = m->n_params * sizeof(float);
        NNCL__CHECK_CL(m->ctx, clEnqueueFillBuffer(m->ctx->queue, m->opt_m, &zero, sizeof zero, 0, bytes, 0, NULL, NULL),
                       "clEnqueueFillBuffer");
        NNCL__CHECK_CL(m->ctx, clEnqueueFillBuffer(m->ctx->queue, m->opt_v, &zero, sizeof zero, 0, bytes, 0, NULL, NULL),
                       "clEnqueueFillBuffer");
        m->state_step = 0; /* a fresh state: bias correction starts over, as in a new torch.optim.Adam */
    }
    m->opt = *opt;
    return NNCL_OK;
}

nncl_status nncl_model_get_optimizer(const nncl_model *m, nncl_optimizer *opt)
{
    if (!m || !opt)
        return nncl__fail(m ? m->ctx : NULL, NNCL_ERR_INVALID_ARG, "nncl_model_get_optimizer: NULL argument");
    NNCL__OPTIONS_WRITE(opt, &m->opt);
    return NNCL_OK;
}

/* Adam:  m = β1·m + (1-β1)·g,  v = β2·v + (1-β2)·g²,
 *        w -= lr · (m / (1-β1^t)) / (sqrt(v / (1-β2^t)) + eps),  t = state_step + 1;
 * lr by the schedule at the global step.
 * (optim_scalars gives the step's lr and bias corrections.) */
nncl_status nncl__optim_update(nncl_model *m)
{
    NNCL__TRY(nncl__optim_launch(m->ctx, &m->opt, m->step, m->state_step, (nncl__view){m->params, 0, 0},
                                 (nncl__view){m->grads, 0, 0}, (nncl__view){m->opt_m, 0, 0},
                                 (nncl__view){m->opt_v, 0, 0}, m->n_params, m->status));
    nncl__model_weights_written(m);
    m->step++;
    m->state_step++;
    return NNCL_OK;
}

/* ---- standardisation, applied to every data-set batch by the gather ---- */

nncl_status nncl_model_set_normalization(nncl_model *m, const float *mean, const float *stddev,
                                         size_t count)
{
    if (!m) return nncl__fail(NULL, NNCL_ERR_INVALID_ARG, "nncl_model_set_normalization: model is NULL");
    nncl_context *ctx = m->ctx;
    if (!mean) {
        m->has_norm = 0;
        return NNCL_OK;
    }
    if (!stddev) return nncl__fail(ctx, NNCL_ERR_INVALID_ARG, "nncl_model_set_normalization: stddev is NULL");
    if (count != m->inputs)
        return nncl__fail(ctx, NNCL_ERR_SHAPE, "normalization: %zu columns given, the model has %zu inputs",
                          count, m->inputs);
    for (size_t i = 0; i < count; i++)
        if (!isfinite(mean[i]) || !isfinite(stddev[i]) || stddev[i] < 0)
            return nncl__fail(ctx, NNCL_ERR_NUMERIC, "normalization column %zu: mean %g, stddev %g",
                              i, (double)mean[i], (double)stddev[i]);
    /* Each piece made once; after a failed attempt the next call makes what is missing. */
    if (!m->norm_mean) m->norm_mean = malloc(count * sizeof(float));
    if (!m->norm_std) m->norm_std = malloc(count * sizeof(float));
    if (!m->norm_inv_std) m->norm_inv_std = malloc(count * sizeof(float));
    /* A buffer that cannot be made stays NULL, which the check below reports. */
    if (!m->norm_mean_dev)
        (void)nncl__buffer_create(ctx, CL_MEM_READ_ONLY, count * sizeof(float), NULL, &m->norm_mean_dev);
    if (!m->norm_inv_std_dev)
        (void)nncl__buffer_create(ctx, CL_MEM_READ_ONLY, count * sizeof(float), NULL, &m->norm_inv_std_dev);
    if (!m->norm_mean || !m->norm_std || !m->norm_inv_std || !m->norm_mean_dev || !m->norm_inv_std_dev)
        return nncl__fail(ctx, NNCL_ERR_OUT_OF_MEMORY, "normalization: %zu columns", count);
    float *inv = m->norm_inv_std;
    for (size_t i = 0; i < count; i++)
        inv[i] = stddev[i] > NNCL__NORM_MIN_STD ? 1.0f / stddev[i] : 1.0f; /* constant columns: centre only */
    memcpy(m->norm_mean, mean, count * sizeof(float));
    memcpy(m->norm_std, stddev, count * sizeof(float));
    cl_int err = clEnqueueWriteBuffer(ctx->queue, m->norm_mean_dev, CL_TRUE, 0, count * sizeof(float), mean, 0, NULL, NULL);
    if (err == CL_SUCCESS)
        err = clEnqueueWriteBuffer(ctx->queue, m->norm_inv_std_dev, CL_TRUE, 0,
                                   count * sizeof(float), inv, 0, NULL, NULL);
    if (err != CL_SUCCESS) return nncl__cl_fail(ctx, err, "uploading the normalization");
    m->has_norm = 1;
    return NNCL_OK;
}

int nncl_model_get_normalization(const nncl_model *m, float *mean, float *stddev, size_t count)
{
    if (!m || !m->has_norm) return 0;
    if (mean && count == m->inputs) memcpy(mean, m->norm_mean, count * sizeof(float));
    if (stddev && count == m->inputs) memcpy(stddev, m->norm_std, count * sizeof(float));
    return 1;
}

int nncl__model_normalization(const nncl_model *m, nncl__model_norm *out)
{
    if (!m->has_norm) return 0;
    *out = (nncl__model_norm){m->norm_mean, m->norm_inv_std, m->norm_mean_dev, m->norm_inv_std_dev};
    return 1;
}

/* ---- what the layers above see of a model (model.h) ---- */

nncl_context *nncl__model_context(const nncl_model *m) { return m->ctx; }
nncl_loss nncl__model_loss_kind(const nncl_model *m) { return m->loss; }
void *nncl__model_attachment(const nncl_model *m) { return m->attachment; }

void nncl__model_attach(nncl_model *m, void *state, nncl__attachment_free free_fn)
{
    if (m->attachment_free && m->attachment != state) m->attachment_free(m->attachment);
    m->attachment = state;
    m->attachment_free = free_fn;
}

/* ---- target standardisation of mse models ---- */

nncl_status nncl_model_set_target_normalization(nncl_model *m, const float *mean, const float *stddev,
                                                size_t count)
{
    const char *fn = "nncl_model_set_target_normalization";
    if (!m) return nncl__fail(NULL, NNCL_ERR_INVALID_ARG, "%s: model is NULL", fn);
    nncl_context *ctx = m->ctx;
    if (!mean) {
        m->has_target_norm = 0;
        return NNCL_OK;
    }
    size_t o = nncl_model_outputs(m);
    if (m->loss != NNCL_LOSS_MSE)
        return nncl__fail(ctx, NNCL_ERR_INVALID_ARG, "%s: only mse models have targets to standardise (this is %s)",
                          fn, nncl_loss_name(m->loss));
    if (!stddev) return nncl__fail(ctx, NNCL_ERR_INVALID_ARG, "%s: stddev is NULL", fn);
    if (count != o)
        return nncl__fail(ctx, NNCL_ERR_SHAPE, "%s: %zu values given, the model has %zu outputs", fn, count, o);
    for (size_t i = 0; i < o; i++)
        if (!isfinite(mean[i]) || !isfinite(stddev[i]) || stddev[i] < 0)
            return nncl__fail(ctx, NNCL_ERR_NUMERIC, "%s: output %zu: mean %g, stddev %g", fn, i, (double)mean[i],
                              (double)stddev[i]);
    size_t floats = nncl__target_standardise_off(o) + 2 * o;
    float *affine = calloc(floats, sizeof *affine);
    if (!affine) return nncl__fail(ctx, NNCL_ERR_OUT_OF_MEMORY, "%s: %zu outputs", fn, o);
    /* Each piece made once; after a failed attempt the next call makes what is missing. */
    if (!m->target_mean) m->target_mean = malloc(o * sizeof(float));
    if (!m->target_std) m->target_std = malloc(o * sizeof(float));
    if (!m->target_affine) /* stays NULL when it cannot be made, which the check below reports */
        (void)nncl__buffer_create(ctx, CL_MEM_READ_ONLY, floats * sizeof(float), NULL, &m->target_affine);
    if (!m->target_mean || !m->target_std || !m->target_affine) {
        free(affine);
        return nncl__fail(ctx, NNCL_ERR_OUT_OF_MEMORY, "%s: %zu outputs", fn, o);
    }
    float *scale = affine, *offset = affine + o * o, *inv = affine + nncl__target_standardise_off(o), *shift = inv + o;
    for (size_t i = 0; i < o; i++) {
        float sd = stddev[i] > NNCL__NORM_MIN_STD ? stddev[i] : 1.0f; /* a constant target: centre only */
        inv[i] = 1.0f / sd;
        shift[i] = -mean[i] / sd;
        scale[i * o + i] = sd;
        offset[i] = mean[i];
    }
    cl_int err = clEnqueueWriteBuffer(ctx->queue, m->target_affine, CL_TRUE, 0, floats * sizeof(float), affine, 0,
                                      NULL, NULL);
    free(affine);
    if (err != CL_SUCCESS) return nncl__cl_fail(ctx, err, "uploading the target normalization");
    memcpy(m->target_mean, mean, o * sizeof(float));
    memcpy(m->target_std, stddev, o * sizeof(float));
    m->has_target_norm = 1;
    return NNCL_OK;
}

int nncl_model_get_target_normalization(const nncl_model *m, float *mean, float *stddev, size_t count)
{
    if (!m || !m->has_target_norm) return 0;
    size_t o = nncl_model_outputs(m);
    if (mean && count == o) memcpy(mean, m->target_mean, o * sizeof(float));
    if (stddev && count == o) memcpy(stddev, m->target_std, o * sizeof(float));
    return 1;
}
