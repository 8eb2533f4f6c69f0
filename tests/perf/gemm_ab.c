/* SPDX-License-Identifier: MIT */
/* gemm_ab: A/B timing of nncl's GEMM under different settings, in one run.
 *
 *   gemm_ab [-s MxNxK[:NN|TN|NT]]... SETTING...
 *
 * Each SETTING is "default" or comma-separated environment assignments read
 * when a context is created (NNCL_GEMM_TILES=4x16, NNCL_GEMM_TN=direct,
 * NNCL_GEMM_PACK_MIN_M=0, NNCL_GEMM_KERNEL=local, ...). One context is made
 * per setting, and every shape is timed on all of them in alternation, the
 * best of 15 rounds of 3 calls each, so that a machine whose speed drifts
 * (a shared VM) drifts under every setting alike. Prints GFLOP/s. */
#include <nncl/nncl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_SETTINGS 8
#define MAX_SHAPES 32

typedef struct {
    size_t m, n, k;
    int ta, tb;
} shape;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Sets (or, when undo, unsets) each VAR=VALUE of a comma-separated list. */
static void apply(const char *setting, int undo)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", setting);
    for (char *item = strtok(buf, ","); item; item = strtok(NULL, ",")) {
        char *eq = strchr(item, '=');
        if (!eq) continue;
        *eq = '\0';
        if (undo) unsetenv(item);
        else setenv(item, eq + 1, 1);
    }
}

/* A setting's column is as wide as its name. */
static int width(const char *setting)
{
    int w = (int)strlen(setting);
    return w < 10 ? 10 : w;
}

static int parse_shape(const char *text, shape *s)
{
    char layout[3] = "NN";
    int got = sscanf(text, "%zux%zux%zu:%2s", &s->m, &s->n, &s->k, layout);
    if (got < 3 || !s->m || !s->n || !s->k) return 0;
    s->ta = !strcmp(layout, "TN");
    s->tb = !strcmp(layout, "NT");
    return s->ta || s->tb || !strcmp(layout, "NN");
}

int main(int argc, char **argv)
{
    shape shapes[MAX_SHAPES];
    const char *settings[MAX_SETTINGS];
    size_t n_shapes = 0, n_settings = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-s")) {
            if (i + 1 == argc || n_shapes == MAX_SHAPES || !parse_shape(argv[i + 1], &shapes[n_shapes++])) {
                fprintf(stderr, "gemm_ab: -s needs a shape MxNxK[:NN|TN|NT] (at most %d)\n", MAX_SHAPES);
                return 2;
            }
            i++;
        } else if (n_settings < MAX_SETTINGS) {
            settings[n_settings++] = argv[i];
        } else {
            fprintf(stderr, "gemm_ab: at most %d settings\n", MAX_SETTINGS);
            return 2;
        }
    }
    if (!n_settings) {
        fprintf(stderr, "usage: gemm_ab [-s MxNxK[:NN|TN|NT]]... SETTING...\n"
                        "  e.g. gemm_ab -s 1024x256x784 -s 256x128x1024:TN default NNCL_GEMM_TN=direct\n");
        return 2;
    }
    if (!n_shapes) {
        static const char *const mlp[] = {"1024x256x784:NN", "1024x256x784:TN", "1024x256x784:NT",
                                          "1024x128x256:NN", "1024x128x256:TN", "1024x128x256:NT",
                                          "128x256x784:NN",  "1024x1024x1024:NN"};
        for (size_t i = 0; i < sizeof mlp / sizeof *mlp; i++) parse_shape(mlp[i], &shapes[n_shapes++]);
    }
    nncl_context *ctx[MAX_SETTINGS] = {0};
    for (size_t c = 0; c < n_settings; c++) {
        apply(settings[c], 0);
        nncl_status st = nncl_context_create(NULL, &ctx[c]);
        apply(settings[c], 1);
        if (st != NNCL_OK) {
            fprintf(stderr, "gemm_ab: %s: %s\n", settings[c], nncl_last_error(NULL));
            for (size_t d = 0; d < c; d++) nncl_context_destroy(ctx[d]);
            return st == NNCL_ERR_NO_DEVICE ? 77 : 1;
        }
    }
    printf("%-6s %-16s", "layout", "M x N x K");
    for (size_t c = 0; c < n_settings; c++) printf(" %*s", width(settings[c]), settings[c]);
    printf("\n");
    int rc = 0;
    for (size_t s = 0; s < n_shapes && !rc; s++) {
        const shape *sh = &shapes[s];
        nncl_tensor *A[MAX_SETTINGS] = {0}, *B[MAX_SETTINGS] = {0}, *C[MAX_SETTINGS] = {0};
        double best[MAX_SETTINGS] = {0};
        for (size_t c = 0; c < n_settings && !rc; c++) {
            rc = nncl_tensor_create(ctx[c], sh->ta ? sh->k : sh->m, sh->ta ? sh->m : sh->k, &A[c]) ||
                 nncl_tensor_create(ctx[c], sh->tb ? sh->n : sh->k, sh->tb ? sh->k : sh->n, &B[c]) ||
                 nncl_tensor_create(ctx[c], sh->m, sh->n, &C[c]) || nncl_tensor_fill(A[c], 0.5f) ||
                 nncl_tensor_fill(B[c], 0.25f) || nncl_gemm(ctx[c], sh->ta, sh->tb, 1, A[c], B[c], 0, C[c]);
            if (rc) fprintf(stderr, "gemm_ab: %s: %s\n", settings[c], nncl_last_error(ctx[c]));
            best[c] = 1e30;
        }
        for (int round = 0; round < 15 && !rc; round++)
            for (size_t c = 0; c < n_settings && !rc; c++) {
                double t0 = now();
                for (int i = 0; i < 3 && !rc; i++)
                    rc = nncl_gemm(ctx[c], sh->ta, sh->tb, 1, A[c], B[c], 0, C[c]) != NNCL_OK;
                rc = rc || nncl_context_finish(ctx[c]) != NNCL_OK;
                double t = (now() - t0) / 3;
                if (t < best[c]) best[c] = t;
            }
        if (!rc) {
            char dims[48];
            snprintf(dims, sizeof dims, "%zux%zux%zu", sh->m, sh->n, sh->k);
            printf("%-6s %-16s", sh->ta ? "TN" : sh->tb ? "NT" : "NN", dims);
            for (size_t c = 0; c < n_settings; c++)
                printf(" %*.1f", width(settings[c]), 2.0 * (double)sh->m * (double)sh->n * (double)sh->k / best[c] * 1e-9);
            printf("\n");
        }
        for (size_t c = 0; c < n_settings; c++) {
            nncl_tensor_destroy(A[c]);
            nncl_tensor_destroy(B[c]);
            nncl_tensor_destroy(C[c]);
        }
    }
    for (size_t c = 0; c < n_settings; c++) nncl_context_destroy(ctx[c]);
    return rc;
}
