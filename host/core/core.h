/* SPDX-License-Identifier: MIT */
/* Internals shared by the library's files: the context and tensor structs,
 * error reporting, and the kernel handles. Nothing here is exported. */
#ifndef NNCL_CORE_CORE_H
#define NNCL_CORE_CORE_H

#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>

#include "nncl/nncl.h"
#include "nncl_shared.h" /* kernels/: the ids, codes and slots the kernels use too */

#include <stddef.h>

#define NNCL__ERRLEN 4096

/* The kernels see the public enums only through nncl_shared.h's numbers. */
_Static_assert(NNCL_ACT_IDENTITY == NNCL_ACT_ID_IDENTITY && NNCL_ACT_SIGMOID == NNCL_ACT_ID_SIGMOID &&
                   NNCL_ACT_TANH == NNCL_ACT_ID_TANH && NNCL_ACT_RELU == NNCL_ACT_ID_RELU &&
                   NNCL_ACT_LEAKY_RELU == NNCL_ACT_ID_LEAKY_RELU && NNCL_ACT_SOFTMAX == NNCL_ACT_ID_SOFTMAX,
               "nncl_activation and nncl_shared.h disagree");
_Static_assert(NNCL_LOSS_MSE == NNCL_LOSS_ID_MSE && NNCL_LOSS_BCE == NNCL_LOSS_ID_BCE &&
                   NNCL_LOSS_SOFTMAX_CE == NNCL_LOSS_ID_SOFTMAX_CE,
               "nncl_loss and nncl_shared.h disagree");
_Static_assert(NNCL_OPTIM_SGD == NNCL_OPTIM_ID_SGD && NNCL_OPTIM_MOMENTUM == NNCL_OPTIM_ID_MOMENTUM &&
                   NNCL_OPTIM_NESTEROV == NNCL_OPTIM_ID_NESTEROV && NNCL_OPTIM_ADAM == NNCL_OPTIM_ID_ADAM &&
                   NNCL_OPTIM_ADAMW == NNCL_OPTIM_ID_ADAMW,
               "nncl_optimizer_kind and nncl_shared.h disagree");

#if defined(__GNUC__)
#define NNCL__PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define NNCL__PRINTF(f, a)
#endif

/* Every kernel the library launches, built once per context.
 * X(enum suffix, kernel function name, number of arguments, work-group
 * shape): the count is what launchers are checked against when they compile
 * (NNCL__SET_ARGS), and is checked in turn against the built kernel's own
 * when they run; the shape is the one its reqd_work_group_size names, which
 * nncl__launch rounds every range up to: ROW (NNCL_WG x 1), TILE (the
 * register GEMMs' NNCL_GEMM_WGX x NNCL_GEMM_WGY), LOCAL (gemm_local's
 * NNCL_LWG x NNCL_LWG) or ONE (a single work-item). */
#define NNCL__KERNEL_LIST(X)                                \
    X(GEMM_NN, "gemm_nn", 26, TILE)                         \
    X(GEMM_NP, "gemm_np", 26, TILE)                         \
    X(GEMM_TN, "gemm_tn", 26, TILE)                         \
    X(GEMM_TP, "gemm_tp", 26, TILE)                         \
    X(GEMM_LOCAL, "gemm_local", 26, LOCAL)                  \
    X(GEMM_NP_PART, "gemm_np_part", 14, TILE)               \
    X(GEMM_TP_PART, "gemm_tp_part", 14, TILE)               \
    X(GEMM_NP_NARROW, "gemm_np_narrow", 26, TILE)           \
    X(GEMM_TP_NARROW, "gemm_tp_narrow", 26, TILE)           \
    X(GEMM_TP_GROUP, "gemm_tp_group", 14, TILE)             \
    X(GEMM_NP_PART_NARROW, "gemm_np_part_narrow", 14, TILE) \
    X(GEMM_TP_PART_NARROW, "gemm_tp_part_narrow", 14, TILE) \
    X(GEMM_REDUCE, "gemm_reduce", 18, ROW)                  \
    X(PACK_B, "pack_b", 8, ROW)                             \
    X(PACK_B_NARROW, "pack_b_narrow", 8, ROW)               \
    X(PACK_B_MANY, "pack_b_many", 5, ROW)                   \
    X(TRANSPOSE, "transpose", 8, ROW)                       \
    X(FILL, "fill", 6, ROW)                                 \
    X(ACT_FORWARD, "act_forward", 9, ROW)                   \
    X(ACT_BACKWARD_BIAS, "act_backward_bias", 12, ROW)      \
    X(SOFTMAX_CE, "softmax_ce", 23, ROW)                    \
    X(ELEMENTWISE_LOSS, "elementwise_loss", 23, ROW)        \
    X(LOSS_HEAD, "loss_head", 55, TILE)                     \
    X(SUM_ACCUMULATE, "sum_accumulate", 9, ONE)             \
    X(OPTIM_UPDATE, "optim_update", 20, ROW)                \
    X(GATHER_U8, "gather_u8", 15, ROW)                      \
    X(GATHER_F32, "gather_f32", 15, ROW)                    \
    X(CHECK_FINITE, "check_finite", 7, ROW)

enum { NNCL__WG_ROW, NNCL__WG_TILE, NNCL__WG_LOCAL, NNCL__WG_ONE };

typedef enum {
#define NNCL__KENUM(e, n, argc, wg) NNCL__K_##e,
    NNCL__KERNEL_LIST(NNCL__KENUM)
#undef NNCL__KENUM
    NNCL__K_COUNT
} nncl__kernel_id;

enum {
#define NNCL__KARGC(e, n, argc, wg) NNCL__ARGC_##e = argc,
    NNCL__KERNEL_LIST(NNCL__KARGC)
#undef NNCL__KARGC
};

enum { NNCL__TN_AUTO = 0, NNCL__TN_TRANSPOSE = 1, NNCL__TN_DIRECT = 2 };

/* The GEMM parameters in force: the tuned ones (tm .. kc for the register
 * kernels, lwg .. lkt for gemm_local) go to the compiler as -D options
 * (nncl__gemm_build_options) and to the tuning cache; the rest are path
 * choices read from the environment for experiments. */
typedef struct {
    int tm; /* rows of C per work-item (register tile height), 1..16 */
    int tn; /* columns of C per work-item: vw, 2·vw or 4·vw */
    int vw; /* floats per accumulator vector: 8 (AVX2) or 16 (AVX-512) */
    int ku; /* k steps per iteration of the whole-tile loop (unrolling), 1..8 */
    int kc; /* split K into chunks of kc (a multiple of 8) when K >= 2·kc; 0 never */
    int wgx, wgy; /* GEMM work-group shape */
    int wg;       /* work-group size of every other kernel (rows of 1) */
    int transpose_a; /* NNCL__TN_*: when TN transposes A first (see nncl__gemm) */
    size_t pack_min_m; /* pack a row-major B when M is at least this (NT always packs) */
    int local_gemm;    /* GPUs: gemm_local (local-memory tiles) for every product */
    int prepack;       /* a model packs its weights once per step and its products leave
                          each dZ packed for the weight gradient (NNCL_GEMM_PREPACK=0: off) */
    int fused_head;    /* with prepack, a step's output layers are one launch (loss_head)
                          and its ready weight gradients another (NNCL_FUSED_HEAD=0: off) */
    int lwg, lrb, lkt; /* gemm_local: work-group side, register block side, k tile */
    const char *source; /* where they came from: "default", "tuned" (cache), "NNCL_GEMM_TILES" or "NNCL_GEMM_PARAMS" */
} nncl__gemm_tiles;

/* Rows of the narrow register tile (one vector per row, for products at
 * most one vector wide): as many accumulators as the wide tile's TM x NV,
 * at most 16. The kernels get it as NNCL_NARROW_TM (nncl__gemm_build_options). */
static inline int nncl__narrow_tm(const nncl__gemm_tiles *t)
{
    int tm = t->tm * (t->tn / t->vw);
    return tm < 16 ? tm : 16;
}

struct nncl_context {
    cl_platform_id platform;
    cl_device_id device;
    cl_context cl;
    cl_command_queue queue;
    cl_program program;
    cl_kernel kernels[NNCL__K_COUNT];
    cl_uint kernel_args[NNCL__K_COUNT]; /* each kernel's number of arguments */
    int owns_cl;           /* 0 when wrapping a caller's context and queue */
    nncl_device_info info;
    nncl__gemm_tiles tiles;
    cl_mem scratch;        /* grows on demand: a GEMM's copy of Aᵀ, packed B, split-K parts */
    size_t scratch_bytes;
    /* A second in-order queue for work that may run beside the main queue's
     * (nncl__side_begin), with its own scratch; NULL for a caller's queue
     * (nncl_context_create_from_cl), where everything stays on it. While
     * side work is being queued, `queue` is the side queue and `home` the
     * main one; side_done is the side queue's last mark not yet joined. */
    cl_command_queue side_queue, home;
    cl_event side_done;
    cl_mem side_scratch;
    size_t side_scratch_bytes;
    /* Device memory of the buffers made through nncl__buffer_create that are
     * not released yet, and the most it has been (nncl_context_memory). */
    size_t memory_bytes, memory_peak;
    uint64_t dataset_budget; /* bytes a data set may take on the device; 0: half of it */
    double build_seconds;
    /* Profiling (options.profile): events not yet read, and the totals. */
    int profile;
    cl_event pending[256];
    nncl__kernel_id pending_id[256];
    size_t n_pending;
    uint64_t launches[NNCL__K_COUNT];
    double kernel_seconds[NNCL__K_COUNT];
    char error[NNCL__ERRLEN];
};

struct nncl_tensor {
    nncl_context *ctx;
    cl_mem mem;
    size_t offset; /* in floats, from the start of mem */
    size_t rows, cols;
    size_t ld;     /* floats between the starts of two rows (>= cols) */
    int owns_mem;
};

/* Records a formatted message for ctx (or, ctx NULL, for this thread) and
 * returns status, so that `return nncl__fail(ctx, NNCL_ERR_SHAPE, ...)` reads well. */
nncl_status nncl__fail(const nncl_context *ctx, nncl_status status, const char *fmt, ...)
    NNCL__PRINTF(3, 4);
/* The name of an OpenCL error code, e.g. "CL_OUT_OF_RESOURCES". */
const char *nncl__cl_error_name(cl_int err);
/* Fails with NNCL_ERR_OPENCL (NNCL_ERR_OUT_OF_MEMORY for allocation failures)
 * naming the call and the OpenCL error. */
nncl_status nncl__cl_fail(const nncl_context *ctx, cl_int err, const char *what);

#define NNCL__CHECK_CL(ctx, expr, what)                                     \
    do {                                                                    \
        cl_int nncl__e = (expr);                                            \
        if (nncl__e != CL_SUCCESS) return nncl__cl_fail((ctx), nncl__e, (what)); \
    } while (0)
#define NNCL__TRY(expr)                          \
    do {                                         \
        nncl_status nncl__s = (expr);            \
        if (nncl__s != NNCL_OK) return nncl__s;  \
    } while (0)

/* Embedded kernel sources (generated at build time from the kernels folder). */
typedef struct {
    const char *name;
    const char *source;
    size_t size;
} nncl__kernel_source;
extern const nncl__kernel_source nncl__kernel_sources[];
extern const size_t nncl__kernel_source_count;

/* Counter-based random numbers (random.c): pure functions of their arguments. */
uint64_t nncl__random(uint64_t seed, uint64_t stream, uint64_t counter);
float nncl__random_uniform(uint64_t seed, uint64_t stream, uint64_t counter); /* [0, 1) */
/* order = a permutation of 0..n-1 determined by (seed, stream). */
void nncl__shuffle(size_t *order, size_t n, uint64_t seed, uint64_t stream);

/* The GEMM parameters for a device (tuning.c): NNCL_GEMM_PARAMS or
 * NNCL_GEMM_TILES, else the tuning cache on disk (keyed by info's name and
 * driver version), else defaults by device type and vector width. Reads the
 * device's properties and the cache only, builds nothing: context creation
 * and nncl_device_gemm_params both come here, so `nncl devices` shows what a
 * context would use. NNCL_ERR_INVALID_ARG, naming it, when one of the GEMM
 * environment variables holds a value it does not take. */
nncl_status nncl__resolve_tiles(cl_device_id device, const nncl_device_info *info, nncl__gemm_tiles *t);
/* The kernel and its tuned parameters as text, e.g. "register tm=8 tn=32
 * vw=16 ku=1 kc=512" (nncl_context_gemm_params, nncl_device_gemm_params). */
void nncl__gemm_params_text(const nncl__gemm_tiles *t, char *out, size_t size);
/* The -D options that carry ctx's GEMM parameters to the kernel compiler. */
void nncl__gemm_build_options(const nncl_context *ctx, char *out, size_t size);

/* Device memory that data sets may take on ctx's device before they stream
 * from the host instead: set by nncl_dataset_set_device_budget (0 restores
 * the default, half of the device's memory). */
void nncl__context_set_dataset_budget(nncl_context *ctx, uint64_t bytes);
uint64_t nncl__context_dataset_budget(const nncl_context *ctx);

/* Every device buffer nncl makes goes through these two, so that the
 * context's count of device memory (nncl_context_memory) misses none.
 * nncl__buffer_create is clCreateBuffer on ctx's context: it returns the
 * OpenCL error (the caller words the message) with *mem NULL and nothing
 * counted, or CL_SUCCESS with the buffer's size added to the count.
 * nncl__buffer_release subtracts it again and releases nncl's reference
 * (NULL does nothing); *mem is NULL after. Both take the size from the
 * buffer itself (CL_MEM_SIZE), so the two always agree. A caller's buffer
 * (nncl_tensor_wrap_cl) is never counted: it is released with
 * clReleaseMemObject. */
cl_int nncl__buffer_create(nncl_context *ctx, cl_mem_flags flags, size_t bytes, void *host_ptr, cl_mem *mem);
void nncl__buffer_release(nncl_context *ctx, cl_mem *mem);

/* A monotonic clock, in seconds (CLOCK_MONOTONIC). */
double nncl__seconds_now(void);

/* Device scratch of at least `bytes`, owned by the context (the side
 * queue's own while side work is being queued). */
nncl_status nncl__scratch(nncl_context *ctx, size_t bytes, cl_mem *out);

/* Independent work at the same time: what is queued between
 * nncl__side_begin and nncl__side_end goes to the side queue, after all that
 * the main queue holds so far, and may run beside what the main queue gets
 * next; nncl__side_join makes the main queue wait for it. On PoCL this lets
 * two small kernels share the CPU threads where each alone would leave one
 * of them waking up (docs/PERFORMANCE.md, "Two queues"). Without a side
 * queue all three do nothing and the work stays in order. On an error the
 * main queue is current again and ordered after the side work. */
nncl_status nncl__side_begin(nncl_context *ctx);
nncl_status nncl__side_end(nncl_context *ctx);
nncl_status nncl__side_join(nncl_context *ctx);

/* 1 when two tensors may share memory (same buffer, overlapping ranges). */
int nncl__overlap(const nncl_tensor *a, const nncl_tensor *b);

/* Checks that a tensor is non-NULL and belongs to ctx; `what` names it. */
nncl_status nncl__check_tensor(nncl_context *ctx, const nncl_tensor *t, const char *what);

/* Launches kernel `id` over a 1-D or 2-D range, in the work-group shape the
 * kernel requires (the range is rounded up; kernels check their bounds). */
nncl_status nncl__launch(nncl_context *ctx, nncl__kernel_id id, cl_uint dims,
                         const size_t *global);

/* Typed kernel arguments. A launcher sets all of a kernel's arguments in one
 * statement, in the kernel's order:
 *   NNCL__TRY(NNCL__SET_ARGS(ctx, id, FILL, NNCL__VIEW(x), NNCL__U(rows), ...));
 * Each constructor takes the OpenCL type of its kernel parameter: NNCL__MEM
 * a cl_mem (__global pointer; NULL allowed), NNCL__U a cl_uint, NNCL__I a
 * cl_int, NNCL__F a cl_float, NNCL__U16 a cl_uint16 (NNCL__VIEW, in ops/ops.h, a matrix's three), so
 * that a matrix passed for a number, or a number for a buffer, fails to
 * compile. */
typedef struct {
    size_t size; /* the tag: sizeof the member that holds the value */
    union {
        cl_mem mem;
        cl_uint u;
        cl_int i;
        cl_float f;
        cl_uint16 u16;
    } value;
} nncl__arg;
static inline nncl__arg nncl__arg_mem(cl_mem v) { return (nncl__arg){sizeof v, {.mem = v}}; }
static inline nncl__arg nncl__arg_uint(cl_uint v) { return (nncl__arg){sizeof v, {.u = v}}; }
static inline nncl__arg nncl__arg_int(cl_int v) { return (nncl__arg){sizeof v, {.i = v}}; }
static inline nncl__arg nncl__arg_float(cl_float v) { return (nncl__arg){sizeof v, {.f = v}}; }
static inline nncl__arg nncl__arg_uint16(cl_uint16 v) { return (nncl__arg){sizeof v, {.u16 = v}}; }
#define NNCL__MEM(v) nncl__arg_mem(v)
#define NNCL__U(v) nncl__arg_uint(v)
#define NNCL__I(v) nncl__arg_int(v)
#define NNCL__F(v) nncl__arg_float(v)
#define NNCL__U16(v) nncl__arg_uint16(v)

/* Sets args[0 .. n) as kernel id's arguments. Fails with the kernel's name
 * and the argument's index when clSetKernelArg does, and unless n is the
 * number of arguments the built kernel takes (CL_KERNEL_NUM_ARGS). */
nncl_status nncl__set_args(nncl_context *ctx, nncl__kernel_id id, const nncl__arg *args, cl_uint n);

/* nncl__set_args on a list written in place, whose length must be the
 * argument count NNCL__KERNEL_LIST gives kernel SIG (id itself, or a kernel
 * of its family with the same parameters): a missing or extra argument fails
 * to compile, as "size of array is negative" (a _Static_assert cannot hold
 * the list's length in an expression for every compiler). */
#define NNCL__ARG_COUNT(...) (sizeof((nncl__arg[]){__VA_ARGS__}) / sizeof(nncl__arg))
#define NNCL__SET_ARGS(ctx, id, SIG, ...)                                                        \
    nncl__set_args((ctx), (id), (const nncl__arg[]){__VA_ARGS__},                                \
                   (cl_uint)NNCL__ARG_COUNT(__VA_ARGS__) +                                       \
                       0 * sizeof(char[NNCL__ARG_COUNT(__VA_ARGS__) == NNCL__ARGC_##SIG ? 1 : -1]))

/* ---- options structs (options.c) ---------------------------------------------
 * Every public options struct starts with `size_t size` (see nncl.h).
 * nncl__options_read copies the caller's struct over `out`, which holds the
 * defaults: min(caller's size, out_size) bytes, size 0 meaning out_size;
 * caller NULL keeps the defaults. out's size is then out_size. Every public
 * call that takes an options struct reads it through this, never field by
 * field from the caller's memory.
 * nncl__options_write copies the library's `in` (in_size bytes) into a
 * struct the caller initialised (its size, 0 meaning in_size, caps the copy)
 * and sets the caller's size to the bytes written.
 * A later version appends fields only past the old sizeof (never into tail
 * padding), so an old caller's size ends before every new field. */
void nncl__options_read(void *out, size_t out_size, const void *caller);
void nncl__options_write(void *caller, const void *in, size_t in_size);
#define NNCL__OPTIONS_READ(out, caller) nncl__options_read((out), sizeof *(out), (caller))
#define NNCL__OPTIONS_WRITE(caller, in) nncl__options_write((caller), (in), sizeof *(in))

#endif
