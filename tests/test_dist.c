/* SPDX-License-Identifier: MIT */
/* Data-parallel training through the allreduce interface (nncl_communicator)
 * with a test double: N threads of one process, each a "rank" with its own
 * context and model, summing through a barrier in rank order. No MPI: this is
 * what an embedding program's communicator sees. The MPI runs of `nncl train`
 * are tests/dist_mpi.cmake. */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "testutil.h"

#define MAX_RANKS 4

/* The double: every rank posts its buffer, then each sums all of them in
 * rank order (so every rank gets the same bits), then each writes its own. */
typedef struct {
    int ranks;
    pthread_barrier_t barrier;
    float *posted[MAX_RANKS];
    size_t counts[MAX_RANKS];
    long fail_at;    /* every rank fails its call number fail_at (0: never) */
} world;

typedef struct {
    world *w;
    int rank;
    long calls;
} rank_handle;

static nncl_status sum_over_ranks(float *data, size_t count, void *user)
{
    rank_handle *h = user;
    world *w = h->w;
    if (++h->calls == w->fail_at) return NNCL_ERR_COMM;
    w->posted[h->rank] = data;
    w->counts[h->rank] = count;
    pthread_barrier_wait(&w->barrier);
    float *sum = malloc(count * sizeof *sum);
    int same = 1;
    for (int r = 0; r < w->ranks; r++) same &= w->counts[r] == count;
    for (size_t i = 0; sum && same && i < count; i++) {
        float s = 0;
        for (int r = 0; r < w->ranks; r++) s += w->posted[r][i];
        sum[i] = s;
    }
    pthread_barrier_wait(&w->barrier); /* everyone has read every buffer */
    if (sum && same) memcpy(data, sum, count * sizeof *sum);
    free(sum);
    return sum && same ? NNCL_OK : NNCL_ERR_COMM;
}

/* Fixed data: rows of 6 features, 3 classes by a linear rule. */
static void make_data(size_t rows, float *x, float *y)
{
    uint64_t state = 99;
    for (size_t r = 0; r < rows; r++) {
        float s = 0;
        for (int c = 0; c < 6; c++) s += (x[r * 6 + c] = nncl_test_uniform(&state, -1, 1)) * (float)(c - 2);
        y[r] = s < -0.5f ? 0.0f : s < 0.5f ? 1.0f : 2.0f;
    }
}

typedef struct {
    size_t rows, batch;
    int epochs;
    nncl_optimizer_kind optim;
    size_t bucket_floats;
    long fail_at;
} run_spec;

typedef struct {
    const run_spec *spec;
    rank_handle handle;
    nncl_status status;
    char error[512];
    float *params; /* rank 0's final parameters */
    size_t n_params;
    float loss, accuracy, eval_loss, eval_accuracy;
    nncl_comm_stats stats;
} rank_run;

static void *rank_main(void *arg)
{
    rank_run *rr = arg;
    const run_spec *sp = rr->spec;
    nncl_context *ctx = NULL;
    nncl_dataset *ds = NULL;
    nncl_model *m = NULL;
    float *x = malloc(sp->rows * 6 * sizeof *x), *y = malloc(sp->rows * sizeof *y);
    make_data(sp->rows, x, y);
    nncl_layer_spec layers[2] = {{16, NNCL_ACT_RELU}, {3, NNCL_ACT_SOFTMAX}};
    nncl_model_spec spec = nncl_model_spec_defaults();
    spec.inputs = 6, spec.n_layers = 2, spec.layers = layers, spec.loss = NNCL_LOSS_SOFTMAX_CE, spec.seed = 3;
    nncl_optimizer opt = nncl_optimizer_defaults(sp->optim);
    opt.lr = sp->optim == NNCL_OPTIM_SGD ? 0.1f : 0.01f;
    nncl_communicator comm = nncl_communicator_defaults();
    comm.rank = rr->handle.rank, comm.ranks = rr->handle.w->ranks;
    comm.allreduce = sum_over_ranks, comm.user = &rr->handle, comm.bucket_floats = sp->bucket_floats;
    nncl_status st = nncl_context_create(NULL, &ctx);
    if (!st) st = nncl_dataset_from_arrays(ctx, x, sp->rows, 6, y, NNCL_TARGET_CLASS, &ds);
    if (!st) st = nncl_model_create(ctx, &spec, &m);
    if (!st) st = nncl_model_set_optimizer(m, &opt);
    if (!st) st = nncl_model_set_communicator(m, &comm);
    for (int e = 0; !st && e < sp->epochs; e++) {
        nncl_epoch_options eo = nncl_epoch_options_defaults();
        eo.batch = sp->batch, eo.seed = 5, eo.epoch = (uint64_t)e;
        st = nncl_model_train_epoch(m, ds, &eo, &rr->loss, &rr->accuracy, NULL);
    }
    if (!st) st = nncl_model_evaluate_dataset(m, ds, &rr->eval_loss, &rr->eval_accuracy, NULL, 0);
    if (!st) st = nncl_model_comm_stats(m, &rr->stats, 0);
    if (!st) {
        rr->n_params = nncl_model_param_count(m);
        rr->params = malloc(rr->n_params * sizeof *rr->params);
        st = nncl_model_get_params(m, rr->params, rr->n_params);
    }
    rr->status = st;
    snprintf(rr->error, sizeof rr->error, "%s", st ? nncl_last_error(ctx) : "");
    nncl_model_destroy(m);
    nncl_dataset_destroy(ds);
    nncl_context_destroy(ctx);
    free(x);
    free(y);
    return NULL;
}

/* Trains the spec on `ranks` threads; every rank's results in out[]. */
static void run_ranks(const run_spec *sp, int ranks, rank_run *out)
{
    world w = {.ranks = ranks, .fail_at = sp->fail_at};
    pthread_barrier_init(&w.barrier, NULL, (unsigned)ranks);
    pthread_t threads[MAX_RANKS];
    for (int r = 0; r < ranks; r++) {
        memset(&out[r], 0, sizeof out[r]);
        out[r].spec = sp;
        out[r].handle = (rank_handle){&w, r, 0};
        ck_assert_int_eq(pthread_create(&threads[r], NULL, rank_main, &out[r]), 0);
    }
    for (int r = 0; r < ranks; r++) pthread_join(threads[r], NULL);
    pthread_barrier_destroy(&w.barrier);
}

static void free_runs(rank_run *runs, int ranks)
{
    for (int r = 0; r < ranks; r++) free(runs[r].params);
}

static double max_abs_diff(const float *a, const float *b, size_t n)
{
    double worst = 0;
    for (size_t i = 0; i < n; i++) worst = fmax(worst, fabs((double)a[i] - b[i]));
    return worst;
}

static void assert_ok(const rank_run *runs, int ranks)
{
    for (int r = 0; r < ranks; r++)
        ck_assert_msg(runs[r].status == NNCL_OK, "rank %d: %s: %s", r, nncl_status_string(runs[r].status),
                      runs[r].error);
}

/* 2 .. max_ranks ranks, each vs one rank (trained once) on the same global
 * batches: parameters equal within the float32 summation-order bound `tol`;
 * every rank ends identical. */
static void compare_with_one(const run_spec *sp, int max_ranks, double tol)
{
    rank_run one[1];
    run_ranks(sp, 1, one);
    assert_ok(one, 1);
    for (int ranks = 2; ranks <= max_ranks; ranks++) {
        rank_run many[MAX_RANKS];
        run_ranks(sp, ranks, many);
        assert_ok(many, ranks);
        for (int r = 1; r < ranks; r++)
            ck_assert_msg(!memcmp(many[r].params, many[0].params, many[0].n_params * sizeof(float)),
                          "rank %d's parameters differ from rank 0's", r);
        double diff = max_abs_diff(one[0].params, many[0].params, one[0].n_params);
        ck_assert_msg(diff <= tol, "%d ranks vs 1: max |dp| = %g > %g", ranks, diff, tol);
        ck_assert_msg(fabsf(one[0].loss - many[0].loss) <= 1e-4f && fabsf(one[0].accuracy - many[0].accuracy) <= 1e-6f,
                      "training metrics: 1 rank %g %g, %d ranks %g %g", (double)one[0].loss, (double)one[0].accuracy,
                      ranks, (double)many[0].loss, (double)many[0].accuracy);
        ck_assert_msg(fabsf(one[0].eval_loss - many[0].eval_loss) <= 1e-4f &&
                          one[0].eval_accuracy == many[0].eval_accuracy,
                      "evaluation: 1 rank %g %g, %d ranks %g %g", (double)one[0].eval_loss,
                      (double)one[0].eval_accuracy, ranks, (double)many[0].eval_loss, (double)many[0].eval_accuracy);
        ck_assert_uint_eq(many[0].stats.steps, (uint64_t)sp->epochs * ((sp->rows + sp->batch - 1) / sp->batch));
        free_runs(many, ranks);
    }
    free_runs(one, 1);
}

/* 20 Adam steps of 64 rows (640 rows, 2 epochs): 2 ranks of 32 rows each.
 * Every rank scales its rows' gradient by 1/64, as one device does, so the only
 * difference is the order of the float32 sums (two halves of 32 rows, then
 * their sum, instead of 64 rows): gradients agree to a few ulp, and 20 Adam
 * steps of lr 0.01 move a parameter by at most 0.2 whatever the gradient.
 * The bound, 1e-5 (about 100 ulp of weights near 1; measured: 6e-8), leaves
 * room for Adam's division by sqrt(v), which magnifies the relative error
 * of a near-zero gradient. SGD's steps (below) are linear in the gradient:
 * 1e-6 there (measured: 1.5e-8). */
START_TEST(two_ranks_match_one)
{
    run_spec sp = {.rows = 640, .batch = 64, .epochs = 2, .optim = NNCL_OPTIM_ADAM};
    compare_with_one(&sp, 2, 1e-5);
}
END_TEST

/* Twice on 2 ranks: the same bits; and the buckets (many small ones or one
 * after backward) change when the sums are made, not what they are. */
START_TEST(two_ranks_are_deterministic)
{
    run_spec sp = {.rows = 640, .batch = 64, .epochs = 2, .optim = NNCL_OPTIM_ADAM, .bucket_floats = 1};
    rank_run a[2], b[2], c[2];
    run_ranks(&sp, 2, a);
    run_ranks(&sp, 2, b);
    sp.bucket_floats = SIZE_MAX;
    run_ranks(&sp, 2, c);
    assert_ok(a, 2), assert_ok(b, 2), assert_ok(c, 2);
    ck_assert(!memcmp(a[0].params, b[0].params, a[0].n_params * sizeof(float)));
    ck_assert(!memcmp(a[0].params, c[0].params, a[0].n_params * sizeof(float)));
    ck_assert(a[0].loss == b[0].loss && a[0].accuracy == b[0].accuracy);
    /* bucket_floats 1: one bucket per layer (2 layers) per step, plus metrics */
    ck_assert_uint_ge(a[0].stats.allreduces, 2 * a[0].stats.steps);
    ck_assert(a[0].stats.step_seconds >= a[0].stats.allreduce_seconds);
    free_runs(a, 2), free_runs(b, 2), free_runs(c, 2);
}
END_TEST

/* A short last batch: 90 rows in batches of 32 end with 26 rows (13 + 13),
 * 3 ranks split 32 as 10/11/11 and 26 as 8/9/9; each rank divides its
 * rows' loss by the global batch's rows, so SGD's steps are the one-device
 * steps. */
START_TEST(short_last_batch_is_weighted)
{
    run_spec sp = {.rows = 90, .batch = 32, .epochs = 1, .optim = NNCL_OPTIM_SGD};
    compare_with_one(&sp, 3, 1e-6);
}
END_TEST

/* 65 rows in batches of 32: the last batch has one row, so rank 0 of 2 has
 * none and sends zeros; still the one-device step. */
START_TEST(rank_without_rows_takes_part)
{
    run_spec sp = {.rows = 65, .batch = 32, .epochs = 2, .optim = NNCL_OPTIM_SGD};
    compare_with_one(&sp, 2, 1e-6);
}
END_TEST

/* A failing allreduce ends the epoch on every rank with NNCL_ERR_COMM,
 * naming the rank. */
START_TEST(failing_allreduce_is_an_error)
{
    run_spec sp = {.rows = 128, .batch = 32, .epochs = 1, .optim = NNCL_OPTIM_SGD, .fail_at = 3};
    rank_run runs[2];
    run_ranks(&sp, 2, runs);
    for (int r = 0; r < 2; r++) {
        ck_assert_int_eq(runs[r].status, NNCL_ERR_COMM);
        char want[32];
        snprintf(want, sizeof want, "rank %d of 2", r);
        ck_assert_msg(strstr(runs[r].error, want), "%s", runs[r].error);
    }
    free_runs(runs, 2);
}
END_TEST

START_TEST(communicator_misuse)
{
    nncl_context *ctx = nncl_test_context();
    nncl_layer_spec layers[1] = {{2, NNCL_ACT_SOFTMAX}};
    nncl_model_spec spec = nncl_model_spec_defaults();
    spec.inputs = 3, spec.n_layers = 1, spec.layers = layers, spec.loss = NNCL_LOSS_SOFTMAX_CE;
    nncl_model *m;
    ck_assert_int_eq(nncl_model_create(ctx, &spec, &m), NNCL_OK);
    nncl_communicator c = nncl_communicator_defaults();
    ck_assert_int_eq(c.ranks, 1);
    c.ranks = 2;
    ASSERT_FAILS(ctx, nncl_model_set_communicator(m, &c), NNCL_ERR_INVALID_ARG, "need an allreduce");
    c.allreduce = sum_over_ranks, c.rank = 2;
    ASSERT_FAILS(ctx, nncl_model_set_communicator(m, &c), NNCL_ERR_INVALID_ARG, "rank 2 of 2");
    ck_assert_int_eq(nncl_model_set_communicator(m, NULL), NNCL_OK);
    nncl_comm_stats s;
    ck_assert_int_eq(nncl_model_comm_stats(m, &s, 1), NNCL_OK);
    ck_assert_uint_eq(s.steps, 0);
    nncl_model_destroy(m);
}
END_TEST

static void device_cases(Suite *s)
{
    NNCL_TEST_CASE(s, "ranks", 240, two_ranks_match_one, two_ranks_are_deterministic, short_last_batch_is_weighted,
                   rank_without_rows_takes_part, failing_allreduce_is_an_error, communicator_misuse);
}

int main(int argc, char **argv) { return nncl_test_run("dist", NULL, device_cases, argc, argv); }
