/* SPDX-License-Identifier: MIT */
/* A classifier on arrays in memory, trained by one call (nncl_model_fit). */
#include <nncl/nncl.h>
#include <stdio.h>

int main(void)
{
    enum { ROWS = 300, COLS = 2 };
    float x[ROWS * COLS], y[ROWS]; /* two classes: is the point above the line x1 = 2·x0? */
    for (int i = 0; i < ROWS; i++) {
        x[2 * i] = (float)(i % 17) / 17.0f, x[2 * i + 1] = (float)(i % 23) / 11.5f;
        y[i] = x[2 * i + 1] > 2 * x[2 * i];
    }
    nncl_context *ctx = NULL;
    nncl_dataset *data = NULL;
    nncl_model *model = NULL;
    nncl_layer_spec layers[] = {{.units = 32, .activation = NNCL_ACT_RELU}, {.units = 2, .activation = NNCL_ACT_SOFTMAX}};
    nncl_model_spec spec = {.inputs = COLS, .n_layers = 2, .layers = layers, .loss = NNCL_LOSS_SOFTMAX_CE, .seed = 1};
    nncl_fit_result result;
    float accuracy = 0;
    if (nncl_context_create(NULL, &ctx) || nncl_dataset_from_arrays(ctx, x, ROWS, COLS, y, NNCL_TARGET_CLASS, &data) ||
        nncl_model_create(ctx, &spec, &model) || nncl_model_fit(model, data, NULL, &result) ||
        nncl_model_evaluate_dataset(model, data, NULL, &accuracy, NULL, 0)) {
        fprintf(stderr, "nncl: %s\n", nncl_last_error(ctx));
        return 1;
    }
    printf("%llu epochs, best %llu, accuracy %.1f%%\n", (unsigned long long)result.epochs,
           (unsigned long long)result.best_epoch + 1, 100 * accuracy);
    nncl_model_destroy(model), nncl_dataset_destroy(data), nncl_context_destroy(ctx);
    return 0;
}
