/* SPDX-License-Identifier: MIT */
/* nncl_model_fit: a whole training run — epochs, validation, early stopping,
 * the best epoch's weights, history, progress and cancellation — built on
 * the public calls (train_epoch, evaluate_dataset, split, stats, params) and
 * the optimizer's schedule. The CLI's `nncl train` is a thin layer over it. */
#include "model/model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Automatic budget: about this many optimizer steps in a run, within
 * [FIT_MIN_EPOCHS, FIT_MAX_EPOCHS] epochs. */
#define FIT_TARGET_STEPS 4000
#define FIT_MIN_EPOCHS 10
#define FIT_MAX_EPOCHS 500
/* Automatic batch: rows / FIT_BATCHES_PER_EPOCH, within [16, 128]. */
#define FIT_BATCHES_PER_EPOCH 16
#define FIT_MIN_BATCH 16
#define FIT_MAX_BATCH 128
/* "Still improving steeply": the monitored loss fell by more than
 * FIT_TREND_DROP over the last FIT_TREND_EPOCHS epochs and by more than
 * FIT_LAST_DROP in the last one (a schedule that has annealed the learning
 * rate leaves the last epoch nearly flat). */
#define FIT_TREND_EPOCHS 3
#define FIT_TREND_DROP 0.05
#define FIT_LAST_DROP 0.03

nncl_fit_options nncl_fit_options_defaults(void)
{
    nncl_fit_options o;
    memset(&o, 0, sizeof o);
    o.size = sizeof o;
    o.seed = 42;
    o.patience = 10;
    o.min_delta = 1e-4f;
    o.restore_best = 1;
    o.standardize = 1;
    return o;
}

static size_t auto_batch(size_t rows)
{
    size_t b = rows / FIT_BATCHES_PER_EPOCH;
    if (b < FIT_MIN_BATCH) b = FIT_MIN_BATCH;
    if (b >= FIT_MAX_BATCH) return FIT_MAX_BATCH;
    return b / 8 * 8;
}

static uint64_t auto_epochs(size_t rows, size_t batch)
{
    uint64_t steps = (rows + batch - 1) / batch;
    uint64_t e = (FIT_TARGET_STEPS + steps - 1) / steps;
    return e < FIT_MIN_EPOCHS ? FIT_MIN_EPOCHS : e > FIT_MAX_EPOCHS ? FIT_MAX_EPOCHS : e;
}

/* An mse model's target standardisation from the training set's targets,
 * unless it has one already. */
static nncl_status standardize_targets(nncl_model *m, const nncl_dataset *train)
{
    nncl_model_spec spec = nncl_model_spec_defaults();
    nncl_model_get_spec(m, &spec);
    if (spec.loss != NNCL_LOSS_MSE || nncl_model_get_target_normalization(m, NULL, NULL, 0)) return NNCL_OK;
    double mean, stddev;
    nncl_status st = nncl_dataset_target_stats(train, &mean, &stddev);
    float mu = (float)mean, sd = (float)stddev;
    /* Data sets hold one target per row: one output (checked by train_epoch). */
    if (st == NNCL_OK && nncl_model_outputs(m) == 1) st = nncl_model_set_target_normalization(m, &mu, &sd, 1);
    return st;
}

nncl_status nncl_model_standardize(nncl_model *m, const nncl_dataset *train)
{
    if (!m || !train)
        return nncl__fail(m ? nncl__model_context(m) : NULL, NNCL_ERR_INVALID_ARG, "nncl_model_standardize: NULL argument");
    size_t cols = nncl_dataset_cols(train);
    if (cols != nncl_model_inputs(m))
        return nncl__fail(nncl__model_context(m), NNCL_ERR_SHAPE,
                          "nncl_model_standardize: the data set has %zu feature columns, the model takes %zu inputs",
                          cols, nncl_model_inputs(m));
    NNCL__TRY(standardize_targets(m, train));
    if (nncl_model_get_normalization(m, NULL, NULL, cols)) return NNCL_OK;
    float *mean = malloc(cols * sizeof *mean), *std = malloc(cols * sizeof *std);
    nncl_status st = mean && std ? nncl_dataset_stats(train, mean, std, cols)
                                 : nncl__fail(nncl__model_context(m), NNCL_ERR_OUT_OF_MEMORY,
                                              "standardisation: %zu columns", cols);
    if (st == NNCL_OK) st = nncl_model_set_normalization(m, mean, std, cols);
    free(mean);
    free(std);
    return st;
}

typedef struct {
    nncl_model *m;
    const nncl_fit_options *o;
    const nncl_dataset *train, *valid;
    nncl_dataset *owned_train, *owned_valid; /* from a validation split */
    float *best_params;                      /* the best epoch's weights, when kept */
    size_t n_params;
} fit_state;

static nncl_status prepare(fit_state *f, const nncl_dataset *train)
{
    const nncl_fit_options *o = f->o;
    f->train = train;
    f->valid = o->validation;
    if (!o->validation && o->validation_fraction > 0) {
        NNCL__TRY(nncl_dataset_split(train, o->validation_fraction, o->seed, &f->owned_train, &f->owned_valid));
        f->train = f->owned_train;
        f->valid = f->owned_valid;
    }
    if (o->standardize) NNCL__TRY(nncl_model_standardize(f->m, f->train));
    if (o->restore_best) {
        f->n_params = nncl_model_param_count(f->m);
        f->best_params = malloc(f->n_params * sizeof *f->best_params);
        if (!f->best_params)
            return nncl__fail(nncl__model_context(f->m), NNCL_ERR_OUT_OF_MEMORY, "best weights: %zu floats",
                              f->n_params);
    }
    return NNCL_OK;
}

static nncl_status check_options(nncl_model *m, const nncl_fit_options *o, const nncl_dataset *train)
{
    nncl_context *ctx = nncl__model_context(m);
    if (nncl_dataset_cols(train) != nncl_model_inputs(m))
        return nncl__fail(ctx, NNCL_ERR_SHAPE,
                          "nncl_model_fit: the data set has %zu feature columns, the model takes %zu inputs",
                          nncl_dataset_cols(train), nncl_model_inputs(m));
    if (o->validation && o->validation_fraction > 0)
        return nncl__fail(ctx, NNCL_ERR_INVALID_ARG,
                          "nncl_model_fit: give a validation set or a validation_fraction, not both");
    if (!(o->validation_fraction >= 0 && o->validation_fraction < 1))
        return nncl__fail(ctx, NNCL_ERR_INVALID_ARG, "nncl_model_fit: validation_fraction %g is not in [0, 1)",
                          o->validation_fraction);
    if (!(o->min_delta >= 0) || !isfinite(o->min_delta))
        return nncl__fail(ctx, NNCL_ERR_INVALID_ARG, "nncl_model_fit: min_delta %g must be >= 0",
                          (double)o->min_delta);
    if (o->test && nncl_dataset_cols(o->test) != nncl_model_inputs(m))
        return nncl__fail(ctx, NNCL_ERR_SHAPE,
                          "nncl_model_fit: the test set has %zu feature columns, the model takes %zu inputs",
                          nncl_dataset_cols(o->test), nncl_model_inputs(m));
    if (o->validation && nncl_dataset_cols(o->validation) != nncl_model_inputs(m))
        return nncl__fail(ctx, NNCL_ERR_SHAPE,
                          "nncl_model_fit: the validation set has %zu feature columns, the model takes %zu inputs",
                          nncl_dataset_cols(o->validation), nncl_model_inputs(m));
    if (nncl_dataset_rows(train) == 0)
        return nncl__fail(ctx, NNCL_ERR_INVALID_ARG, "nncl_model_fit: the training set is empty");
    return NNCL_OK;
}

/* Whether losses[0..n) was still falling steeply at its end (see FIT_TREND_*). */
static int still_improving(const float *losses, size_t n)
{
    if (n < 2) return 0;
    float now = losses[n - 1], before = losses[n <= FIT_TREND_EPOCHS ? 0 : n - 1 - FIT_TREND_EPOCHS];
    return now < before * (1 - FIT_TREND_DROP) && now < losses[n - 2] * (1 - FIT_LAST_DROP);
}

void nncl_fit_plan(const nncl_fit_options *options, size_t rows, size_t *batch, uint64_t *epochs)
{
    nncl_fit_options o = nncl_fit_options_defaults();
    NNCL__OPTIONS_READ(&o, options);
    size_t b = o.batch ? o.batch : auto_batch(rows);
    if (batch) *batch = b;
    if (epochs) *epochs = o.max_epochs ? o.max_epochs : auto_epochs(rows ? rows : 1, b);
}

static nncl_status run(fit_state *f, nncl_fit_result *r)
{
    nncl_model *m = f->m;
    const nncl_fit_options *o = f->o;
    size_t rows = nncl_dataset_rows(f->train), batch;
    uint64_t max_epochs;
    nncl_fit_plan(o, rows, &batch, &max_epochs);
    r->monitored_validation = f->valid != NULL;
    r->best_loss = INFINITY;
    float *losses = malloc((size_t)(max_epochs > o->start_epoch ? max_epochs - o->start_epoch : 1) * sizeof *losses);
    if (!losses) return nncl__fail(nncl__model_context(m), NNCL_ERR_OUT_OF_MEMORY, "fit: loss history");
    nncl_status st = NNCL_OK;
    uint64_t since_best = 0;
    size_t n_losses = 0;
    for (uint64_t epoch = o->start_epoch; epoch < max_epochs; epoch++) {
        double t0 = nncl__seconds_now();
        nncl_epoch_options eo = {.batch = batch,
                                 .seed = o->seed,
                                 .epoch = epoch,
                                 .start_batch = epoch == o->start_epoch ? o->start_batch : 0,
                                 .progress = o->progress,
                                 .progress_every = o->progress_every,
                                 .user = o->user};
        nncl_epoch_record rec = {.epoch = epoch, .valid_loss = NAN, .valid_accuracy = NAN,
                                 .test_loss = NAN, .test_accuracy = NAN};
        st = nncl_model_train_epoch(m, f->train, &eo, &rec.train_loss, &rec.train_accuracy, &r->batches_done);
        if (st != NNCL_OK) break;
        double train_seconds = nncl__seconds_now() - t0;
        if (f->valid) {
            st = nncl_model_evaluate_dataset(m, f->valid, &rec.valid_loss, &rec.valid_accuracy, NULL, 0);
            if (st != NNCL_OK) break;
        }
        if (o->test) {
            st = nncl_model_evaluate_dataset(m, o->test, &rec.test_loss, &rec.test_accuracy, NULL, 0);
            if (st != NNCL_OK) break;
        }
        nncl_optimizer opt = nncl_optimizer_defaults(NNCL_OPTIM_ADAM);
        nncl_model_get_optimizer(m, &opt);
        uint64_t step = nncl_model_step(m);
        rec.lr = nncl__optim_lr(&opt, step ? step - 1 : 0);
        rec.seconds = nncl__seconds_now() - t0;
        size_t trained = rows - (eo.start_batch * batch < rows ? eo.start_batch * batch : rows);
        rec.samples_per_second = train_seconds > 0 ? (double)trained / train_seconds : 0;
        float monitored = f->valid ? rec.valid_loss : rec.train_loss;
        losses[n_losses++] = monitored;
        if (monitored < r->best_loss - o->min_delta || r->epochs == 0) {
            rec.best = 1;
            r->best_loss = monitored;
            r->best_epoch = epoch;
            since_best = 0;
            if (f->best_params) st = nncl_model_get_params(m, f->best_params, f->n_params);
            if (st != NNCL_OK) break;
        } else {
            since_best++;
        }
        r->epochs++;
        r->batches_done = 0; /* of the next epoch: this one is complete */
        st = nncl_model_add_history(m, &rec);
        if (st != NNCL_OK) break;
        float stop = o->on_epoch && o->on_epoch(&rec, o->user) ? 1.0f : 0.0f;
        if (nncl__model_ranks(m, NULL) > 1) { /* a stop on any rank stops all */
            st = nncl__model_allreduce(m, &stop, 1);
            if (st != NNCL_OK) break;
        }
        if (stop > 0) {
            st = nncl__fail(nncl__model_context(m), NNCL_ERR_INTERRUPTED, "the fit was stopped after epoch %llu",
                            (unsigned long long)epoch);
            break;
        }
        if (o->patience && since_best >= o->patience) {
            r->stopped_early = epoch + 1 < max_epochs;
            break;
        }
    }
    r->still_improving = !r->stopped_early && still_improving(losses, n_losses);
    free(losses);
    if (st == NNCL_OK && f->best_params && r->epochs > 0)
        st = nncl_model_set_params(m, f->best_params, f->n_params);
    return st;
}

nncl_status nncl_model_fit(nncl_model *m, const nncl_dataset *train, const nncl_fit_options *options,
                           nncl_fit_result *result)
{
    if (!m || !train) return nncl__fail(m ? nncl__model_context(m) : NULL, NNCL_ERR_INVALID_ARG,
                                        "nncl_model_fit: model and train are required");
    nncl_fit_options o = nncl_fit_options_defaults();
    NNCL__OPTIONS_READ(&o, options);
    NNCL__TRY(check_options(m, &o, train));
    nncl_fit_result r;
    memset(&r, 0, sizeof r);
    fit_state f = {.m = m, .o = &o};
    nncl_status st = prepare(&f, train);
    if (st == NNCL_OK) st = run(&f, &r);
    free(f.best_params);
    nncl_dataset_destroy(f.owned_train);
    nncl_dataset_destroy(f.owned_valid);
    if (result) *result = r;
    return st;
}
