/* SPDX-License-Identifier: MIT */
/* Training and inference over data sets: the epoch's shuffled index buffer,
 * batches gathered on the device (kernels/data.cl) or streamed from the host,
 * evaluation with a confusion matrix. The model is used only through what
 * the model layer exports (model/model.h); the loader's buffers are kept
 * with the model as its attachment. */
#include "model/model.h"
#include "train/dataset.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A batch on the device: x (cap x inputs) and y (cap targets). */
typedef struct {
    cl_mem x, y;
    size_t cap;
} batch_buf;

/* A host staging area of a streamed data set: cap rows of inputs + 1
 * floats, and the last upload from it (NULL: none pending). */
typedef struct {
    float *rows;
    size_t cap;
    cl_event upload;
} stage_area;

/* The loader's buffers for one model, grown on demand and reused by every
 * epoch: the batch the model reads (cur), the one the next training batch
 * is gathered into meanwhile (next; made by the first epoch that uses it),
 * idx (the epoch's row order, idx_cap rows) and, for streamed data sets, two
 * host staging areas used in turn: a batch is built in one while the
 * other's upload (not waited for) is still queued, so the host builds batch
 * b+1 while the device trains on batch b. */
typedef struct {
    nncl_context *ctx; /* the model's: its buffers are counted there */
    batch_buf cur, next;
    cl_mem idx;
    size_t idx_cap;
    stage_area stage[2];
    int stage_next; /* the area the next streamed batch is built in */
} loader;

/* Waits for the area's last upload, which must have read it before it is
 * written again or freed. */
static cl_int stage_wait(stage_area *a)
{
    if (!a->upload) return CL_SUCCESS;
    cl_int err = clWaitForEvents(1, &a->upload);
    clReleaseEvent(a->upload);
    a->upload = NULL;
    return err;
}

static void swap_batches(loader *L)
{
    batch_buf t = L->cur;
    L->cur = L->next, L->next = t;
}

static void loader_free(void *state)
{
    loader *L = state;
    if (!L) return;
    nncl__buffer_release(L->ctx, &L->cur.x);
    nncl__buffer_release(L->ctx, &L->cur.y);
    nncl__buffer_release(L->ctx, &L->next.x);
    nncl__buffer_release(L->ctx, &L->next.y);
    nncl__buffer_release(L->ctx, &L->idx);
    for (int s = 0; s < 2; s++) {
        stage_wait(&L->stage[s]);
        free(L->stage[s].rows);
    }
    free(L);
}

/* The model's loader, created on first use. */
static nncl_status get_loader(nncl_model *m, loader **out)
{
    *out = nncl__model_attachment(m);
    if (*out) return NNCL_OK;
    loader *L = calloc(1, sizeof *L);
    if (!L) return nncl__fail(nncl__model_context(m), NNCL_ERR_OUT_OF_MEMORY, "data loader");
    L->ctx = nncl__model_context(m);
    nncl__model_attach(m, L, loader_free);
    *out = L;
    return NNCL_OK;
}

static nncl_status check_fit(nncl_model *m, const nncl_dataset *ds, int need_targets, const char *fn)
{
    if (!m || !ds)
        return nncl__fail(m ? nncl__model_context(m) : NULL, NNCL_ERR_INVALID_ARG, "%s: NULL argument", fn);
    nncl_context *ctx = nncl__model_context(m);
    nncl_loss loss = nncl__model_loss_kind(m);
    size_t inputs = nncl_model_inputs(m);
    if (ds->ctx != ctx)
        return nncl__fail(ctx, NNCL_ERR_INVALID_ARG, "%s: the data set belongs to another context", fn);
    if (ds->host.cols != inputs)
        return nncl__fail(ctx, NNCL_ERR_SHAPE,
                          "%s: the data set has %zu feature columns, the model takes %zu inputs",
                          fn, ds->host.cols, inputs);
    if (!need_targets) return NNCL_OK;
    if (!ds->targets) return nncl__fail(ctx, NNCL_ERR_INVALID_ARG, "%s: the data set has no targets", fn);
    size_t outputs = nncl_model_outputs(m);
    if (loss == NNCL_LOSS_SOFTMAX_CE) {
        if (ds->host.label_kind != NNCL__LABELS_CLASS)
            return nncl__fail(ctx, NNCL_ERR_INVALID_ARG,
                              "%s: a softmax-ce model needs class labels, the data set has float targets", fn);
        if ((size_t)ds->host.classes > outputs)
            return nncl__fail(ctx, NNCL_ERR_SHAPE,
                              "%s: the data set has labels up to %d, the model has %zu classes", fn,
                              ds->host.classes - 1, outputs);
    } else if (loss == NNCL_LOSS_BCE && ds->first_outside_unit < ds->host.rows) {
        size_t i = ds->first_outside_unit;
        return nncl__fail(ctx, NNCL_ERR_INVALID_ARG,
                          "%s: target %g of data row %zu is outside [0, 1], which bce needs", fn,
                          (double)ds->targets[i], i + 1);
    }
    if (loss != NNCL_LOSS_SOFTMAX_CE && outputs != 1) {
        return nncl__fail(ctx, NNCL_ERR_SHAPE,
                          "%s: data sets hold one target per row; the model has %zu outputs", fn, outputs);
    }
    return NNCL_OK;
}

/* b holds `rows` rows at least. */
static nncl_status reserve_buf(nncl_model *m, batch_buf *b, size_t rows)
{
    if (rows <= b->cap) return NNCL_OK;
    nncl_context *ctx = nncl__model_context(m);
    nncl__buffer_release(ctx, &b->x);
    nncl__buffer_release(ctx, &b->y);
    b->cap = 0;
    cl_int err = nncl__buffer_create(ctx, CL_MEM_READ_WRITE, rows * nncl_model_inputs(m) * sizeof(float), NULL, &b->x);
    if (err == CL_SUCCESS) err = nncl__buffer_create(ctx, CL_MEM_READ_WRITE, rows * sizeof(float), NULL, &b->y);
    if (err != CL_SUCCESS) return nncl__fail(ctx, NNCL_ERR_OUT_OF_MEMORY, "batch of %zu rows", rows);
    b->cap = rows;
    return NNCL_OK;
}

/* Batch buffers for `rows` rows and an index buffer for `n` rows. */
static nncl_status reserve_batch(nncl_model *m, loader *L, size_t rows, size_t n)
{
    nncl_context *ctx = nncl__model_context(m);
    cl_int err = CL_SUCCESS;
    NNCL__TRY(reserve_buf(m, &L->cur, rows));
    if (n > L->idx_cap) {
        nncl__buffer_release(ctx, &L->idx);
        L->idx_cap = 0;
        err = nncl__buffer_create(ctx, CL_MEM_READ_ONLY, n * sizeof(cl_int), NULL, &L->idx);
        if (err != CL_SUCCESS) return nncl__fail(ctx, NNCL_ERR_OUT_OF_MEMORY, "index buffer of %zu rows", n);
        L->idx_cap = n;
    }
    return nncl__model_reserve(m, rows);
}

/* Uploads a row order as int32 into mem. */
static nncl_status upload_order(nncl_context *ctx, cl_mem mem, const size_t *order, size_t n)
{
    cl_int *host = malloc(n * sizeof *host);
    if (!host) return nncl__fail(ctx, NNCL_ERR_OUT_OF_MEMORY, "index buffer: %zu rows", n);
    for (size_t i = 0; i < n; i++) host[i] = (cl_int)order[i];
    cl_int err = clEnqueueWriteBuffer(ctx->queue, mem, CL_TRUE, 0, n * sizeof *host, host, 0, NULL, NULL);
    free(host);
    if (err != CL_SUCCESS) return nncl__cl_fail(ctx, err, "uploading the row order");
    return NNCL_OK;
}


/* into->x, into->y = rows order[start .. start+rows) of ds, scaled and
 * standardised. On the device when the data set is there; else built on the
 * host and uploaded (streaming). */
static nncl_status gather(nncl_model *m, loader *L, const nncl_dataset *ds, const size_t *order,
                          size_t start, size_t rows, const batch_buf *into)
{
    nncl_context *ctx = nncl__model_context(m);
    size_t cols = ds->host.cols;
    nncl__model_norm norm;
    int has_norm = nncl__model_normalization(m, &norm);
    if (ds->streamed) {
        stage_area *a = &L->stage[L->stage_next];
        L->stage_next ^= 1;
        cl_int waited = stage_wait(a);
        if (waited != CL_SUCCESS) return nncl__cl_fail(ctx, waited, "streaming a batch");
        if (rows > a->cap) { /* grown once, then reused by every batch */
            float *grown = realloc(a->rows, rows * (cols + 1) * sizeof(float));
            if (!grown) return nncl__fail(ctx, NNCL_ERR_OUT_OF_MEMORY, "streaming a batch of %zu rows", rows);
            a->rows = grown;
            a->cap = rows;
        }
        float *x = a->rows, *y = a->rows + rows * cols;
        for (size_t r = 0; r < rows; r++) {
            size_t src = order ? order[start + r] : start + r;
            for (size_t c = 0; c < cols; c++) {
                float v = ds->host.u8 ? ds->host.u8[src * cols + c] * ds->scale
                                      : ds->host.f32[src * cols + c];
                x[r * cols + c] = has_norm ? (v - norm.mean[c]) * norm.inv_std[c] : v;
            }
            y[r] = ds->targets ? ds->targets[src] : 0.0f;
        }
        /* Not waited for: in the in-order queue the copy lands after the
         * step that reads the buffer now, and before the next one. */
        cl_int err = clEnqueueWriteBuffer(ctx->queue, into->x, CL_FALSE, 0, rows * cols * sizeof(float),
                                          x, 0, NULL, NULL);
        if (err == CL_SUCCESS)
            err = clEnqueueWriteBuffer(ctx->queue, into->y, CL_FALSE, 0, rows * sizeof(float), y, 0, NULL,
                                       &a->upload);
        if (err == CL_SUCCESS) err = clFlush(ctx->queue);
        if (err != CL_SUCCESS) {
            clFinish(ctx->queue); /* nothing may still read the area */
            return nncl__cl_fail(ctx, err, "streaming a batch");
        }
        return NNCL_OK;
    }
    nncl__gather_source src = {ds->features, ds->host.u8 != NULL, cols, ds->scale, ds->targets_dev,
                               has_norm ? norm.mean_dev : NULL, has_norm ? norm.inv_std_dev : NULL};
    /* (no order: rows in order, for evaluation and prediction, which so never
     * touch the epoch's order in idx) */
    return nncl__gather(ctx, &src, order ? L->idx : NULL, start, rows, into->x, into->y);
}

/* The batches of an epoch done when a bad batch was reported (by a sync):
 * the model counts only the updates it made (nncl_model_sync), so they end
 * right before the bad one, however many were enqueued (b). */
static size_t batches_made(const nncl_model *m, uint64_t step0, size_t start_batch, size_t b)
{
    uint64_t made = nncl_model_step(m) - step0;
    return made < b - start_batch ? start_batch + (size_t)made : b;
}

nncl_status nncl_model_train_epoch(nncl_model *m, const nncl_dataset *ds,
                                   const nncl_epoch_options *caller_opt, float *loss, float *accuracy,
                                   size_t *batches_done)
{
    NNCL__TRY(check_fit(m, ds, 1, "nncl_model_train_epoch"));
    nncl_context *ctx = nncl__model_context(m);
    nncl_epoch_options read = nncl_epoch_options_defaults();
    NNCL__OPTIONS_READ(&read, caller_opt);
    const nncl_epoch_options *opt = &read;
    if (opt->batch == 0) /* options NULL: the defaults */
        return nncl__fail(ctx, NNCL_ERR_INVALID_ARG, "nncl_model_train_epoch: batch size must be > 0");
    size_t rows = ds->host.rows, batch = opt->batch < rows ? opt->batch : rows;
    size_t n_batches = (rows + batch - 1) / batch;
    if (opt->start_batch > n_batches)
        return nncl__fail(ctx, NNCL_ERR_INVALID_ARG,
                          "nncl_model_train_epoch: start_batch %zu is past the epoch's %zu batches", opt->start_batch,
                          n_batches);
    if (batches_done) *batches_done = opt->start_batch;
    loader *L;
    NNCL__TRY(get_loader(m, &L));
    NNCL__TRY(reserve_batch(m, L, batch, rows));
    size_t *order = malloc(rows * sizeof *order);
    if (!order) return nncl__fail(ctx, NNCL_ERR_OUT_OF_MEMORY, "row order: %zu rows", rows);
    nncl__shuffle(order, rows, opt->seed, opt->epoch + 1);
    nncl_status st = ds->streamed ? NNCL_OK : upload_order(ctx, L->idx, order, rows);

    /* The epoch's metrics start from zero; a resumed epoch (start_batch > 0)
     * keeps the sums its checkpoint restored, so its figures cover it all. */
    if (st == NNCL_OK && opt->start_batch == 0) st = nncl__model_reset_train_metrics(m);

    double t0 = nncl__seconds_now();
    int stopped = 0;
    size_t b = opt->start_batch;
    uint64_t step0 = nncl_model_step(m);
    int rank, ranks = nncl__model_ranks(m, &rank);
    /* On one rank with the data set on the device and a side queue, batch
     * b+1 is gathered into L->next on the side queue while batch b trains,
     * so that the gather (a chain of cache misses, docs/PERFORMANCE.md) runs
     * beside the GEMMs; never across a progress call, which may evaluate
     * and so use the batch buffers itself. It costs a second batch buffer.
     * gathered: L->cur already holds batch b. */
    int ahead = ranks == 1 && !ds->streamed && ctx->side_queue, gathered = 0;
    if (st == NNCL_OK && ahead && n_batches - b > 1) st = reserve_buf(m, &L->next, batch);
    for (; st == NNCL_OK && b < n_batches && !stopped; b++) {
        size_t start = b * batch, n = rows - start < batch ? rows - start : batch;
        int progress_now = opt->progress && opt->progress_every &&
                           ((b + 1) % opt->progress_every == 0 || b + 1 == n_batches);
        /* Read every batch: a progress callback may have evaluated a data set
         * and so grown (reallocated) the batch buffers. */
        nncl__view x = {L->cur.x, 0, (cl_uint)nncl_model_inputs(m)}, y = {L->cur.y, 0, 1};
        /* No NaN check here: data-set features are finite by construction
         * (bytes, or floats checked when the file was read) and so are the
         * scale and the normalisation (checked when set). */
        if (ranks == 1) {
            if (!gathered) st = gather(m, L, ds, order, start, n, &L->cur);
            gathered = 0;
            if (st == NNCL_OK && ahead && b + 1 < n_batches && !progress_now) {
                size_t next = start + batch, n_next = rows - next < batch ? rows - next : batch;
                st = nncl__side_begin(ctx);
                if (st == NNCL_OK) st = gather(m, L, ds, order, next, n_next, &L->next);
                nncl_status ended = nncl__side_end(ctx);
                if (st == NNCL_OK) st = ended;
                gathered = st == NNCL_OK;
            }
            if (st == NNCL_OK) st = nncl__model_step(m, x, y, n, 0);
            if (gathered) { /* the step after this one reads what the side queue gathered
                             (backward's join has usually covered it already) */
                nncl_status joined = nncl__side_join(ctx);
                if (st == NNCL_OK) st = joined;
                swap_batches(L);
            }
        } else { /* this rank's rows of the global batch; a short one may leave it none */
            size_t lo = n * (size_t)rank / (size_t)ranks, hi = n * (size_t)(rank + 1) / (size_t)ranks;
            if (hi > lo) st = gather(m, L, ds, order, start + lo, hi - lo, &L->cur);
            if (st == NNCL_OK) st = nncl__model_step_slice(m, x, y, hi - lo, n, 0);
        }
        if (st == NNCL_OK && progress_now) {
            /* Between steps, so the numbers shown are true; the queue is idle. */
            float mean_loss = 0;
            st = nncl__model_running_loss(m, &mean_loss);
            nncl_progress p = {.epoch = opt->epoch,
                               .batches_done = b + 1,
                               .batches_total = n_batches,
                               .samples_done = (b + 1) * batch < rows ? (b + 1) * batch : rows,
                               .seconds = nncl__seconds_now() - t0,
                               .running_loss = mean_loss};
            if (st == NNCL_OK) stopped = opt->progress(&p, opt->user);
            if (st == NNCL_OK && ranks > 1) { /* a stop on any rank stops all at this batch */
                float any = stopped ? 1.0f : 0.0f;
                st = nncl__model_allreduce(m, &any, 1);
                stopped = any > 0;
            }
        }
    }
    free(order);
    if (st != NNCL_OK) {
        nncl__side_join(ctx); /* a failed step may leave side work unjoined */
        b = batches_made(m, step0, opt->start_batch, b);
    }
    if (batches_done) *batches_done = b;
    if (st != NNCL_OK) return st;
    /* Stopped early, the epoch's sums stay in the model (a checkpoint keeps
     * them, so the resumed epoch's figures cover all of it). */
    if (stopped && b < n_batches) {
        NNCL__TRY(nncl__model_merge_train_metrics(m));
        return nncl__fail(ctx, NNCL_ERR_INTERRUPTED, "epoch %llu stopped after %zu of %zu batches",
                          (unsigned long long)opt->epoch, b, n_batches);
    }
    st = nncl_model_train_metrics(m, loss, accuracy);
    if (st != NNCL_OK && batches_done) *batches_done = batches_made(m, step0, opt->start_batch, b);
    return st;
}

/* Forward passes over ds in order, NNCL__EVAL_ROWS rows at a time; per
 * chunk, `each` sees the model's last layer (rows x outputs). */
typedef nncl_status (*chunk_fn)(nncl_model *m, size_t start, size_t rows, void *user);

static nncl_status forward_range(nncl_model *m, const nncl_dataset *ds, size_t first, size_t end, int with_loss,
                                 chunk_fn each, void *user)
{
    size_t chunk = end - first < NNCL__EVAL_ROWS ? end - first : NNCL__EVAL_ROWS;
    if (chunk == 0) return NNCL_OK;
    loader *L;
    NNCL__TRY(get_loader(m, &L));
    /* The larger of the two batch buffers, so that evaluation grows only
     * one of them (training swaps them; nothing is gathered into next now:
     * no epoch is running, or it is at a progress call, which it never
     * gathers ahead across). */
    if (L->next.cap > L->cur.cap) swap_batches(L);
    NNCL__TRY(reserve_batch(m, L, chunk, 0));
    nncl__view x = {L->cur.x, 0, (cl_uint)nncl_model_inputs(m)}, y = {L->cur.y, 0, 1};
    for (size_t start = first; start < end; start += chunk) {
        size_t n = end - start < chunk ? end - start : chunk;
        NNCL__TRY(gather(m, L, ds, NULL, start, n, &L->cur));
        NNCL__TRY(nncl__model_eval_batch(m, x, with_loss ? &y : NULL, n, 0));
        if (each) NNCL__TRY(each(m, start, n, user));
    }
    return NNCL_OK;
}

static nncl_status forward_all(nncl_model *m, const nncl_dataset *ds, int with_loss, chunk_fn each, void *user)
{
    return forward_range(m, ds, 0, ds->host.rows, with_loss, each, user);
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
    size_t outputs = nncl_model_outputs(m);
    nncl_context *ctx = nncl__model_context(m);
    nncl_loss loss = nncl__model_loss_kind(m);
    nncl__view last = nncl__model_last_layer(m);
    NNCL__CHECK_CL(ctx,
                   clEnqueueReadBuffer(ctx->queue, last.mem, CL_TRUE, last.off * sizeof(float),
                                       rows * outputs * sizeof(float), cs->logits, 0, NULL, NULL),
                   "reading predictions");
    for (size_t r = 0; r < rows; r++) {
        const float *z = cs->logits + r * outputs;
        size_t pred = 0;
        if (loss == NNCL_LOSS_SOFTMAX_CE) {
            for (size_t c = 1; c < outputs; c++)
                if (z[c] > z[pred]) pred = c;
        } else {
            pred = z[0] > (loss == NNCL_LOSS_BCE ? 0.0f : 0.5f);
        }
        float t = cs->targets[start + r];
        size_t truth = loss == NNCL_LOSS_SOFTMAX_CE ? (size_t)t : (size_t)(t > 0.5f);
        if (t >= 0.0f && truth < cs->classes && pred < cs->classes) cs->confusion[truth * cs->classes + pred]++;
    }
    return NNCL_OK;
}

nncl_status nncl_model_evaluate_dataset(nncl_model *m, const nncl_dataset *ds, float *loss,
                                        float *accuracy, uint64_t *confusion, size_t classes)
{
    NNCL__TRY(check_fit(m, ds, 1, "nncl_model_evaluate_dataset"));
    NNCL__TRY(nncl__model_clear_metrics(m, NNCL_METRIC_EVAL));
    confusion_state cs = {confusion, classes, ds->targets, NULL};
    if (confusion) {
        memset(confusion, 0, classes * classes * sizeof *confusion);
        cs.logits = malloc(NNCL__EVAL_ROWS * nncl_model_outputs(m) * sizeof(float));
        if (!cs.logits) return nncl__fail(nncl__model_context(m), NNCL_ERR_OUT_OF_MEMORY, "confusion matrix");
    }
    /* With a communicator each rank evaluates its share of the rows and the
     * sums are added (a confusion matrix is counted whole on every rank). */
    int rank, ranks = confusion ? 1 : nncl__model_ranks(m, &rank);
    size_t rows = ds->host.rows;
    size_t first = ranks == 1 ? 0 : rows * (size_t)rank / (size_t)ranks,
           end = ranks == 1 ? rows : rows * (size_t)(rank + 1) / (size_t)ranks;
    nncl_status st = forward_range(m, ds, first, end, 1, confusion ? count_confusion : NULL, &cs);
    free(cs.logits);
    NNCL__TRY(st);
    NNCL__TRY(nncl__model_check_status(m));
    float ignored;
    return (ranks == 1 ? nncl__model_read_metrics : nncl__model_read_global_metrics)(
        m, NNCL_METRIC_EVAL, (double)rows, loss ? loss : &ignored, accuracy ? accuracy : &ignored, 1);
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
    nncl_context *ctx = nncl__model_context(m);
    NNCL__CHECK_CL(ctx,
                   clEnqueueReadBuffer(ctx->queue, ps->out, CL_TRUE, 0, rows * outputs * sizeof(float),
                                       ps->dst + start * outputs, 0, NULL, NULL),
                   "reading predictions");
    return NNCL_OK;
}

/* One forward pass over every row of ds, its outputs (in the targets' units)
 * read into dst (rows x outputs); with_loss also sums the loss and correct
 * count into metrics[NNCL_METRIC_EVAL]. */
static nncl_status predict_pass(nncl_model *m, const nncl_dataset *ds, int with_loss, float *dst)
{
    nncl_context *ctx = nncl__model_context(m);
    size_t rows = ds->host.rows, outputs = nncl_model_outputs(m);
    size_t chunk = rows < NNCL__EVAL_ROWS ? rows : NNCL__EVAL_ROWS;
    predict_state ps = {dst, NULL};
    cl_int err = nncl__buffer_create(ctx, CL_MEM_READ_WRITE, chunk * outputs * sizeof(float), NULL, &ps.out);
    if (err != CL_SUCCESS) return nncl__cl_fail(ctx, err, "prediction buffer");
    nncl_status st = forward_all(m, ds, with_loss, copy_predictions, &ps);
    nncl__buffer_release(ctx, &ps.out);
    NNCL__TRY(st);
    return nncl__model_check_status(m);
}

nncl_status nncl_model_predict_dataset(nncl_model *m, const nncl_dataset *ds, float *dst, size_t count)
{
    NNCL__TRY(check_fit(m, ds, 0, "nncl_model_predict_dataset"));
    nncl_context *ctx = nncl__model_context(m);
    size_t outputs = nncl_model_outputs(m), rows = ds->host.rows;
    if (!dst) return nncl__fail(ctx, NNCL_ERR_INVALID_ARG, "nncl_model_predict_dataset: dst is NULL");
    if (count != rows * outputs)
        return nncl__fail(ctx, NNCL_ERR_SHAPE, "nncl_model_predict_dataset: %zu floats for %zu rows x %zu outputs",
                          count, rows, outputs);
    return predict_pass(m, ds, 0, dst);
}

nncl_status nncl_model_evaluate_metrics(nncl_model *m, const nncl_dataset *ds, nncl_metrics *out)
{
    NNCL__TRY(check_fit(m, ds, 1, "nncl_model_evaluate_metrics"));
    nncl_context *ctx = nncl__model_context(m);
    if (!out) return nncl__fail(ctx, NNCL_ERR_INVALID_ARG, "nncl_model_evaluate_metrics: out is NULL");
    nncl_metrics r = {.rmse = NAN, .mae = NAN, .r2 = NAN, .rows = ds->host.rows};
    if (nncl__model_loss_kind(m) != NNCL_LOSS_MSE) {
        NNCL__TRY(nncl_model_evaluate_dataset(m, ds, &r.loss, &r.accuracy, NULL, 0));
    } else {
        /* One pass gives the loss and the predictions in the targets' units
         * (one output per row for data sets); every rank evaluates every
         * row, as for a confusion matrix. */
        size_t rows = ds->host.rows;
        float *pred = malloc(rows * sizeof *pred);
        if (!pred) return nncl__fail(ctx, NNCL_ERR_OUT_OF_MEMORY, "evaluating: %zu predictions", rows);
        nncl_status st = nncl__model_clear_metrics(m, NNCL_METRIC_EVAL);
        if (st == NNCL_OK) st = predict_pass(m, ds, 1, pred);
        if (st == NNCL_OK)
            st = nncl__model_read_metrics(m, NNCL_METRIC_EVAL, (double)rows, &r.loss, &r.accuracy, 1);
        if (st != NNCL_OK) {
            free(pred);
            return st;
        }
        double sse = 0, sae = 0, mean, stddev;
        nncl_dataset_target_stats(ds, &mean, &stddev); /* check_fit saw the targets */
        for (size_t i = 0; i < rows; i++) {
            double e = (double)pred[i] - ds->targets[i];
            sse += e * e, sae += fabs(e);
        }
        double sst = stddev * stddev * (double)rows;
        free(pred);
        r.rmse = (float)sqrt(sse / (double)rows);
        r.mae = (float)(sae / (double)rows);
        r.r2 = sst > 0 ? (float)(1 - sse / sst) : sse == 0 ? 1.0f : 0.0f;
        r.accuracy = NAN;
    }
    *out = r;
    return NNCL_OK;
}
