/* SPDX-License-Identifier: MIT */
/* Every kernel on small shapes, for Oclgrind (--data-races --check-api):
 * GEMM in every layout through both families (register tiles with B packed
 * and A transposed, register tiles direct, local-memory tiles) on shapes
 * with edge tiles, then a training epoch, a train step, evaluation and
 * prediction of small models (every activation, loss and optimizer, float
 * and byte data). The program checks that each kernel ran at least once;
 * Oclgrind checks each launch. Run by CTest as
 *   oclgrind --data-races --check-api build/tests/oclgrind_kernels
 * (label oclgrind); it runs on any device as well. */
#include "nncl/nncl.h"
#include "nncl/nncl_cl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHECK(ctx, call)                                                                      \
    do {                                                                                      \
        nncl_status st_ = (call);                                                             \
        if (st_ != NNCL_OK) {                                                                 \
            fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call, nncl_last_error(ctx)); \
            exit(1);                                                                          \
        }                                                                                     \
    } while (0)

static float *random_floats(size_t n, unsigned seed)
{
    float *v = malloc(n * sizeof *v);
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        v[i] = (float)(seed >> 8) / (float)(1u << 24) * 2.0f - 1.0f;
    }
    return v;
}

static nncl_tensor *tensor(nncl_context *ctx, size_t rows, size_t cols, unsigned seed)
{
    nncl_tensor *t = NULL;
    CHECK(ctx, nncl_tensor_create(ctx, rows, cols, &t));
    float *v = random_floats(rows * cols, seed);
    CHECK(ctx, nncl_tensor_upload(t, v, rows * cols));
    free(v);
    return t;
}

/* C = op(A)·op(B) in all four layouts; M, N, K not multiples of any tile. */
static void gemms(nncl_context *ctx)
{
    static const size_t shapes[][3] = {{1, 1, 1}, {5, 7, 3}, {17, 9, 13}, {33, 20, 8}};
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++) {
                size_t M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
                nncl_tensor *A = ta ? tensor(ctx, K, M, 1) : tensor(ctx, M, K, 1);
                nncl_tensor *B = tb ? tensor(ctx, N, K, 2) : tensor(ctx, K, N, 2);
                nncl_tensor *C = tensor(ctx, M, N, 3);
                CHECK(ctx, nncl_gemm(ctx, ta, tb, 1.0f, A, B, 0.5f, C));
                nncl_tensor_destroy(A), nncl_tensor_destroy(B), nncl_tensor_destroy(C);
            }
    nncl_tensor *F = tensor(ctx, 3, 5, 4);
    CHECK(ctx, nncl_tensor_fill(F, 2.0f));
    /* the interop backward (the model fuses it into its GEMMs) */
    nncl_tensor *dY = tensor(ctx, 7, 5, 5), *Y = tensor(ctx, 7, 5, 6), *db = tensor(ctx, 1, 5, 7);
    nncl_cl_sync sync = nncl_cl_sync_defaults();
    CHECK(ctx, nncl_cl_activation_backward(ctx, dY, Y, NNCL_ACT_TANH, db, &sync));
    nncl_tensor_destroy(F), nncl_tensor_destroy(dY), nncl_tensor_destroy(Y), nncl_tensor_destroy(db);
    CHECK(ctx, nncl_context_finish(ctx));
}

/* Small models: one per loss, every activation and optimizer among them;
 * an epoch on float data, one on byte data, a step, evaluation, prediction. */
static void models(nncl_context *ctx)
{
    enum { ROWS = 19, COLS = 5 };
    static const nncl_layer_spec nets[][2] = {
        {{6, NNCL_ACT_RELU}, {3, NNCL_ACT_SOFTMAX}},
        {{7, NNCL_ACT_TANH}, {1, NNCL_ACT_SIGMOID}},
        {{4, NNCL_ACT_LEAKY_RELU}, {2, NNCL_ACT_IDENTITY}},
        {{5, NNCL_ACT_SIGMOID}, {3, NNCL_ACT_SOFTMAX}},
    };
    static const nncl_loss losses[] = {NNCL_LOSS_SOFTMAX_CE, NNCL_LOSS_BCE, NNCL_LOSS_MSE, NNCL_LOSS_SOFTMAX_CE};
    float *x = random_floats(ROWS * COLS, 7);
    unsigned char bytes[ROWS * COLS];
    for (size_t i = 0; i < sizeof bytes; i++) bytes[i] = (unsigned char)(i * 37);
    for (size_t n = 0; n < sizeof nets / sizeof *nets; n++) {
        size_t outputs = nets[n][1].units;
        int classes = losses[n] == NNCL_LOSS_SOFTMAX_CE;
        float y[ROWS], *ym = random_floats(ROWS * outputs, 9);
        for (int r = 0; r < ROWS; r++) y[r] = classes ? (float)(r % 3) : (float)(r % 2);
        nncl_model_spec spec = nncl_model_spec_defaults();
        spec.inputs = COLS, spec.n_layers = 2, spec.layers = nets[n], spec.loss = losses[n];
        nncl_model *m = NULL;
        CHECK(ctx, nncl_model_create(ctx, &spec, &m));
        nncl_optimizer o = nncl_optimizer_defaults((nncl_optimizer_kind)(n % 5));
        CHECK(ctx, nncl_model_set_optimizer(m, &o));
        nncl_tensor *X = tensor(ctx, ROWS, COLS, 11), *out = NULL;
        nncl_tensor *Y = NULL;
        CHECK(ctx, nncl_tensor_create(ctx, ROWS, losses[n] == NNCL_LOSS_MSE ? outputs : 1, &Y));
        CHECK(ctx, nncl_tensor_upload(Y, losses[n] == NNCL_LOSS_MSE ? ym : y,
                                      ROWS * (losses[n] == NNCL_LOSS_MSE ? outputs : 1)));
        CHECK(ctx, nncl_tensor_create(ctx, ROWS, outputs, &out));
        CHECK(ctx, nncl_model_train_step(m, X, Y));
        float loss, accuracy;
        CHECK(ctx, nncl_model_evaluate(m, X, Y, &loss, &accuracy));
        CHECK(ctx, nncl_model_predict(m, X, out));
        if (losses[n] != NNCL_LOSS_MSE) {
            nncl_target_kind kind = classes ? NNCL_TARGET_CLASS : NNCL_TARGET_VALUE;
            nncl_dataset *ds = NULL;
            CHECK(ctx, nncl_dataset_from_arrays(ctx, x, ROWS, COLS, y, kind, &ds));
            CHECK(ctx, nncl_model_standardize(m, ds));
            nncl_epoch_options eo = nncl_epoch_options_defaults();
            eo.batch = 8;
            CHECK(ctx, nncl_model_train_epoch(m, ds, &eo, &loss, &accuracy, NULL));
            nncl_dataset_destroy(ds);
        }
        nncl_tensor_destroy(X), nncl_tensor_destroy(Y), nncl_tensor_destroy(out);
        nncl_model_destroy(m);
        free(ym);
    }
    /* three layers, the hidden ones wider than a vector (8 floats here) and
     * narrower than a tile (16), so that every product packs B: the output
     * layer and the one below it in one loss_head launch, the three
     * weight gradients in one gemm_tp_group launch */
    static const nncl_layer_spec deep[] = {{12, NNCL_ACT_RELU}, {10, NNCL_ACT_TANH}, {3, NNCL_ACT_SOFTMAX}};
    nncl_model_spec deep_spec = nncl_model_spec_defaults();
    deep_spec.inputs = COLS, deep_spec.n_layers = 3, deep_spec.layers = deep, deep_spec.loss = NNCL_LOSS_SOFTMAX_CE;
    nncl_model *dm = NULL;
    CHECK(ctx, nncl_model_create(ctx, &deep_spec, &dm));
    nncl_tensor *DX = tensor(ctx, ROWS, COLS, 12), *DY = NULL;
    float dy[ROWS];
    for (int r = 0; r < ROWS; r++) dy[r] = (float)(r % 3);
    CHECK(ctx, nncl_tensor_create(ctx, ROWS, 1, &DY));
    CHECK(ctx, nncl_tensor_upload(DY, dy, ROWS));
    CHECK(ctx, nncl_model_train_step(dm, DX, DY));
    nncl_tensor_destroy(DX), nncl_tensor_destroy(DY);
    nncl_model_destroy(dm);
    free(x);
    /* byte data (gather_u8): an IDX pair of 19 images of 5 pixels */
    const char *dir = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char images[512], labels[512];
    snprintf(images, sizeof images, "%s/oclgrind-%ld-images.idx", dir, (long)getpid());
    snprintf(labels, sizeof labels, "%s/oclgrind-%ld-labels.idx", dir, (long)getpid());
    FILE *f = fopen(images, "wb");
    const unsigned char ih[] = {0, 0, 8, 3, 0, 0, 0, ROWS, 0, 0, 0, 1, 0, 0, 0, COLS};
    fwrite(ih, 1, sizeof ih, f), fwrite(bytes, 1, sizeof bytes, f), fclose(f);
    f = fopen(labels, "wb");
    const unsigned char lh[] = {0, 0, 8, 1, 0, 0, 0, ROWS};
    unsigned char lb[ROWS];
    for (int r = 0; r < ROWS; r++) lb[r] = (unsigned char)(r % 3);
    fwrite(lh, 1, sizeof lh, f), fwrite(lb, 1, sizeof lb, f), fclose(f);
    nncl_dataset *ds = NULL;
    CHECK(ctx, nncl_dataset_load_idx(ctx, images, labels, &ds));
    remove(images), remove(labels);
    nncl_model_spec spec = nncl_model_spec_defaults();
    spec.inputs = COLS, spec.n_layers = 2, spec.layers = nets[0], spec.loss = NNCL_LOSS_SOFTMAX_CE;
    nncl_model *m = NULL;
    CHECK(ctx, nncl_model_create(ctx, &spec, &m));
    nncl_epoch_options eo = nncl_epoch_options_defaults();
    eo.batch = 8;
    float loss, accuracy;
    CHECK(ctx, nncl_model_train_epoch(m, ds, &eo, &loss, &accuracy, NULL));
    nncl_model_destroy(m);
    nncl_dataset_destroy(ds);
    CHECK(ctx, nncl_context_finish(ctx));
}

int main(void)
{
    /* The GEMM paths: packed B and transposed A; direct; local memory. */
    static const char *const paths[][3] = {{"register", "transpose", "1"},
                                           {"register", "direct", "100000"},
                                           {"local", "direct", "100000"}};
    uint64_t launched[64] = {0};
    const char *names[64] = {0};
    size_t n_kernels = 0;
    for (size_t p = 0; p < sizeof paths / sizeof *paths; p++) {
        setenv("NNCL_GEMM_KERNEL", paths[p][0], 1);
        setenv("NNCL_GEMM_TN", paths[p][1], 1);
        setenv("NNCL_GEMM_PACK_MIN_M", paths[p][2], 1);
        nncl_context_options co = nncl_context_options_defaults();
        co.profile = 1;
        nncl_context *ctx = NULL;
        CHECK(NULL, nncl_context_create(&co, &ctx));
        fprintf(stderr, "GEMM %s, A %s, pack from %s rows: tiles %s\n", paths[p][0], paths[p][1], paths[p][2],
                nncl_context_tiles(ctx));
        gemms(ctx);
        models(ctx);
        nncl_kernel_time times[64];
        size_t n = nncl_context_kernel_times(ctx, times, 64, 0);
        for (size_t i = 0; i < n && i < 64; i++) {
            size_t k = 0;
            while (k < n_kernels && strcmp(names[k], times[i].kernel)) k++;
            if (k == n_kernels) names[n_kernels++] = times[i].kernel;
            launched[k] += times[i].launches;
        }
        nncl_context_destroy(ctx);
    }
    static const char *const every[] = {"gemm_nn", "gemm_np", "gemm_tn", "gemm_tp", "gemm_local", "pack_b",
                                        "gemm_np_narrow", "gemm_tp_narrow", "pack_b_narrow", "pack_b_many",
                                        "transpose", "fill", "act_forward", "act_backward_bias", "softmax_ce",
                                        "elementwise_loss", "sum_accumulate", "optim_update", "gather_u8", "gather_f32",
                                        "check_finite", "loss_head", "gemm_tp_group"};
    int missing = 0;
    for (size_t e = 0; e < sizeof every / sizeof *every; e++) {
        size_t k = 0;
        while (k < n_kernels && strcmp(names[k], every[e])) k++;
        if (k == n_kernels) {
            fprintf(stderr, "kernel %s never ran\n", every[e]);
            missing = 1;
        }
    }
    for (size_t k = 0; k < n_kernels; k++) fprintf(stderr, "%-20s %llu launches\n", names[k], (unsigned long long)launched[k]);
    return missing;
}
