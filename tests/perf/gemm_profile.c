/* SPDX-License-Identifier: MIT */
/* gemm_profile: the device time of each kernel one nncl_gemm launches.
 *
 *   gemm_profile M N K NN|TN|NT [calls]
 *
 * Runs the product `calls` times (default 200) after 50 warm-up calls on a
 * profiling context and prints every kernel's mean device time per call
 * (packing, transposes, split-K parts, the reduction, the product), so that
 * the cost of each step of a product can be seen; the environment settings
 * of gemm_ab (NNCL_GEMM_PARAMS, NNCL_GEMM_TN, ...) apply. A developer's tool,
 * not a test. */
#include <nncl/nncl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc < 5 || strlen(argv[4]) != 2) {
        fprintf(stderr, "usage: gemm_profile M N K NN|TN|NT [calls]\n");
        return 2;
    }
    size_t M = strtoul(argv[1], NULL, 10), N = strtoul(argv[2], NULL, 10), K = strtoul(argv[3], NULL, 10);
    int ta = argv[4][0] == 'T', tb = argv[4][1] == 'T', calls = argc > 5 ? atoi(argv[5]) : 200;
    nncl_context_options o = nncl_context_options_defaults();
    o.profile = 1;
    nncl_context *ctx = NULL;
    nncl_tensor *A = NULL, *B = NULL, *C = NULL;
    if (nncl_context_create(&o, &ctx) || nncl_tensor_create(ctx, ta ? K : M, ta ? M : K, &A) ||
        nncl_tensor_create(ctx, tb ? N : K, tb ? K : N, &B) || nncl_tensor_create(ctx, M, N, &C) ||
        nncl_tensor_fill(A, 0.5f) || nncl_tensor_fill(B, 0.25f)) {
        fprintf(stderr, "gemm_profile: %s\n", nncl_last_error(ctx));
        return 1;
    }
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < (round ? calls : 50); i++)
            if (nncl_gemm(ctx, ta, tb, 1.0f, A, B, 0.0f, C)) {
                fprintf(stderr, "gemm_profile: %s\n", nncl_last_error(ctx));
                return 1;
            }
        nncl_context_finish(ctx);
        if (!round) nncl_context_kernel_times(ctx, NULL, 0, 1); /* the warm-up does not count */
    }
    nncl_kernel_time t[32];
    size_t n = nncl_context_kernel_times(ctx, t, 32, 0);
    printf("%s %zux%zux%zu, %s (%s)\n", argv[4], M, N, K, nncl_context_gemm_params(ctx),
           nncl_context_tiles_source(ctx));
    for (size_t i = 0; i < n && i < 32; i++)
        printf("  %-22s %9.1f us per call\n", t[i].kernel, t[i].seconds / (double)calls * 1e6);
    nncl_tensor_destroy(A), nncl_tensor_destroy(B), nncl_tensor_destroy(C);
    nncl_context_destroy(ctx);
    return 0;
}
