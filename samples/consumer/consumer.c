/* SPDX-License-Identifier: MIT */
/* A program of its own that already speaks OpenCL and uses nncl from the
 * installed package only (<nncl/nncl.h>, <nncl/nncl_cl.h>, libnncl):
 *
 *   1. it makes its own OpenCL context, in-order queue and buffers;
 *   2. wraps them in nncl (nncl_context_create_from_cl, nncl_tensor_wrap_cl);
 *   3. runs the tutorial's prediction, sigmoid(x·w + b), as one nncl_cl_gemm
 *      with the bias and the sigmoid fused, and reads the answer back itself;
 *   4. trains that unit on the tutorial's eight points with nncl_cl_* ops
 *      forming each gradient-descent step, and checks that the loss falls.
 *
 * It prints what it computes and exits non-zero on any mismatch.
 *
 * Build it with CMake (see CMakeLists.txt: find_package(nncl) and
 * nncl::nncl), or with a plain compiler through pkg-config:
 *
 *   cc consumer.c $(pkg-config --cflags --libs nncl OpenCL) -o consumer
 * (OpenCL too, because this program calls OpenCL itself).
 *
 * (PKG_CONFIG_PATH=<prefix>/lib/pkgconfig when nncl is not installed in a
 * standard place; LD_LIBRARY_PATH=<prefix>/lib to run it then.) */
#include <nncl/nncl.h>
#include <nncl/nncl_cl.h> /* includes <CL/cl.h> (OpenCL 1.2 API) */

#include <stdio.h>

static int failures;

/* Reports a failed nncl call with its status and message. */
static int nncl_ok(const nncl_context *ctx, nncl_status st, const char *what)
{
    if (st == NNCL_OK) return 1;
    fprintf(stderr, "consumer: %s: %s: %s\n", what, nncl_status_string(st), nncl_last_error(ctx));
    failures++;
    return 0;
}

static int cl_ok(cl_int err, const char *what)
{
    if (err == CL_SUCCESS) return 1;
    fprintf(stderr, "consumer: %s failed: OpenCL error %d\n", what, (int)err);
    failures++;
    return 0;
}

static void expect_close(const char *what, double got, double want, double tol)
{
    double err = got > want ? got - want : want - got;
    int ok = err <= tol;
    printf("  %-22s %.8f  (want %.8f)  %s\n", what, got, want, ok ? "ok" : "MISMATCH");
    if (!ok) failures++;
}

/* The application's own buffer, filled from host memory. */
static cl_mem buffer(cl_context cl, size_t floats, const float *init)
{
    cl_int err;
    cl_mem mem = clCreateBuffer(cl, CL_MEM_READ_WRITE | (init ? CL_MEM_COPY_HOST_PTR : 0),
                                floats * sizeof(float), (void *)init, &err);
    return cl_ok(err, "clCreateBuffer") ? mem : NULL;
}

static nncl_tensor *wrap(nncl_context *ctx, cl_mem mem, size_t offset, size_t rows, size_t cols)
{
    nncl_tensor *t = NULL;
    nncl_ok(ctx, nncl_tensor_wrap_cl(ctx, mem, offset, rows, cols, cols, &t), "nncl_tensor_wrap_cl");
    return t;
}

/* The tutorial's eight points and their classes. */
static const float points[8 * 2] = {3, 1.5f, 2, 1, 4, 1.5f, 3, 4, 3.5f, 0.5f, 2, 0.5f, 5.5f, 1, 1, 1};
static const float classes[8] = {0, 1, 0, 1, 0, 1, 1, 0};

static void run(cl_context cl, cl_device_id device, cl_command_queue queue)
{
    nncl_context *ctx = NULL;
    if (!nncl_ok(NULL, nncl_context_create_from_cl(cl, device, queue, NULL, &ctx),
                 "nncl_context_create_from_cl"))
        return;
    nncl_device_info info;
    if (nncl_ok(ctx, nncl_context_device(ctx, &info), "nncl_context_device"))
        printf("device: %s (%s)\n", info.name, info.platform);

    /* ---- the tutorial's prediction -------------------------------------
     * One buffer holds both inputs after a 4-float header the application
     * keeps for itself: nncl sees a 2 x 2 view at offset 4. */
    const float xs[8] = {-1, -1, -1, -1, 1.66f, 1.56f, 2.0f, 1.5f};
    float w_b[3] = {1.45f, -0.66f, 0.0f}; /* weights, then the bias, in one buffer */
    cl_mem x_mem = buffer(cl, 8, xs), wb_mem = buffer(cl, 3, w_b), y_mem = buffer(cl, 2, NULL);
    nncl_tensor *X = wrap(ctx, x_mem, 4, 2, 2), *W = wrap(ctx, wb_mem, 0, 2, 1),
                *b = wrap(ctx, wb_mem, 2, 1, 1), *Y = wrap(ctx, y_mem, 0, 2, 1);
    if (X && W && b && Y) {
        cl_event done = NULL;
        nncl_cl_sync sync = nncl_cl_sync_defaults();
        sync.event = &done;
        /* Y = sigmoid(1·X·W + 0·Y + b) */
        if (nncl_ok(ctx, nncl_cl_gemm(ctx, 0, 0, 1.0f, X, W, 0.0f, Y, b, NNCL_ACT_SIGMOID, &sync),
                    "nncl_cl_gemm")) {
            float y[2] = {0, 0};
            /* The application's own read, after nncl's event. */
            if (cl_ok(clEnqueueReadBuffer(queue, y_mem, CL_TRUE, 0, sizeof y, y, 1, &done, NULL),
                      "clEnqueueReadBuffer")) {
                printf("prediction, sigmoid(x . w + b):\n");
                expect_close("[1.66, 1.56]", y[0], 0.7985731, 1e-6);
                expect_close("[2, 1.5]", y[1], 0.87101915, 1e-6);
            }
            clReleaseEvent(done);
        }
    }

    /* ---- training: gradient descent with nncl_cl_* ops ----------------------
     * forward   A  = sigmoid(P·W + b)                     nncl_cl_gemm
     * loss      dA = d mean (A - T)² / dA, row losses      nncl_cl_loss (MSE)
     * backward  dZ = dA ⊙ A(1 - A), db = Σ dZ             nncl_cl_activation_backward
     *           dW = Pᵀ·dZ                                nncl_cl_gemm (Pᵀ: trans_a)
     * update    W -= lr·dW, b -= lr·db                    nncl_cl_optimizer_update (SGD)
     * loss sum  Σ row losses                              nncl_cl_sum */
    float zeros[6] = {0, 0, 0, 0, 0, 0};
    cl_mem p_mem = buffer(cl, 16, points), t_mem = buffer(cl, 8, classes), a_mem = buffer(cl, 8, NULL),
           da_mem = buffer(cl, 8, NULL), rl_mem = buffer(cl, 8, NULL), grad_mem = buffer(cl, 3, NULL),
           state_mem = buffer(cl, 6, zeros), sum_mem = buffer(cl, 1, NULL);
    nncl_tensor *P = wrap(ctx, p_mem, 0, 8, 2), *T = wrap(ctx, t_mem, 0, 8, 1), *A = wrap(ctx, a_mem, 0, 8, 1),
                *dA = wrap(ctx, da_mem, 0, 8, 1), *RL = wrap(ctx, rl_mem, 0, 8, 1),
                *params = wrap(ctx, wb_mem, 0, 1, 3), /* W and b together: one update */
                *grads = wrap(ctx, grad_mem, 0, 1, 3), *dW = wrap(ctx, grad_mem, 0, 2, 1),
                *db = wrap(ctx, grad_mem, 2, 1, 1), *m = wrap(ctx, state_mem, 0, 1, 3),
                *v = wrap(ctx, state_mem, 3, 1, 3), /* optimizer state (unused by SGD, zeroed) */
                *sum = wrap(ctx, sum_mem, 0, 1, 1);
    nncl_optimizer sgd = nncl_optimizer_defaults(NNCL_OPTIM_SGD);
    sgd.lr = 0.5f;
    float first = -1, last = -1;
    const int steps = 200;
    if (P && T && A && dA && RL && params && grads && dW && db && m && v && sum) {
        printf("training one sigmoid unit on the tutorial's 8 points (MSE, SGD, lr %.1f):\n", (double)sgd.lr);
        for (int step = 0; step <= steps && !failures; step++) {
            nncl_ok(ctx, nncl_cl_gemm(ctx, 0, 0, 1.0f, P, W, 0.0f, A, b, NNCL_ACT_SIGMOID, NULL), "forward");
            nncl_ok(ctx, nncl_cl_loss(ctx, NNCL_LOSS_MSE, A, T, dA, RL, NULL), "loss");
            if (step % 50 == 0 || step == steps) {
                cl_event summed = NULL;
                nncl_cl_sync sync = nncl_cl_sync_defaults();
                sync.event = &summed;
                float total = 0;
                if (nncl_ok(ctx, nncl_cl_sum(ctx, RL, sum, &sync), "sum") &&
                    cl_ok(clEnqueueReadBuffer(queue, sum_mem, CL_TRUE, 0, sizeof total, &total, 1, &summed,
                                              NULL), "reading the loss")) {
                    float mean = total / 8.0f;
                    printf("  step %4d  loss %.6f\n", step, (double)mean);
                    if (first < 0) first = mean;
                    last = mean;
                }
                if (summed) clReleaseEvent(summed);
            }
            if (step == steps) break;
            nncl_ok(ctx, nncl_cl_activation_backward(ctx, dA, A, NNCL_ACT_SIGMOID, db, NULL), "backward");
            nncl_ok(ctx, nncl_cl_gemm(ctx, 1, 0, 1.0f, P, dA, 0.0f, dW, NULL, NNCL_ACT_IDENTITY, NULL), "dW");
            nncl_ok(ctx, nncl_cl_optimizer_update(ctx, &sgd, (uint64_t)step, params, grads, m, v, NULL),
                    "update");
        }
        if (!failures && !(last < first)) {
            fprintf(stderr, "consumer: the loss did not fall (%.6f -> %.6f)\n", (double)first, (double)last);
            failures++;
        }
        if (!failures) printf("  loss fell from %.6f to %.6f: ok\n", (double)first, (double)last);
    }

    nncl_tensor *all[] = {X, W, b, Y, P, T, A, dA, RL, params, grads, dW, db, m, v, sum};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) nncl_tensor_destroy(all[i]);
    nncl_context_destroy(ctx); /* waits for the queue; the application's objects stay valid */
    cl_mem mems[] = {x_mem, wb_mem, y_mem, p_mem, t_mem, a_mem, da_mem, rl_mem, grad_mem, state_mem, sum_mem};
    for (size_t i = 0; i < sizeof mems / sizeof *mems; i++)
        if (mems[i]) clReleaseMemObject(mems[i]);
}

int main(void)
{
    printf("nncl %s (built against %s)\n", nncl_version_string(), NNCL_VERSION_STRING);
    if (nncl_version() / 10000 != NNCL_VERSION_MAJOR) {
        fprintf(stderr, "consumer: linked nncl %d is not major version %d\n", nncl_version(), NNCL_VERSION_MAJOR);
        return 1;
    }

    /* The application's own OpenCL objects: the first device of the first platform. */
    cl_platform_id platform;
    cl_device_id device;
    cl_int err;
    if (!cl_ok(clGetPlatformIDs(1, &platform, NULL), "clGetPlatformIDs") ||
        !cl_ok(clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 1, &device, NULL), "clGetDeviceIDs"))
        return 1;
    cl_context cl = clCreateContext(NULL, 1, &device, NULL, NULL, &err);
    if (!cl_ok(err, "clCreateContext")) return 1;
    cl_command_queue queue = clCreateCommandQueue(cl, device, 0, &err); /* in order */
    if (cl_ok(err, "clCreateCommandQueue")) {
        run(cl, device, queue);
        clReleaseCommandQueue(queue);
    }
    clReleaseContext(cl);
    if (failures) {
        fprintf(stderr, "consumer: %d failure(s)\n", failures);
        return 1;
    }
    printf("consumer: all checks passed\n");
    return 0;
}
