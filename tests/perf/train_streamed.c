/* SPDX-License-Identifier: MIT */
/* train_streamed: training throughput of Fashion-MNIST forced to stream
 * from the host (a device budget of one byte), the default MLP, Adam.
 *
 *   train_streamed [batch] [epochs]
 *
 * Prints samples/s and the mean loss of every epoch after the first. How
 * the streamed-upload figure in docs/PERFORMANCE.md ("Third session") was
 * taken, alternating two builds of the library. A developer's tool. */
#include <nncl/nncl.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
    size_t batch = argc > 1 ? strtoul(argv[1], NULL, 10) : 128;
    int epochs = argc > 2 ? atoi(argv[2]) : 3;
    nncl_context *ctx = NULL;
    nncl_dataset *ds = NULL;
    nncl_model *m = NULL;
    nncl_layer_spec layers[3] = {{256, NNCL_ACT_RELU}, {128, NNCL_ACT_RELU}, {10, NNCL_ACT_SOFTMAX}};
    nncl_model_spec spec = {.inputs = 784, .n_layers = 3, .layers = layers, .loss = NNCL_LOSS_SOFTMAX_CE, .seed = 1};
    if (nncl_context_create(NULL, &ctx)) {
        fprintf(stderr, "train_streamed: %s\n", nncl_last_error(NULL));
        return 1;
    }
    nncl_dataset_set_device_budget(ctx, 1);
    if (nncl_dataset_open(ctx, "fashion-mnist", "train", NULL, &ds) || nncl_model_create(ctx, &spec, &m)) {
        fprintf(stderr, "train_streamed: %s\n", nncl_last_error(ctx));
        return 1;
    }
    printf("streamed: %s, batch %zu\n", nncl_dataset_is_streamed(ds) ? "yes" : "no", batch);
    nncl_epoch_options eo = nncl_epoch_options_defaults();
    eo.batch = batch;
    for (int e = 0; e < epochs; e++) {
        eo.epoch = (uint64_t)e;
        float loss = 0;
        double t0 = now();
        if (nncl_model_train_epoch(m, ds, &eo, &loss, NULL, NULL)) {
            fprintf(stderr, "train_streamed: %s\n", nncl_last_error(ctx));
            return 1;
        }
        if (e) printf("epoch %d: %.0f samples/s, loss %.5f\n", e, (double)nncl_dataset_rows(ds) / (now() - t0), (double)loss);
    }
    nncl_model_destroy(m);
    nncl_dataset_destroy(ds);
    nncl_context_destroy(ctx);
    return 0;
}
