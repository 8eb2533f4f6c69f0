/* SPDX-License-Identifier: MIT */
/* The tutorial's training, through nncl: learn from the error by gradient
 * descent on its eight points, with mean squared error and plain SGD
 * (learning rate 0.1), printing the error as it falls.
 *
 * First the tutorial's own network, one sigmoid unit. A single unit draws a
 * straight line, and no straight line separates more than 6 of these 8
 * points, so it then trains the same data with a hidden layer of 8 tanh
 * units, which separates all of them. */
#include <nncl/nncl.h>

#include <stdio.h>

static const float inputs[8][2] = {{3, 1.5f}, {2, 1},      {4, 1.5f}, {3, 4},
                                   {3.5f, 0.5f}, {2, 0.5f}, {5.5f, 1}, {1, 1}};
static const float targets[8] = {0, 1, 0, 1, 0, 1, 1, 0};

static int check(nncl_context *ctx, nncl_status st, const char *what)
{
    if (st != NNCL_OK)
        fprintf(stderr, "train_tutorial: %s: %s: %s\n", what, nncl_status_string(st),
                nncl_last_error(ctx));
    return st != NNCL_OK;
}

/* Trains a model with the given layers for `epochs` full-batch steps. */
static int train(nncl_context *ctx, nncl_tensor *X, nncl_tensor *Y, const nncl_layer_spec *layers,
                 size_t n_layers, int epochs)
{
    nncl_model_spec spec = nncl_model_spec_defaults();
    spec.inputs = 2;
    spec.n_layers = n_layers;
    spec.layers = layers;
    spec.loss = NNCL_LOSS_MSE;
    spec.seed = 42;
    nncl_model *model = NULL;
    if (check(ctx, nncl_model_create(ctx, &spec, &model), "creating the model")) return 1;
    nncl_optimizer sgd = nncl_optimizer_defaults(NNCL_OPTIM_SGD);
    sgd.lr = 0.1f;
    int rc = check(ctx, nncl_model_set_optimizer(model, &sgd), "setting the optimizer");
    float error = 0, accuracy = 0;
    for (int epoch = 0; epoch <= epochs && !rc; epoch++) {
        if (epoch % (epochs / 10) == 0) {
            rc = check(ctx, nncl_model_evaluate(model, X, Y, &error, &accuracy), "evaluating");
            printf("  epoch %5d  error %.6f  right %d of 8\n", epoch, error,
                   (int)(accuracy * 8 + 0.5f));
        }
        if (epoch < epochs && !rc) rc = check(ctx, nncl_model_train_step(model, X, Y), "training");
    }
    nncl_model_destroy(model);
    return rc;
}

int main(void)
{
    nncl_context *ctx = NULL;
    if (check(NULL, nncl_context_create(NULL, &ctx), "creating a context")) return 1;
    nncl_tensor *X = NULL, *Y = NULL;
    int rc = check(ctx, nncl_tensor_create(ctx, 8, 2, &X), "tensor") ||
             check(ctx, nncl_tensor_create(ctx, 8, 1, &Y), "tensor") ||
             check(ctx, nncl_tensor_upload(X, &inputs[0][0], 16), "upload") ||
             check(ctx, nncl_tensor_upload(Y, targets, 8), "upload");
    if (!rc) {
        printf("one sigmoid unit (the tutorial's network):\n");
        const nncl_layer_spec unit[] = {{.units = 1, .activation = NNCL_ACT_SIGMOID}};
        rc = train(ctx, X, Y, unit, 1, 10000);
    }
    if (!rc) {
        printf("a hidden layer of 8 tanh units, then one sigmoid unit:\n");
        const nncl_layer_spec hidden[] = {{.units = 8, .activation = NNCL_ACT_TANH},
                                          {.units = 1, .activation = NNCL_ACT_SIGMOID}};
        rc = train(ctx, X, Y, hidden, 2, 20000);
    }
    nncl_tensor_destroy(X);
    nncl_tensor_destroy(Y);
    nncl_context_destroy(ctx);
    return rc;
}
