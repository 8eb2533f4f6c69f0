/* SPDX-License-Identifier: MIT */
/* The tutorial's prediction, through nncl: one dense unit with a sigmoid,
 *   prediction = sigmoid(x · w + b),  w = [1.45, -0.66], b = 0,
 * for the inputs [1.66, 1.56] (target 1) and [2, 1.5] (target 0), both in one
 * batch. Expected: 0.7985731 and 0.87101915. */
#include <nncl/nncl.h>

#include <stdio.h>

static int fail(nncl_context *ctx, nncl_status st, const char *what)
{
    fprintf(stderr, "predict: %s: %s: %s\n", what, nncl_status_string(st), nncl_last_error(ctx));
    return 1;
}

int main(void)
{
    const float inputs[2][2] = {{1.66f, 1.56f}, {2.0f, 1.5f}};
    const int targets[2] = {1, 0};
    const float weights[2] = {1.45f, -0.66f}; /* a 2 x 1 matrix */
    const float bias[1] = {0.0f};

    nncl_context *ctx = NULL;
    nncl_status st = nncl_context_create(NULL, &ctx);
    if (st != NNCL_OK) return fail(NULL, st, "creating a context");
    nncl_device_info dev;
    nncl_context_device(ctx, &dev);
    printf("device: %s (%s)\n", dev.name, dev.platform);

    nncl_tensor *X = NULL, *W = NULL, *b = NULL, *Y = NULL;
    float y[2];
    if ((st = nncl_tensor_create(ctx, 2, 2, &X)) || (st = nncl_tensor_create(ctx, 2, 1, &W)) ||
        (st = nncl_tensor_create(ctx, 1, 1, &b)) || (st = nncl_tensor_create(ctx, 2, 1, &Y)) ||
        (st = nncl_tensor_upload(X, &inputs[0][0], 4)) || (st = nncl_tensor_upload(W, weights, 2)) ||
        (st = nncl_tensor_upload(b, bias, 1)) ||
        (st = nncl_dense_forward(ctx, X, W, b, NNCL_ACT_SIGMOID, Y)) ||
        (st = nncl_tensor_download(Y, y, 2))) {
        int rc = fail(ctx, st, "running the network");
        nncl_tensor_destroy(X), nncl_tensor_destroy(W), nncl_tensor_destroy(b), nncl_tensor_destroy(Y);
        nncl_context_destroy(ctx);
        return rc;
    }
    for (int i = 0; i < 2; i++) {
        int predicted = y[i] >= 0.5f;
        printf("input [%g, %g]: prediction %.8f -> class %d, target %d (%s)\n", inputs[i][0],
               inputs[i][1], y[i], predicted, targets[i],
               predicted == targets[i] ? "right" : "wrong");
    }
    nncl_tensor_destroy(X);
    nncl_tensor_destroy(W);
    nncl_tensor_destroy(b);
    nncl_tensor_destroy(Y);
    nncl_context_destroy(ctx);
    return 0;
}
