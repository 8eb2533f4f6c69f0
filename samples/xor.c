/* SPDX-License-Identifier: MIT */
/* XOR, the classic problem a single layer cannot learn: a hidden layer of 4
 * tanh units and a sigmoid output, binary cross-entropy, Adam. */
#include <nncl/nncl.h>

#include <stdio.h>

static int check(nncl_context *ctx, nncl_status st, const char *what)
{
    if (st != NNCL_OK)
        fprintf(stderr, "xor: %s: %s: %s\n", what, nncl_status_string(st), nncl_last_error(ctx));
    return st != NNCL_OK;
}

int main(void)
{
    const float x[8] = {0, 0, 0, 1, 1, 0, 1, 1}, y[4] = {0, 1, 1, 0};
    nncl_context *ctx = NULL;
    if (check(NULL, nncl_context_create(NULL, &ctx), "creating a context")) return 1;
    const nncl_layer_spec layers[] = {{.units = 4, .activation = NNCL_ACT_TANH},
                                      {.units = 1, .activation = NNCL_ACT_SIGMOID}};
    nncl_model_spec spec = nncl_model_spec_defaults();
    spec.inputs = 2;
    spec.n_layers = 2;
    spec.layers = layers;
    spec.loss = NNCL_LOSS_BCE;
    spec.seed = 1;
    nncl_model *model = NULL;
    nncl_tensor *X = NULL, *Y = NULL, *P = NULL;
    nncl_optimizer adam = nncl_optimizer_defaults(NNCL_OPTIM_ADAM);
    adam.lr = 0.05f;
    float loss = 0, accuracy = 0, p[4] = {0};
    int rc = check(ctx, nncl_model_create(ctx, &spec, &model), "model") ||
             check(ctx, nncl_model_set_optimizer(model, &adam), "optimizer") ||
             check(ctx, nncl_tensor_create(ctx, 4, 2, &X), "tensor") ||
             check(ctx, nncl_tensor_create(ctx, 4, 1, &Y), "tensor") ||
             check(ctx, nncl_tensor_create(ctx, 4, 1, &P), "tensor") ||
             check(ctx, nncl_tensor_upload(X, x, 8), "upload") ||
             check(ctx, nncl_tensor_upload(Y, y, 4), "upload");
    for (int step = 1; step <= 500 && !rc; step++) {
        rc = check(ctx, nncl_model_train_step(model, X, Y), "training");
        if (!rc && step % 100 == 0) {
            rc = check(ctx, nncl_model_train_metrics(model, &loss, &accuracy), "metrics");
            printf("step %4d  loss %.5f  accuracy %.2f\n", step, loss, accuracy);
        }
    }
    if (!rc) rc = check(ctx, nncl_model_evaluate(model, X, Y, &loss, &accuracy), "evaluate") ||
                  check(ctx, nncl_model_predict(model, X, P), "predict") ||
                  check(ctx, nncl_tensor_download(P, p, 4), "download");
    if (!rc) {
        for (int i = 0; i < 4; i++)
            printf("%g xor %g = %g  (predicted %.4f)\n", x[2 * i], x[2 * i + 1], y[i], p[i]);
        printf("accuracy %.0f%%\n", accuracy * 100);
        rc = accuracy < 1.0f;
    }
    nncl_tensor_destroy(X), nncl_tensor_destroy(Y), nncl_tensor_destroy(P);
    nncl_model_destroy(model);
    nncl_context_destroy(ctx);
    return rc;
}
