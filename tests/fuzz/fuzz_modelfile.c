/* SPDX-License-Identifier: MIT */
/* The model and checkpoint loader on any file (an OpenCL device is needed:
 * PoCL on the CPU); a file it accepts is saved again and loads back with the
 * same parameters, bit for bit. */
#include "fuzz_common.h"
#include "nncl/nncl.h"

#include <string.h>

static nncl_context *ctx;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    if (nncl_context_create(NULL, &ctx) != NNCL_OK) {
        fprintf(stderr, "fuzz_modelfile needs an OpenCL device: %s\n", nncl_last_error(NULL));
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_path(0, "in.safetensors"), *copy = fuzz_path(1, "copy.safetensors");
    fuzz_write(path, data, size);
    nncl_model *m = NULL, *again = NULL;
    nncl_train_position pos = nncl_train_position_defaults();
    if (nncl_model_load(ctx, path, &m, &pos) != NNCL_OK) return 0;
    nncl_status st = pos.is_checkpoint ? nncl_model_save_checkpoint(m, copy, &pos) : nncl_model_save(m, copy);
    FUZZ_CHECK(st == NNCL_OK);
    FUZZ_CHECK(nncl_model_load(ctx, copy, &again, NULL) == NNCL_OK);
    size_t n = nncl_model_param_count(m);
    FUZZ_CHECK(nncl_model_param_count(again) == n);
    float *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    FUZZ_CHECK(a && b && nncl_model_get_params(m, a, n) == NNCL_OK && nncl_model_get_params(again, b, n) == NNCL_OK);
    FUZZ_CHECK(memcmp(a, b, n * sizeof *a) == 0);
    FUZZ_CHECK(nncl_model_step(m) == nncl_model_step(again));
    free(a), free(b);
    nncl_model_destroy(again);
    nncl_model_destroy(m);
    return 0;
}
