/* SPDX-License-Identifier: MIT */
/* The interop API (include/nncl/nncl_cl.h) on the caller's own OpenCL
 * objects: a context, device and in-order queue made here with plain OpenCL
 * calls, caller buffers wrapped as views with an offset and a leading
 * dimension, the nncl_cl_* ops against a double-precision reference and
 * against nncl's own context, wait lists and returned events, reference
 * counts before and after, and the status and message of every bad input. */
#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>

#include "nncl/nncl_cl.h"
#include "reference.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- the caller's objects ----------------------------------------------- */

/* What an application already has: its own platform, device, context and
 * in-order queue (the first device of the first platform), plus nncl wrapped
 * around them once for the whole process. */
static struct {
    cl_platform_id platform;
    cl_device_id device;
    cl_context cl;
    cl_command_queue queue;
    nncl_context *ctx;
} caller;

static void caller_teardown(void)
{
    nncl_context_destroy(caller.ctx);
    if (caller.queue) clReleaseCommandQueue(caller.queue);
    if (caller.cl) clReleaseContext(caller.cl);
}

static void caller_setup(void)
{
    if (caller.ctx) return;
    cl_int err = clGetPlatformIDs(1, &caller.platform, NULL);
    ck_assert_msg(err == CL_SUCCESS, "clGetPlatformIDs: %d", err);
    err = clGetDeviceIDs(caller.platform, CL_DEVICE_TYPE_ALL, 1, &caller.device, NULL);
    ck_assert_msg(err == CL_SUCCESS, "clGetDeviceIDs: %d", err);
    cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)caller.platform, 0};
    caller.cl = clCreateContext(props, 1, &caller.device, NULL, NULL, &err);
    ck_assert_msg(err == CL_SUCCESS, "clCreateContext: %d", err);
    caller.queue = clCreateCommandQueue(caller.cl, caller.device, 0, &err);
    ck_assert_msg(err == CL_SUCCESS, "clCreateCommandQueue: %d", err);
    atexit(caller_teardown);
    nncl_status st = nncl_context_create_from_cl(caller.cl, caller.device, caller.queue, NULL, &caller.ctx);
    ck_assert_msg(st == NNCL_OK, "nncl_context_create_from_cl: %s: %s", nncl_status_string(st),
                  nncl_last_error(NULL));
}

static cl_uint context_refs(cl_context c)
{
    cl_uint n = 0;
    ck_assert_int_eq(clGetContextInfo(c, CL_CONTEXT_REFERENCE_COUNT, sizeof n, &n, NULL), CL_SUCCESS);
    return n;
}

static cl_uint queue_refs(cl_command_queue q)
{
    cl_uint n = 0;
    ck_assert_int_eq(clGetCommandQueueInfo(q, CL_QUEUE_REFERENCE_COUNT, sizeof n, &n, NULL), CL_SUCCESS);
    return n;
}

static cl_uint mem_refs(cl_mem m)
{
    cl_uint n = 0;
    ck_assert_int_eq(clGetMemObjectInfo(m, CL_MEM_REFERENCE_COUNT, sizeof n, &n, NULL), CL_SUCCESS);
    return n;
}

/* Drivers may drop their own references to finished commands (which hold
 * the queue and buffers) a little after the commands complete, from their
 * threads. Counts are compared once they have settled: polled until equal
 * to `want`, for up to two seconds. */
#define SETTLED(count_expr, want)                                              \
    do {                                                                       \
        cl_uint got_ = (count_expr);                                           \
        for (int try_ = 0; try_ < 200 && got_ != (want); try_++) {             \
            struct timespec ts_ = {0, 10 * 1000 * 1000};                       \
            nanosleep(&ts_, NULL);                                             \
            got_ = (count_expr);                                               \
        }                                                                      \
        ck_assert_msg(got_ == (want), "%s is %u, want %u", #count_expr, got_, (unsigned)(want)); \
    } while (0)

/* A count once it has stopped changing (two equal readings 20 ms apart). */
#define STABLE(count_expr, out)                                                \
    do {                                                                       \
        cl_uint prev_ = (count_expr);                                          \
        for (int try_ = 0; try_ < 100; try_++) {                               \
            struct timespec ts_ = {0, 20 * 1000 * 1000};                       \
            nanosleep(&ts_, NULL);                                             \
            cl_uint now_ = (count_expr);                                       \
            if (now_ == prev_) break;                                          \
            prev_ = now_;                                                      \
        }                                                                      \
        (out) = prev_;                                                         \
    } while (0)

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- caller buffers as nncl views ----------------------------------------- */

/* Every float of a caller buffer that is not an element of the view holds this,
 * so an op that writes outside its view (ignores offset or ld) is caught. */
#define SENTINEL 1234.5f

/* A rows x cols matrix inside a caller cl_mem: `off` floats in, rows `ld`
 * apart (ld = cols + pad), a guard of 3 floats at the end. */
typedef struct {
    cl_mem mem;
    size_t off, rows, cols, ld, total;
    nncl_tensor *t;
} view;

static cl_mem caller_buffer(cl_context c, size_t floats, const float *init)
{
    cl_int err;
    cl_mem mem = clCreateBuffer(c, CL_MEM_READ_WRITE | (init ? CL_MEM_COPY_HOST_PTR : 0),
                                floats * sizeof(float), (void *)init, &err);
    ck_assert_msg(err == CL_SUCCESS, "clCreateBuffer(%zu floats): %d", floats, err);
    return mem;
}

static view make_view_in(nncl_context *ctx, size_t rows, size_t cols, size_t off, size_t pad,
                         const float *data)
{
    view v = {NULL, off, rows, cols, cols + pad, 0, NULL};
    v.total = off + rows * v.ld + 3;
    float *host = malloc(v.total * sizeof *host);
    ck_assert_ptr_nonnull(host);
    for (size_t i = 0; i < v.total; i++) host[i] = SENTINEL;
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++) host[off + r * v.ld + c] = data ? data[r * cols + c] : 0.0f;
    v.mem = caller_buffer(nncl_context_cl_context(ctx), v.total, host);
    free(host);
    nncl_status st = nncl_tensor_wrap_cl(ctx, v.mem, off, rows, cols, v.ld, &v.t);
    ck_assert_msg(st == NNCL_OK, "wrap %zux%zu at %zu, ld %zu: %s", rows, cols, off, v.ld,
                  nncl_last_error(ctx));
    return v;
}

static view make_view(size_t rows, size_t cols, size_t off, size_t pad, const float *data)
{
    return make_view_in(caller.ctx, rows, cols, off, pad, data);
}

/* Reads the whole buffer on the caller's queue (in order after nncl's work),
 * checks that nothing outside the view changed, and returns the view's
 * elements row-major in out (rows*cols floats). */
static void read_view_on(cl_command_queue q, const view *v, float *out, const char *what)
{
    float *host = malloc(v->total * sizeof *host);
    ck_assert_ptr_nonnull(host);
    cl_int err = clEnqueueReadBuffer(q, v->mem, CL_TRUE, 0, v->total * sizeof(float), host, 0, NULL, NULL);
    ck_assert_msg(err == CL_SUCCESS, "%s: clEnqueueReadBuffer: %d", what, err);
    for (size_t i = 0; i < v->total; i++) {
        int inside = i >= v->off && i < v->off + v->rows * v->ld && (i - v->off) % v->ld < v->cols;
        if (inside)
            out[((i - v->off) / v->ld) * v->cols + (i - v->off) % v->ld] = host[i];
        else
            ck_assert_msg(host[i] == SENTINEL, "%s: float %zu outside the view (offset %zu, ld %zu) "
                          "was overwritten with %g", what, i, v->off, v->ld, (double)host[i]);
    }
    free(host);
}

static void read_view(const view *v, float *out, const char *what)
{
    read_view_on(caller.queue, v, out, what);
}

static void free_view(view *v)
{
    nncl_tensor_destroy(v->t);
    if (v->mem) clReleaseMemObject(v->mem);
    v->t = NULL;
    v->mem = NULL;
}

static double *alloc_doubles(size_t n)
{
    double *d = malloc(n * sizeof *d);
    ck_assert_ptr_nonnull(d);
    return d;
}

#define CHECK_OK(ctx, expr)                                                                     \
    do {                                                                                        \
        nncl_status check_st_ = (expr);                                                         \
        ck_assert_msg(check_st_ == NNCL_OK, "%s: %s: %s", #expr, nncl_status_string(check_st_), \
                      nncl_last_error(ctx));                                                    \
    } while (0)

/* A call that must fail with `want` and a message containing `needle`. */
#define CHECK_FAILS(ctx, expr, want, needle)                                                     \
    do {                                                                                         \
        nncl_status check_st_ = (expr);                                                          \
        const char *check_msg_ = nncl_last_error(ctx);                                           \
        ck_assert_msg(check_st_ == (want), "%s gave %s, want %s (%s)", #expr,                    \
                      nncl_status_string(check_st_), nncl_status_string(want), check_msg_);     \
        ck_assert_msg(strstr(check_msg_, (needle)) != NULL, "%s: message \"%s\" lacks \"%s\"", \
                      #expr, check_msg_, (needle));                                             \
    } while (0)

/* ---- GEMM ------------------------------------------------------------------- */

static const size_t gemm_shapes[][3] = {{1, 1, 1}, {7, 13, 5}, {33, 17, 29}, {64, 40, 70}, {5, 129, 3}};

/* One shape and layout: nncl_cl_gemm on caller views (offsets, ld > cols)
 * with and without bias and activation, against ref_gemm and against nncl's
 * own context doing the same with nncl_gemm / nncl_dense_forward. */
static void check_cl_gemm(int ta, int tb, size_t M, size_t N, size_t K, int act, uint64_t seed)
{
    nncl_context *own = nncl_test_context();
    const float alpha = 0.5f, beta = -1.5f;
    float *A = nncl_test_random(M * K, seed, -1, 1), *B = nncl_test_random(K * N, seed + 1, -1, 1),
          *C0 = nncl_test_random(M * N, seed + 2, -1, 1), *bias = nncl_test_random(N, seed + 3, -1, 1);
    float *got = malloc(M * N * sizeof(float)), *own_got = malloc(M * N * sizeof(float));
    double *want = alloc_doubles(M * N), *own_want = alloc_doubles(M * N);
    ck_assert_ptr_nonnull(got);
    ck_assert_ptr_nonnull(own_got);
    char what[128];
    const char *layout = ta ? "TN" : tb ? "NT" : "NN";

    view vA = make_view(ta ? K : M, ta ? M : K, 3, 2, A), vB = make_view(tb ? N : K, tb ? K : N, 5, 1, B),
         vb = make_view(1, N, 7, 0, bias);

    /* 1. Everything fused: act(alpha·op(A)·op(B) + beta·C + bias). */
    view vC = make_view(M, N, 1, 3, C0);
    CHECK_OK(caller.ctx, nncl_cl_gemm(caller.ctx, ta, tb, alpha, vA.t, vB.t, beta, vC.t, vb.t,
                                      (nncl_activation)act, NULL));
    snprintf(what, sizeof what, "nncl_cl_gemm %s %zux%zux%zu bias, %s", layout, M, N, K,
             nncl_activation_name((nncl_activation)act));
    read_view(&vC, got, what);
    ref_gemm(ta, tb, M, N, K, alpha, A, B, beta, C0, bias, act, want);
    nncl_test_assert_close(got, want, M * N, 1e-5, what);
    free_view(&vC);

    /* 2. Plain alpha/beta GEMM: the same as nncl_gemm on nncl's own context. */
    vC = make_view(M, N, 2, 1, C0);
    CHECK_OK(caller.ctx, nncl_cl_gemm(caller.ctx, ta, tb, alpha, vA.t, vB.t, beta, vC.t, NULL,
                                      NNCL_ACT_IDENTITY, NULL));
    snprintf(what, sizeof what, "nncl_cl_gemm %s %zux%zux%zu", layout, M, N, K);
    read_view(&vC, got, what);
    ref_gemm(ta, tb, M, N, K, alpha, A, B, beta, C0, NULL, 0, want);
    nncl_test_assert_close(got, want, M * N, 1e-5, what);
    nncl_tensor *oA = nncl_test_tensor(own, ta ? K : M, ta ? M : K, A), *oB = nncl_test_tensor(own, tb ? N : K, tb ? K : N, B),
                *oC = nncl_test_tensor(own, M, N, C0);
    CHECK_OK(own, nncl_gemm(own, ta, tb, alpha, oA, oB, beta, oC));
    CHECK_OK(own, nncl_tensor_download(oC, own_got, M * N));
    for (size_t i = 0; i < M * N; i++) own_want[i] = own_got[i];
    snprintf(what, sizeof what, "nncl_cl_gemm %s %zux%zux%zu vs nncl_gemm", layout, M, N, K);
    nncl_test_assert_close(got, own_want, M * N, 1e-5, what);
    free_view(&vC);

    /* 3. NN with bias and activation is a dense layer: as nncl_dense_forward. */
    if (!ta && !tb) {
        vC = make_view(M, N, 0, 4, NULL);
        CHECK_OK(caller.ctx, nncl_cl_gemm(caller.ctx, 0, 0, 1.0f, vA.t, vB.t, 0.0f, vC.t, vb.t,
                                          (nncl_activation)act, NULL));
        snprintf(what, sizeof what, "nncl_cl_gemm dense %zux%zux%zu %s", M, N, K,
                 nncl_activation_name((nncl_activation)act));
        read_view(&vC, got, what);
        ref_gemm(0, 0, M, N, K, 1.0, A, B, 0.0, NULL, bias, act, want);
        nncl_test_assert_close(got, want, M * N, 1e-5, what);
        nncl_tensor *ob = nncl_test_tensor(own, 1, N, bias);
        CHECK_OK(own, nncl_dense_forward(own, oA, oB, ob, (nncl_activation)act, oC));
        CHECK_OK(own, nncl_tensor_download(oC, own_got, M * N));
        for (size_t i = 0; i < M * N; i++) own_want[i] = own_got[i];
        snprintf(what, sizeof what, "nncl_cl_gemm dense %zux%zux%zu vs nncl_dense_forward", M, N, K);
        nncl_test_assert_close(got, own_want, M * N, 1e-5, what);
        nncl_tensor_destroy(ob);
        free_view(&vC);
    }
    nncl_tensor_destroy(oA), nncl_tensor_destroy(oB), nncl_tensor_destroy(oC);
    free_view(&vA), free_view(&vB), free_view(&vb);
    free(A), free(B), free(C0), free(bias), free(got), free(own_got), free(want), free(own_want);
}

START_TEST(cl_gemm_matches_reference_and_own_context)
{
    caller_setup();
    for (size_t s = 0; s < sizeof gemm_shapes / sizeof *gemm_shapes; s++)
        for (int layout = 0; layout < 3; layout++)
            check_cl_gemm(layout == 1, layout == 2, gemm_shapes[s][0], gemm_shapes[s][1],
                          gemm_shapes[s][2], (int)((s + (size_t)layout) % 5), 100 * s + (uint64_t)layout);
}
END_TEST

START_TEST(wrapped_context_exposes_the_callers_objects)
{
    caller_setup();
    ck_assert_ptr_eq(nncl_context_cl_context(caller.ctx), caller.cl);
    ck_assert_ptr_eq(nncl_context_cl_device(caller.ctx), caller.device);
    ck_assert_ptr_eq(nncl_context_cl_queue(caller.ctx), caller.queue);
    ck_assert_ptr_null(nncl_context_cl_context(NULL));
    float data[6] = {1, 2, 3, 4, 5, 6};
    view v = make_view(2, 3, 4, 2, data);
    size_t off = 0, ld = 0;
    ck_assert_ptr_eq(nncl_tensor_cl_mem(v.t, &off, &ld), v.mem);
    ck_assert_uint_eq(off, 4);
    ck_assert_uint_eq(ld, 5);
    ck_assert_uint_eq(nncl_tensor_rows(v.t), 2);
    ck_assert_uint_eq(nncl_tensor_cols(v.t), 3);
    ck_assert_ptr_null(nncl_tensor_cl_mem(NULL, &off, &ld));
    ck_assert_uint_eq(off, 0);
    /* Tensors nncl creates itself on a wrapped context live in the caller's context. */
    nncl_tensor *t = nncl_test_tensor(caller.ctx, 3, 3, NULL);
    cl_context owner = NULL;
    ck_assert_int_eq(clGetMemObjectInfo(nncl_tensor_cl_mem(t, NULL, NULL), CL_MEM_CONTEXT, sizeof owner,
                                        &owner, NULL), CL_SUCCESS);
    ck_assert_ptr_eq(owner, caller.cl);
    nncl_tensor_destroy(t);
    free_view(&v);
}
END_TEST

/* The high-level tensor calls on a strided caller view: upload, download,
 * fill and nncl_dense_forward touch only the view's elements. */
START_TEST(tensor_calls_respect_offset_and_ld)
{
    caller_setup();
    float x[12], got[12];
    for (int i = 0; i < 12; i++) x[i] = (float)i - 5.5f;
    /* The caller's buffer is the caller's memory: wrapping it, and destroying
     * the view, leave nncl's count of device memory as it was. */
    size_t before = 0, after = 1;
    CHECK_OK(caller.ctx, nncl_context_memory(caller.ctx, &before, NULL));
    view v = make_view(4, 3, 6, 4, NULL);
    CHECK_OK(caller.ctx, nncl_context_memory(caller.ctx, &after, NULL));
    ck_assert_uint_eq(after, before);
    CHECK_OK(caller.ctx, nncl_tensor_upload(v.t, x, 12));
    CHECK_OK(caller.ctx, nncl_tensor_download(v.t, got, 12));
    ck_assert_mem_eq(got, x, sizeof x);
    read_view(&v, got, "upload into a view");
    ck_assert_mem_eq(got, x, sizeof x);
    CHECK_OK(caller.ctx, nncl_tensor_fill(v.t, -2.0f));
    read_view(&v, got, "fill a view");
    for (int i = 0; i < 12; i++) ck_assert_float_eq(got[i], -2.0f);

    /* The tutorial's prediction on caller buffers through the plain API. */
    const float in[4] = {1.66f, 1.56f, 2.0f, 1.5f}, w[2] = {1.45f, -0.66f}, b[1] = {0};
    view vX = make_view(2, 2, 1, 1, in), vW = make_view(2, 1, 2, 3, w), vb = make_view(1, 1, 5, 0, b),
         vY = make_view(2, 1, 3, 2, NULL);
    CHECK_OK(caller.ctx, nncl_dense_forward(caller.ctx, vX.t, vW.t, vb.t, NNCL_ACT_SIGMOID, vY.t));
    float y[2];
    read_view(&vY, y, "tutorial prediction");
    ck_assert_double_eq_tol(y[0], 0.7985731, 1e-6);
    ck_assert_double_eq_tol(y[1], 0.87101915, 1e-6);
    CHECK_OK(caller.ctx, nncl_context_memory(caller.ctx, &before, NULL));
    free_view(&vX), free_view(&vW), free_view(&vb), free_view(&vY), free_view(&v);
    CHECK_OK(caller.ctx, nncl_context_memory(caller.ctx, &after, NULL));
    ck_assert_uint_eq(after, before);
}
END_TEST

/* ---- activations, losses, sum, optimizer --------------------------------------- */

static double act_grad(double y, int act)
{
    switch (act) {
    case 1: return y * (1 - y);
    case 2: return 1 - y * y;
    case 3: return y > 0 ? 1 : 0;
    case 4: return y > 0 ? 1 : 0.01;
    default: return 1;
    }
}

START_TEST(cl_activation_forward_and_backward)
{
    caller_setup();
    const size_t rows = 9, cols = 13, n = rows * cols;
    float *X = nncl_test_random(n, 7, -3, 3), *dY = nncl_test_random(n, 8, -1, 1);
    float *Y = malloc(n * sizeof(float)), *got = malloc(n * sizeof(float)), db_got[13];
    double *want = alloc_doubles(n), db_want[13];
    ck_assert_ptr_nonnull(Y);
    ck_assert_ptr_nonnull(got);
    char what[96];
    for (int act = 0; act < 5; act++) {
        const char *name = nncl_activation_name((nncl_activation)act);
        /* forward into a separate view */
        view vX = make_view(rows, cols, 2, 3, X), vY = make_view(rows, cols, 1, 1, NULL);
        CHECK_OK(caller.ctx, nncl_cl_activation_forward(caller.ctx, vX.t, vY.t, (nncl_activation)act, NULL));
        snprintf(what, sizeof what, "nncl_cl_activation_forward %s", name);
        read_view(&vY, Y, what);
        for (size_t i = 0; i < n; i++) want[i] = ref_act(X[i], act);
        nncl_test_assert_close(Y, want, n, 1e-5, what);
        /* and in place */
        CHECK_OK(caller.ctx, nncl_cl_activation_forward(caller.ctx, vX.t, vX.t, (nncl_activation)act, NULL));
        snprintf(what, sizeof what, "nncl_cl_activation_forward %s in place", name);
        read_view(&vX, got, what);
        nncl_test_assert_close(got, want, n, 1e-5, what);

        /* backward from the outputs: dY ⊙ act'(Y), db = Σ_rows */
        view vdY = make_view(rows, cols, 4, 2, dY), vdb = make_view(1, cols, 3, 0, NULL);
        CHECK_OK(caller.ctx, nncl_cl_activation_backward(caller.ctx, vdY.t, vY.t, (nncl_activation)act,
                                                         vdb.t, NULL));
        snprintf(what, sizeof what, "nncl_cl_activation_backward %s", name);
        read_view(&vdY, got, what);
        for (size_t c = 0; c < cols; c++) db_want[c] = 0;
        for (size_t i = 0; i < n; i++) {
            want[i] = (double)dY[i] * act_grad(Y[i], act);
            db_want[i % cols] += want[i];
        }
        nncl_test_assert_close(got, want, n, 1e-5, what);
        snprintf(what, sizeof what, "nncl_cl_activation_backward %s db", name);
        read_view(&vdb, db_got, what);
        nncl_test_assert_close(db_got, db_want, cols, 1e-5, what);
        /* without db */
        free_view(&vdY);
        vdY = make_view(rows, cols, 0, 1, dY);
        CHECK_OK(caller.ctx, nncl_cl_activation_backward(caller.ctx, vdY.t, vY.t, (nncl_activation)act,
                                                         NULL, NULL));
        snprintf(what, sizeof what, "nncl_cl_activation_backward %s, no db", name);
        read_view(&vdY, got, what);
        nncl_test_assert_close(got, want, n, 1e-5, what);
        free_view(&vX), free_view(&vY), free_view(&vdY), free_view(&vdb);
    }
    free(X), free(dY), free(Y), free(got), free(want);
}
END_TEST

/* Host double reference of nncl_cl_loss: grad of the mean loss and each
 * row's loss summed over its outputs. */
static void ref_loss(int loss, const float *Z, const float *T, size_t rows, size_t cols, double *grad,
                     double *row_loss)
{
    for (size_t r = 0; r < rows; r++) {
        const float *z = Z + r * cols;
        double total = 0;
        if (loss == NNCL_LOSS_SOFTMAX_CE) {
            double mx = z[0], s = 0;
            for (size_t c = 1; c < cols; c++) mx = z[c] > mx ? z[c] : mx;
            for (size_t c = 0; c < cols; c++) s += exp(z[c] - mx);
            double lse = mx + log(s);
            size_t label = (size_t)T[r];
            total = lse - z[label];
            for (size_t c = 0; c < cols; c++)
                grad[r * cols + c] = (exp(z[c] - lse) - (c == label ? 1.0 : 0.0)) / (double)rows;
        } else {
            for (size_t c = 0; c < cols; c++) {
                double x = z[c], t = T[r * cols + c];
                if (loss == NNCL_LOSS_BCE) {
                    total += (x > 0 ? x : 0) - x * t + log1p(exp(-fabs(x)));
                    grad[r * cols + c] = (1.0 / (1.0 + exp(-x)) - t) / (double)(rows * cols);
                } else {
                    total += (x - t) * (x - t);
                    grad[r * cols + c] = 2.0 * (x - t) / (double)(rows * cols);
                }
            }
        }
        row_loss[r] = total;
    }
}

static void check_cl_loss(int loss, size_t rows, size_t cols)
{
    size_t n = rows * cols, tcols = loss == NNCL_LOSS_SOFTMAX_CE ? 1 : cols;
    float *Z = nncl_test_random(n, rows * 31 + cols, -3, 3), *T = nncl_test_random(rows * tcols, rows + 5, 0, 1);
    if (loss == NNCL_LOSS_SOFTMAX_CE)
        for (size_t r = 0; r < rows; r++) T[r] = (float)((r * 7 + 3) % cols);
    float *got = malloc(n * sizeof(float)), *rl_got = malloc(rows * sizeof(float));
    double *grad = alloc_doubles(n), *rl = alloc_doubles(rows);
    ck_assert_ptr_nonnull(got);
    ck_assert_ptr_nonnull(rl_got);
    ref_loss(loss, Z, T, rows, cols, grad, rl);
    char what[96];
    const char *name = nncl_loss_name((nncl_loss)loss);

    view vZ = make_view(rows, cols, 3, 2, Z), vT = make_view(rows, tcols, 1, 1, T),
         vG = make_view(rows, cols, 2, 3, NULL), vR = make_view(rows, 1, 5, 0, NULL);
    CHECK_OK(caller.ctx, nncl_cl_loss(caller.ctx, (nncl_loss)loss, vZ.t, vT.t, vG.t, vR.t, NULL));
    snprintf(what, sizeof what, "nncl_cl_loss %s %zux%zu grad", name, rows, cols);
    read_view(&vG, got, what);
    nncl_test_assert_close(got, grad, n, 1e-5, what);
    snprintf(what, sizeof what, "nncl_cl_loss %s %zux%zu row_loss", name, rows, cols);
    read_view(&vR, rl_got, what);
    nncl_test_assert_close(rl_got, rl, rows, 1e-5, what);

    /* Only the row losses; then only the gradient. */
    free_view(&vR);
    vR = make_view(rows, 1, 0, 0, NULL);
    CHECK_OK(caller.ctx, nncl_cl_loss(caller.ctx, (nncl_loss)loss, vZ.t, vT.t, NULL, vR.t, NULL));
    snprintf(what, sizeof what, "nncl_cl_loss %s %zux%zu row_loss only", name, rows, cols);
    read_view(&vR, rl_got, what);
    nncl_test_assert_close(rl_got, rl, rows, 1e-5, what);
    free_view(&vG);
    vG = make_view(rows, cols, 1, 0, NULL);
    CHECK_OK(caller.ctx, nncl_cl_loss(caller.ctx, (nncl_loss)loss, vZ.t, vT.t, vG.t, NULL, NULL));
    snprintf(what, sizeof what, "nncl_cl_loss %s %zux%zu grad only", name, rows, cols);
    read_view(&vG, got, what);
    nncl_test_assert_close(got, grad, n, 1e-5, what);
    /* Z is never written. */
    snprintf(what, sizeof what, "nncl_cl_loss %s %zux%zu Z", name, rows, cols);
    read_view(&vZ, got, what);
    ck_assert_mem_eq(got, Z, n * sizeof(float));

    free_view(&vZ), free_view(&vT), free_view(&vG), free_view(&vR);
    free(Z), free(T), free(got), free(rl_got), free(grad), free(rl);
}

START_TEST(cl_loss_every_kind)
{
    caller_setup();
    /* softmax_ce takes a row sixteen logits at a time: rows of 16, 37 and 33 */
    static const size_t shapes[][2] = {{1, 3}, {5, 4}, {32, 10}, {37, 1}, {64, 7}, {3, 16}, {9, 37}, {2, 33}};
    for (int loss = 0; loss < 3; loss++)
        for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
            if (loss == NNCL_LOSS_SOFTMAX_CE && shapes[s][1] < 2) continue;
            check_cl_loss(loss, shapes[s][0], shapes[s][1]);
        }
}
END_TEST

START_TEST(cl_sum_of_a_view)
{
    caller_setup();
    static const size_t sizes[][2] = {{1, 1}, {1, 100}, {50, 3}, {300, 17}};
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        size_t rows = sizes[s][0], cols = sizes[s][1], n = rows * cols;
        float *X = nncl_test_random(n, n, -1, 1), got;
        double want = 0;
        for (size_t i = 0; i < n; i++) want += X[i];
        view vX = make_view(rows, cols, 9, 0, X), vS = make_view(1, 1, 3, 0, NULL);
        CHECK_OK(caller.ctx, nncl_cl_sum(caller.ctx, vX.t, vS.t, NULL));
        read_view(&vS, &got, "nncl_cl_sum");
        /* float error of a sum grows with n; blocks of 64 keep it small */
        ck_assert_msg(fabs(got - want) <= 1e-5 * (double)n, "sum of %zu: %.9g, want %.9g", n, (double)got, want);
        free_view(&vX), free_view(&vS);
        free(X);
    }
    /* a strided X is refused, not summed with its padding */
    float X[6] = {1, 2, 3, 4, 5, 6};
    view vX = make_view(2, 3, 0, 1, X), vS = make_view(1, 1, 0, 0, NULL);
    CHECK_FAILS(caller.ctx, nncl_cl_sum(caller.ctx, vX.t, vS.t, NULL), NNCL_ERR_UNSUPPORTED, "contiguous");
    CHECK_FAILS(caller.ctx, nncl_cl_sum(caller.ctx, vS.t, vX.t, NULL), NNCL_ERR_SHAPE, "1x1");
    free_view(&vX), free_view(&vS);
}
END_TEST

START_TEST(cl_optimizer_adam_steps_match_closed_form)
{
    caller_setup();
    const size_t rows = 3, cols = 7, n = rows * cols; /* 21: the vector body and the tail */
    float *w = nncl_test_random(n, 11, -1, 1), *g = nncl_test_random(n, 12, -0.5f, 0.5f), zeros[21] = {0};
    float got_w[21], got_m[21], got_v[21];
    double want_w[21], want_m[21], want_v[21];
    nncl_optimizer opt = nncl_optimizer_defaults(NNCL_OPTIM_ADAM);
    opt.lr = 0.01f;
    view vw = make_view(rows, cols, 5, 0, w), vg = make_view(rows, cols, 1, 0, g),
         vm = make_view(rows, cols, 2, 0, zeros), vv = make_view(rows, cols, 0, 0, zeros);
    for (size_t i = 0; i < n; i++) want_w[i] = w[i], want_m[i] = 0, want_v[i] = 0;
    for (uint64_t step = 0; step < 2; step++) {
        CHECK_OK(caller.ctx, nncl_cl_optimizer_update(caller.ctx, &opt, step, vw.t, vg.t, vm.t, vv.t, NULL));
        double t = (double)step + 1, b1 = opt.beta1, b2 = opt.beta2;
        for (size_t i = 0; i < n; i++) {
            want_m[i] = b1 * want_m[i] + (1 - b1) * g[i];
            want_v[i] = b2 * want_v[i] + (1 - b2) * (double)g[i] * g[i];
            double mhat = want_m[i] / (1 - pow(b1, t)), vhat = want_v[i] / (1 - pow(b2, t));
            want_w[i] -= opt.lr * mhat / (sqrt(vhat) + opt.eps);
        }
        if (step == 0)
            /* the first step moves every weight by lr·sign(g) (to eps) */
            for (size_t i = 0; i < n; i++)
                ck_assert_double_eq_tol(want_w[i], w[i] - opt.lr * (g[i] > 0 ? 1 : -1), 1e-6);
        read_view(&vw, got_w, "adam params");
        read_view(&vm, got_m, "adam m");
        read_view(&vv, got_v, "adam v");
        nncl_test_assert_close(got_w, want_w, n, 1e-5, "adam params");
        nncl_test_assert_close(got_m, want_m, n, 1e-5, "adam m");
        nncl_test_assert_close(got_v, want_v, n, 1e-5, "adam v");
    }
    /* a bad hyper-parameter is refused before anything runs */
    nncl_optimizer bad = opt;
    bad.lr = 0;
    CHECK_FAILS(caller.ctx, nncl_cl_optimizer_update(caller.ctx, &bad, 0, vw.t, vg.t, vm.t, vv.t, NULL),
                NNCL_ERR_INVALID_ARG, "nncl_cl_optimizer_update: learning rate 0");
    view small = make_view(1, 2, 0, 0, zeros);
    CHECK_FAILS(caller.ctx, nncl_cl_optimizer_update(caller.ctx, &opt, 0, vw.t, vg.t, small.t, vv.t, NULL),
                NNCL_ERR_SHAPE, "m is 1x2");
    free_view(&vw), free_view(&vg), free_view(&vm), free_view(&vv), free_view(&small);
    free(w), free(g);
}
END_TEST

/* A tiny model trained by nncl_model_train_step on caller buffers (views with
 * offsets and ld): the loss falls. */
START_TEST(model_trains_on_caller_buffers)
{
    caller_setup();
    const float X[8] = {0, 0, 0, 1, 1, 0, 1, 1}, Y[4] = {0, 1, 1, 0};
    view vX = make_view(4, 2, 3, 2, X), vY = make_view(4, 1, 1, 1, Y);
    const nncl_layer_spec layers[] = {{8, NNCL_ACT_TANH}, {1, NNCL_ACT_SIGMOID}};
    nncl_model_spec spec = {.inputs = 2, .n_layers = 2, .layers = layers, .loss = NNCL_LOSS_BCE, .seed = 3};
    nncl_model *model = NULL;
    CHECK_OK(caller.ctx, nncl_model_create(caller.ctx, &spec, &model));
    nncl_optimizer adam = nncl_optimizer_defaults(NNCL_OPTIM_ADAM);
    adam.lr = 0.05f;
    CHECK_OK(caller.ctx, nncl_model_set_optimizer(model, &adam));
    float first = 0, last = 0, accuracy = 0;
    CHECK_OK(caller.ctx, nncl_model_evaluate(model, vX.t, vY.t, &first, NULL));
    for (int i = 0; i < 300; i++) CHECK_OK(caller.ctx, nncl_model_train_step(model, vX.t, vY.t));
    CHECK_OK(caller.ctx, nncl_model_evaluate(model, vX.t, vY.t, &last, &accuracy));
    ck_assert_msg(last < first * 0.5f, "loss %g -> %g", (double)first, (double)last);
    ck_assert_float_eq(accuracy, 1.0f);
    nncl_model_destroy(model);
    float check[8];
    read_view(&vX, check, "model inputs");
    ck_assert_mem_eq(check, X, sizeof X);
    free_view(&vX), free_view(&vY);
}
END_TEST

/* ---- ownership ------------------------------------------------------------------- */

/* Reads each buffer on the caller's queue (blocking). Some implementations
 * (PoCL) keep the last command that used a buffer alive, and that command
 * holds a reference to its queue; touching the same buffers the same way
 * before and after puts those hidden references in the same state, so the
 * queue's count compares what nncl itself retained. */
static void touch(cl_mem *mems, const size_t *floats, int n, float *dst)
{
    for (int i = 0; i < n; i++) {
        ck_assert_int_eq(clEnqueueReadBuffer(caller.queue, mems[i], CL_TRUE, 0, floats[i] * sizeof(float), dst, 0,
                                             NULL, NULL), CL_SUCCESS);
        dst += floats[i];
    }
    ck_assert_int_eq(clFinish(caller.queue), CL_SUCCESS);
}

START_TEST(destroy_leaves_the_callers_objects_as_they_were)
{
    caller_setup();
    enum { M = 6, N = 5, K = 4 };
    float *A = nncl_test_random(M * K, 1, -1, 1), *B = nncl_test_random(N * K, 2, -1, 1);
    float before[M * K + N * K + 2 + M * N], after[M * K + N * K + 2 + M * N];
    double want[M * N];
    /* The caller's buffers, created and filled before nncl sees them. */
    cl_mem mems[3] = {caller_buffer(caller.cl, M * K, A), caller_buffer(caller.cl, N * K + 2, NULL),
                      caller_buffer(caller.cl, M * N, NULL)};
    const size_t sizes[3] = {M * K, N * K + 2, M * N};
    ck_assert_int_eq(clEnqueueWriteBuffer(caller.queue, mems[1], CL_TRUE, 2 * sizeof(float), N * K * sizeof(float),
                                          B, 0, NULL, NULL), CL_SUCCESS);
    touch(mems, sizes, 3, before);
    /* Counted after the buffers, which hold references to the context themselves. */
    cl_uint ctx0, q0, mem0[3];
    STABLE(context_refs(caller.cl), ctx0);
    STABLE(queue_refs(caller.queue), q0);
    for (int i = 0; i < 3; i++) STABLE(mem_refs(mems[i]), mem0[i]);

    nncl_context *ctx = NULL;
    CHECK_OK(NULL, nncl_context_create_from_cl(caller.cl, caller.device, caller.queue, NULL, &ctx));
    SETTLED(queue_refs(caller.queue), q0 + 1);   /* nncl holds one reference */
    ck_assert_uint_gt(context_refs(caller.cl), ctx0); /* nncl and its program hold it */
    nncl_tensor *tA, *tB, *tC, *tA2, *own;
    CHECK_OK(ctx, nncl_tensor_wrap_cl(ctx, mems[0], 0, M, K, K, &tA));
    CHECK_OK(ctx, nncl_tensor_wrap_cl(ctx, mems[0], 0, M, K, K, &tA2)); /* two views of one buffer */
    CHECK_OK(ctx, nncl_tensor_wrap_cl(ctx, mems[1], 2, N, K, K, &tB));
    CHECK_OK(ctx, nncl_tensor_wrap_cl(ctx, mems[2], 0, M, N, N, &tC));
    SETTLED(mem_refs(mems[0]), mem0[0] + 2);
    SETTLED(mem_refs(mems[1]), mem0[1] + 1);
    SETTLED(mem_refs(mems[2]), mem0[2] + 1);
    CHECK_OK(ctx, nncl_tensor_create(ctx, 3, 3, &own)); /* nncl's own buffer in the caller's context */
    CHECK_OK(ctx, nncl_tensor_fill(own, 1.0f));
    /* NT: nncl also allocates its transpose scratch in the caller's context */
    CHECK_OK(ctx, nncl_cl_gemm(ctx, 0, 1, 1.0f, tA, tB, 0.0f, tC, NULL, NNCL_ACT_RELU, NULL));
    nncl_tensor_destroy(tA), nncl_tensor_destroy(tA2), nncl_tensor_destroy(tB), nncl_tensor_destroy(tC);
    nncl_tensor_destroy(own);
    nncl_context_destroy(ctx);

    /* The caller's queue and buffers still work, and hold nncl's result. */
    touch(mems, sizes, 3, after);
    ck_assert_mem_eq(after, before, (M * K + N * K + 2) * sizeof(float)); /* inputs untouched */
    ref_gemm(0, 1, M, N, K, 1.0, A, B, 0.0, NULL, NULL, NNCL_ACT_RELU, want);
    nncl_test_assert_close(after + M * K + N * K + 2, want, M * N, 1e-5,
                           "result read on the caller's queue after destroy");

    SETTLED(context_refs(caller.cl), ctx0);
    SETTLED(queue_refs(caller.queue), q0);
    for (int i = 0; i < 3; i++) SETTLED(mem_refs(mems[i]), mem0[i]);

    /* and a command of the caller's own still runs on them */
    float C[M * K];
    ck_assert_int_eq(clEnqueueCopyBuffer(caller.queue, mems[0], mems[2], 0, 0, M * K * sizeof(float), 0, NULL, NULL),
                     CL_SUCCESS);
    ck_assert_int_eq(clEnqueueReadBuffer(caller.queue, mems[2], CL_TRUE, 0, sizeof C, C, 0, NULL, NULL), CL_SUCCESS);
    ck_assert_mem_eq(C, A, sizeof C);
    for (int i = 0; i < 3; i++) clReleaseMemObject(mems[i]);
    free(A), free(B);
}
END_TEST

/* ---- wait lists and events -------------------------------------------------------- */

static cl_int event_status(cl_event ev)
{
    cl_int status = 0;
    ck_assert_int_eq(clGetEventInfo(ev, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof status, &status, NULL),
                     CL_SUCCESS);
    return status;
}

START_TEST(ops_wait_for_their_wait_list)
{
    caller_setup();
    const size_t M = 16, N = 12, K = 8;
    float *A = nncl_test_random(M * K, 21, -1, 1), *B = nncl_test_random(K * N, 22, -1, 1),
          *bias = nncl_test_random(N, 23, -1, 1), got[16 * 12];
    double want[16 * 12];
    view vA = make_view(M, K, 1, 1, A), vB = make_view(K, N, 0, 2, B), vb = make_view(1, N, 2, 0, bias),
         vC = make_view(M, N, 3, 1, NULL);
    cl_int err;
    cl_event gate = clCreateUserEvent(caller.cl, &err), done = NULL;
    ck_assert_int_eq(err, CL_SUCCESS);
    nncl_cl_sync sync = {.num_events = 1, .wait_list = &gate, .event = &done};
    nncl_status st = nncl_cl_gemm(caller.ctx, 0, 0, 1.0f, vA.t, vB.t, 0.0f, vC.t, vb.t, NNCL_ACT_TANH, &sync);
    cl_int before = CL_COMPLETE;
    if (st == NNCL_OK && done) {
        clFlush(caller.queue);
        for (int i = 0; i < 5 && (before = event_status(done)) != CL_COMPLETE; i++) sleep_ms(10);
    }
    /* Open the gate before asserting, so a failure never leaves the queue blocked. */
    ck_assert_int_eq(clSetUserEventStatus(gate, CL_COMPLETE), CL_SUCCESS);
    ck_assert_msg(st == NNCL_OK, "nncl_cl_gemm with a wait list: %s", nncl_last_error(caller.ctx));
    ck_assert_ptr_nonnull(done);
    ck_assert_msg(before != CL_COMPLETE, "the gemm completed while its wait list was still pending");
    ck_assert_int_eq(clWaitForEvents(1, &done), CL_SUCCESS);
    ck_assert_int_eq(event_status(done), CL_COMPLETE);
    read_view(&vC, got, "gemm after its user event");
    ref_gemm(0, 0, M, N, K, 1.0, A, B, 0.0, NULL, bias, NNCL_ACT_TANH, want);
    nncl_test_assert_close(got, want, M * N, 1e-5, "gemm after its user event");

    /* A chain of events: activation waits for the gemm's event, sum for the activation's. */
    cl_event ev_act = NULL, ev_sum = NULL;
    view vS = make_view(1, 1, 0, 0, NULL), vD = make_view(M, N, 0, 0, NULL);
    nncl_cl_sync s1 = {.num_events = 1, .wait_list = &done, .event = &ev_act};
    CHECK_OK(caller.ctx, nncl_cl_activation_forward(caller.ctx, vC.t, vD.t, NNCL_ACT_RELU, &s1));
    nncl_cl_sync s2 = {.num_events = 1, .wait_list = &ev_act, .event = &ev_sum};
    CHECK_OK(caller.ctx, nncl_cl_sum(caller.ctx, vD.t, vS.t, &s2));
    ck_assert_ptr_nonnull(ev_act);
    ck_assert_ptr_nonnull(ev_sum);
    ck_assert_int_eq(clWaitForEvents(1, &ev_sum), CL_SUCCESS);
    float sum;
    read_view(&vS, &sum, "sum after the chain");
    double want_sum = 0;
    for (size_t i = 0; i < M * N; i++) want_sum += want[i] > 0 ? want[i] : 0;
    ck_assert_double_eq_tol(sum, want_sum, 1e-4);
    /* an empty sync, and one without an event, are fine */
    nncl_cl_sync none = nncl_cl_sync_defaults();
    CHECK_OK(caller.ctx, nncl_cl_sum(caller.ctx, vD.t, vS.t, &none));
    clReleaseEvent(gate), clReleaseEvent(done), clReleaseEvent(ev_act), clReleaseEvent(ev_sum);
    free_view(&vA), free_view(&vB), free_view(&vb), free_view(&vC), free_view(&vS), free_view(&vD);
    free(A), free(B), free(bias);
}
END_TEST

START_TEST(out_of_order_queue_is_unsupported)
{
    caller_setup();
    cl_int err;
    cl_command_queue ooo = clCreateCommandQueue(caller.cl, caller.device, CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE, &err);
    if (err != CL_SUCCESS) {
        fprintf(stderr, "the device refuses an out-of-order queue (%d); check skipped\n", err);
        return;
    }
    cl_uint ctx0 = context_refs(caller.cl), q0 = queue_refs(ooo);
    nncl_context *ctx = (nncl_context *)&err; /* must be reset to NULL */
    CHECK_FAILS(NULL, nncl_context_create_from_cl(caller.cl, caller.device, ooo, NULL, &ctx),
                NNCL_ERR_UNSUPPORTED, "out-of-order");
    ck_assert_ptr_null(ctx);
    SETTLED(context_refs(caller.cl), ctx0);
    SETTLED(queue_refs(ooo), q0);
    clReleaseCommandQueue(ooo);
}
END_TEST

/* ---- bad arguments ------------------------------------------------------------------- */

START_TEST(bad_arguments_have_status_and_message)
{
    caller_setup();
    nncl_context *ctx = (nncl_context *)&caller; /* must be reset to NULL */
    CHECK_FAILS(NULL, nncl_context_create_from_cl(NULL, caller.device, caller.queue, NULL, &ctx),
                NNCL_ERR_INVALID_ARG, "context, device and queue are required");
    ck_assert_ptr_null(ctx);
    CHECK_FAILS(NULL, nncl_context_create_from_cl(caller.cl, NULL, caller.queue, NULL, &ctx),
                NNCL_ERR_INVALID_ARG, "required");
    CHECK_FAILS(NULL, nncl_context_create_from_cl(caller.cl, caller.device, NULL, NULL, &ctx),
                NNCL_ERR_INVALID_ARG, "required");
    CHECK_FAILS(NULL, nncl_context_create_from_cl(caller.cl, caller.device, caller.queue, NULL, NULL),
                NNCL_ERR_INVALID_ARG, "out is NULL");

    /* A second OpenCL context on the same device: its queue and buffers are foreign. */
    cl_int err;
    cl_context other = clCreateContext(NULL, 1, &caller.device, NULL, NULL, &err);
    ck_assert_int_eq(err, CL_SUCCESS);
    cl_command_queue other_q = clCreateCommandQueue(other, caller.device, 0, &err);
    ck_assert_int_eq(err, CL_SUCCESS);
    CHECK_FAILS(NULL, nncl_context_create_from_cl(caller.cl, caller.device, other_q, NULL, &ctx),
                NNCL_ERR_INVALID_ARG, "another context");
    ck_assert_ptr_null(ctx);
    cl_mem foreign = caller_buffer(other, 16, NULL), mine = caller_buffer(caller.cl, 100, NULL);
    cl_uint foreign0 = mem_refs(foreign), mine0 = mem_refs(mine);
    nncl_tensor *t = (nncl_tensor *)&caller;
    CHECK_FAILS(caller.ctx, nncl_tensor_wrap_cl(caller.ctx, foreign, 0, 4, 4, 4, &t), NNCL_ERR_INVALID_ARG,
                "another OpenCL context");
    ck_assert_ptr_null(t);
    CHECK_FAILS(caller.ctx, nncl_tensor_wrap_cl(caller.ctx, NULL, 0, 4, 4, 4, &t), NNCL_ERR_INVALID_ARG,
                "mem");
    CHECK_FAILS(NULL, nncl_tensor_wrap_cl(NULL, mine, 0, 4, 4, 4, &t), NNCL_ERR_INVALID_ARG, "ctx");
    CHECK_FAILS(caller.ctx, nncl_tensor_wrap_cl(caller.ctx, mine, 0, 4, 4, 4, NULL), NNCL_ERR_INVALID_ARG,
                "out");
    /* Views larger than the buffer (100 floats) name the sizes. */
    CHECK_FAILS(caller.ctx, nncl_tensor_wrap_cl(caller.ctx, mine, 5, 10, 10, 10, &t), NNCL_ERR_SHAPE,
                "needs 105 floats; the buffer holds 100");
    ck_assert_ptr_null(t);
    CHECK_FAILS(caller.ctx, nncl_tensor_wrap_cl(caller.ctx, mine, 0, 9, 10, 12, &t), NNCL_ERR_SHAPE,
                "9x10 at offset 0, ld 12 needs 106 floats");
    /* Sizes chosen so that a careless offset + rows·ld would wrap around. */
    CHECK_FAILS(caller.ctx, nncl_tensor_wrap_cl(caller.ctx, mine, SIZE_MAX - 10, 1, 20, 20, &t), NNCL_ERR_SHAPE,
                "below 2^32");
    CHECK_FAILS(caller.ctx, nncl_tensor_wrap_cl(caller.ctx, mine, 0, 3, 4, SIZE_MAX / 2 + 1, &t), NNCL_ERR_SHAPE,
                "below 2^32");
    CHECK_FAILS(caller.ctx, nncl_tensor_wrap_cl(caller.ctx, mine, 100, 1, 1, 1, &t), NNCL_ERR_SHAPE,
                "the buffer holds 100");
    CHECK_FAILS(caller.ctx, nncl_tensor_wrap_cl(caller.ctx, mine, 0, 4, 5, 4, &t), NNCL_ERR_SHAPE,
                "ld >= cols");
    CHECK_FAILS(caller.ctx, nncl_tensor_wrap_cl(caller.ctx, mine, 0, 0, 5, 5, &t), NNCL_ERR_SHAPE,
                "rows, cols > 0");
    /* failures retain nothing */
    SETTLED(mem_refs(foreign), foreign0);
    SETTLED(mem_refs(mine), mine0);
    /* exactly the whole buffer is fine */
    CHECK_OK(caller.ctx, nncl_tensor_wrap_cl(caller.ctx, mine, 0, 10, 10, 10, &t));
    nncl_tensor_destroy(t);

    /* The ops: NULLs, shapes, activations, foreign tensors, sync without a list. */
    view a = make_view(4, 3, 0, 0, NULL), b = make_view(3, 5, 0, 0, NULL), c = make_view(4, 5, 0, 0, NULL),
         bias = make_view(1, 4, 0, 0, NULL);
    CHECK_FAILS(NULL, nncl_cl_gemm(NULL, 0, 0, 1, a.t, b.t, 0, c.t, NULL, NNCL_ACT_IDENTITY, NULL),
                NNCL_ERR_INVALID_ARG, "ctx is NULL");
    CHECK_FAILS(caller.ctx, nncl_cl_gemm(caller.ctx, 0, 0, 1, NULL, b.t, 0, c.t, NULL, NNCL_ACT_IDENTITY, NULL),
                NNCL_ERR_INVALID_ARG, "nncl_cl_gemm: A is NULL");
    CHECK_FAILS(caller.ctx, nncl_cl_gemm(caller.ctx, 1, 0, 1, a.t, b.t, 0, c.t, NULL, NNCL_ACT_IDENTITY, NULL),
                NNCL_ERR_SHAPE, "op(A) is 3x4, op(B) is 3x5");
    CHECK_FAILS(caller.ctx, nncl_cl_gemm(caller.ctx, 0, 0, 1, a.t, b.t, 0, c.t, bias.t, NNCL_ACT_IDENTITY, NULL),
                NNCL_ERR_SHAPE, "bias is 1x4");
    CHECK_FAILS(caller.ctx, nncl_cl_gemm(caller.ctx, 0, 0, 1, a.t, b.t, 0, c.t, NULL, NNCL_ACT_SOFTMAX, NULL),
                NNCL_ERR_INVALID_ARG, "activation 5 not allowed");
    CHECK_FAILS(caller.ctx, nncl_cl_gemm(caller.ctx, 0, 0, NAN, a.t, b.t, 0, c.t, NULL, NNCL_ACT_IDENTITY, NULL),
                NNCL_ERR_NUMERIC, "alpha or beta is NaN");
    nncl_context *own = nncl_test_context();
    nncl_tensor *own_t = nncl_test_tensor(own, 3, 5, NULL);
    CHECK_FAILS(caller.ctx, nncl_cl_gemm(caller.ctx, 0, 0, 1, a.t, own_t, 0, c.t, NULL, NNCL_ACT_IDENTITY, NULL),
                NNCL_ERR_INVALID_ARG, "B belongs to another context");
    CHECK_FAILS(own, nncl_gemm(own, 0, 0, 1, a.t, own_t, 0, c.t), NNCL_ERR_INVALID_ARG, "another context");
    nncl_tensor_destroy(own_t);
    nncl_cl_sync no_list = nncl_cl_sync_defaults();
    no_list.num_events = 1;
    CHECK_FAILS(caller.ctx, nncl_cl_gemm(caller.ctx, 0, 0, 1, a.t, b.t, 0, c.t, NULL, NNCL_ACT_IDENTITY, &no_list),
                NNCL_ERR_INVALID_ARG, "wait_list is NULL");
    CHECK_FAILS(caller.ctx, nncl_cl_activation_forward(caller.ctx, a.t, c.t, NNCL_ACT_RELU, NULL), NNCL_ERR_SHAPE,
                "X 4x3, Y 4x5");
    CHECK_FAILS(caller.ctx, nncl_cl_activation_forward(caller.ctx, a.t, a.t, NNCL_ACT_SOFTMAX, NULL),
                NNCL_ERR_INVALID_ARG, "not allowed");
    CHECK_FAILS(caller.ctx, nncl_cl_activation_backward(caller.ctx, c.t, c.t, NNCL_ACT_RELU, bias.t, NULL),
                NNCL_ERR_SHAPE, "db 1x4");
    CHECK_FAILS(caller.ctx, nncl_cl_loss(caller.ctx, (nncl_loss)7, c.t, c.t, NULL, NULL, NULL),
                NNCL_ERR_INVALID_ARG, "unknown loss 7");
    CHECK_FAILS(caller.ctx, nncl_cl_loss(caller.ctx, NNCL_LOSS_SOFTMAX_CE, c.t, c.t, NULL, NULL, NULL),
                NNCL_ERR_SHAPE, "needs T 4x1");
    CHECK_FAILS(caller.ctx, nncl_cl_loss(caller.ctx, NNCL_LOSS_MSE, c.t, NULL, NULL, NULL, NULL),
                NNCL_ERR_INVALID_ARG, "T is NULL");
    CHECK_FAILS(NULL, nncl_cl_sum(NULL, a.t, a.t, NULL), NNCL_ERR_INVALID_ARG, "ctx is NULL");
    CHECK_FAILS(caller.ctx, nncl_cl_optimizer_update(caller.ctx, NULL, 0, a.t, a.t, a.t, a.t, NULL),
                NNCL_ERR_INVALID_ARG, "nncl_cl_optimizer_update: optimizer is NULL");
    free_view(&a), free_view(&b), free_view(&c), free_view(&bias);
    clReleaseMemObject(foreign), clReleaseMemObject(mine);
    clReleaseCommandQueue(other_q);
    clReleaseContext(other);
}
END_TEST

static void device_cases(Suite *s)
{
    NNCL_TEST_CASE(s, "interop", 300, wrapped_context_exposes_the_callers_objects,
                   cl_gemm_matches_reference_and_own_context, tensor_calls_respect_offset_and_ld,
                   cl_activation_forward_and_backward, cl_loss_every_kind, cl_sum_of_a_view,
                   cl_optimizer_adam_steps_match_closed_form, model_trains_on_caller_buffers,
                   destroy_leaves_the_callers_objects_as_they_were, ops_wait_for_their_wait_list,
                   out_of_order_queue_is_unsupported, bad_arguments_have_status_and_message);
}

int main(int argc, char **argv) { return nncl_test_run("interop", NULL, device_cases, argc, argv); }
