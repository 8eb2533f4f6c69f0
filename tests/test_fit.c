/* SPDX-License-Identifier: MIT */
/* The in-memory data set (nncl_dataset_from_arrays) and the whole fit
 * (nncl_model_fit): defaults that learn, validation and early stopping, the
 * best epoch's weights, history, cancellation, and every misuse. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "io/safetensors.h"
#include "testutil.h"

/* Three Gaussian blobs in 4-D, columns on very different scales (as tabular
 * data has them), labels 0..2. */
static void blobs(size_t rows, uint64_t seed, float *x, float *y)
{
    static const float centre[3][4] = {{0, 0, 0, 0}, {2, 2, 0, 1}, {0, 2, 2, -1}};
    static const float scale[4] = {1, 100, 0.01f, 1000};
    uint64_t state = seed;
    for (size_t r = 0; r < rows; r++) {
        int k = (int)(r % 3);
        for (int c = 0; c < 4; c++) {
            float u = nncl_test_uniform(&state, -1, 1) + nncl_test_uniform(&state, -1, 1);
            x[r * 4 + c] = (centre[k][c] + 0.5f * u) * scale[c];
        }
        y[r] = (float)k;
    }
}

static nncl_model *classifier(nncl_context *ctx, size_t inputs, size_t classes)
{
    nncl_layer_spec layers[2] = {{16, NNCL_ACT_RELU}, {classes, NNCL_ACT_SOFTMAX}};
    nncl_model_spec spec = {.inputs = inputs, .n_layers = 2, .layers = layers,
                            .loss = NNCL_LOSS_SOFTMAX_CE, .seed = 7};
    nncl_model *m = NULL;
    ck_assert_int_eq(nncl_model_create(ctx, &spec, &m), NNCL_OK);
    return m;
}

/* rows of blobs(seed) as a class data set on ctx, every wrong_every-th label
 * (rows 0, wrong_every, ...) replaced by a wrong one (0: none). */
static nncl_dataset *blob_dataset(nncl_context *ctx, size_t rows, uint64_t seed, size_t wrong_every)
{
    float *x = malloc(rows * 4 * sizeof *x), *y = malloc(rows * sizeof *y);
    ck_assert(x && y);
    blobs(rows, seed, x, y);
    for (size_t r = 0; wrong_every && r < rows; r += wrong_every) y[r] = (float)((r + 1) % 3);
    nncl_dataset *ds = NULL;
    ck_assert_int_eq(nncl_dataset_from_arrays(ctx, x, rows, 4, y, NNCL_TARGET_CLASS, &ds), NNCL_OK);
    free(x);
    free(y);
    return ds;
}

START_TEST(from_arrays_copies_and_checks)
{
    nncl_context *ctx = nncl_test_context();
    float x[6] = {1, 2, 3, 4, 5, 6}, y[3] = {0, 2, 1};
    nncl_dataset *ds = NULL;
    ck_assert_int_eq(nncl_dataset_from_arrays(ctx, x, 3, 2, y, NNCL_TARGET_CLASS, &ds), NNCL_OK);
    x[0] = 99, y[0] = 1; /* copied: later changes do not reach the data set */
    ck_assert_uint_eq(nncl_dataset_rows(ds), 3);
    ck_assert_uint_eq(nncl_dataset_cols(ds), 2);
    ck_assert_int_eq(nncl_dataset_classes(ds), 3);
    float t[3], mean[2], sd[2];
    ck_assert_int_eq(nncl_dataset_targets(ds, t, 3), NNCL_OK);
    ck_assert_float_eq(t[0], 0.0f);
    ck_assert_int_eq(nncl_dataset_stats(ds, mean, sd, 2), NNCL_OK);
    ck_assert_float_eq_tol(mean[0], 3.0f, 1e-6);
    nncl_dataset_destroy(ds);

    float v[3] = {0.5f, -2.25f, 1e6f};
    ck_assert_int_eq(nncl_dataset_from_arrays(ctx, x, 3, 2, v, NNCL_TARGET_VALUE, &ds), NNCL_OK);
    ck_assert_int_eq(nncl_dataset_classes(ds), 0);
    nncl_dataset_destroy(ds);
    ck_assert_int_eq(nncl_dataset_from_arrays(ctx, x, 3, 2, NULL, NNCL_TARGET_NONE, &ds), NNCL_OK);
    nncl_dataset_destroy(ds);

    x[3] = NAN;
    ASSERT_FAILS(ctx, nncl_dataset_from_arrays(ctx, x, 3, 2, y, NNCL_TARGET_CLASS, &ds), NNCL_ERR_NUMERIC,
                 "row 1, column 1");
    ck_assert_ptr_null(ds);
    x[3] = 4;
    float frac[3] = {0, 1.5f, 1};
    ASSERT_FAILS(ctx, nncl_dataset_from_arrays(ctx, x, 3, 2, frac, NNCL_TARGET_CLASS, &ds),
                 NNCL_ERR_INVALID_ARG, "1.5 of row 1 is not a class index");
    float neg[3] = {0, -1, 1};
    ASSERT_FAILS(ctx, nncl_dataset_from_arrays(ctx, x, 3, 2, neg, NNCL_TARGET_CLASS, &ds),
                 NNCL_ERR_INVALID_ARG, "-1 of row 1");
    float inf[3] = {0, INFINITY, 1};
    ASSERT_FAILS(ctx, nncl_dataset_from_arrays(ctx, x, 3, 2, inf, NNCL_TARGET_VALUE, &ds), NNCL_ERR_NUMERIC,
                 "target of row 1");
    ASSERT_FAILS(ctx, nncl_dataset_from_arrays(ctx, x, 0, 2, y, NNCL_TARGET_CLASS, &ds), NNCL_ERR_SHAPE,
                 "0 rows x 2 columns");
    /* refused before a row is read: the row order is 32-bit on the device */
    ASSERT_FAILS(ctx, nncl_dataset_from_arrays(ctx, x, (size_t)1 << 31, 2, y, NNCL_TARGET_CLASS, &ds),
                 NNCL_ERR_SHAPE, "2147483648 rows; a data set holds at most 2147483647");
    ASSERT_FAILS(ctx, nncl_dataset_from_arrays(ctx, x, 3, 2, NULL, NNCL_TARGET_CLASS, &ds),
                 NNCL_ERR_INVALID_ARG, "targets NULL");
    ASSERT_FAILS(ctx, nncl_dataset_from_arrays(ctx, x, 3, 2, y, NNCL_TARGET_NONE, &ds), NNCL_ERR_INVALID_ARG,
                 "targets given");
    ck_assert_ptr_null(ds);
}
END_TEST

typedef struct {
    int calls;
    int stop_after;
} epoch_counter;

static int count_epochs(const nncl_epoch_record *rec, void *user)
{
    epoch_counter *c = user;
    ck_assert(isfinite(rec->train_loss));
    ck_assert(rec->seconds >= 0);
    c->calls++;
    return c->stop_after && c->calls >= c->stop_after;
}

/* With nothing but the defaults (and unscaled columns spanning 1e-2 .. 1e3),
 * the fit standardises, picks a budget and learns the blobs. */
START_TEST(defaults_learn_unscaled_tabular_data)
{
    nncl_context *ctx = nncl_test_context();
    enum { N = 300 };
    nncl_dataset *ds = blob_dataset(ctx, N, 11, 0), *test = blob_dataset(ctx, N, 12, 0);
    nncl_model *m = classifier(ctx, 4, 3);
    nncl_fit_result r;
    ck_assert_int_eq(nncl_model_fit(m, ds, NULL, &r), NNCL_OK);
    ck_assert_uint_ge(r.epochs, 10);
    ck_assert_int_eq(r.monitored_validation, 0);
    ck_assert_int_eq(nncl_model_get_normalization(m, NULL, NULL, 4), 1);
    float loss, acc;
    ck_assert_int_eq(nncl_model_evaluate_dataset(m, test, &loss, &acc, NULL, 0), NNCL_OK);
    ck_assert_msg(acc >= 0.95f, "test accuracy %g after %llu epochs", (double)acc, (unsigned long long)r.epochs);
    nncl_model_destroy(m);
    nncl_dataset_destroy(ds);
    nncl_dataset_destroy(test);
}
END_TEST

/* A validation split is monitored; patience stops the run; the model ends
 * with the best epoch's weights, whose validation loss the result reports;
 * the history holds every epoch and marks the best. */
START_TEST(early_stopping_keeps_the_best_epoch)
{
    nncl_context *ctx = nncl_test_context();
    enum { N = 240 };
    nncl_dataset *ds = blob_dataset(ctx, N, 5, 4); /* wrong labels: validation loss turns up */
    nncl_model *m = classifier(ctx, 4, 3);
    nncl_optimizer opt = nncl_optimizer_defaults(NNCL_OPTIM_ADAM);
    opt.lr = 0.05f; /* overfits fast */
    ck_assert_int_eq(nncl_model_set_optimizer(m, &opt), NNCL_OK);
    nncl_epoch_record hist[400];
    nncl_model_clear_history(m);
    epoch_counter counter = {0, 0};
    nncl_fit_options o = nncl_fit_options_defaults();
    o.validation_fraction = 0.25;
    o.patience = 5;
    o.max_epochs = 400;
    o.batch = 16;
    o.on_epoch = count_epochs;
    o.user = &counter;
    nncl_fit_result r;
    ck_assert_int_eq(nncl_model_fit(m, ds, &o, &r), NNCL_OK);
    ck_assert_int_eq(r.monitored_validation, 1);
    ck_assert_int_eq(r.stopped_early, 1);
    ck_assert_uint_lt(r.epochs, 400);
    size_t history_len = nncl_model_history(m, hist, 400);
    ck_assert_uint_eq(history_len, r.epochs);
    ck_assert_int_eq(counter.calls, (int)r.epochs);
    ck_assert_uint_eq(r.best_epoch + o.patience + 1, r.epochs); /* patience epochs after the best */
    int bests = 0;
    for (size_t i = 0; i < history_len; i++) {
        ck_assert_uint_eq(hist[i].epoch, i);
        ck_assert(isfinite(hist[i].valid_loss));
        ck_assert(hist[i].valid_loss >= r.best_loss - o.min_delta - 1e-6f); /* smaller gains do not count */
        bests += hist[i].best;
    }
    ck_assert(hist[r.best_epoch].best);
    ck_assert_float_eq(hist[r.best_epoch].valid_loss, r.best_loss);
    ck_assert_int_ge(bests, 1);
    /* The weights are the best epoch's: its validation loss comes back. */
    nncl_dataset *train = NULL, *valid = NULL;
    ck_assert_int_eq(nncl_dataset_split(ds, 0.25, o.seed, &train, &valid), NNCL_OK);
    float loss;
    ck_assert_int_eq(nncl_model_evaluate_dataset(m, valid, &loss, NULL, NULL, 0), NNCL_OK);
    ck_assert_float_eq_tol(loss, r.best_loss, 1e-5);
    nncl_dataset_destroy(train);
    nncl_dataset_destroy(valid);
    nncl_model_destroy(m);
    nncl_dataset_destroy(ds);
}
END_TEST

static int stop_in_epoch_two(const nncl_progress *p, void *user)
{
    (void)user;
    return p->epoch == 1 && p->batches_done >= 2;
}

/* on_epoch or progress stop the fit with NNCL_ERR_INTERRUPTED and a result
 * that says where it stood. */
START_TEST(cancellation_reports_where_it_stopped)
{
    nncl_context *ctx = nncl_test_context();
    enum { N = 120 };
    nncl_dataset *ds = blob_dataset(ctx, N, 3, 0);
    nncl_model *m = classifier(ctx, 4, 3);
    epoch_counter counter = {0, 2};
    nncl_fit_options o = nncl_fit_options_defaults();
    o.max_epochs = 50;
    o.on_epoch = count_epochs;
    o.user = &counter;
    nncl_fit_result r;
    ASSERT_FAILS(ctx, nncl_model_fit(m, ds, &o, &r), NNCL_ERR_INTERRUPTED, "after epoch 1");
    ck_assert_uint_eq(r.epochs, 2);
    ck_assert_int_eq(counter.calls, 2);

    o = nncl_fit_options_defaults();
    o.max_epochs = 50;
    o.batch = 16;
    o.progress = stop_in_epoch_two;
    o.progress_every = 1;
    ASSERT_FAILS(ctx, nncl_model_fit(m, ds, &o, &r), NNCL_ERR_INTERRUPTED, "epoch 1 stopped after 2");
    ck_assert_uint_eq(r.epochs, 1);
    ck_assert_uint_eq(r.batches_done, 2);
    nncl_model_destroy(m);
    nncl_dataset_destroy(ds);
}
END_TEST

/* y = 3·x0 - 2·x1 + 0.5: a regression fit from arrays gets close. */
START_TEST(regression_from_arrays)
{
    nncl_context *ctx = nncl_test_context();
    enum { N = 400 };
    float *x = nncl_test_random(N * 2, 21, -1, 1), y[N];
    for (size_t r = 0; r < N; r++) y[r] = 3 * x[2 * r] - 2 * x[2 * r + 1] + 0.5f;
    nncl_dataset *ds = NULL;
    ck_assert_int_eq(nncl_dataset_from_arrays(ctx, x, N, 2, y, NNCL_TARGET_VALUE, &ds), NNCL_OK);
    nncl_layer_spec layers[2] = {{16, NNCL_ACT_TANH}, {1, NNCL_ACT_IDENTITY}};
    nncl_model_spec spec = {.inputs = 2, .n_layers = 2, .layers = layers, .loss = NNCL_LOSS_MSE, .seed = 3};
    nncl_model *m = NULL;
    ck_assert_int_eq(nncl_model_create(ctx, &spec, &m), NNCL_OK);
    nncl_fit_result r;
    ck_assert_int_eq(nncl_model_fit(m, ds, NULL, &r), NNCL_OK);
    float mse;
    ck_assert_int_eq(nncl_model_evaluate_dataset(m, ds, &mse, NULL, NULL, 0), NNCL_OK);
    ck_assert_msg(mse < 0.05f, "mse %g after %llu epochs (target variance ~4.3)", (double)mse,
                  (unsigned long long)r.epochs);
    nncl_model_destroy(m);
    nncl_dataset_destroy(ds);
    free(x);
}
END_TEST

/* A bce model refuses a data set with a target outside [0, 1], naming the
 * row, at every call that reads targets (found once, when the set is made). */
START_TEST(bce_refuses_targets_outside_0_1)
{
    nncl_context *ctx = nncl_test_context();
    float x[8] = {0, 1, 1, 0, 0.5f, 0.5f, 1, 1}, y[4] = {0, 1, 1.5f, 0};
    nncl_dataset *ds = NULL;
    ck_assert_int_eq(nncl_dataset_from_arrays(ctx, x, 4, 2, y, NNCL_TARGET_VALUE, &ds), NNCL_OK);
    nncl_layer_spec layers[1] = {{1, NNCL_ACT_SIGMOID}};
    nncl_model_spec spec = {.inputs = 2, .n_layers = 1, .layers = layers, .loss = NNCL_LOSS_BCE, .seed = 1};
    nncl_model *m = NULL;
    ck_assert_int_eq(nncl_model_create(ctx, &spec, &m), NNCL_OK);
    nncl_epoch_options eo = nncl_epoch_options_defaults();
    for (int pass = 0; pass < 2; pass++)
        ASSERT_FAILS(ctx, nncl_model_train_epoch(m, ds, &eo, NULL, NULL, NULL), NNCL_ERR_INVALID_ARG,
                     "target 1.5 of data row 3 is outside [0, 1]");
    ASSERT_FAILS(ctx, nncl_model_evaluate_dataset(m, ds, NULL, NULL, NULL, 0), NNCL_ERR_INVALID_ARG,
                 "nncl_model_evaluate_dataset: target 1.5 of data row 3");
    y[2] = 1.0f; /* the set keeps its own copy: a fixed array is a new set */
    nncl_dataset *good = NULL;
    ck_assert_int_eq(nncl_dataset_from_arrays(ctx, x, 4, 2, y, NNCL_TARGET_VALUE, &good), NNCL_OK);
    ck_assert_int_eq(nncl_model_train_epoch(m, good, &eo, NULL, NULL, NULL), NNCL_OK);
    nncl_model_destroy(m);
    nncl_dataset_destroy(ds);
    nncl_dataset_destroy(good);
}
END_TEST

/* Targets far from 0 and 1 (y = 1000 + 300·(3·x0 - 2·x1)): the fit
 * standardises them, predictions come back in their units, and the
 * metrics agree with a plain computation; all of it survives a save. */
START_TEST(regression_targets_are_standardised)
{
    nncl_context *ctx = nncl_test_context();
    enum { N = 400 };
    float *x = nncl_test_random(N * 2, 31, -1, 1), y[N], pred[N], again[N];
    for (size_t r = 0; r < N; r++) y[r] = 1000 + 300 * (3 * x[2 * r] - 2 * x[2 * r + 1]);
    nncl_dataset *ds = NULL;
    ck_assert_int_eq(nncl_dataset_from_arrays(ctx, x, N, 2, y, NNCL_TARGET_VALUE, &ds), NNCL_OK);
    nncl_layer_spec layers[2] = {{16, NNCL_ACT_TANH}, {1, NNCL_ACT_IDENTITY}};
    nncl_model_spec spec = {.inputs = 2, .n_layers = 2, .layers = layers, .loss = NNCL_LOSS_MSE, .seed = 3};
    nncl_model *m = NULL;
    ck_assert_int_eq(nncl_model_create(ctx, &spec, &m), NNCL_OK);
    ck_assert_int_eq(nncl_model_fit(m, ds, NULL, NULL), NNCL_OK);
    float mean, sd;
    ck_assert_int_eq(nncl_model_get_target_normalization(m, &mean, &sd, 1), 1);
    ck_assert_float_eq_tol(mean, 1000, 50);
    ck_assert(sd > 500 && sd < 1500);
    nncl_metrics mt;
    ck_assert_int_eq(nncl_model_evaluate_metrics(m, ds, &mt), NNCL_OK);
    ck_assert_uint_eq(mt.rows, N);
    ck_assert(isnan(mt.accuracy));
    ck_assert_int_eq(nncl_model_predict_dataset(m, ds, pred, N), NNCL_OK);
    double sse = 0, sae = 0, sst = 0, tm = 0;
    for (size_t r = 0; r < N; r++) tm += y[r] / (double)N;
    for (size_t r = 0; r < N; r++) {
        sse += (pred[r] - y[r]) * (double)(pred[r] - y[r]);
        sae += fabs(pred[r] - (double)y[r]);
        sst += (y[r] - tm) * (y[r] - tm);
    }
    ck_assert_float_eq_tol(mt.rmse, sqrt(sse / N), 1e-3 * sqrt(sse / N));
    ck_assert_float_eq_tol(mt.mae, sae / N, 1e-3 * sae / N);
    ck_assert_float_eq_tol(mt.r2, 1 - sse / sst, 1e-4);
    ck_assert_msg(mt.r2 > 0.99f, "R2 %g, rmse %g", (double)mt.r2, (double)mt.rmse);
    char path[512];
    snprintf(path, sizeof path, "%s/regression.safetensors", nncl_test_tmpdir());
    ck_assert_int_eq(nncl_model_save(m, path), NNCL_OK);
    nncl_model *loaded = NULL;
    ck_assert_int_eq(nncl_model_load(ctx, path, &loaded, NULL), NNCL_OK);
    ck_assert_int_eq(nncl_model_predict_dataset(loaded, ds, again, N), NNCL_OK);
    for (size_t r = 0; r < N; r++) ck_assert_float_eq(again[r], pred[r]);
    /* The tensor path gives the same units (its inputs are standardised by
     * the caller: the model's feature normalisation is for data sets). */
    float fm[2], fs[2];
    ck_assert_int_eq(nncl_model_get_normalization(loaded, fm, fs, 2), 1);
    for (size_t i = 0; i < 2 * N; i++) x[i] = (x[i] - fm[i % 2]) / fs[i % 2];
    nncl_tensor *X = nncl_test_tensor(ctx, N, 2, x), *P = nncl_test_tensor(ctx, N, 1, NULL);
    ck_assert_int_eq(nncl_model_predict(loaded, X, P), NNCL_OK);
    ck_assert_int_eq(nncl_tensor_download(P, again, N), NNCL_OK);
    ck_assert_float_eq_tol(again[7], pred[7], 1e-3 * fabsf(pred[7]));
    ASSERT_FAILS(ctx, nncl_model_set_target_normalization(loaded, &mean, &sd, 2), NNCL_ERR_SHAPE, "2 values given");
    float nan = NAN;
    ASSERT_FAILS(ctx, nncl_model_set_target_normalization(loaded, &nan, &sd, 1), NNCL_ERR_NUMERIC, "output 0");
    nncl_model *cls = classifier(ctx, 2, 2);
    ASSERT_FAILS(ctx, nncl_model_set_target_normalization(cls, &mean, &sd, 2), NNCL_ERR_INVALID_ARG, "only mse");
    nncl_tensor_destroy(X), nncl_tensor_destroy(P);
    nncl_model_destroy(cls);
    nncl_model_destroy(loaded);
    nncl_model_destroy(m);
    nncl_dataset_destroy(ds);
    free(x);
}
END_TEST

static int stop_at_batch_three(const nncl_progress *p, void *user)
{
    (void)user;
    return p->batches_done == 3;
}

/* An epoch interrupted after 3 batches, checkpointed and resumed reports the
 * same loss and accuracy for the whole epoch as one never interrupted. */
START_TEST(resumed_epoch_reports_the_whole_epoch)
{
    nncl_context *ctx = nncl_test_context();
    enum { N = 160 };
    nncl_dataset *ds = blob_dataset(ctx, N, 17, 0);
    nncl_model *whole = classifier(ctx, 4, 3), *part = classifier(ctx, 4, 3), *resumed = NULL;
    nncl_epoch_options eo = nncl_epoch_options_defaults();
    eo.batch = 16;
    eo.seed = 5;
    float loss_whole, acc_whole, loss_resumed, acc_resumed;
    ck_assert_int_eq(nncl_model_train_epoch(whole, ds, &eo, &loss_whole, &acc_whole, NULL), NNCL_OK);
    eo.progress = stop_at_batch_three;
    eo.progress_every = 1;
    size_t done = 0;
    ck_assert_int_eq(nncl_model_train_epoch(part, ds, &eo, NULL, NULL, &done), NNCL_ERR_INTERRUPTED);
    ck_assert_uint_eq(done, 3);
    char path[512];
    snprintf(path, sizeof path, "%s/mid-epoch.safetensors", nncl_test_tmpdir());
    nncl_train_position pos = {.seed = 5, .epoch = 0, .batch = done, .batch_size = 16};
    ck_assert_int_eq(nncl_model_save_checkpoint(part, path, &pos), NNCL_OK);
    ck_assert_int_eq(nncl_model_load(ctx, path, &resumed, NULL), NNCL_OK);
    eo.progress = NULL;
    eo.start_batch = done;
    ck_assert_int_eq(nncl_model_train_epoch(resumed, ds, &eo, &loss_resumed, &acc_resumed, NULL), NNCL_OK);
    ck_assert_float_eq(loss_resumed, loss_whole);
    ck_assert_float_eq(acc_resumed, acc_whole);
    nncl_model_destroy(whole), nncl_model_destroy(part), nncl_model_destroy(resumed);
    nncl_dataset_destroy(ds);
}
END_TEST

typedef struct {
    nncl_model *model;
    const nncl_dataset *other;
} evaluating;

static int evaluate_other(const nncl_progress *p, void *user)
{
    evaluating *e = user;
    (void)p;
    float loss;
    ck_assert_int_eq(nncl_model_evaluate_dataset(e->model, e->other, &loss, NULL, NULL, 0), NNCL_OK);
    return 0;
}

/* A progress callback may evaluate another data set mid-epoch: the
 * epoch goes on with its own batch buffers and row order, and trains to the
 * same bits as without the callback. */
START_TEST(evaluating_from_a_progress_callback_changes_nothing)
{
    nncl_context *ctx = nncl_test_context();
    /* The other set is smaller than the training set's order (so an evaluation
     * that reused the order's buffer would overwrite it in place) but larger
     * than a batch (so the batch buffers grow). */
    nncl_dataset *ds = blob_dataset(ctx, 3000, 23, 0), *big = blob_dataset(ctx, 200, 24, 0);
    nncl_model *plain = classifier(ctx, 4, 3), *watched = classifier(ctx, 4, 3);
    nncl_epoch_options eo = nncl_epoch_options_defaults();
    eo.batch = 32;
    eo.seed = 3;
    float loss_plain, loss_watched;
    ck_assert_int_eq(nncl_model_train_epoch(plain, ds, &eo, &loss_plain, NULL, NULL), NNCL_OK);
    evaluating e = {watched, big};
    eo.progress = evaluate_other;
    eo.progress_every = 10;
    eo.user = &e;
    ck_assert_int_eq(nncl_model_train_epoch(watched, ds, &eo, &loss_watched, NULL, NULL), NNCL_OK);
    ck_assert_float_eq(loss_watched, loss_plain);
    size_t n = nncl_model_param_count(plain);
    float *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    ck_assert_int_eq(nncl_model_get_params(plain, a, n), NNCL_OK);
    ck_assert_int_eq(nncl_model_get_params(watched, b, n), NNCL_OK);
    ck_assert_int_eq(memcmp(a, b, n * sizeof *a), 0);
    free(a), free(b);
    nncl_model_destroy(plain), nncl_model_destroy(watched);
    nncl_dataset_destroy(ds), nncl_dataset_destroy(big);
}
END_TEST

static int no_stop(const nncl_progress *p, void *user)
{
    (void)p, (void)user;
    return 0;
}

/* The loss sums of an epoch wait on the device and are added in one launch
 * per many batches; a progress call after every batch (which reads the
 * running loss, so sums each batch alone) gives the same bits. 5003 rows
 * in batches of 8: more than the 4096 rows that may wait (so they are also
 * summed when the next batch would not fit), and a last batch of 3 rows
 * (summed apart, being of another size). */
START_TEST(deferred_loss_sums_change_nothing)
{
    nncl_context *ctx = nncl_test_context();
    nncl_dataset *ds = blob_dataset(ctx, 5003, 31, 0);
    nncl_model *deferred = classifier(ctx, 4, 3), *each = classifier(ctx, 4, 3);
    nncl_epoch_options eo = nncl_epoch_options_defaults();
    eo.batch = 8;
    eo.seed = 5;
    float loss[2], acc[2];
    ck_assert_int_eq(nncl_model_train_epoch(deferred, ds, &eo, &loss[0], &acc[0], NULL), NNCL_OK);
    eo.progress = no_stop;
    eo.progress_every = 1;
    ck_assert_int_eq(nncl_model_train_epoch(each, ds, &eo, &loss[1], &acc[1], NULL), NNCL_OK);
    ck_assert_mem_eq(&loss[0], &loss[1], sizeof loss[0]);
    ck_assert_mem_eq(&acc[0], &acc[1], sizeof acc[0]);
    nncl_model_destroy(deferred), nncl_model_destroy(each);
    nncl_dataset_destroy(ds);
}
END_TEST

START_TEST(misuse_is_named)
{
    nncl_context *ctx = nncl_test_context();
    float x[8] = {1, 2, 3, 4, 5, 6, 7, 8}, y[4] = {0, 1, 0, 1};
    nncl_dataset *ds = NULL, *other = NULL;
    ck_assert_int_eq(nncl_dataset_from_arrays(ctx, x, 4, 2, y, NNCL_TARGET_CLASS, &ds), NNCL_OK);
    ck_assert_int_eq(nncl_dataset_from_arrays(ctx, x, 4, 2, y, NNCL_TARGET_CLASS, &other), NNCL_OK);
    nncl_model *m = classifier(ctx, 2, 2), *wide = classifier(ctx, 3, 2);
    nncl_fit_options o = nncl_fit_options_defaults();
    o.validation = other;
    o.validation_fraction = 0.2;
    ASSERT_FAILS(ctx, nncl_model_fit(m, ds, &o, NULL), NNCL_ERR_INVALID_ARG, "not both");
    o = nncl_fit_options_defaults();
    o.validation_fraction = 1.5;
    ASSERT_FAILS(ctx, nncl_model_fit(m, ds, &o, NULL), NNCL_ERR_INVALID_ARG, "validation_fraction 1.5");
    o = nncl_fit_options_defaults();
    o.test = NULL;
    o = nncl_fit_options_defaults();
    o.max_epochs = 1;
    ASSERT_FAILS(ctx, nncl_model_fit(wide, ds, &o, NULL), NNCL_ERR_SHAPE, "the model takes 3 inputs");
    ASSERT_FAILS(NULL, nncl_model_fit(NULL, ds, NULL, NULL), NNCL_ERR_INVALID_ARG, "model and train are required");
    /* A zeroed options struct (size 0) is read as the current layout. */
    nncl_fit_options zeroed;
    memset(&zeroed, 0, sizeof zeroed);
    zeroed.max_epochs = 2;
    nncl_fit_result r;
    ck_assert_int_eq(nncl_model_fit(m, ds, &zeroed, &r), NNCL_OK);
    ck_assert_uint_eq(r.epochs, 2);
    /* Fields past a short size take their defaults: max_epochs 0 (automatic). */
    zeroed.size = offsetof(nncl_fit_options, batch) + sizeof zeroed.batch;
    zeroed.max_epochs = 1;
    ck_assert_int_eq(nncl_model_fit(m, ds, &zeroed, &r), NNCL_OK);
    ck_assert_uint_gt(r.epochs, 1);
    nncl_model_destroy(m);
    nncl_model_destroy(wide);
    nncl_dataset_destroy(ds);
    nncl_dataset_destroy(other);
}
END_TEST

/* Column names, class names and the history travel with the model through
 * a checkpoint; a damaged history or name list is a FORMAT error naming it. */
START_TEST(names_and_history_are_saved)
{
    nncl_context *ctx = nncl_test_context();
    enum { N = 60 };
    /* test: the first 30 rows of ds (blobs draws the rows in order) */
    nncl_dataset *ds = blob_dataset(ctx, N, 9, 0), *test = blob_dataset(ctx, 30, 9, 0);
    nncl_model *m = classifier(ctx, 4, 3);
    const char *cols[4] = {"length, cm", "width \"w\"", "ü", "d"}, *classes[3] = {"setosa", "versicolor", "virginica"};
    ck_assert_int_eq(nncl_model_set_columns(m, cols, 4, "species"), NNCL_OK);
    ck_assert_int_eq(nncl_model_set_class_names(m, classes, 3), NNCL_OK);
    ASSERT_FAILS(ctx, nncl_model_set_columns(m, cols, 3, NULL), NNCL_ERR_SHAPE, "3 names for a model of 4 inputs");
    ASSERT_FAILS(ctx, nncl_model_set_class_names(m, classes, 2), NNCL_ERR_SHAPE, "2 names");
    nncl_fit_options o = nncl_fit_options_defaults();
    o.max_epochs = 3;
    o.test = test;
    o.validation_fraction = 0.2;
    ck_assert_int_eq(nncl_model_fit(m, ds, &o, NULL), NNCL_OK);
    nncl_epoch_record h[8], back[8];
    ck_assert_uint_eq(nncl_model_history(m, h, 8), 3);
    ck_assert(isfinite(h[2].test_loss) && isfinite(h[2].valid_loss) && h[2].lr > 0);
    char path[512];
    snprintf(path, sizeof path, "%s/names.safetensors", nncl_test_tmpdir());
    nncl_train_position pos = {.seed = 42, .epoch = 3};
    ck_assert_int_eq(nncl_model_save_checkpoint(m, path, &pos), NNCL_OK);
    nncl_model *loaded = NULL;
    ck_assert_int_eq(nncl_model_load(ctx, path, &loaded, NULL), NNCL_OK);
    ck_assert_str_eq(nncl_model_feature_name(loaded, 0), "length, cm");
    ck_assert_str_eq(nncl_model_feature_name(loaded, 1), "width \"w\"");
    ck_assert_str_eq(nncl_model_feature_name(loaded, 2), "ü");
    ck_assert_ptr_null(nncl_model_feature_name(loaded, 4));
    ck_assert_str_eq(nncl_model_target_name(loaded), "species");
    ck_assert_str_eq(nncl_model_class_name(loaded, 2), "virginica");
    ck_assert_uint_eq(nncl_model_history(loaded, back, 8), 3);
    for (int i = 0; i < 3; i++) {
        ck_assert_uint_eq(back[i].epoch, h[i].epoch);
        ck_assert_float_eq(back[i].train_loss, h[i].train_loss);
        ck_assert_float_eq(back[i].valid_accuracy, h[i].valid_accuracy);
        ck_assert_float_eq(back[i].test_loss, h[i].test_loss);
        ck_assert_float_eq(back[i].lr, h[i].lr);
        ck_assert_int_eq(back[i].best, h[i].best);
    }
    nncl_model_destroy(loaded);

    /* Damage the metadata, one field at a time. */
    nncl__st_file *f = NULL;
    ck_assert_int_eq(nncl__st_read(NULL, path, &f), NNCL_OK);
    static const char *const bad[][3] = {
        {"history", "0 1 2 3", "\"history\", epoch 1"},
        {"history", "0 1 1 1 1 1 1 1 1 1 7", "\"history\", epoch 1"},
        {"features", "[\"a\", \"b\"]", "2 feature names for 4 inputs"},
        {"features", "{\"a\": 1}", "\"features\" is not a JSON array"},
        {"classes", "[\"a\", 3, \"c\"]", "item 1 is not a string"},
        {"classes", "[\"a\"]", "\"classes\""},
    };
    for (size_t b = 0; b < sizeof bad / sizeof *bad; b++) {
        nncl__st_meta meta[64];
        size_t n_meta = 0;
        for (const char *keys[] = {"format", "inputs", "layers", "loss", "seed", "weight_layout", "features",
                                   "target", "classes", "history", "history_fields", NULL},
                        **k = keys;
             *k; k++) {
            const char *v = nncl__st_meta_get(f, *k);
            if (!strcmp(*k, bad[b][0])) v = bad[b][1];
            if (v) meta[n_meta++] = (nncl__st_meta){*k, v};
        }
        nncl__st_tensor t[4];
        for (size_t i = 0; i < 4; i++) t[i] = *nncl__st_find(f, i == 0 ? "layers.0.weight" : i == 1 ? "layers.0.bias"
                                                                      : i == 2 ? "layers.1.weight" : "layers.1.bias");
        char bad_path[512];
        snprintf(bad_path, sizeof bad_path, "%s/bad%zu.safetensors", nncl_test_tmpdir(), b);
        ck_assert_int_eq(nncl__st_write(NULL, bad_path, t, 4, meta, n_meta), NNCL_OK);
        ASSERT_FAILS(ctx, nncl_model_load(ctx, bad_path, &loaded, NULL), NNCL_ERR_FORMAT, bad[b][2]);
        ck_assert_ptr_null(loaded);
    }
    nncl__st_close(f);
    nncl_model_destroy(m);
    nncl_dataset_destroy(ds);
    nncl_dataset_destroy(test);
}
END_TEST

static void device_cases(Suite *s)
{
    NNCL_TEST_CASE(s, "device", 600, from_arrays_copies_and_checks, defaults_learn_unscaled_tabular_data,
                   early_stopping_keeps_the_best_epoch, cancellation_reports_where_it_stopped,
                   regression_from_arrays, names_and_history_are_saved, regression_targets_are_standardised,
                   resumed_epoch_reports_the_whole_epoch, evaluating_from_a_progress_callback_changes_nothing,
                   deferred_loss_sums_change_nothing,
                   misuse_is_named, bce_refuses_targets_outside_0_1);
}

int main(int argc, char **argv) { return nncl_test_run("fit", NULL, device_cases, argc, argv); }
