/* SPDX-License-Identifier: MIT */
/* nncl bench: GEMM in GFLOP/s for the three layouts beside OpenBLAS sgemm and
 * CLBlast on the same OpenCL device (each when found at build time), training
 * throughput of the default Fashion-MNIST MLP, and kernel build time cold and
 * warm. Peers run in the same process, a GEMM's rounds interleaved with
 * theirs, so every ratio is measured under the same machine load. */
#include "cli.h"

#include <nncl/nncl_cl.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* The default MLP of `nncl train` on Fashion-MNIST: 28 x 28 pixels in,
 * 256 and 128 relu units, 10 classes out, batches of 128. */
enum { MLP_INPUTS = 28 * 28, MLP_BATCH = 128 };
static const nncl_layer_spec mlp_layers[] = {{.units = 256, .activation = NNCL_ACT_RELU},
                                             {.units = 128, .activation = NNCL_ACT_RELU},
                                             {.units = 10, .activation = NNCL_ACT_SOFTMAX}};

static nncl_model_spec mlp_spec(uint64_t seed)
{
    nncl_model_spec spec = nncl_model_spec_defaults();
    spec.inputs = MLP_INPUTS;
    spec.n_layers = sizeof mlp_layers / sizeof *mlp_layers;
    spec.layers = mlp_layers;
    spec.loss = NNCL_LOSS_SOFTMAX_CE;
    spec.seed = seed;
    return spec;
}

#include "peers.h" /* OpenBLAS and CLBlast, loaded on demand */

static const char usage[] =
    "usage: nncl bench [--quick] [--json] [--device D] [--batches 128,1024] [--skip-train | --train-only]\n"
    "       nncl bench --tune [--quick] [--device D]\n"
    "\n"
    "GEMM (NN, TN, NT) at the MLP's forward shapes and at 1024^3, and the batch-1024\n"
    "step's backward products in their own layout (dA NT, dW TN), in GFLOP/s, beside OpenBLAS\n"
    "sgemm and CLBlast on the same device when nncl was built with them (nncl and\n"
    "CLBlast with 4 products queued per wait, as training queues them; 'waited':\n"
    "nncl waiting for each product, JSON nncl_waited); training\n"
    "samples/s of the default MLP (784-256-128-10, Adam) on Fashion-MNIST (skipped\n"
    "when dataset-fashion-mnist is not installed); kernel build time cold (an empty\n"
    "PoCL cache) and warm. --quick runs each measurement briefly. --train-only skips\n"
    "the build times and the GEMM table (tests/perf/interleave.py runs it per round).\n"
    "Each training row has the peak device memory of nncl's buffers at that batch\n"
    "size (data set, model, optimizer state, batch buffers, scratch), and the end the\n"
    "peak resident memory of the process beside the most device memory of the run.\n"
    "--tune times the parameters of the GEMM kernel this device runs (tile shape,\n"
    "k unrolling, split-K depth; work-group, block and k tile for GPUs) on the MLP's\n"
    "shapes and records the fastest for this device, driver and kernel in nncl's\n"
    "tuning cache (~/.cache/nncl/gemm-params.txt).\n";

typedef struct {
    double min_seconds; /* per measurement */
    int json;
} bench_opts;

/* Times n functions in turn: `rounds` rounds, each running fn[i] repeatedly
 * for share[i]·min_seconds / rounds (after one warm-up call each), round r of
 * every function before round r + 1, so that a machine whose speed drifts
 * (a shared VM) drifts under each alike and their ratios hold. best[i] gets
 * fn[i]'s best round's mean seconds per call; NAN when it fails or fn[i] is
 * NULL. */
typedef int (*bench_fn)(void *user);
static void time_interleaved(size_t n, const bench_fn *fn, const double *share, void *user, double min_seconds,
                             int rounds, double *best)
{
    for (size_t i = 0; i < n; i++) best[i] = fn[i] && !fn[i](user) ? INFINITY : NAN;
    for (int round = 0; round < rounds; round++)
        for (size_t i = 0; i < n; i++) {
            if (isnan(best[i])) continue;
            int calls = 0;
            double t0 = cli_seconds(), t;
            do {
                if (fn[i](user)) {
                    best[i] = NAN;
                    break;
                }
                calls++;
                t = cli_seconds() - t0;
            } while (t < share[i] * min_seconds / rounds);
            if (!isnan(best[i]) && t / calls < best[i]) best[i] = t / calls;
        }
}

/* One function alone (the tuner's candidates): its best of three rounds'
 * mean seconds per call, over min_seconds in all. */
static double time_it(bench_fn fn, void *user, double min_seconds)
{
    const double all = 1.0;
    double best;
    time_interleaved(1, &fn, &all, user, min_seconds, 3, &best);
    return best;
}

typedef struct {
    nncl_context *ctx;
    int ta, tb;
    size_t M, N, K;
    nncl_tensor *A, *B, *C;
    float *hA, *hB, *hC;
} gemm_case;

/* nncl's products are queued, as a training step queues its twenty-odd and
 * waits once: the table's figure times QUEUED calls per wait (run_nncl, one
 * "call" of the timing being QUEUED products, divided back); run_nncl_waited
 * waits for each one, the latency of a lone synchronous call (OpenBLAS's
 * calls are synchronous anyway). On PoCL a wait costs tens of µs, which is
 * the whole difference for the small shapes. */
#define QUEUED 4

static int run_nncl_waited(void *user)
{
    gemm_case *g = user;
    if (nncl_gemm(g->ctx, g->ta, g->tb, 1.0f, g->A, g->B, 0.0f, g->C)) return 1;
    return nncl_context_finish(g->ctx) != NNCL_OK;
}

static int run_nncl(void *user)
{
    gemm_case *g = user;
    for (int i = 0; i < QUEUED; i++)
        if (nncl_gemm(g->ctx, g->ta, g->tb, 1.0f, g->A, g->B, 0.0f, g->C)) return 1;
    return nncl_context_finish(g->ctx) != NNCL_OK;
}

#ifdef NNCL_HAVE_OPENBLAS
static int run_openblas(void *user)
{
    gemm_case *g = user;
    cblas_sgemm(CblasRowMajor, g->ta ? CblasTrans : CblasNoTrans, g->tb ? CblasTrans : CblasNoTrans,
                (int)g->M, (int)g->N, (int)g->K, 1.0f, g->hA, g->ta ? (int)g->M : (int)g->K, g->hB,
                g->tb ? (int)g->K : (int)g->N, 0.0f, g->hC, (int)g->N);
    return 0;
}
#endif

#ifdef NNCL_HAVE_CLBLAST
static int run_clblast(void *user)
{
    gemm_case *g = user;
    cl_command_queue queue = nncl_context_cl_queue(g->ctx);
    for (int i = 0; i < QUEUED; i++) { /* queued as nncl's are, waited for once */
        cl_event event = NULL;
        CLBlastStatusCode st =
            CLBlastSgemm(CLBlastLayoutRowMajor, g->ta ? CLBlastTransposeYes : CLBlastTransposeNo,
                         g->tb ? CLBlastTransposeYes : CLBlastTransposeNo, g->M, g->N, g->K, 1.0f,
                         nncl_tensor_cl_mem(g->A, NULL, NULL), 0, g->ta ? g->M : g->K,
                         nncl_tensor_cl_mem(g->B, NULL, NULL), 0, g->tb ? g->K : g->N, 0.0f,
                         nncl_tensor_cl_mem(g->C, NULL, NULL), 0, g->N, &queue, &event);
        if (st != CLBlastSuccess) return 1;
        if (i == QUEUED - 1) clWaitForEvents(1, &event);
        clReleaseEvent(event);
    }
    return 0;
}
#endif

static int gemm_table(nncl_context *ctx, const bench_opts *bo, FILE *json)
{
    /* M, N, K and the layouts (bit 0 NN, 1 TN, 2 NT): the forward products'
     * shapes (batch x outputs x inputs) at batch 128 and 1024 and 1024^3 in
     * all three, then the batch-1024 step's backward products in their own
     * layout: dA = dZ·Wᵀ (NT, batch x inputs x outputs) and dW = Xᵀ·dZ (TN,
     * inputs x outputs x batch). */
    static const size_t shapes[][4] = {{128, 256, 784, 7},  {128, 128, 256, 7},  {128, 10, 128, 7},
                                       {1024, 256, 784, 7}, {1024, 128, 256, 7}, {1024, 10, 128, 7},
                                       {1024, 1024, 1024, 7},
                                       {1024, 256, 128, 4}, {1024, 128, 10, 4},
                                       {784, 256, 1024, 2}, {256, 128, 1024, 2}, {128, 10, 1024, 2}};
    const char *layouts[3] = {"NN", "TN", "NT"};
    if (!bo->json)
        printf("GEMM, GFLOP/s (M x N x K; TN is Aᵀ·B, NT is A·Bᵀ). nncl and CLBlast: %d products queued per\n"
               "wait, as a training step queues them; waited: nncl waiting for each product (its latency)\n"
               "%-6s %-18s %9s %9s %9s %9s %11s %11s\n", QUEUED, "layout", "shape", "nncl", "waited", "OpenBLAS",
               "CLBlast", "/OpenBLAS", "/CLBlast");
    int first = 1;
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
        for (int l = 0; l < 3; l++) {
            if (!(shapes[s][3] >> l & 1)) continue;
            gemm_case g = {ctx, l == 1, l == 2, shapes[s][0], shapes[s][1], shapes[s][2], NULL, NULL, NULL,
                           NULL, NULL, NULL};
            size_t a_rows = g.ta ? g.K : g.M, a_cols = g.ta ? g.M : g.K;
            size_t b_rows = g.tb ? g.N : g.K, b_cols = g.tb ? g.K : g.N;
            g.hA = malloc(g.M * g.K * sizeof(float));
            g.hB = malloc(g.K * g.N * sizeof(float));
            g.hC = malloc(g.M * g.N * sizeof(float));
            for (size_t i = 0; i < g.M * g.K; i++) g.hA[i] = (float)((i * 7) % 13) / 13.0f - 0.5f;
            for (size_t i = 0; i < g.K * g.N; i++) g.hB[i] = (float)((i * 5) % 11) / 11.0f - 0.5f;
            if (nncl_tensor_create(ctx, a_rows, a_cols, &g.A) || nncl_tensor_create(ctx, b_rows, b_cols, &g.B) ||
                nncl_tensor_create(ctx, g.M, g.N, &g.C) || nncl_tensor_upload(g.A, g.hA, g.M * g.K) ||
                nncl_tensor_upload(g.B, g.hB, g.K * g.N))
                return cli_fail(ctx, NNCL_ERR_OPENCL, "bench tensors");
            double flops = 2.0 * (double)g.M * (double)g.N * (double)g.K;
            /* nncl queued, nncl waited for, OpenBLAS, CLBlast: interleaved */
            bench_fn fns[4] = {run_nncl, run_nncl_waited, NULL, NULL};
#ifdef NNCL_HAVE_OPENBLAS
            fns[2] = run_openblas;
#endif
#ifdef NNCL_HAVE_CLBLAST
            fns[3] = run_clblast;
#endif
            const double share[4] = {1.0, 0.5, 1.0, 1.0};
            double t[4];
            time_interleaved(4, fns, share, &g, bo->min_seconds, 5, t);
            double t_nncl = t[0] / QUEUED, t_waited = t[1], t_blas = t[2], t_clblast = t[3] / QUEUED;
            double gf = flops / t_nncl * 1e-9, gw = flops / t_waited * 1e-9, gb = flops / t_blas * 1e-9,
                   gc = flops / t_clblast * 1e-9;
            char shape[32];
            snprintf(shape, sizeof shape, "%zux%zux%zu", g.M, g.N, g.K);
            if (!bo->json)
                printf("%-6s %-18s %9.1f %9.1f %9.1f %9.1f %10.2fx %10.2fx\n", layouts[l], shape, gf, gw, gb, gc,
                       gf / gb, gf / gc);
            else
                fprintf(json, "%s{\"layout\": \"%s\", \"m\": %zu, \"n\": %zu, \"k\": %zu, \"nncl\": %.2f, "
                        "\"nncl_waited\": %.2f, \"openblas\": %.2f, \"clblast\": %.2f}", first ? "" : ", ",
                        layouts[l], g.M, g.N, g.K, gf, gw, isnan(gb) ? -1.0 : gb, isnan(gc) ? -1.0 : gc);
            first = 0;
            nncl_tensor_destroy(g.A), nncl_tensor_destroy(g.B), nncl_tensor_destroy(g.C);
            free(g.hA), free(g.hB), free(g.hC);
        }
    return 0;
}

/* The peak of ctx's device memory (nncl_context_memory) in MiB; -1 unknown. */
static double device_peak_mib(const nncl_context *ctx)
{
    size_t peak = 0;
    return nncl_context_memory(ctx, NULL, &peak) == NNCL_OK ? (double)peak / (1024.0 * 1024.0) : -1.0;
}

/* Samples/s of the default MLP at `batch`, over one epoch of ds after a
 * short warm-up (so kernel compilation is not counted). *device_mib gets the
 * peak device memory of the run: the data set and scratch buffer already in
 * the context, the model, its batch buffers and the scratch it grows (the
 * peak is reset first, so the GEMM table and earlier batch sizes do not count). */
static double train_rate(nncl_context *ctx, const nncl_dataset *ds, size_t batch, double min_seconds,
                         double *device_mib)
{
    /* the GEMM table's and earlier rows' scratch is not this row's */
    nncl_context_release_scratch(ctx);
    nncl_context_reset_memory_peak(ctx);
    nncl_model_spec spec = mlp_spec(42);
    nncl_model *m = NULL;
    *device_mib = -1.0;
    if (nncl_model_create(ctx, &spec, &m)) return NAN;
    nncl_epoch_options warm = nncl_epoch_options_defaults();
    warm.batch = batch;
    warm.seed = 1;
    double rate = NAN;
    size_t rows = nncl_dataset_rows(ds), done = 0;
    double t = 0;
    if (!nncl_model_train_epoch(m, ds, &warm, NULL, NULL, NULL)) {
        for (uint64_t e = 1; t < min_seconds || e < 2; e++) {
            nncl_epoch_options eo = warm;
            eo.epoch = e;
            double t0 = cli_seconds();
            if (nncl_model_train_epoch(m, ds, &eo, NULL, NULL, NULL)) break;
            t += cli_seconds() - t0;
            done += rows;
            rate = (double)done / t;
        }
    }
    nncl_model_destroy(m);
    *device_mib = device_peak_mib(ctx);
    return rate;
}

/* Context creation plus one training step (which compiles every kernel the
 * step uses, for drivers that compile at first launch), in a child process
 * whose PoCL cache is `cache_dir`. Returns seconds, NAN on failure. */
static double build_time(const char *self, const char *device, const char *cache_dir)
{
    char out[64];
    snprintf(out, sizeof out, "/tmp/nncl-bench-%d.txt", (int)getpid());
    fflush(stdout); /* else the child inherits and repeats buffered output */
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) return NAN;
    if (pid == 0) {
        setenv("POCL_CACHE_DIR", cache_dir, 1);
        if (device) setenv("NNCL_DEVICE", device, 1);
        if (!freopen(out, "w", stdout)) _exit(1);
        execl(self, self, "bench", "--build-only", (char *)NULL);
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    double seconds = NAN;
    FILE *f = fopen(out, "r");
    if (f) {
        if (fscanf(f, "%lf", &seconds) != 1) seconds = NAN;
        fclose(f);
    }
    remove(out);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? seconds : NAN;
}

/* Seconds for the training-shaped GEMMs on ctx: the MLP's products at batch
 * 128 and 1024 in all three layouts, and the first layer's weight gradient
 * at batch 8192 (K the batch, where splitting K matters): the figure the
 * sweep minimises. */
static double sweep_score(nncl_context *ctx, double min_seconds)
{
    static const size_t shapes[][4] = {{128, 256, 784, 7},  {1024, 256, 784, 7}, {1024, 128, 256, 7},
                                       {784, 256, 1024, 2}, {784, 256, 8192, 2}};
    double total = 0;
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
        for (int l = 0; l < 3; l++) {
            if (!(shapes[s][3] >> l & 1)) continue; /* layouts: bit 0 NN, 1 TN, 2 NT */
            gemm_case g = {ctx, l == 1, l == 2, shapes[s][0], shapes[s][1], shapes[s][2], NULL, NULL, NULL,
                           NULL, NULL, NULL};
            if (nncl_tensor_create(ctx, g.ta ? g.K : g.M, g.ta ? g.M : g.K, &g.A) ||
                nncl_tensor_create(ctx, g.tb ? g.N : g.K, g.tb ? g.K : g.N, &g.B) ||
                nncl_tensor_create(ctx, g.M, g.N, &g.C) || nncl_tensor_fill(g.A, 0.5f) ||
                nncl_tensor_fill(g.B, 0.25f))
                total = INFINITY;
            else
                total += time_it(run_nncl, &g, min_seconds) / QUEUED;
            nncl_tensor_destroy(g.A), nncl_tensor_destroy(g.B), nncl_tensor_destroy(g.C);
        }
    return total;
}

/* Rounds of one tuning stage: every candidate is timed once per round, in
 * turn, and scores its best round, so that a machine whose speed drifts (a
 * shared VM) drifts under every candidate alike. */
#define TUNE_ROUNDS 3
#define TUNE_MAX_CANDIDATES 16
/* Seconds of timing per candidate and shape (all rounds together): --tune,
 * and --tune --quick or the first bench on a device: 1 min 45 s and 36 s
 * for the 16 candidates of a register-tiled device here, compiling included. */
#define TUNE_SECONDS 0.5
#define TUNE_QUICK_SECONDS 0.1

/* One stage of the sweep: a context per candidate (`base` with the
 * candidate's parameters, NNCL_GEMM_PARAMS syntax), timed in interleaved
 * rounds of round_seconds per shape; the fastest replaces `best` when it
 * beats best_score. Candidates the device cannot build or take are reported
 * and skipped (tune fails only when no candidate ran at all). */
static void tune_stage(const char *device, const char *base, const char *const *list, size_t n,
                       double round_seconds, FILE *out, char *best, size_t best_size, double *best_score)
{
    nncl_context *ctx[TUNE_MAX_CANDIDATES] = {0};
    char all[TUNE_MAX_CANDIDATES][400];
    double score[TUNE_MAX_CANDIDATES];
    if (n > TUNE_MAX_CANDIDATES) n = TUNE_MAX_CANDIDATES;
    for (size_t i = 0; i < n; i++) {
        score[i] = INFINITY;
        const char *skip = NULL;
        if (snprintf(all[i], sizeof all[i], "%s %s", base, list[i]) >= (int)sizeof all[i]) {
            skip = "the parameters are too long";
        } else {
            setenv("NNCL_GEMM_PARAMS", all[i], 1);
            if (cli_context(device, 0, &ctx[i])) /* cli_context said why */
                skip = "the device did not build it";
            else if (strcmp(nncl_context_tiles_source(ctx[i]), "NNCL_GEMM_PARAMS"))
                skip = "not valid on this device"; /* fell back to the defaults */
        }
        if (skip) {
            fprintf(out, "  %-40s skipped: %s\n", list[i], skip);
            nncl_context_destroy(ctx[i]);
            ctx[i] = NULL;
        }
    }
    unsetenv("NNCL_GEMM_PARAMS");
    for (int round = 0; round < TUNE_ROUNDS; round++)
        for (size_t i = 0; i < n; i++) {
            if (!ctx[i]) continue;
            double t = sweep_score(ctx[i], round_seconds);
            if (t < score[i]) score[i] = t;
        }
    for (size_t i = 0; i < n; i++) {
        if (!ctx[i]) continue;
        fprintf(out, "  %-40s %8.2f ms for the MLP GEMMs\n", nncl_context_gemm_params(ctx[i]), score[i] * 1e3);
        if (score[i] < *best_score && snprintf(best, best_size, "%s", all[i]) < (int)best_size)
            *best_score = score[i];
    }
    fflush(out);
    for (size_t i = 0; i < n; i++) nncl_context_destroy(ctx[i]);
}

/* The GEMM parameters a context on `device` would be built with, and their
 * source, without building one (nncl_device_gemm_params). */
static int device_params(const char *device, char *params, size_t size, const char **source)
{
    int index = -1;
    nncl_status st = nncl_device_select(device, &index);
    if (st == NNCL_OK) st = nncl_device_gemm_params(index, params, size, source);
    return st == NNCL_OK ? 0 : cli_fail(NULL, st, "opening the OpenCL device");
}

/* Sweeps every tuned parameter of the GEMM kernel the device runs, one
 * group at a time (each stage starts from the best so far), and keeps the
 * fastest in the tuning cache. Register kernels: the tile shape in the
 * device's vector width (16 floats: AVX-512, whose 32 registers hold tiles
 * of two or four vectors per row; 8: AVX2, 16 registers), then the k
 * unrolling, then the depth of the split-K chunks. gemm_local (GPUs): the
 * work-group side, register block and k tile. */
static int tune(const char *device, double min_seconds, FILE *out)
{
    static const char *const wide[] = {"tm=4 tn=16", "tm=6 tn=16", "tm=8 tn=16", "tm=12 tn=16", "tm=4 tn=32",
                                       "tm=6 tn=32", "tm=8 tn=32", "tm=12 tn=32", "tm=4 tn=64"};
    static const char *const narrow[] = {"tm=4 tn=8", "tm=8 tn=8", "tm=12 tn=8", "tm=4 tn=16", "tm=6 tn=16",
                                         "tm=8 tn=16", "tm=3 tn=32"};
    static const char *const unroll[] = {"ku=1", "ku=2", "ku=4"};
    static const char *const split[] = {"kc=0", "kc=256", "kc=512", "kc=1024"};
    static const char *const groups[] = {"lwg=16", "lwg=8"};
    static const char *const blocks[] = {"lrb=4", "lrb=2", "lrb=8"};
    static const char *const ktiles[] = {"lkt=16", "lkt=8", "lkt=32"};
    unsetenv("NNCL_GEMM_PARAMS");
    char params[128], best[400] = "";
    if (device_params(device, params, sizeof params, NULL)) return 1;
    int local = !strncmp(params, "local", 5), vw16 = strstr(params, "vw=16") != NULL;
    double score = INFINITY;
    struct {
        const char *const *list;
        size_t n;
    } stages[3];
    if (local) {
        stages[0].list = groups, stages[0].n = 2;
        stages[1].list = blocks, stages[1].n = 3;
        stages[2].list = ktiles, stages[2].n = 3;
    } else {
        stages[0].list = vw16 ? wide : narrow;
        stages[0].n = vw16 ? sizeof wide / sizeof *wide : sizeof narrow / sizeof *narrow;
        stages[1].list = unroll, stages[1].n = 3;
        stages[2].list = split, stages[2].n = 4;
    }
    /* The base: the defaults' parameters (without the kernel's name). */
    char base[400];
    snprintf(base, sizeof base, "%s", strchr(params, ' ') ? strchr(params, ' ') + 1 : "");
    fprintf(out, "tuning the %s GEMM from %s\n", local ? "local-memory" : "register-tiled", base);
    /* min_seconds per shape and candidate, spread over the rounds */
    for (int st = 0; st < 3; st++) {
        tune_stage(device, base, stages[st].list, stages[st].n, min_seconds / TUNE_ROUNDS, out, best, sizeof best,
                   &score);
        if (!*best) return cli_fail(NULL, NNCL_ERR_OPENCL, "tuning: no GEMM parameters ran");
        snprintf(base, sizeof base, "%s", best);
    }
    setenv("NNCL_GEMM_PARAMS", best, 1);
    nncl_context *ctx = NULL;
    if (cli_context(device, 0, &ctx)) return 1;
    unsetenv("NNCL_GEMM_PARAMS");
    nncl_status st = nncl_context_save_tuning(ctx);
    if (st == NNCL_OK) fprintf(out, "fastest: %s, saved to the tuning cache\n", nncl_context_gemm_params(ctx));
    int rc = st == NNCL_OK ? 0 : cli_fail(ctx, st, "saving the tuning");
    nncl_context_destroy(ctx);
    return rc;
}

static int build_only(void)
{
    double t0 = cli_seconds();
    nncl_context *ctx = NULL;
    if (nncl_context_create(NULL, &ctx)) return 1;
    /* The default model at the default batch: the kernels a first `nncl
     * train` builds (data sets gather on the device; tensors check for NaN). */
    nncl_model_spec spec = mlp_spec(1);
    nncl_model *m = NULL;
    nncl_tensor *X = NULL, *Y = NULL;
    float *zeros = calloc(MLP_BATCH * MLP_INPUTS, sizeof(float));
    int rc = !zeros || nncl_model_create(ctx, &spec, &m) || nncl_tensor_create(ctx, MLP_BATCH, MLP_INPUTS, &X) ||
             nncl_tensor_create(ctx, MLP_BATCH, 1, &Y) || nncl_tensor_upload(X, zeros, MLP_BATCH * MLP_INPUTS) ||
             nncl_tensor_upload(Y, zeros, MLP_BATCH) || nncl_model_train_step(m, X, Y) || nncl_model_sync(m);
    free(zeros);
    printf("%.4f\n", cli_seconds() - t0);
    nncl_tensor_destroy(X), nncl_tensor_destroy(Y);
    nncl_model_destroy(m);
    nncl_context_destroy(ctx);
    return rc;
}

/* FP32 ceiling of the device: CPUs from their SIMD width and clock (2 FMA
 * units per core assumed), GPUs from compute units x 128 lanes (NVIDIA since
 * Ampere) x clock. An estimate; it says which. */
static double peak_gflops(nncl_context *ctx, const nncl_device_info *d, char *how, size_t how_size)
{
    cl_uint mhz = 0;
    clGetDeviceInfo(nncl_context_cl_device(ctx), CL_DEVICE_MAX_CLOCK_FREQUENCY, sizeof mhz, &mhz, NULL);
    if (d->type == NNCL_DEVICE_GPU) {
        snprintf(how, how_size, "%u CUs x 128 lanes x 2 flops x %u MHz", d->compute_units, mhz);
        return d->compute_units * 128.0 * 2.0 * mhz * 1e-3;
    }
    int lanes = 4;
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) lanes = 16;
    else if (__builtin_cpu_supports("avx2")) lanes = 8;
#endif
    snprintf(how, how_size, "%u cores x 2 FMA units x %d lanes x 2 flops x %u MHz", d->compute_units, lanes, mhz);
    return d->compute_units * 2.0 * lanes * 2.0 * mhz * 1e-3;
}

int cli_bench(int argc, char **argv)
{
    bench_opts bo = {2.0, 0};
    const char *device = NULL, *batches = NULL;
    int skip_train = 0, do_tune = 0, train_only = 0;
    cli_args a = {"bench", argc, 1, argv, NULL, 0};
    while (a.index < argc && !a.failed) {
        if (cli_flag(&a, "-h") || cli_flag(&a, "--help")) {
            fputs(usage, stdout);
            return 0;
        }
        else if (cli_flag(&a, "--build-only")) return build_only();
        else if (cli_flag(&a, "--quick")) bo.min_seconds = 0.3;
        else if (cli_flag(&a, "--json")) bo.json = 1;
        else if (cli_flag(&a, "--skip-train")) skip_train = 1;
        else if (cli_flag(&a, "--tune")) do_tune = 1;
        else if (cli_flag(&a, "--train-only")) train_only = 1;
        else if (cli_opt(&a, "--device")) device = a.value;
        else if (cli_opt(&a, "--batches")) batches = a.value;
        else return cli_usage_error("bench", "unknown option \"%s\"", argv[a.index]);
    }
    if (a.failed) return 2;
    if (cli_peers_load()) return 1;
    if (do_tune) return tune(device, bo.min_seconds < 1.0 ? TUNE_QUICK_SECONDS : TUNE_SECONDS, stdout);
    /* The first time bench meets a device (its GEMM parameters still the
     * defaults), it sweeps them (tune, quickly) and caches the fastest, so
     * later runs (and every context) use it. */
    if (!getenv("NNCL_GEMM_TILES") && !getenv("NNCL_GEMM_PARAMS")) {
        char params[128];
        const char *source = "";
        if (device_params(device, params, sizeof params, &source)) return 1;
        if (!strcmp(source, "default")) {
            fprintf(stderr, "nncl bench: first run on this device: tuning the GEMM parameters (once)\n");
            int rc = tune(device, TUNE_QUICK_SECONDS, bo.json ? stderr : stdout); /* --json: stdout stays one object */
            if (rc) return rc;
        }
    }

    /* Kernel build time first, in child processes with their own PoCL cache. */
    char cache[] = "/tmp/nncl-bench-cache-XXXXXX";
    double cold = NAN, warm = NAN;
    char self[4096];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (!train_only && len > 0 && mkdtemp(cache)) {
        self[len] = '\0';
        cold = build_time(self, device, cache);
        warm = build_time(self, device, cache);
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", cache);
        if (system(cmd) != 0) fprintf(stderr, "nncl bench: could not remove %s\n", cache);
    }

    nncl_context *ctx = NULL;
    int rc = cli_context(device, 0, &ctx);
    if (rc) return rc;
#ifdef NNCL_HAVE_OPENBLAS
    openblas_set_num_threads((int)sysconf(_SC_NPROCESSORS_ONLN));
    const char *blas = openblas_get_corename();
    /* AVX2 kernels on an AVX-512 machine (OPENBLAS_CORETYPE set so, or a
     * release that does not know the CPU) make the peer slower than it is:
     * say so beside the figures. */
    if (__builtin_cpu_supports("avx512f") && (!strcmp(blas, "Haswell") || !strcmp(blas, "Zen"))) {
        const char *forced = getenv("OPENBLAS_CORETYPE");
        fprintf(stderr, "nncl bench: OpenBLAS runs its %s (AVX2) kernels on this AVX-512 CPU%s%s%s; "
                        "OPENBLAS_CORETYPE=SkylakeX compares with its AVX-512 ones\n",
                blas, forced ? " (OPENBLAS_CORETYPE=" : "", forced ? forced : "", forced ? " is set)" : "");
    }
#else
    const char *blas = "not built in";
#endif
    nncl_device_info d;
    nncl_context_device(ctx, &d);
    char how[160];
    double peak = peak_gflops(ctx, &d, how, sizeof how);
    if (!bo.json) {
        printf("device: %s (%s), %u compute units, GEMM %s (%s)\n", d.name, d.platform, d.compute_units,
               nncl_context_gemm_params(ctx), nncl_context_tiles_source(ctx));
        printf("FP32 ceiling: %.0f GFLOP/s (%s)\n", peak, how);
        printf("OpenBLAS core: %s   CLBlast: %s\n", blas,
#ifdef NNCL_HAVE_CLBLAST
               "built in"
#else
               "not built in"
#endif
        );
        printf("kernel build + first step: cold %.2f s, warm %.2f s\n\n", cold, warm);
    }
    FILE *json = stdout;
    if (bo.json)
        printf("{\"device\": \"%s\", \"gemm_params\": \"%s\", \"gemm_params_source\": \"%s\", "
               "\"peak_gflops\": %.1f, \"openblas_core\": \"%s\", \"build_cold_seconds\": %.3f, "
               "\"build_warm_seconds\": %.3f, \"gemm\": [", d.name, nncl_context_gemm_params(ctx),
               nncl_context_tiles_source(ctx), peak, blas, isnan(cold) ? -1.0 : cold,
               isnan(warm) ? -1.0 : warm); /* -1: not measured, as for a missing peer */
    rc = train_only ? 0 : gemm_table(ctx, &bo, json);
    double device_mib = device_peak_mib(ctx); /* the most over the whole bench: the table, then each batch size */
    if (bo.json) printf("], \"training\": [");

    if (!rc && !skip_train) {
        nncl_dataset *ds = NULL;
        if (nncl_dataset_open(ctx, "fashion-mnist", "train", NULL, &ds) != NNCL_OK)
            fprintf(stderr, "nncl bench: training skipped: %s\n", nncl_last_error(ctx));
        size_t list[8], n_list = 0;
        if (batches) {
            for (const char *p = batches; *p && n_list < 8;) {
                char *end;
                unsigned long v = strtoul(p, &end, 10);
                if (end == p || v == 0) {
                    rc = cli_usage_error("bench", "--batches \"%s\": expected sizes such as 128,1024", batches);
                    break;
                }
                list[n_list++] = v;
                p = *end == ',' ? end + 1 : end;
            }
        } else {
            list[n_list++] = MLP_BATCH;
            list[n_list++] = 1024;
            if (d.type == NNCL_DEVICE_GPU) list[n_list++] = 4096, list[n_list++] = 16384;
        }
        if (!bo.json && !rc && ds)
            printf("\ntraining the default MLP 784-256-128-10 (Adam) on Fashion-MNIST\n%-8s %12s %12s\n", "batch",
                   "samples/s", "device MiB");
        for (size_t i = 0; !rc && ds && i < n_list; i++) {
            double row_mib = -1.0;
            double rate = train_rate(ctx, ds, list[i], bo.min_seconds, &row_mib);
            if (row_mib > device_mib) device_mib = row_mib;
            if (!bo.json) printf("%-8zu %12.0f %12.1f\n", list[i], rate, row_mib);
            else
                printf("%s{\"batch\": %zu, \"samples_per_second\": %.1f, \"peak_device_mib\": %.1f}", i ? ", " : "",
                       list[i], rate, row_mib);
        }
        nncl_dataset_destroy(ds);
    }
    struct rusage usage;
    double rss_mib = getrusage(RUSAGE_SELF, &usage) == 0 ? (double)usage.ru_maxrss / 1024.0 : -1.0; /* KiB */
    if (bo.json) printf("], \"peak_rss_mib\": %.1f, \"peak_device_mib\": %.1f}\n", rss_mib, device_mib);
    else printf("peak resident memory: %.1f MiB, peak device memory: %.1f MiB (nncl's buffers)\n", rss_mib, device_mib);
    nncl_context_destroy(ctx);
    return rc;
}
