/* SPDX-License-Identifier: MIT */
/* The core engine: devices, contexts, tensors, GEMM and the dense forward op
 * against a double-precision reference, the tutorial's two numbers, and the
 * status and message of every kind of bad input. */
#include "core/core.h"
#include "ops/ops.h"
#include "reference.h"
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* One GEMM case on ctx's kernels: a layout, alpha/beta, checked against ref_gemm. */
static void check_gemm(nncl_context *ctx, int ta, int tb, size_t M, size_t N, size_t K, float alpha, float beta)
{
    float *A = nncl_test_random(M * K, M * 7 + K, -1.0f, 1.0f),
          *B = nncl_test_random(K * N, N * 13 + K, -1.0f, 1.0f),
          *C0 = nncl_test_random(M * N, M + N, -1.0f, 1.0f), *got = malloc(M * N * sizeof(float));
    double *want = malloc(M * N * sizeof(double));
    nncl_tensor *tA = nncl_test_tensor(ctx, ta ? K : M, ta ? M : K, A), *tB = nncl_test_tensor(ctx, tb ? N : K, tb ? K : N, B),
                *tC = nncl_test_tensor(ctx, M, N, C0);
    nncl_status st = nncl_gemm(ctx, ta, tb, alpha, tA, tB, beta, tC);
    ck_assert_msg(st == NNCL_OK, "gemm: %s", nncl_last_error(ctx));
    ck_assert_int_eq(nncl_tensor_download(tC, got, M * N), NNCL_OK);
    ref_gemm(ta, tb, M, N, K, alpha, A, B, beta, C0, NULL, 0, want);
    char what[96];
    snprintf(what, sizeof what, "gemm %s%s %zux%zux%zu", ta ? "T" : "N", tb ? "T" : "N", M, N, K);
    nncl_test_assert_close(got, want, M * N, 1e-5 * (K > 100 ? 10 : 1), what);
    nncl_tensor_destroy(tA), nncl_tensor_destroy(tB), nncl_tensor_destroy(tC);
    free(A), free(B), free(C0), free(got), free(want);
}

static const size_t shapes[][3] = {{1, 1, 1},   {7, 13, 5},   {1, 17, 33},  {33, 1, 9},
                                   {16, 16, 16}, {19, 35, 64}, {128, 10, 128}, {5, 257, 3}};

START_TEST(gemm_all_layouts_random_shapes)
{
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
        for (int layout = 0; layout < 3; layout++) {
            int ta = layout == 1, tb = layout == 2;
            check_gemm(nncl_test_context(), ta, tb, shapes[s][0], shapes[s][1], shapes[s][2], 1.0f, 0.0f);
            check_gemm(nncl_test_context(), ta, tb, shapes[s][0], shapes[s][1], shapes[s][2], 0.5f, -2.0f);
        }
}
END_TEST

START_TEST(gemm_large_mnist_shape)
{
    check_gemm(nncl_test_context(), 0, 0, 1000, 256, 784, 1.0f, 0.0f);
    check_gemm(nncl_test_context(), 1, 0, 784, 256, 1000, 1.0f, 0.0f);
    check_gemm(nncl_test_context(), 0, 1, 1000, 784, 256, 1.0f, 0.0f);
}
END_TEST

static void check_dense(nncl_context *ctx, size_t batch, size_t in, size_t out, int act, int with_bias)
{
    float *X = nncl_test_random(batch * in, batch + 3 * in, -1.0f, 1.0f),
          *W = nncl_test_random(in * out, out + in, -1.0f, 1.0f),
          *b = nncl_test_random(out, out * 5, -1.0f, 1.0f), *got = malloc(batch * out * sizeof(float));
    double *want = malloc(batch * out * sizeof(double));
    nncl_tensor *tX = nncl_test_tensor(ctx, batch, in, X), *tW = nncl_test_tensor(ctx, in, out, W),
                *tb = with_bias ? nncl_test_tensor(ctx, 1, out, b) : NULL, *tY = nncl_test_tensor(ctx, batch, out, NULL);
    nncl_status st = nncl_dense_forward(ctx, tX, tW, tb, (nncl_activation)act, tY);
    ck_assert_msg(st == NNCL_OK, "dense: %s", nncl_last_error(ctx));
    ck_assert_int_eq(nncl_tensor_download(tY, got, batch * out), NNCL_OK);
    ref_gemm(0, 0, batch, out, in, 1.0, X, W, 0.0, NULL, with_bias ? b : NULL, act, want);
    char what[96];
    snprintf(what, sizeof what, "dense act %d %zux%zux%zu", act, batch, in, out);
    nncl_test_assert_close(got, want, batch * out, 1e-5 * (in > 100 ? 10 : 1), what);
    nncl_tensor_destroy(tX), nncl_tensor_destroy(tW), nncl_tensor_destroy(tb), nncl_tensor_destroy(tY);
    free(X), free(W), free(b), free(got), free(want);
}

START_TEST(dense_forward_every_activation)
{
    for (int act = 0; act <= 4; act++) {
        check_dense(nncl_test_context(), 1, 1, 1, act, 1);
        check_dense(nncl_test_context(), 7, 13, 5, act, 1);
        check_dense(nncl_test_context(), 1, 784, 256, act, 1);
        check_dense(nncl_test_context(), 31, 20, 17, act, 0);
    }
    check_dense(nncl_test_context(), 1000, 784, 256, NNCL_ACT_RELU, 1);
}
END_TEST

START_TEST(tutorial_prediction)
{
    nncl_context *ctx = nncl_test_context();
    const float x[4] = {1.66f, 1.56f, 2.0f, 1.5f}, w[2] = {1.45f, -0.66f}, b[1] = {0.0f};
    nncl_tensor *X = nncl_test_tensor(ctx, 2, 2, x), *W = nncl_test_tensor(ctx, 2, 1, w), *B = nncl_test_tensor(ctx, 1, 1, b),
                *Y = nncl_test_tensor(ctx, 2, 1, NULL);
    ck_assert_int_eq(nncl_dense_forward(ctx, X, W, B, NNCL_ACT_SIGMOID, Y), NNCL_OK);
    float y[2];
    ck_assert_int_eq(nncl_tensor_download(Y, y, 2), NNCL_OK);
    ck_assert_double_eq_tol(y[0], 0.7985731, 1e-6);
    ck_assert_double_eq_tol(y[1], 0.87101915, 1e-6);
    nncl_tensor_destroy(X), nncl_tensor_destroy(W), nncl_tensor_destroy(B), nncl_tensor_destroy(Y);
}
END_TEST

START_TEST(sigmoid_extremes_stay_finite)
{
    nncl_context *ctx = nncl_test_context();
    const float x[4] = {-200.0f, -90.0f, 90.0f, 200.0f}, w[1] = {1.0f};
    nncl_tensor *X = nncl_test_tensor(ctx, 4, 1, x), *W = nncl_test_tensor(ctx, 1, 1, w), *Y = nncl_test_tensor(ctx, 4, 1, NULL);
    ck_assert_int_eq(nncl_dense_forward(ctx, X, W, NULL, NNCL_ACT_SIGMOID, Y), NNCL_OK);
    float y[4];
    ck_assert_int_eq(nncl_tensor_download(Y, y, 4), NNCL_OK);
    ck_assert_float_eq(y[0], 0.0f);
    ck_assert_float_eq(y[3], 1.0f);
    ck_assert(y[1] >= 0.0f && y[2] <= 1.0f);
    nncl_tensor_destroy(X), nncl_tensor_destroy(W), nncl_tensor_destroy(Y);
}
END_TEST

START_TEST(tensor_round_trip_and_fill)
{
    nncl_context *ctx = nncl_test_context();
    float data[35], back[35];
    nncl_test_fill_uniform(data, 35, 1, -5, 5);
    nncl_tensor *t = nncl_test_tensor(ctx, 5, 7, data);
    ck_assert_uint_eq(nncl_tensor_rows(t), 5);
    ck_assert_uint_eq(nncl_tensor_cols(t), 7);
    ck_assert_int_eq(nncl_tensor_download(t, back, 35), NNCL_OK);
    ck_assert_mem_eq(data, back, sizeof data);
    ck_assert_int_eq(nncl_tensor_fill(t, 2.5f), NNCL_OK);
    ck_assert_int_eq(nncl_tensor_download(t, back, 35), NNCL_OK);
    for (int i = 0; i < 35; i++) ck_assert_float_eq(back[i], 2.5f);
    nncl_tensor_destroy(t);
}
END_TEST

/* Reads ctx's device memory count. */
static void memory(const nncl_context *ctx, size_t *current, size_t *peak)
{
    ck_assert_int_eq(nncl_context_memory(ctx, current, peak), NNCL_OK);
}

/* A context counts the device memory of its buffers: a tensor adds exactly
 * its bytes and gives them back on destroy, the peak keeps the most, the
 * scratch buffer of an NT product is counted too, and a reset brings the
 * peak down to what is allocated. */
START_TEST(context_counts_device_memory)
{
    nncl_context *ctx = NULL;
    ck_assert_int_eq(nncl_context_create(NULL, &ctx), NNCL_OK);
    size_t current = 1, peak = 1;
    memory(ctx, &current, &peak);
    ck_assert_uint_eq(current, 0);
    ck_assert_uint_eq(peak, 0);
    nncl_tensor *a = NULL, *b = NULL;
    ck_assert_int_eq(nncl_tensor_create(ctx, 5, 7, &a), NNCL_OK);
    memory(ctx, &current, &peak);
    ck_assert_uint_eq(current, 5 * 7 * sizeof(float));
    ck_assert_uint_eq(peak, 5 * 7 * sizeof(float));
    ck_assert_int_eq(nncl_tensor_create(ctx, 300, 11, &b), NNCL_OK);
    memory(ctx, &current, &peak);
    ck_assert_uint_eq(current, (5 * 7 + 300 * 11) * sizeof(float));
    ck_assert_uint_eq(peak, current);
    nncl_tensor_destroy(b);
    memory(ctx, &current, &peak);
    ck_assert_uint_eq(current, 5 * 7 * sizeof(float));
    ck_assert_uint_eq(peak, (5 * 7 + 300 * 11) * sizeof(float));
    /* A failed allocation counts nothing. */
    ck_assert_int_eq(nncl_tensor_create(ctx, (size_t)1 << 40, 1 << 20, &b), NNCL_ERR_OUT_OF_MEMORY);
    memory(ctx, &current, NULL);
    ck_assert_uint_eq(current, 5 * 7 * sizeof(float));
    nncl_tensor_destroy(a);
    memory(ctx, &current, &peak);
    ck_assert_uint_eq(current, 0);
    ck_assert_uint_eq(peak, (5 * 7 + 300 * 11) * sizeof(float));

    /* NT transposes B into the context's scratch buffer, which stays. */
    nncl_tensor *A = nncl_test_tensor(ctx, 70, 9, NULL), *B = nncl_test_tensor(ctx, 13, 9, NULL),
                *C = nncl_test_tensor(ctx, 70, 13, NULL);
    ck_assert_int_eq(nncl_tensor_fill(A, 1.0f), NNCL_OK);
    ck_assert_int_eq(nncl_tensor_fill(B, 1.0f), NNCL_OK);
    ck_assert_int_eq(nncl_gemm(ctx, 0, 1, 1.0f, A, B, 0.0f, C), NNCL_OK);
    ck_assert_uint_gt(ctx->scratch_bytes, 0);
    nncl_tensor_destroy(A), nncl_tensor_destroy(B), nncl_tensor_destroy(C);
    memory(ctx, &current, &peak);
    ck_assert_uint_eq(current, ctx->scratch_bytes);
    ck_assert_uint_ge(peak, (70 * 9 + 13 * 9 + 70 * 13) * sizeof(float) + ctx->scratch_bytes);
    ck_assert_int_eq(nncl_context_reset_memory_peak(ctx), NNCL_OK);
    memory(ctx, &current, &peak);
    ck_assert_uint_eq(peak, current);
    /* Releasing the scratch gives its bytes back; the next product makes it
     * again, and a product that outgrows it counts old and new at once. */
    size_t small = ctx->scratch_bytes;
    ck_assert_int_eq(nncl_context_release_scratch(ctx), NNCL_OK);
    memory(ctx, &current, NULL);
    ck_assert_uint_eq(current, 0);
    A = nncl_test_tensor(ctx, 70, 9, NULL), B = nncl_test_tensor(ctx, 13, 9, NULL), C = nncl_test_tensor(ctx, 70, 13, NULL);
    nncl_tensor *B2 = nncl_test_tensor(ctx, 130, 9, NULL), *C2 = nncl_test_tensor(ctx, 70, 130, NULL);
    ck_assert_int_eq(nncl_gemm(ctx, 0, 1, 1.0f, A, B, 0.0f, C), NNCL_OK);
    ck_assert_uint_eq(ctx->scratch_bytes, small);
    ck_assert_int_eq(nncl_context_reset_memory_peak(ctx), NNCL_OK);
    ck_assert_int_eq(nncl_gemm(ctx, 0, 1, 1.0f, A, B2, 0.0f, C2), NNCL_OK);
    ck_assert_uint_gt(ctx->scratch_bytes, small);
    size_t tensors = (70 * 9 + 13 * 9 + 70 * 13 + 130 * 9 + 70 * 130) * sizeof(float);
    memory(ctx, &current, &peak);
    ck_assert_uint_eq(current, tensors + ctx->scratch_bytes);
    ck_assert_uint_eq(peak, tensors + small + ctx->scratch_bytes);
    nncl_tensor_destroy(A), nncl_tensor_destroy(B), nncl_tensor_destroy(C);
    nncl_tensor_destroy(B2), nncl_tensor_destroy(C2);
    ASSERT_FAILS(NULL, nncl_context_release_scratch(NULL), NNCL_ERR_INVALID_ARG, "ctx is NULL");
    ASSERT_FAILS(NULL, nncl_context_memory(NULL, &current, &peak), NNCL_ERR_INVALID_ARG, "ctx is NULL");
    ASSERT_FAILS(NULL, nncl_context_reset_memory_peak(NULL), NNCL_ERR_INVALID_ARG, "ctx is NULL");
    nncl_context_destroy(ctx);
}
END_TEST

START_TEST(bad_inputs_have_status_and_message)
{
    nncl_context *ctx = nncl_test_context();
    nncl_tensor *t = NULL, *X = nncl_test_tensor(ctx, 4, 3, NULL), *W = nncl_test_tensor(ctx, 2, 5, NULL),
                *Y = nncl_test_tensor(ctx, 4, 5, NULL), *b = nncl_test_tensor(ctx, 1, 4, NULL);
    float buf[12] = {0};
    ASSERT_FAILS(ctx, nncl_tensor_create(ctx, 0, 3, &t), NNCL_ERR_SHAPE, "zero-sized");
    ck_assert_ptr_null(t);
    ASSERT_FAILS(ctx, nncl_tensor_create(ctx, 3, 0, &t), NNCL_ERR_SHAPE, "3x0");
    ASSERT_FAILS(ctx, nncl_tensor_create(ctx, 3, 3, NULL), NNCL_ERR_INVALID_ARG, "out is NULL");
    ASSERT_FAILS(NULL, nncl_tensor_create(NULL, 3, 3, &t), NNCL_ERR_INVALID_ARG, "ctx is NULL");
    ASSERT_FAILS(ctx, nncl_tensor_create(ctx, (size_t)1 << 40, 1 << 20, &t), NNCL_ERR_OUT_OF_MEMORY,
                 "bytes");
    ASSERT_FAILS(ctx, nncl_tensor_upload(X, NULL, 12), NNCL_ERR_INVALID_ARG, "NULL");
    ASSERT_FAILS(ctx, nncl_tensor_upload(X, buf, 11), NNCL_ERR_SHAPE, "4x3");
    ASSERT_FAILS(ctx, nncl_tensor_download(X, buf, 13), NNCL_ERR_SHAPE, "13 floats");
    ASSERT_FAILS(NULL, nncl_tensor_upload(NULL, buf, 12), NNCL_ERR_INVALID_ARG, "tensor is NULL");
    ASSERT_FAILS(ctx, nncl_dense_forward(ctx, X, W, NULL, NNCL_ACT_RELU, Y), NNCL_ERR_SHAPE,
                 "X is 4x3, W 2x5");
    ASSERT_FAILS(ctx, nncl_dense_forward(ctx, X, NULL, NULL, NNCL_ACT_RELU, Y),
                 NNCL_ERR_INVALID_ARG, "W is NULL");
    ASSERT_FAILS(ctx, nncl_dense_forward(ctx, X, W, NULL, NNCL_ACT_SOFTMAX, Y),
                 NNCL_ERR_INVALID_ARG, "activation 5");
    ASSERT_FAILS(ctx, nncl_dense_forward(ctx, X, W, NULL, (nncl_activation)42, Y),
                 NNCL_ERR_INVALID_ARG, "activation 42");
    ASSERT_FAILS(ctx, nncl_gemm(ctx, 0, 0, 1.0f, X, W, 0.0f, Y), NNCL_ERR_SHAPE, "op(A) is 4x3");
    ASSERT_FAILS(ctx, nncl_gemm(ctx, 1, 0, 1.0f, X, b, 0.0f, Y), NNCL_ERR_SHAPE, "op(B) is 1x4");
    nncl_tensor *C3 = nncl_test_tensor(ctx, 3, 3, NULL);
    ASSERT_FAILS(ctx, nncl_gemm(ctx, 1, 0, NAN, X, X, 0.0f, C3), NNCL_ERR_NUMERIC, "NaN");
    ASSERT_FAILS(ctx, nncl_gemm(ctx, 0, 0, 1.0f, C3, C3, 0.0f, C3), NNCL_ERR_INVALID_ARG, "shares memory");
    nncl_tensor_destroy(C3);
    nncl_activation act;
    ASSERT_FAILS(NULL, nncl_activation_parse("swish", &act), NNCL_ERR_INVALID_ARG, "swish");
    ck_assert_int_eq(nncl_activation_parse("leaky_relu", &act), NNCL_OK);
    ck_assert_int_eq(act, NNCL_ACT_LEAKY_RELU);
    nncl_tensor_destroy(NULL); /* harmless */
    nncl_context_destroy(NULL);
    nncl_tensor_destroy(X), nncl_tensor_destroy(W), nncl_tensor_destroy(Y), nncl_tensor_destroy(b);
}
END_TEST

START_TEST(unknown_device_is_a_clear_error)
{
    nncl_context *ctx = (nncl_context *)1;
    nncl_context_options opt = {.device = "no-such-device-xyz"};
    ASSERT_FAILS(NULL, nncl_context_create(&opt, &ctx), NNCL_ERR_NO_DEVICE, "no-such-device-xyz");
    ck_assert_ptr_null(ctx);
    ck_assert_ptr_nonnull(strstr(nncl_last_error(NULL), "nncl devices"));
    int index;
    ASSERT_FAILS(NULL, nncl_device_select("99", &index), NNCL_ERR_NO_DEVICE, "matches no");
    nncl_device_info info;
    ASSERT_FAILS(NULL, nncl_device_get_info(-1, &info), NNCL_ERR_INVALID_ARG, "out of range");
    ASSERT_FAILS(NULL, nncl_device_count(NULL), NNCL_ERR_INVALID_ARG, "NULL");
    opt.device = "cpu";
    if (nncl_device_select("cpu", &index) == NNCL_OK) {
        ck_assert_int_eq(nncl_context_create(&opt, &ctx), NNCL_OK);
        ck_assert_int_eq(nncl_context_device(ctx, &info), NNCL_OK);
        ck_assert_int_eq(info.type, NNCL_DEVICE_CPU);
        nncl_context_destroy(ctx);
    }
}
END_TEST

START_TEST(device_listing)
{
    int count = 0;
    ck_assert_int_eq(nncl_device_count(&count), NNCL_OK);
    ck_assert_int_ge(count, 1);
    for (int i = 0; i < count; i++) {
        nncl_device_info info;
        ck_assert_int_eq(nncl_device_get_info(i, &info), NNCL_OK);
        ck_assert_int_eq(info.index, i);
        ck_assert(strlen(info.name) > 0);
        ck_assert(info.compute_units > 0 && info.global_mem_bytes > 0);
        ck_assert_ptr_nonnull(strstr(info.opencl_c_version, "OpenCL C"));
    }
}
END_TEST

START_TEST(broken_kernel_folder_reports_build_log)
{
    char dir[256], path[300];
    snprintf(dir, sizeof dir, "%s/badkernels", nncl_test_tmpdir());
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    /* Every kernel file exists, one holds a syntax error. */
    for (size_t i = 0; i < nncl__kernel_source_count; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, nncl__kernel_sources[i].name);
        FILE *f = fopen(path, "w");
        ck_assert_ptr_nonnull(f);
        fputs(i == 0 ? "__kernel void broken(void) { this is not C; }\n" : "\n", f);
        fclose(f);
    }
    nncl_context_options opt = {.kernel_dir = dir};
    nncl_context *ctx = NULL;
    ASSERT_FAILS(NULL, nncl_context_create(&opt, &ctx), NNCL_ERR_BUILD, "error");
    ck_assert_ptr_null(ctx);
    opt.kernel_dir = "/nonexistent-kernel-dir";
    ASSERT_FAILS(NULL, nncl_context_create(&opt, &ctx), NNCL_ERR_IO, "/nonexistent-kernel-dir");
    /* The size rule: a size larger than the library knows (a newer header)
     * reads the known fields; a size that ends before kernel_dir (an older
     * header) leaves it at its default, the embedded kernels. */
    opt.size = sizeof opt + 64;
    ASSERT_FAILS(NULL, nncl_context_create(&opt, &ctx), NNCL_ERR_IO, "/nonexistent-kernel-dir");
    opt.size = offsetof(nncl_context_options, kernel_dir);
    ck_assert_int_eq(nncl_context_create(&opt, &ctx), NNCL_OK);
    nncl_context_destroy(ctx);
    nncl_context_options defaults = nncl_context_options_defaults();
    ck_assert_uint_eq(defaults.size, sizeof defaults);
    ck_assert_ptr_null(defaults.device);
    ck_assert_ptr_null(defaults.kernel_dir);
}
END_TEST

/* Resident memory in KiB (Linux), 0 when unknown. */
static long rss_kib(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return 0;
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    fclose(f);
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

START_TEST(context_create_destroy_100_times)
{
    long rss_after_10 = 0;
    for (int i = 0; i < 100; i++) {
        if (i == 10) rss_after_10 = rss_kib();
        nncl_context *ctx = NULL;
        ck_assert_int_eq(nncl_context_create(NULL, &ctx), NNCL_OK);
        nncl_tensor *t = nncl_test_tensor(ctx, 3, 3, NULL);
        ck_assert_int_eq(nncl_tensor_fill(t, 1.0f), NNCL_OK);
        nncl_tensor_destroy(t);
        nncl_context_destroy(ctx);
    }
    /* LeakSanitizer cannot watch this (the driver's own allocations), so
     * watch the process: 90 more contexts must not grow it by 16 MiB. */
    long rss_after_100 = rss_kib();
#if defined(__SANITIZE_ADDRESS__)
    /* AddressSanitizer quarantines freed memory instead of reusing it, so the
     * resident size grows with every context whether or not anything leaks. */
    fprintf(stderr, "context_create_destroy_100_times: under AddressSanitizer the growth over 90 contexts "
                    "is not checked (freed memory is quarantined)\n");
    (void)rss_after_10, (void)rss_after_100;
    return;
#endif
    if (rss_after_10 == 0 || rss_after_100 == 0) {
        fprintf(stderr, "context_create_destroy_100_times: resident size unknown here (no "
                        "/proc/self/statm): the growth over 90 contexts is not checked\n");
        return;
    }
    long growth = rss_after_100 - rss_after_10;
    ck_assert_msg(growth < 16 * 1024, "90 contexts grew the process by %ld KiB", growth);
}
END_TEST

/* The tuning cache: a saved shape is what the next context uses, and the
 * GEMM is right with the other register tiles too (float8 columns). */
START_TEST(tuning_cache_and_other_tiles)
{
    char dir[300];
    snprintf(dir, sizeof dir, "%s/cache", nncl_test_tmpdir());
    setenv("NNCL_CACHE_DIR", dir, 1);
    setenv("NNCL_GEMM_TILES", "5x8", 1);
    nncl_context *ctx = NULL;
    ck_assert_int_eq(nncl_context_create(NULL, &ctx), NNCL_OK);
    ck_assert_str_eq(nncl_context_tiles(ctx), "5x8");
    ck_assert_int_eq(nncl_context_save_tuning(ctx), NNCL_OK);
    nncl_context_destroy(ctx);
    unsetenv("NNCL_GEMM_TILES");
    ck_assert_int_eq(nncl_context_create(NULL, &ctx), NNCL_OK);
    ck_assert_str_eq(nncl_context_tiles(ctx), "5x8");
    /* Every layout with 5 x 8 tiles, against the reference. */
    for (int layout = 0; layout < 3; layout++) check_gemm(ctx, layout == 1, layout == 2, 23, 19, 31, 1.0f, 0.0f);
    nncl_context_destroy(ctx);
    /* A cache that cannot be written is an I/O error naming it. */
    setenv("NNCL_CACHE_DIR", "/proc/nncl-no-such-dir", 1);
    ck_assert_int_eq(nncl_context_create(NULL, &ctx), NNCL_OK);
    ck_assert_int_eq(nncl_context_save_tuning(ctx), NNCL_ERR_IO);
    ck_assert_ptr_nonnull(strstr(nncl_last_error(ctx), "/proc/nncl-no-such-dir"));
    nncl_context_destroy(ctx);
    unsetenv("NNCL_CACHE_DIR");
}
END_TEST

/* nncl_device_gemm_params says what a context on the device is built
 * with, and from where: the defaults (an empty cache), the environment, the
 * tuning cache, each against a context's own nncl_context_gemm_params. */
static void expect_device_params(int index, const char *source)
{
    char params[96];
    const char *got = NULL;
    ck_assert_int_eq(nncl_device_gemm_params(index, params, sizeof params, &got), NNCL_OK);
    nncl_context *ctx = NULL;
    nncl_context_options opt = nncl_context_options_defaults();
    char spec[16];
    snprintf(spec, sizeof spec, "%d", index);
    opt.device = spec;
    ck_assert_int_eq(nncl_context_create(&opt, &ctx), NNCL_OK);
    ck_assert_str_eq(params, nncl_context_gemm_params(ctx));
    ck_assert_str_eq(got, nncl_context_tiles_source(ctx));
    ck_assert_str_eq(got, source);
    nncl_context_destroy(ctx);
}

START_TEST(device_gemm_params_are_a_contexts)
{
    char dir[300];
    snprintf(dir, sizeof dir, "%s/params-cache", nncl_test_tmpdir());
    setenv("NNCL_CACHE_DIR", dir, 1); /* empty: the defaults */
    int index = -1;
    ck_assert_int_eq(nncl_device_select(NULL, &index), NNCL_OK);
    expect_device_params(index, "default");
    /* What the environment asks for, as a context would take it. */
    setenv("NNCL_GEMM_PARAMS", "tm=4 tn=16 ku=2 kc=256 lwg=8 lrb=2 lkt=8", 1);
    expect_device_params(index, "NNCL_GEMM_PARAMS");
    char params[96];
    ck_assert_int_eq(nncl_device_gemm_params(index, params, sizeof params, NULL), NNCL_OK);
    ck_assert_msg(strstr(params, "tm=4 tn=16") || strstr(params, "lwg=8 lrb=2 lkt=8"), "%s", params);
    /* Saved to the cache, read back from it once the environment is gone. */
    nncl_context *ctx = nncl_test_context_with("NNCL_GEMM_PARAMS", "tm=4 tn=16 ku=2 kc=256 lwg=8 lrb=2 lkt=8");
    ck_assert_int_eq(nncl_context_save_tuning(ctx), NNCL_OK);
    nncl_context_destroy(ctx);
    unsetenv("NNCL_GEMM_PARAMS");
    expect_device_params(index, "tuned");
    ck_assert_int_eq(nncl_device_gemm_params(index, params, sizeof params, NULL), NNCL_OK);
    ck_assert_msg(strstr(params, "tm=4 tn=16") || strstr(params, "lwg=8 lrb=2 lkt=8"), "%s", params);
    /* Short text is cut, not overrun; bad arguments are errors. */
    char small[9];
    memset(small, 'x', sizeof small);
    ck_assert_int_eq(nncl_device_gemm_params(index, small, 8, NULL), NNCL_OK);
    ck_assert_uint_eq(strlen(small), 7);
    ck_assert_int_eq(small[8], 'x');
    ASSERT_FAILS(NULL, nncl_device_gemm_params(-1, params, sizeof params, NULL), NNCL_ERR_INVALID_ARG,
                 "out of range");
    ASSERT_FAILS(NULL, nncl_device_gemm_params(index, params, 0, NULL), NNCL_ERR_INVALID_ARG, "size 0");
    unsetenv("NNCL_CACHE_DIR");
}
END_TEST

/* A GEMM environment variable with a value it does not take (a mistyped
 * experiment) fails context creation and the device query, naming the
 * variable and the value, instead of quietly running the defaults. */
START_TEST(bad_gemm_environment_is_an_error)
{
    static const char *const bad[][3] = {
        {"NNCL_GEMM_TILES", "4x64x2x1", "not a register tile"}, /* TN 64 is four vectors */
        {"NNCL_GEMM_TILES", "4x16x2", "not a register tile"},
        {"NNCL_GEMM_TILES", "wide", "not a register tile"},
        {"NNCL_GEMM_PARAMS", "tm=4 tn=48", "not valid GEMM parameters"},
        {"NNCL_GEMM_PARAMS", "tm=4 width=16", "not valid GEMM parameters"},
        {"NNCL_GEMM_PARAMS", "tm=4 tn=64 vw=16 wgx=32 wgy=16", "not valid GEMM parameters"},
        {"NNCL_GEMM_TN", "sideways", "expected transpose, direct or auto"},
        {"NNCL_GEMM_KERNEL", "gpu", "expected local or register"}};
    int index = -1;
    ck_assert_int_eq(nncl_device_select(NULL, &index), NNCL_OK);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        setenv(bad[i][0], bad[i][1], 1);
        nncl_context *ctx = (nncl_context *)&ctx; /* not NULL: failure must clear it */
        ASSERT_FAILS(NULL, nncl_context_create(NULL, &ctx), NNCL_ERR_INVALID_ARG, bad[i][2]);
        ck_assert_ptr_null(ctx);
        ck_assert_ptr_nonnull(strstr(nncl_last_error(NULL), bad[i][0]));
        ck_assert_ptr_nonnull(strstr(nncl_last_error(NULL), bad[i][1]));
        char params[96];
        ASSERT_FAILS(NULL, nncl_device_gemm_params(index, params, sizeof params, NULL), NNCL_ERR_INVALID_ARG,
                     bad[i][0]);
        unsetenv(bad[i][0]);
    }
    /* the values the variables do take still make contexts */
    setenv("NNCL_GEMM_TN", "auto", 1);
    setenv("NNCL_GEMM_KERNEL", "register", 1);
    nncl_context *ctx = NULL;
    ck_assert_int_eq(nncl_context_create(NULL, &ctx), NNCL_OK);
    nncl_context_destroy(ctx);
    unsetenv("NNCL_GEMM_TN");
    unsetenv("NNCL_GEMM_KERNEL");
}
END_TEST

/* Writes a tuning cache under xdg (as $XDG_CACHE_HOME) whose line for
 * device `index` holds `params` for the kernel that device runs. */
static void write_cache_line(const char *xdg, int index, const char *params)
{
    nncl_device_info d;
    ck_assert_int_eq(nncl_device_get_info(index, &d), NNCL_OK);
    char path[400];
    snprintf(path, sizeof path, "%s/nncl", xdg);
    ck_assert_int_eq(mkdir(xdg, 0700) == 0 || errno == EEXIST, 1);
    ck_assert_int_eq(mkdir(path, 0700) == 0 || errno == EEXIST, 1);
    snprintf(path, sizeof path, "%s/nncl/gemm-params.txt", xdg);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "some other device\t1.0\tregister\ttm=2 tn=8 vw=8 ku=1 kc=0\n");
    fprintf(f, "%s\t%s\t%s\t%s\n", d.name, d.driver_version, d.type == NNCL_DEVICE_GPU ? "local" : "register",
            params);
    fclose(f);
}

/* `nncl devices` shows, under each device, the GEMM parameters in force and
 * where they come from: the tuning cache found through $XDG_CACHE_HOME, the
 * environment over it, the defaults without either. */
START_TEST(devices_command_shows_gemm_params)
{
    int index = -1;
    ck_assert_int_eq(nncl_device_select(NULL, &index), NNCL_OK);
    nncl_device_info d;
    ck_assert_int_eq(nncl_device_get_info(index, &d), NNCL_OK);
    int gpu = d.type == NNCL_DEVICE_GPU;
    char xdg[300], cmd[1024], want[128];
    snprintf(xdg, sizeof xdg, "%s/xdg", nncl_test_tmpdir());
    write_cache_line(xdg, index, gpu ? "lwg=8 lrb=2 lkt=32" : "tm=3 tn=32 vw=16 ku=2 kc=256");
    const char *out = nncl_test_path("devices.txt");
    const char *clean = "env -u NNCL_CACHE_DIR -u NNCL_GEMM_PARAMS -u NNCL_GEMM_TILES -u NNCL_GEMM_KERNEL";
    snprintf(cmd, sizeof cmd, "%s XDG_CACHE_HOME=%s %s devices", clean, xdg, NNCL_CLI);
    snprintf(want, sizeof want, "      gemm: %s (tuning cache",
             gpu ? "local lwg=8 lrb=2 lkt=32" : "register tm=3 tn=32 vw=16 ku=2 kc=256");
    nncl_test_expect_shell(cmd, out, 0, want, NULL);
    snprintf(cmd, sizeof cmd, "%s XDG_CACHE_HOME=%s NNCL_GEMM_PARAMS='tm=4 tn=16 ku=1 lkt=16' %s devices", clean,
             xdg, NNCL_CLI);
    nncl_test_expect_shell(cmd, out, 0, "(NNCL_GEMM_PARAMS in the environment)", "tuning cache");
    snprintf(cmd, sizeof cmd, "%s XDG_CACHE_HOME=%s/empty %s devices", clean, xdg, NNCL_CLI);
    nncl_test_expect_shell(cmd, out, 0, "(defaults for this device; `nncl bench --tune` tunes)", "tuning cache");
    snprintf(cmd, sizeof cmd, "%s devices --help", NNCL_CLI);
    nncl_test_expect_shell(cmd, out, 0, "NNCL_GEMM_PARAMS", NULL);
    /* a setting no context can be made with: the table, then the reason, status 1 */
    snprintf(cmd, sizeof cmd, "%s XDG_CACHE_HOME=%s NNCL_GEMM_PARAMS='tm=4 tn=48' %s devices", clean, xdg, NNCL_CLI);
    nncl_test_expect_shell(cmd, out, 1, "NNCL_GEMM_PARAMS=\"tm=4 tn=48\": not valid GEMM parameters", NULL);
    char *text = nncl_test_slurp(out);
    ck_assert_ptr_nonnull(strstr(text, "gemm: none, no context can be made here"));
    ck_assert_ptr_nonnull(strstr(text, "nncl would use device"));
    ck_assert_ptr_null(strstr(text, "nncl uses device"));
    ck_assert_ptr_null(strstr(text, "tuning cache"));
    free(text);
}
END_TEST

/* The internal product's optional parts (a row of ones in op(A), bias,
 * activation, beta, the derivative factor dact'(D)) on random small shapes,
 * every layout and leading dimensions wider than the rows, on each path a
 * product can take. Operands sit in buffers padded with NaN, so a read past
 * a matrix shows in the result; C is padded with a sentinel, so a write past
 * it shows there. */
#define GUARD 40
typedef struct {
    nncl_tensor *t;
    float *host; /* the whole buffer */
    size_t n;
} guarded;

static guarded guarded_matrix(nncl_context *ctx, size_t rows, size_t cols, size_t ld, float pad,
                              uint64_t *rng, float lo, float hi)
{
    guarded g = {NULL, NULL, 2 * GUARD + (rows - 1) * ld + cols};
    g.host = malloc(g.n * sizeof(float));
    ck_assert_ptr_nonnull(g.host);
    for (size_t i = 0; i < g.n; i++) g.host[i] = pad;
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++) g.host[GUARD + r * ld + c] = nncl_test_uniform(rng, lo, hi);
    g.t = nncl_test_tensor(ctx, 1, g.n, g.host);
    return g;
}

static float at(const guarded *g, size_t ld, size_t r, size_t c) { return g->host[GUARD + r * ld + c]; }

static void check_gemm_extras(nncl_context *ctx, const char *path, uint64_t *rng, size_t M, size_t N,
                              size_t K, int ta, int tb, int ones, int has_bias, int act, float beta,
                              int dact, size_t pad_ld)
{
    size_t a_rows = ones ? M - 1 : M;
    size_t lda = (ta ? a_rows : K) + pad_ld, ldb = (tb ? K : N) + pad_ld, ldc = N + pad_ld;
    const float sentinel = 12345.0f;
    guarded A = guarded_matrix(ctx, a_rows ? (ta ? K : a_rows) : 1, ta ? (a_rows ? a_rows : 1) : K,
                               lda ? lda : 1, NAN, rng, -1, 1);
    guarded B = guarded_matrix(ctx, tb ? N : K, tb ? K : N, ldb, NAN, rng, -1, 1);
    guarded C = guarded_matrix(ctx, M, N, ldc, sentinel, rng, -1, 1);
    guarded b = guarded_matrix(ctx, 1, N, N, NAN, rng, -1, 1);
    /* D holds activation outputs: in (0, 1) fits every activation's range */
    guarded D = guarded_matrix(ctx, M, N, ldc, NAN, rng, 0.05f, 0.95f);
    nncl__view vA = {A.t->mem, GUARD, (cl_uint)(lda ? lda : 1)}, vB = {B.t->mem, GUARD, (cl_uint)ldb},
               vC = {C.t->mem, GUARD, (cl_uint)ldc}, vb = {b.t->mem, GUARD, (cl_uint)N},
               vD = {D.t->mem, GUARD, (cl_uint)ldc};
    nncl__gemm_extras x = {.bias = has_bias ? &vb : NULL, .act = (nncl_activation)act, .ones_row = ones,
                           .dact_y = dact >= 0 ? &vD : NULL, .dact = (nncl_activation)(dact >= 0 ? dact : 0)};
    nncl_status st = nncl__gemm(ctx, ta, tb, M, N, K, 0.75f, vA, vB, beta, vC, &x);
    ck_assert_msg(st == NNCL_OK, "%s: %s", path, nncl_last_error(ctx));
    float *out = malloc(C.n * sizeof(float));
    ck_assert_int_eq(nncl_tensor_download(C.t, out, C.n), NNCL_OK);
    for (size_t i = 0; i < C.n; i++) {
        size_t rel = i - GUARD, r = rel / ldc, c = rel % ldc;
        if (i < GUARD || r >= M || c >= N) {
            ck_assert_msg(out[i] == sentinel, "%s: %zux%zux%zu wrote outside C at %td", path, M, N, K,
                          (ptrdiff_t)i - GUARD);
            continue;
        }
        double sum = 0;
        for (size_t k = 0; k < K; k++) {
            double a = r < a_rows ? (ta ? at(&A, lda, k, r) : at(&A, lda, r, k)) : 1.0;
            sum += a * (tb ? at(&B, ldb, c, k) : at(&B, ldb, k, c));
        }
        double want = 0.75 * sum + (has_bias ? at(&b, N, 0, c) : 0) + (beta != 0 ? beta * C.host[i] : 0);
        want = ref_act(want, act);
        if (dact >= 0) {
            double y = at(&D, ldc, r, c);
            double grad[] = {1, y * (1 - y), 1 - y * y, y > 0, y > 0 ? 1 : 0.01};
            want *= grad[dact];
        }
        ck_assert_msg(fabs(out[i] - want) <= 1e-4 * (1 + fabs(want)),
                      "%s: %zux%zux%zu ta %d tb %d ones %d bias %d act %d beta %g dact %d ld+%zu: "
                      "C[%zu][%zu] = %.7g, want %.7g",
                      path, M, N, K, ta, tb, ones, has_bias, act, beta, dact, pad_ld, r, c, out[i], want);
    }
    guarded all[] = {A, B, C, b, D};
    for (size_t i = 0; i < 5; i++) nncl_tensor_destroy(all[i].t), free(all[i].host);
    free(out);
}

START_TEST(gemm_extras_on_every_path)
{
    static const char *const paths[][2] = {{"NNCL_GEMM_TN", "auto"},
                                           {"NNCL_GEMM_TN", "transpose"},
                                           {"NNCL_GEMM_PACK_MIN_M", "100000"},
                                           {"NNCL_GEMM_TILES", "5x8"},
                                           {"NNCL_GEMM_PARAMS", "tm=5 tn=32 vw=16 ku=3 kc=8"},
                                           {"NNCL_GEMM_PARAMS", "tm=3 tn=16 vw=8 ku=2 kc=16"},
                                           {"NNCL_GEMM_PARAMS", "tm=4 tn=64 vw=16 ku=4 kc=0"},
                                           {"NNCL_GEMM_PARAMS", "tm=4 tn=32 vw=16 ku=2 kc=16 wgx=4 wgy=2"},
                                           {"NNCL_GEMM_KERNEL", "local"}};
    static const size_t Ms[] = {1, 2, 5, 6, 7, 13, 17, 64, 70}, Ns[] = {1, 3, 9, 16, 17, 33},
                        Ks[] = {1, 2, 7, 8, 17, 33};
    for (size_t p = 0; p < sizeof paths / sizeof *paths; p++) {
        nncl_context *ctx = nncl_test_context_with(paths[p][0], paths[p][1]);
        uint64_t rng = 1234 + p;
        for (int i = 0; i < 40; i++) {
            size_t M = Ms[(size_t)(nncl_test_uniform(&rng, 0, 9))], N = Ns[(size_t)nncl_test_uniform(&rng, 0, 6)],
                   K = Ks[(size_t)nncl_test_uniform(&rng, 0, 6)];
            int bits = (int)nncl_test_uniform(&rng, 0, 1024);
            int ones = bits & 1, ta = (bits >> 1) & 1, tb = (bits >> 2) & 1, has_bias = (bits >> 3) & 1;
            int act = (bits >> 4) % 5, dact = (int)nncl_test_uniform(&rng, -1, 5);
            float beta = (bits >> 7) & 1 ? 0.5f : 0.0f;
            check_gemm_extras(ctx, paths[p][1], &rng, M, N, K, ta, tb, ones, has_bias, act, beta, dact,
                              (bits >> 8) & 1 ? 3 : 0);
        }
        /* The weight-gradient shape that transposes Aᵀ first (rows 2 KB apart). */
        check_gemm_extras(ctx, paths[p][1], &rng, 513, 130, 512, 1, 0, 1, 1, 3, 0.5f, 3, 0);
        /* Whole tiles and edges with the plain epilogue (gemm_store's fast
         * path): bias and ReLU, bias and identity, A and Aᵀ. */
        check_gemm_extras(ctx, paths[p][1], &rng, 70, 130, 33, 0, 1, 0, 1, 3, 0.0f, -1, 3);
        check_gemm_extras(ctx, paths[p][1], &rng, 64, 128, 10, 1, 0, 0, 1, 0, 0.0f, -1, 0);
        /* Every width of a vector on the right edge, 1 .. 15 lanes past a
         * whole vector or not (the edge loads and stores go in pieces of 8,
         * 4, 2 and 1 floats), with bias, beta and dact, so that b, C and D
         * are read there too; B row-major and transposed. */
        for (size_t n = 1; n < 16; n++)
            check_gemm_extras(ctx, paths[p][1], &rng, 9, n + (n & 1 ? 16 : 0), 6, (int)(n >> 2) & 1,
                              (int)(n >> 1) & 1, 0, 1, 1, 0.5f, 1, n & 4 ? 3 : 0);
        nncl_context_destroy(ctx);
    }
}
END_TEST

/* The GPU kernel (local-memory tiles) runs on any device when asked for:
 * every layout, edges that are not multiples of its 64 x 64 tile, bias and
 * activation, against the reference. */
START_TEST(local_memory_gemm_for_gpus)
{
    nncl_context *ctx = nncl_test_context_with("NNCL_GEMM_KERNEL", "local");
    ck_assert_ptr_nonnull(strstr(nncl_context_tiles(ctx), "local"));
    const size_t shapes[][3] = {{1, 1, 1}, {7, 13, 5}, {65, 70, 17}, {130, 64, 33}};
    for (size_t s = 0; s < 4; s++) {
        size_t M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
        for (int layout = 0; layout < 3; layout++) check_gemm(ctx, layout == 1, layout == 2, M, N, K, 1.0f, 0.0f);
        check_dense(ctx, M, K, N, NNCL_ACT_TANH, 1);
    }
    nncl_context_destroy(ctx);
}
END_TEST

/* Split K: the wide tiles (two float16 per row) with K in chunks of 64, on
 * a weight-gradient shape (TN, deep K) and a forward one (NN), against the
 * reference, and the same bits on a second run (the parts are added in a
 * fixed order whatever the driver's scheduling). */
START_TEST(split_k_gemm_is_right_and_reproducible)
{
    nncl_context *ctx = nncl_test_context_with("NNCL_GEMM_PARAMS", "tm=7 tn=32 vw=16 ku=2 kc=64");
    ck_assert_str_eq(nncl_context_gemm_params(ctx), "register tm=7 tn=32 vw=16 ku=2 kc=64");
    check_gemm(ctx, 1, 0, 70, 40, 1000, 1.0f, 0.0f);
    check_gemm(ctx, 0, 0, 65, 33, 300, 0.5f, 0.25f);
    check_gemm(ctx, 0, 1, 66, 17, 129, 1.0f, 0.0f);
    /* products one vector wide or less take the narrow tile (14 x 16) */
    check_gemm(ctx, 1, 0, 70, 10, 1000, 1.0f, 0.0f);
    check_gemm(ctx, 0, 1, 66, 16, 300, 0.5f, 0.25f);
    const size_t M = 70, N = 40, K = 1000;
    float *A = nncl_test_random(M * K, 5, -1.0f, 1.0f), *B = nncl_test_random(K * N, 6, -1.0f, 1.0f);
    float *first = malloc(M * N * sizeof(float)), *again = malloc(M * N * sizeof(float));
    nncl_tensor *tA = nncl_test_tensor(ctx, K, M, A), *tB = nncl_test_tensor(ctx, K, N, B),
                *tC = nncl_test_tensor(ctx, M, N, NULL);
    for (int run = 0; run < 2; run++) {
        ck_assert_int_eq(nncl_gemm(ctx, 1, 0, 1.0f, tA, tB, 0.0f, tC), NNCL_OK);
        ck_assert_int_eq(nncl_tensor_download(tC, run ? again : first, M * N), NNCL_OK);
    }
    ck_assert_int_eq(memcmp(first, again, M * N * sizeof(float)), 0);
    nncl_tensor_destroy(tA), nncl_tensor_destroy(tB), nncl_tensor_destroy(tC);
    free(A), free(B), free(first), free(again);
    nncl_context_destroy(ctx);
}
END_TEST

/* A launcher that sets fewer arguments than its kernel takes fails with a
 * message naming the kernel, instead of launching with stale arguments; a
 * complete set passes. */
START_TEST(kernel_argument_count_is_checked)
{
    nncl_context *ctx = nncl_test_context();
    nncl_tensor *t = nncl_test_tensor(ctx, 2, 3, NULL);
    const nncl__arg args[] = {NNCL__VIEW(nncl__view_of(t)), NNCL__U(2), NNCL__U(3), NNCL__F(1.0f)};
    ck_assert_int_eq(nncl__set_args(ctx, NNCL__K_FILL, args, 3), NNCL_ERR_OPENCL);
    ck_assert_ptr_nonnull(strstr(nncl_last_error(ctx), "fill"));
    ck_assert_int_eq(nncl__set_args(ctx, NNCL__K_FILL, args, 6), NNCL_OK);
    nncl_tensor_destroy(t);
}
END_TEST

START_TEST(status_strings)
{
    ck_assert_str_eq(nncl_status_string(NNCL_OK), "NNCL_OK: success");
    ck_assert_ptr_nonnull(strstr(nncl_status_string(NNCL_ERR_SHAPE), "shape"));
    ck_assert_ptr_nonnull(strstr(nncl_status_string((nncl_status)-999), "unknown"));
    ck_assert_int_eq(nncl_version(), NNCL_VERSION);
    ck_assert_str_eq(nncl_version_string(), NNCL_VERSION_STRING);
}
END_TEST

static void host_cases(Suite *s)
{
    NNCL_TEST_CASE(s, "host", 0, status_strings);
}

static void device_cases(Suite *s)
{
    NNCL_TEST_CASE(s, "device", 600, device_listing, tensor_round_trip_and_fill, context_counts_device_memory,
                   tutorial_prediction, sigmoid_extremes_stay_finite,
                   gemm_all_layouts_random_shapes, gemm_large_mnist_shape,
                   dense_forward_every_activation, bad_inputs_have_status_and_message,
                   unknown_device_is_a_clear_error, broken_kernel_folder_reports_build_log,
                   context_create_destroy_100_times, tuning_cache_and_other_tiles,
                   device_gemm_params_are_a_contexts, bad_gemm_environment_is_an_error,
                   devices_command_shows_gemm_params,
                   split_k_gemm_is_right_and_reproducible,
                   local_memory_gemm_for_gpus, gemm_extras_on_every_path,
                   kernel_argument_count_is_checked);
}

int main(int argc, char **argv) { return nncl_test_run("core", host_cases, device_cases, argc, argv); }
