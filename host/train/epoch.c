/* Training and inference over data sets: the epoch's shuffled index buffer,
 * batches gathered on the device (kernels/data.cl) or streamed from the host,
 * standardisation kept with the model, evaluation with a confusion matrix. */
#include "train/dataset.h"
#include "model/model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EVAL_BATCH 2048

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

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
    if (!m->norm_mean) {
        m->norm_mean = malloc(count * sizeof(float));
        m->norm_std = malloc(count * sizeof(float));
        cl_int e1, e2;
        m->norm_mean_dev = clCreateBuffer(ctx->cl, CL_MEM_READ_ONLY, count * sizeof(float), NULL, &e1);
        m->norm_inv_std_dev = clCreateBuffer(ctx->cl, CL_MEM_READ_ONLY, count * sizeof(float), NULL, &e2);
        if (!m->norm_mean || !m->norm_std || e1 != CL_SUCCESS || e2 != CL_SUCCESS)
            return nncl__fail(ctx, NNCL_ERR_OUT_OF_MEMORY, "normalization: %zu columns", count);
    }
    float *inv = malloc(count * sizeof(float));
    if (!inv) return nncl__fail(ctx, NNCL_ERR_OUT_OF_MEMORY, "normalization: %zu columns", count);
    for (size_t i = 0; i < count; i++)
        inv[i] = stddev[i] > 1e-6f ? 1.0f / stddev[i] : 1.0f; /* constant columns: centre only */
    memcpy(m->norm_mean, mean, count * sizeof(float));
    memcpy(m->norm_std, stddev, count * sizeof(float));
    cl_int err = clEnqueueWriteBuffer(ctx->queue, m->norm_mean_dev, CL_TRUE, 0, count * sizeof(float),
                                      mean, 0, NULL, NULL);
    if (err == CL_SUCCESS)
        err = clEnqueueWriteBuffer(ctx->queue, m->norm_inv_std_dev, CL_TRUE, 0,
                                   count * sizeof(float), inv, 0, NULL, NULL);
    free(inv);
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

static nncl_status check_fit(nncl_model *m, const nncl_dataset *ds, int need_targets, const char *fn)
{
    if (!m || !ds) return nncl__fail(m ? m->ctx : NULL, NNCL_ERR_INVALID_ARG, "%s: NULL argument", fn);
    if (ds->ctx != m->ctx)
        return nncl__fail(m->ctx, NNCL_ERR_INVALID_ARG, "%s: the data set belongs to another context", fn);
    if (ds->host.cols != m->inputs)
        return nncl__fail(m->ctx, NNCL_ERR_SHAPE,
                          "%s: the data set has %zu feature columns, the model takes %zu inputs",
                          fn, ds->host.cols, m->inputs);
    if (!need_targets) return NNCL_OK;
    if (!ds->targets) return nncl__fail(m->ctx, NNCL_ERR_INVALID_ARG, "%s: the data set has no targets", fn);
    size_t outputs = nncl_model_outputs(m);
    if (m->loss == NNCL_LOSS_SOFTMAX_CE) {
        if (ds->host.label_kind != NNCL__LABELS_CLASS)
            return nncl__fail(m->ctx, NNCL_ERR_INVALID_ARG,
                              "%s: a softmax-ce model needs class labels, the data set has float targets", fn);
        if ((size_t)ds->host.classes > outputs)
            return nncl__fail(m->ctx, NNCL_ERR_SHAPE,
                              "%s: the data set has labels up to %d, the model has %zu classes", fn,
                              ds->host.classes - 1, outputs);
    } else if (m->loss == NNCL_LOSS_BCE) {
        for (size_t i = 0; i < ds->host.rows; i++)
            if (!(ds->targets[i] >= 0.0f && ds->targets[i] <= 1.0f))
                return nncl__fail(m->ctx, NNCL_ERR_INVALID_ARG,
                                  "%s: target %g of data row %zu is outside [0, 1], which bce needs", fn,
                                  (double)ds->targets[i], i + 1);
    }
    if (m->loss != NNCL_LOSS_SOFTMAX_CE && outputs != 1) {
        return nncl__fail(m->ctx, NNCL_ERR_SHAPE,
                          "%s: data sets hold one target per row; the model has %zu outputs", fn, outputs);
    }
    return NNCL_OK;
}

/* Batch buffers for `rows` rows and an index buffer for `n` rows. */
static nncl_status reserve_batch(nncl_model *m, size_t rows, size_t n)
{
    nncl_context *ctx = m->ctx;
    cl_int err = CL_SUCCESS;
    if (rows > m->batch_cap) {
        if (m->batch_x) clReleaseMemObject(m->batch_x);
        if (m->batch_y) clReleaseMemObject(m->batch_y);
        m->batch_cap = 0;
        m->batch_x = clCreateBuffer(ctx->cl, CL_MEM_READ_WRITE, rows * m->inputs * sizeof(float), NULL, &err);
        if (err == CL_SUCCESS)
            m->batch_y = clCreateBuffer(ctx->cl, CL_MEM_READ_WRITE, rows * sizeof(float), NULL, &err);
        if (err != CL_SUCCESS) return nncl__fail(ctx, NNCL_ERR_OUT_OF_MEMORY, "batch of %zu rows", rows);
        m->batch_cap = rows;
    }
    if (n > m->idx_cap) {
        if (m->idx) clReleaseMemObject(m->idx);
        m->idx_cap = 0;
        m->idx = clCreateBuffer(ctx->cl, CL_MEM_READ_ONLY, n * sizeof(cl_int), NULL, &err);
        if (err != CL_SUCCESS) return nncl__fail(ctx, NNCL_ERR_OUT_OF_MEMORY, "index buffer of %zu rows", n);
        m->idx_cap = n;
    }
    return nncl__model_reserve(m, rows);
}

/* Uploads a row order as int32 into m->idx (once per epoch). */
static nncl_status upload_order(nncl_model *m, const size_t *order, size_t n)
{
    cl_int *host = malloc(n * sizeof *host);
    if (!host) return nncl__fail(m->ctx, NNCL_ERR_OUT_OF_MEMORY, "index buffer: %zu rows", n);
    for (size_t i = 0; i < n; i++) host[i] = (cl_int)(order ? order[i] : i);
    cl_int err = clEnqueueWriteBuffer(m->ctx->queue, m->idx, CL_TRUE, 0, n * sizeof *host, host, 0,
                                      NULL, NULL);
    free(host);
    if (err != CL_SUCCESS) return nncl__cl_fail(m->ctx, err, "uploading the row order");
    return NNCL_OK;
}

/* batch_x/batch_y = rows order[start .. start+rows) of ds, scaled and
 * standardised. On the device when the data set is there; else built on the
 * host and uploaded (streaming). */
static nncl_status gather(nncl_model *m, const nncl_dataset *ds, const size_t *order,
                          size_t start, size_t rows)
{
    nncl_context *ctx = m->ctx;
    size_t cols = ds->host.cols;
    if (ds->streamed) {
        if (rows > m->stage_cap) { /* grown once, then reused by every batch */
            float *grown = realloc(m->stage, rows * (cols + 1) * sizeof(float));
            if (!grown) return nncl__fail(ctx, NNCL_ERR_OUT_OF_MEMORY, "streaming a batch of %zu rows", rows);
            m->stage = grown;
            m->stage_cap = rows;
        }
        float *x = m->stage, *y = m->stage + rows * cols;
        for (size_t r = 0; r < rows; r++) {
            size_t src = order ? order[start + r] : start + r;
            for (size_t c = 0; c < cols; c++) {
                float v = ds->host.u8 ? ds->host.u8[src * cols + c] * ds->scale
                                      : ds->host.f32[src * cols + c];
                x[r * cols + c] = m->has_norm ? (v - m->norm_mean[c]) *
                                                    (m->norm_std[c] > 1e-6f ? 1.0f / m->norm_std[c] : 1.0f)
                                              : v;
            }
            y[r] = ds->targets ? ds->targets[src] : 0.0f;
        }
        cl_int err = clEnqueueWriteBuffer(ctx->queue, m->batch_x, CL_TRUE, 0, rows * cols * sizeof(float),
                                          x, 0, NULL, NULL);
        if (err == CL_SUCCESS)
            err = clEnqueueWriteBuffer(ctx->queue, m->batch_y, CL_TRUE, 0, rows * sizeof(float), y, 0,
                                       NULL, NULL);
        if (err != CL_SUCCESS) return nncl__cl_fail(ctx, err, "streaming a batch");
        return NNCL_OK;
    }
    nncl__kernel_id id = ds->host.u8 ? NNCL__K_GATHER_U8 : NNCL__K_GATHER_F32;
    cl_uint n_cols = (cl_uint)cols, first = (cl_uint)start, ld = (cl_uint)cols, n_rows = (cl_uint)rows;
    cl_int has_norm = m->has_norm, has_targets = ds->targets_dev != NULL;
    cl_mem mean = has_norm ? m->norm_mean_dev : m->batch_x, inv = has_norm ? m->norm_inv_std_dev : m->batch_x;
    cl_mem targets = has_targets ? ds->targets_dev : m->batch_y;
    NNCL__TRY(nncl__set_args(ctx, id, NNCL__ARG(ds->features), NNCL__ARG(n_cols), NNCL__ARG(m->idx),
                             NNCL__ARG(first), NNCL__ARG(ds->scale), NNCL__ARG(mean), NNCL__ARG(inv),
                             NNCL__ARG(has_norm), NNCL__ARG(m->batch_x), NNCL__ARG(ld), NNCL__ARG(n_rows),
                             NNCL__ARG(targets), NNCL__ARG(has_targets), NNCL__ARG(m->batch_y), NNCL__END));
    size_t global = rows; /* one row per work-item */
    return nncl__launch(ctx, id, 1, &global);
}

nncl_status nncl_model_train_epoch(nncl_model *m, const nncl_dataset *ds,
                                   const nncl_epoch_options *opt, float *loss, float *accuracy,
                                   size_t *batches_done)
{
    NNCL__TRY(check_fit(m, ds, 1, "nncl_model_train_epoch"));
    if (!opt || opt->batch == 0)
        return nncl__fail(m->ctx, NNCL_ERR_INVALID_ARG, "nncl_model_train_epoch: batch size must be > 0");
    size_t rows = ds->host.rows, batch = opt->batch < rows ? opt->batch : rows;
    size_t n_batches = (rows + batch - 1) / batch;
    if (opt->start_batch > n_batches)
        return nncl__fail(m->ctx, NNCL_ERR_INVALID_ARG,
                          "nncl_model_train_epoch: start_batch %zu is past the epoch's %zu batches", opt->start_batch,
                          n_batches);
    if (batches_done) *batches_done = opt->start_batch;
    NNCL__TRY(reserve_batch(m, batch, rows));
    size_t *order = malloc(rows * sizeof *order);
    if (!order) return nncl__fail(m->ctx, NNCL_ERR_OUT_OF_MEMORY, "row order: %zu rows", rows);
    nncl__shuffle(order, rows, opt->seed, opt->epoch + 1);
    nncl_status st = ds->streamed ? NNCL_OK : upload_order(m, order, rows);

    /* The epoch's metrics start from zero. */
    if (st == NNCL_OK) st = nncl__model_clear_metrics(m, 0);
    m->train_rows = 0;

    double t0 = now_seconds();
    int stopped = 0;
    size_t b = opt->start_batch;
    nncl__view x = {m->batch_x, 0, (cl_uint)m->inputs}, y = {m->batch_y, 0, 1};
    for (; st == NNCL_OK && b < n_batches && !stopped; b++) {
        size_t start = b * batch, n = rows - start < batch ? rows - start : batch;
        /* No NaN check here: data-set features are finite by construction
         * (bytes, or floats checked when the file was read) and so are the
         * scale and the normalisation (checked when set). */
        st = gather(m, ds, order, start, n);
        if (st == NNCL_OK) st = nncl__model_forward(m, x, n);
        if (st == NNCL_OK) st = nncl__model_loss(m, y, n, 1, 0);
        if (st == NNCL_OK) st = nncl__model_backward(m, x, n);
        if (st == NNCL_OK) st = nncl__optim_update(m);
        m->train_rows += (double)n;
        if (st == NNCL_OK && opt->progress && opt->progress_every &&
            ((b + 1) % opt->progress_every == 0 || b + 1 == n_batches)) {
            /* Between steps, so the numbers shown are true; the queue is idle. */
            float mean_loss = 0;
            st = nncl__model_read_metrics(m, 0, m->train_rows, &mean_loss, NULL, 0);
            nncl_progress p = {opt->epoch, b + 1, n_batches, (b + 1) * batch < rows ? (b + 1) * batch : rows,
                               now_seconds() - t0, mean_loss};
            if (st == NNCL_OK) stopped = opt->progress(&p, opt->user);
        }
    }
    free(order);
    if (batches_done) *batches_done = b;
    if (st != NNCL_OK) return st;
    NNCL__TRY(nncl_model_train_metrics(m, loss, accuracy));
    if (stopped && b < n_batches)
        return nncl__fail(m->ctx, NNCL_ERR_INTERRUPTED, "epoch %llu stopped after %zu of %zu batches",
                          (unsigned long long)opt->epoch, b, n_batches);
    return NNCL_OK;
}

/* Forward passes over ds in order; per chunk, `each` sees the logits/outputs
 * in act[last] (rows x outputs). */
typedef nncl_status (*chunk_fn)(nncl_model *m, size_t start, size_t rows, void *user);

static nncl_status forward_all(nncl_model *m, const nncl_dataset *ds, int with_loss, chunk_fn each,
                               void *user)
{
    size_t rows = ds->host.rows, chunk = rows < EVAL_BATCH ? rows : EVAL_BATCH;
    NNCL__TRY(reserve_batch(m, chunk, rows));
    if (!ds->streamed) NNCL__TRY(upload_order(m, NULL, rows));
    nncl__view x = {m->batch_x, 0, (cl_uint)m->inputs}, y = {m->batch_y, 0, 1};
    for (size_t start = 0; start < rows; start += chunk) {
        size_t n = rows - start < chunk ? rows - start : chunk;
        NNCL__TRY(gather(m, ds, NULL, start, n));
        NNCL__TRY(nncl__model_forward(m, x, n));
        if (with_loss) NNCL__TRY(nncl__model_loss(m, y, n, 0, 2));
        if (each) NNCL__TRY(each(m, start, n, user));
    }
    return NNCL_OK;
}

typedef struct {
    uint64_t *confusion;
    size_t classes;
    const float *targets;
    float *logits;
} confusion_state;

static nncl_status count_confusion(nncl_model *m, size_t start, size_t rows, void *user)
{
    confusion_state *cs = user;
    size_t outputs = nncl_model_outputs(m), last = m->n_layers - 1;
    NNCL__CHECK_CL(m->ctx,
                   clEnqueueReadBuffer(m->ctx->queue, m->act[last], CL_TRUE, 0,
                                       rows * outputs * sizeof(float), cs->logits, 0, NULL, NULL),
                   "reading predictions");
    for (size_t r = 0; r < rows; r++) {
        const float *z = cs->logits + r * outputs;
        size_t pred = 0;
        if (m->loss == NNCL_LOSS_SOFTMAX_CE) {
            for (size_t c = 1; c < outputs; c++)
                if (z[c] > z[pred]) pred = c;
        } else {
            pred = z[0] > (m->loss == NNCL_LOSS_BCE ? 0.0f : 0.5f);
        }
        float t = cs->targets[start + r];
        size_t truth = m->loss == NNCL_LOSS_SOFTMAX_CE ? (size_t)t : (size_t)(t > 0.5f);
        if (t >= 0.0f && truth < cs->classes && pred < cs->classes) cs->confusion[truth * cs->classes + pred]++;
    }
    return NNCL_OK;
}

nncl_status nncl_model_evaluate_dataset(nncl_model *m, const nncl_dataset *ds, float *loss,
                                        float *accuracy, uint64_t *confusion, size_t classes)
{
    NNCL__TRY(check_fit(m, ds, 1, "nncl_model_evaluate_dataset"));
    NNCL__TRY(nncl__model_clear_metrics(m, 2));
    confusion_state cs = {confusion, classes, ds->targets, NULL};
    if (confusion) {
        memset(confusion, 0, classes * classes * sizeof *confusion);
        cs.logits = malloc(EVAL_BATCH * nncl_model_outputs(m) * sizeof(float));
        if (!cs.logits) return nncl__fail(m->ctx, NNCL_ERR_OUT_OF_MEMORY, "confusion matrix");
    }
    nncl_status st = forward_all(m, ds, 1, confusion ? count_confusion : NULL, &cs);
    free(cs.logits);
    NNCL__TRY(st);
    NNCL__TRY(nncl__model_check_status(m));
    float ignored;
    return nncl__model_read_metrics(m, 2, (double)ds->host.rows, loss ? loss : &ignored,
                                    accuracy ? accuracy : &ignored, 1);
}

typedef struct {
    float *dst;
    cl_mem out;
} predict_state;

static nncl_status copy_predictions(nncl_model *m, size_t start, size_t rows, void *user)
{
    predict_state *ps = user;
    size_t outputs = nncl_model_outputs(m);
    NNCL__TRY(nncl__model_outputs(m, (nncl__view){ps->out, 0, (cl_uint)outputs}, rows));
    NNCL__CHECK_CL(m->ctx,
                   clEnqueueReadBuffer(m->ctx->queue, ps->out, CL_TRUE, 0, rows * outputs * sizeof(float),
                                       ps->dst + start * outputs, 0, NULL, NULL),
                   "reading predictions");
    return NNCL_OK;
}

nncl_status nncl_model_predict_dataset(nncl_model *m, const nncl_dataset *ds, float *dst, size_t count)
{
    NNCL__TRY(check_fit(m, ds, 0, "nncl_model_predict_dataset"));
    size_t outputs = nncl_model_outputs(m), rows = ds->host.rows;
    if (!dst) return nncl__fail(m->ctx, NNCL_ERR_INVALID_ARG, "nncl_model_predict_dataset: dst is NULL");
    if (count != rows * outputs)
        return nncl__fail(m->ctx, NNCL_ERR_SHAPE, "nncl_model_predict_dataset: %zu floats for %zu rows x %zu outputs",
                          count, rows, outputs);
    size_t chunk = rows < EVAL_BATCH ? rows : EVAL_BATCH;
    cl_int err;
    predict_state ps = {dst, clCreateBuffer(m->ctx->cl, CL_MEM_READ_WRITE, chunk * outputs * sizeof(float), NULL, &err)};
    if (err != CL_SUCCESS) return nncl__cl_fail(m->ctx, err, "prediction buffer");
    nncl_status st = forward_all(m, ds, 0, copy_predictions, &ps);
    clReleaseMemObject(ps.out);
    NNCL__TRY(st);
    return nncl__model_check_status(m);
}
