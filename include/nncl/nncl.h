/* SPDX-License-Identifier: MIT */
/* nncl — neural-network training on OpenCL devices.
 *
 * The public API: pure C11, no OpenCL types. Every fallible call returns an
 * nncl_status (0 is NNCL_OK, failures are negative); results come back through
 * out-parameters, and nncl_last_error() gives the detail of the last failure.
 *
 * Threads: one context is used by one thread at a time; separate contexts are
 * independent and may be used from different threads at once, created and
 * destroyed included (nncl serialises device enumeration and context setup,
 * which some drivers, PoCL among them, do not survive from threads at once).
 *
 * Layout: tensors are float32, row-major, 2-D (rows x cols, batch first).
 *
 * Options structs (nncl_context_options, nncl_model_spec, nncl_optimizer,
 * nncl_csv_options, nncl_epoch_options, nncl_train_position and nncl_cl_sync
 * in nncl_cl.h) can grow without breaking programs built against an older
 * header. Each starts with `size_t size` and has a *_defaults() function that
 * returns it fully filled, with size = sizeof the struct in this header:
 *
 *     nncl_epoch_options eo = nncl_epoch_options_defaults();
 *     eo.batch = 64;
 *
 * The library reads only the fields that fit within `size`; fields past it
 * take their defaults. size 0 (a struct zeroed with {0}, designated
 * initialisers that leave size out, or memset) is read as this header's
 * layout, every field as given; that holds for the library this header came
 * with, so a program that must keep running on later libraries without a
 * rebuild starts from _defaults(), which records its size. A size larger
 * than the library knows (a program built against a newer header) is
 * accepted: the library reads the part it knows. A struct the library fills
 * (nncl_model_get_spec, nncl_model_get_optimizer, nncl_model_load's
 * position) must be initialised the same way, by _defaults() or by zeroing:
 * the library writes at most `size` bytes (0: this header's size) and sets
 * size to the bytes it wrote.
 * Structs only the library writes (nncl_device_info, nncl_kernel_time,
 * nncl_progress) have no size field.
 *
 * ABI: while the major version is 0, every minor version may change the ABI,
 * and the shared library's soname carries MAJOR.MINOR (libnncl.so.0.2), so
 * programs built against 0.1 never load 0.2 by mistake. 0.2 changed the layout
 * of every options struct (the leading size field): rebuild programs made
 * with 0.1 and fill the structs by name, not by position.
 */
#ifndef NNCL_NNCL_H
#define NNCL_NNCL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* nncl is POSIX-only: the export macro only sets symbol visibility. A Windows
 * port would follow libuv's pattern: BUILDING_NNCL_SHARED while building the
 * DLL gives __declspec(dllexport), USING_NNCL_SHARED in its consumers gives
 * __declspec(dllimport). */
#if defined(__GNUC__)
#define NNCL_API __attribute__((visibility("default")))
#else
#define NNCL_API
#endif

#define NNCL_VERSION_MAJOR 0
#define NNCL_VERSION_MINOR 2
#define NNCL_VERSION_PATCH 0
#define NNCL_VERSION_STRING "0.2.0"
/* One number, MAJOR*10000 + MINOR*100 + PATCH, comparable with nncl_version(). */
#define NNCL_VERSION \
    (NNCL_VERSION_MAJOR * 10000 + NNCL_VERSION_MINOR * 100 + NNCL_VERSION_PATCH)

/* Version of the library actually linked, as NNCL_VERSION. It shares the
 * headers' ABI when MAJOR and MINOR match while MAJOR is 0 (nncl_version() /
 * 100 == NNCL_VERSION / 100), and when MAJOR matches from 1.0 on. */
NNCL_API int nncl_version(void);
/* The same as a string such as "0.2.0"; static storage. */
NNCL_API const char *nncl_version_string(void);

/* ---- Status codes ------------------------------------------------------ */

/* X(name, value, message): the one list both the enum and the strings come from. */
#define NNCL_STATUS_MAP(X)                                                   \
    X(OK, 0, "success")                                                      \
    X(ERR_INVALID_ARG, -1, "invalid argument")                               \
    X(ERR_SHAPE, -2, "shape mismatch")                                       \
    X(ERR_OUT_OF_MEMORY, -3, "out of memory")                                \
    X(ERR_NO_DEVICE, -4, "no usable OpenCL device")                          \
    X(ERR_OPENCL, -5, "OpenCL call failed")                                  \
    X(ERR_BUILD, -6, "OpenCL kernel build failed")                           \
    X(ERR_IO, -7, "input/output error")                                      \
    X(ERR_FORMAT, -8, "malformed input file")                                \
    X(ERR_NUMERIC, -9, "non-finite value (NaN or infinity)")                 \
    X(ERR_UNSUPPORTED, -10, "unsupported operation")                         \
    X(ERR_INTERRUPTED, -11, "interrupted by the caller")                     \
    X(ERR_COMM, -12, "communication between ranks failed")

typedef enum nncl_status {
#define NNCL__STATUS_ENUM(name, value, msg) NNCL_##name = value,
    NNCL_STATUS_MAP(NNCL__STATUS_ENUM)
#undef NNCL__STATUS_ENUM
} nncl_status;

/* Short name of a status, e.g. "NNCL_ERR_SHAPE: shape mismatch"; static storage,
 * never NULL (unknown codes give "NNCL_?: unknown status"). */
NNCL_API const char *nncl_status_string(nncl_status status);

/* ---- Devices ------------------------------------------------------------ */

typedef enum nncl_device_type {
    NNCL_DEVICE_OTHER = 0,
    NNCL_DEVICE_CPU = 1,
    NNCL_DEVICE_GPU = 2,
    NNCL_DEVICE_ACCELERATOR = 3
} nncl_device_type;

/* Written by the library (nncl_device_get_info, nncl_context_device). */
typedef struct nncl_device_info {
    int index;                   /* position in the global list, as NNCL_DEVICE accepts */
    nncl_device_type type;
    char name[128];
    char vendor[128];
    char platform[128];
    char version[128];           /* CL_DEVICE_VERSION */
    char driver_version[64];
    char opencl_c_version[64];
    unsigned compute_units;
    uint64_t global_mem_bytes;
    uint64_t local_mem_bytes;
    uint64_t max_alloc_bytes;
    size_t max_work_group_size;
} nncl_device_info;

/* Number of OpenCL devices over all platforms. With no platform at all
 * *count is 0 and NNCL_ERR_NO_DEVICE is returned (nncl_last_error(NULL) says
 * how to install one). */
NNCL_API nncl_status nncl_device_count(int *count);
/* Fills *info for device `index` (0 .. count-1). */
NNCL_API nncl_status nncl_device_get_info(int index, nncl_device_info *info);
/* The device index that `spec` selects, as nncl_context_create would choose:
 * spec NULL means $NNCL_DEVICE, else the first GPU, else the first CPU.
 * A spec is "gpu", "cpu", a decimal index, or a case-insensitive substring of
 * the device or platform name. */
NNCL_API nncl_status nncl_device_select(const char *spec, int *index);
/* The GEMM parameters a context on device `index` would be built with, and
 * where they come from, without creating one (nothing is built; it reads
 * the device's properties, the environment and the tuning cache, as
 * nncl_context_create does): out gets the text nncl_context_gemm_params
 * gives, e.g. "register tm=8 tn=32 vw=16 ku=1 kc=512" (96 bytes hold any;
 * longer text is cut, NUL-terminated; out NULL skips it), *source the
 * string nncl_context_tiles_source gives ("default", "tuned",
 * "NNCL_GEMM_PARAMS" or "NNCL_GEMM_TILES"; static storage; source NULL
 * skips it). `nncl devices` prints them. NNCL_ERR_INVALID_ARG, here and
 * from nncl_context_create, when NNCL_GEMM_PARAMS, NNCL_GEMM_TILES,
 * NNCL_GEMM_TN or NNCL_GEMM_KERNEL holds a value it does not take (until
 * December 2026 such a value was ignored). */
NNCL_API nncl_status nncl_device_gemm_params(int index, char *out, size_t size, const char **source);

/* ---- Contexts ----------------------------------------------------------- */

typedef struct nncl_context nncl_context;

typedef struct nncl_context_options {
    size_t size;            /* sizeof(nncl_context_options) or 0; see the top of this file */
    const char *device;     /* as nncl_device_select; NULL: $NNCL_DEVICE, then defaults */
    const char *kernel_dir; /* NULL: embedded kernels ($NNCL_KERNEL_DIR overrides) */
    int profile;            /* 1: time every kernel on the device (nncl_context_kernel_times) */
} nncl_context_options;

/* device NULL, kernel_dir NULL, profile 0: what options NULL means. */
NNCL_API nncl_context_options nncl_context_options_defaults(void);

/* Creates a context (device, in-order queue, built kernels) on the device that
 * options->device selects. options may be NULL. On failure *out is NULL and
 * nncl_last_error(NULL) has the detail. The caller destroys *out. The
 * context also makes a second in-order queue of its own where the driver
 * allows (not for nncl_context_create_from_cl, nor with NNCL_ONE_QUEUE=1 in
 * the environment), on which training runs work that does not depend on the
 * queue's latest (the gradient a layer passes down beside its weight
 * gradient, the next batch's gather); every call still sees the results of
 * the calls before it. */
NNCL_API nncl_status nncl_context_create(const nncl_context_options *options,
                                         nncl_context **out);
/* Releases everything the context created; NULL does nothing. Tensors and
 * models of the context must be destroyed first. */
NNCL_API void nncl_context_destroy(nncl_context *ctx);
/* The device the context runs on. */
NNCL_API nncl_status nncl_context_device(const nncl_context *ctx, nncl_device_info *info);
/* Waits until every operation queued on the context has finished. */
NNCL_API nncl_status nncl_context_finish(nncl_context *ctx);
/* Written by the library (nncl_context_kernel_times). */
typedef struct nncl_kernel_time {
    const char *kernel;  /* the kernel function name; static storage */
    uint64_t launches;
    double seconds;      /* device time, summed over launches */
} nncl_kernel_time;

/* For a context created with options.profile: per-kernel launches and device
 * time since creation (or the last reset), waiting for queued work first.
 * Which kernels a model runs is not part of the API: a training step may
 * fuse several operations into one launch (README, "Layout").
 * Fills up to max entries, returns how many kernels have been launched.
 * Kernels on the context's second queue run beside others, so the times
 * can add up to more than the time that passed. */
NNCL_API size_t nncl_context_kernel_times(nncl_context *ctx, nncl_kernel_time *out, size_t max,
                                          int reset);
/* The GEMM tile shape the context's kernels were built with, e.g. "6x16". */
NNCL_API const char *nncl_context_tiles(const nncl_context *ctx);
/* Every tuned parameter of the GEMM kernel the context runs, as the tuning
 * cache stores them, e.g. "register tm=8 tn=32 vw=16 ku=1 kc=512" or
 * "local lwg=16 lrb=4 lkt=16"; thread-local storage, valid until the next call. */
NNCL_API const char *nncl_context_gemm_params(const nncl_context *ctx);
/* Where they (and that shape) came from: "default" (by device type), "tuned" (the tuning
 * cache), or "NNCL_GEMM_PARAMS" / "NNCL_GEMM_TILES" (the environment, for
 * experiments); static storage. */
NNCL_API const char *nncl_context_tiles_source(const nncl_context *ctx);
/* Records the context's GEMM parameters (nncl_context_gemm_params) as the
 * ones to use for its device (keyed by device name, driver version and
 * kernel) in the tuning cache, gemm-params.txt in $NNCL_CACHE_DIR, else
 * $XDG_CACHE_HOME/nncl, else ~/.cache/nncl; later contexts on that device
 * start with them. `nncl bench --tune` sweeps the parameters and calls this
 * with the fastest. The write is atomic. */
NNCL_API nncl_status nncl_context_save_tuning(const nncl_context *ctx);

/* Device memory that the context's buffers take, in bytes: *current_bytes
 * what is allocated now, *peak_bytes the most since the context was created
 * (or since nncl_context_reset_memory_peak). Counted are the buffers nncl
 * allocates on the context's device: tensors from nncl_tensor_create, the
 * context's scratch buffers (one per queue), data sets held on the device, every model's
 * parameters, gradients, optimizer state, activations and their
 * gradients, per-row loss buffers, status words and batch buffers, the
 * copies of its weights and layer gradients packed as the CPU kernels read
 * them (every layer's weights once more and, transposed, those of every
 * layer but the first, and as much again as the hidden layers' gradients;
 * none where the GPU kernel runs or with NNCL_GEMM_PREPACK=0), and the
 * gradient staging area of a model with a communicator. A tensor that nncl_tensor_wrap_cl makes of the caller's own
 * cl_mem is not counted (the caller allocated it), nor is what the driver
 * keeps for itself (the built kernels, the queue). Either pointer may be NULL. */
NNCL_API nncl_status nncl_context_memory(const nncl_context *ctx, size_t *current_bytes, size_t *peak_bytes);
/* Sets the peak of nncl_context_memory to the bytes allocated now, so that a
 * later reading gives the peak of what ran in between (one training run of
 * several on a context, say). */
NNCL_API nncl_status nncl_context_reset_memory_peak(nncl_context *ctx);
/* Releases the context's scratch buffers (the copies and split-K parts that
 * GEMMs stage there; it grows to the largest product run so far and stays),
 * so that a reading of nncl_context_memory after it, or a peak reset after
 * it, does not carry an earlier product's scratch. Work already queued keeps
 * the buffer until it ends; the next product that needs scratch makes it
 * again. */
NNCL_API nncl_status nncl_context_release_scratch(nncl_context *ctx);

/* Seconds nncl_context_create spent building the kernels. */
NNCL_API double nncl_context_build_seconds(const nncl_context *ctx);

/* The detail of the last failing call on ctx (the file and line of a
 * malformed input, the OpenCL build log, the OpenCL error name); for ctx NULL,
 * the last failure of this thread that had no context. Owned by the context,
 * valid until its next failing call; never NULL ("" when nothing failed). */
NNCL_API const char *nncl_last_error(const nncl_context *ctx);

/* ---- Tensors ------------------------------------------------------------ */

typedef struct nncl_tensor nncl_tensor;

/* A new rows x cols float32 device tensor, contents undefined. rows and cols
 * must be > 0. The caller destroys *out before the context. */
NNCL_API nncl_status nncl_tensor_create(nncl_context *ctx, size_t rows, size_t cols,
                                        nncl_tensor **out);
/* NULL does nothing. */
NNCL_API void nncl_tensor_destroy(nncl_tensor *t);
NNCL_API size_t nncl_tensor_rows(const nncl_tensor *t);
NNCL_API size_t nncl_tensor_cols(const nncl_tensor *t);
/* Copies count = rows*cols floats from host memory (row-major) to the tensor;
 * returns when src may be reused. */
NNCL_API nncl_status nncl_tensor_upload(nncl_tensor *t, const float *src, size_t count);
/* Copies the tensor to host memory; count must be rows*cols. Waits for the
 * operations that write the tensor. */
NNCL_API nncl_status nncl_tensor_download(const nncl_tensor *t, float *dst, size_t count);
/* Sets every element to value. */
NNCL_API nncl_status nncl_tensor_fill(nncl_tensor *t, float value);

/* ---- Operations --------------------------------------------------------- */

typedef enum nncl_activation {
    NNCL_ACT_IDENTITY = 0,
    NNCL_ACT_SIGMOID = 1,
    NNCL_ACT_TANH = 2,
    NNCL_ACT_RELU = 3,
    NNCL_ACT_LEAKY_RELU = 4, /* x > 0 ? x : 0.01 x */
    NNCL_ACT_SOFTMAX = 5     /* row-wise; only as the output of a model */
} nncl_activation;

/* "identity", "sigmoid", ...; NULL for an unknown value. */
NNCL_API const char *nncl_activation_name(nncl_activation act);
/* Parses a name as nncl_activation_name gives it. */
NNCL_API nncl_status nncl_activation_parse(const char *name, nncl_activation *act);

/* Y = act(X·W + b) for a whole batch in one launch.
 * X: batch x in, W: in x out, b: 1 x out or NULL, Y: batch x out (written).
 * Softmax is not accepted here (see the model API). */
NNCL_API nncl_status nncl_dense_forward(nncl_context *ctx, const nncl_tensor *X,
                                        const nncl_tensor *W, const nncl_tensor *b,
                                        nncl_activation act, nncl_tensor *Y);

/* C = alpha·op(A)·op(B) + beta·C, op(M) = M or Mᵀ as trans_a/trans_b say.
 * Shapes are those of the stored tensors; op(A) is M x K, op(B) K x N, C M x N. */
NNCL_API nncl_status nncl_gemm(nncl_context *ctx, int trans_a, int trans_b, float alpha,
                               const nncl_tensor *A, const nncl_tensor *B, float beta,
                               nncl_tensor *C);

/* ---- Models ---------------------------------------------------------------
 * A model is a stack of dense layers, y = act(x·W + b), W stored in x out.
 * All parameters live in one flat device buffer (per layer: W row-major, then
 * b), all gradients in another of the same layout, the optimizer state beside
 * them, so one launch updates everything. */

typedef struct nncl_model nncl_model;

typedef enum nncl_loss {
    NNCL_LOSS_MSE = 0,       /* mean of (y - t)² over every output; any output activation */
    NNCL_LOSS_BCE = 1,       /* binary cross-entropy from logits; output activation sigmoid */
    NNCL_LOSS_SOFTMAX_CE = 2 /* cross-entropy of softmax(logits); output activation softmax,
                                targets are class indices (batch x 1) */
} nncl_loss;

/* "mse", "bce", "softmax-ce"; NULL for an unknown value. */
NNCL_API const char *nncl_loss_name(nncl_loss loss);
NNCL_API nncl_status nncl_loss_parse(const char *name, nncl_loss *loss);

/* One element of nncl_model_spec.layers. Its layout is fixed (an array has
 * one stride): per-layer settings that a later version adds come as a new
 * array in nncl_model_spec, which grows through its size field. */
typedef struct nncl_layer_spec {
    size_t units;
    nncl_activation activation; /* softmax only on the last layer */
} nncl_layer_spec;

#define NNCL_MAX_LAYERS 32

typedef struct nncl_model_spec {
    size_t size;                   /* sizeof(nncl_model_spec) or 0; see the top of this file */
    size_t inputs;                 /* width of each input row */
    size_t n_layers;               /* 1 .. NNCL_MAX_LAYERS */
    const nncl_layer_spec *layers; /* n_layers entries; copied */
    nncl_loss loss;
    uint64_t seed;                 /* weight initialisation: same seed, same weights, any device */
} nncl_model_spec;

/* inputs 0, no layers, loss mse, seed 0: set inputs, n_layers and layers. */
NNCL_API nncl_model_spec nncl_model_spec_defaults(void);

typedef enum nncl_optimizer_kind {
    NNCL_OPTIM_SGD = 0,
    NNCL_OPTIM_MOMENTUM = 1, /* heavy ball: v = μv + g, w -= lr·v */
    NNCL_OPTIM_NESTEROV = 2, /* w -= lr·(g + μv) */
    NNCL_OPTIM_ADAM = 3,     /* weight_decay as L2 added to the gradient */
    NNCL_OPTIM_ADAMW = 4     /* weight_decay decoupled: w -= lr·(adam + wd·w) */
} nncl_optimizer_kind;

/* Two step counts drive an update (t = a count before the update, from 0):
 *  - the schedule runs on the model's global step (nncl_model_step: every
 *    update made since the model was created, kept by checkpoints), also
 *    across a change of optimizer or of its settings;
 *  - Adam's bias corrections 1-β1^(t+1), 1-β2^(t+1) use the optimizer
 *    state's own step: the updates made since the state (moments) was last
 *    zeroed, which nncl_model_set_optimizer does when the kind changes, so a
 *    switched-to Adam starts as a fresh one (as torch.optim.Adam would).
 * COSINE holds at min_lr once the step passes total_steps; STEP keeps
 * decaying. */
typedef enum nncl_schedule {
    NNCL_SCHEDULE_CONSTANT = 0,
    NNCL_SCHEDULE_STEP = 1,   /* lr · gamma^floor(step / step_size) */
    NNCL_SCHEDULE_COSINE = 2  /* min_lr + (lr - min_lr)·(1 + cos(π·min(step, total_steps)/total_steps))/2 */
} nncl_schedule;

typedef struct nncl_optimizer {
    size_t size;         /* sizeof(nncl_optimizer) or 0; see the top of this file */
    nncl_optimizer_kind kind;
    float lr;            /* > 0 */
    float momentum;      /* [0, 1): momentum and Nesterov */
    float beta1, beta2;  /* [0, 1): Adam, AdamW */
    float eps;           /* > 0 */
    float weight_decay;  /* >= 0 */
    nncl_schedule schedule;
    uint64_t step_size;  /* STEP: steps between decays, > 0 */
    float gamma;         /* STEP: factor in (0, 1] */
    uint64_t total_steps; /* COSINE: steps of the whole run, > 0 */
    float min_lr;        /* COSINE: >= 0 */
} nncl_optimizer;

/* Defaults for a kind: lr 0.01 (SGD family) or 0.001 (Adam), momentum 0.9,
 * betas 0.9/0.999, eps 1e-8, weight_decay 0 (0.01 for AdamW), constant lr
 * (step: every 1000 steps times 0.1; cosine: 10000 steps down to 0). Fields
 * past a caller's size take the defaults of the kind it gives. */
NNCL_API nncl_optimizer nncl_optimizer_defaults(nncl_optimizer_kind kind);
NNCL_API const char *nncl_optimizer_name(nncl_optimizer_kind kind);
NNCL_API nncl_status nncl_optimizer_parse(const char *name, nncl_optimizer_kind *kind);

/* A new model with initialised weights (Xavier/Glorot uniform for sigmoid,
 * tanh, identity and softmax layers; He uniform for relu and leaky relu; biases
 * zero) and Adam's defaults as optimizer. The caller destroys *out. */
NNCL_API nncl_status nncl_model_create(nncl_context *ctx, const nncl_model_spec *spec,
                                       nncl_model **out);
/* NULL does nothing. */
NNCL_API void nncl_model_destroy(nncl_model *model);
/* Sets the optimizer after checking every hyper-parameter; keeps the state
 * (moments) and its step when the kind is unchanged, else zeroes both (the
 * global step, the schedule's, goes on; see nncl_schedule). */
NNCL_API nncl_status nncl_model_set_optimizer(nncl_model *model, const nncl_optimizer *opt);
/* *opt comes from nncl_optimizer_defaults() or is zeroed (its size). */
NNCL_API nncl_status nncl_model_get_optimizer(const nncl_model *model, nncl_optimizer *opt);
/* Widths: inputs, outputs (units of the last layer), parameter count. */
NNCL_API size_t nncl_model_inputs(const nncl_model *model);
NNCL_API size_t nncl_model_outputs(const nncl_model *model);
NNCL_API size_t nncl_model_param_count(const nncl_model *model);
/* The spec the model was made from; spec->layers points into the model.
 * *spec comes from nncl_model_spec_defaults() or is zeroed (its size). */
NNCL_API nncl_status nncl_model_get_spec(const nncl_model *model, nncl_model_spec *spec);
/* Optimizer updates made so far: the global step the schedule runs on.
 * Updates skipped because a batch was bad (see nncl_model_train_step) are
 * not counted once nncl_model_sync has reported it. */
NNCL_API uint64_t nncl_model_step(const nncl_model *model);

/* Copies all parameters (count = nncl_model_param_count) to or from host
 * memory in the flat layout: per layer W (in x out, row-major) then b. */
NNCL_API nncl_status nncl_model_get_params(const nncl_model *model, float *dst, size_t count);
NNCL_API nncl_status nncl_model_set_params(nncl_model *model, const float *src, size_t count);
/* Copies the gradients of the last nncl_model_compute_gradients/train_step. */
NNCL_API nncl_status nncl_model_get_gradients(const nncl_model *model, float *dst, size_t count);

/* Forward and backward pass on a batch without updating the weights: the
 * gradients of the mean loss land in the model's gradient buffer.
 * X: batch x inputs. Y: batch x 1 class indices (softmax-ce) or batch x outputs. */
NNCL_API nncl_status nncl_model_compute_gradients(nncl_model *model, const nncl_tensor *X,
                                                  const nncl_tensor *Y);
/* One training step: forward, loss, backward, one optimizer update. Only
 * enqueues work: nothing is read back, so steps pipeline on the device. Bad
 * data found on the device (a label out of range, NaN or infinity in X or in
 * the loss) skips that update and every later one until the next call that
 * reads back (nncl_model_sync, _train_metrics, _evaluate), which returns
 * the error with the row that caused it. */
NNCL_API nncl_status nncl_model_train_step(nncl_model *model, const nncl_tensor *X,
                                           const nncl_tensor *Y);
/* Waits for queued steps and reports any error found on the device. */
NNCL_API nncl_status nncl_model_sync(nncl_model *model);
/* Mean loss and accuracy over the training steps since the last reset (then
 * resets them). Accuracy: argmax for softmax-ce, else the fraction of outputs
 * on the right side of 0.5. Either pointer may be NULL. */
NNCL_API nncl_status nncl_model_train_metrics(nncl_model *model, float *loss, float *accuracy);
/* Outputs for a batch: probabilities (softmax-ce), sigmoid probabilities (bce)
 * or the last layer's outputs (mse). out: batch x outputs. An output that is
 * not finite (finite inputs too large for float32, such as ±3e38) is
 * NNCL_ERR_NUMERIC naming the row, as evaluation reports it. */
NNCL_API nncl_status nncl_model_predict(nncl_model *model, const nncl_tensor *X,
                                        nncl_tensor *out);
/* Mean loss and accuracy of the model on (X, Y), shaped as for training.
 * Either pointer may be NULL. */
NNCL_API nncl_status nncl_model_evaluate(nncl_model *model, const nncl_tensor *X,
                                         const nncl_tensor *Y, float *loss, float *accuracy);

/* ---- Data sets ------------------------------------------------------------
 * A data set is a table of feature rows and their targets, loaded from a file
 * and kept in device memory when it fits (images as bytes, scaled on the
 * device), so an epoch copies nothing from the host: each epoch shuffles an
 * index buffer and a gather kernel builds each batch on the device. One that
 * does not fit the device's memory stays on the host and streams batch by
 * batch. */

typedef struct nncl_dataset nncl_dataset;

/* What a missing value in a CSV (an empty cell, NA, NaN, nan or ?) does. */
typedef enum nncl_missing {
    NNCL_MISSING_ERROR = 0, /* a FORMAT error naming file:line:column */
    NNCL_MISSING_DROP = 1,  /* rows with a missing value are left out (nncl_dataset_dropped_rows) */
    NNCL_MISSING_MEAN = 2   /* a missing feature takes its column's mean; a row without its
                               label is left out */
} nncl_missing;

/* nncl_csv_options.regression: decide from the labels. Names (setosa, ...)
 * are classes; so are whole numbers >= 0 with at most
 * NNCL_CSV_AUTO_MAX_CLASSES distinct values and at least
 * NNCL_CSV_AUTO_ROWS_PER_CLASS rows per distinct value; anything else
 * (fractions, negative numbers, many distinct values) is a regression target.
 * nncl_dataset_classes() then says which it became (0: regression). */
#define NNCL_CSV_AUTO (-1)
#define NNCL_CSV_AUTO_MAX_CLASSES 100
#define NNCL_CSV_AUTO_ROWS_PER_CLASS 5

typedef struct nncl_csv_options {
    size_t size;              /* sizeof(nncl_csv_options) or 0; see the top of this file */
    const char *label_column; /* header name or 0-based index; NULL: last; "none": no labels */
    int regression;           /* 0: class labels (whole numbers >= 0, or names, mapped to
                                 indices in sorted order: nncl_dataset_class_name);
                                 1: float targets; NNCL_CSV_AUTO: decided from the labels */
    nncl_missing missing;     /* NNCL_MISSING_ERROR by default */
    /* NULL, or n_features header names: the features are exactly these columns,
     * in this order (a model's inputs, nncl_model_feature_name). The file may
     * hold the label column besides them and nothing else; a name it lacks
     * or a column that is neither is a FORMAT error naming each one. A
     * label_column name the header lacks (or any name, in a file without a
     * header row) then means "no labels". */
    const char *const *features;
    size_t n_features;
} nncl_csv_options;

/* The last column holds class labels, missing values are errors: what
 * options NULL means. */
NNCL_API nncl_csv_options nncl_csv_options_defaults(void);

/* Loads an IDX pair (the MNIST format), plain or gzip: images u8 n x H x W,
 * labels u8 n (labels_path may be NULL). The caller destroys *out. */
NNCL_API nncl_status nncl_dataset_load_idx(nncl_context *ctx, const char *images_path,
                                           const char *labels_path, nncl_dataset **out);
/* Loads a CSV: comma, semicolon or tab separated, RFC 4180 quoting, an
 * optional header row (its names kept: nncl_dataset_feature_name). */
NNCL_API nncl_status nncl_dataset_load_csv(nncl_context *ctx, const char *path,
                                           const nncl_csv_options *options, nncl_dataset **out);
/* What the targets of an in-memory data set are. */
typedef enum nncl_target_kind {
    NNCL_TARGET_NONE = 0,  /* features only (to predict on); targets must be NULL */
    NNCL_TARGET_CLASS = 1, /* class indices 0 .. classes-1, as floats holding integers */
    NNCL_TARGET_VALUE = 2  /* regression targets: any finite float */
} nncl_target_kind;

/* A data set from host arrays: features rows x cols (row-major floats) and
 * one target per row (NULL with NNCL_TARGET_NONE). Both arrays are copied:
 * the caller may free them as soon as this returns. Like a file's data set
 * it is kept on the device when it fits. A NaN or infinity is
 * NNCL_ERR_NUMERIC naming its row and column; a class target that is
 * negative, fractional or >= 65536 is NNCL_ERR_INVALID_ARG. A data set,
 * from arrays or a file, holds at most 2^31 - 1 rows (more is
 * NNCL_ERR_SHAPE: an epoch's row order is 32-bit on the device). */
NNCL_API nncl_status nncl_dataset_from_arrays(nncl_context *ctx, const float *features, size_t rows,
                                              size_t cols, const float *targets, nncl_target_kind kind,
                                              nncl_dataset **out);
/* Names from a CSV's header: feature column i, the label column, and class
 * i when the labels were names; NULL when there are none. Valid as long as ds. */
NNCL_API const char *nncl_dataset_feature_name(const nncl_dataset *ds, size_t i);
NNCL_API const char *nncl_dataset_target_name(const nncl_dataset *ds);
NNCL_API const char *nncl_dataset_class_name(const nncl_dataset *ds, size_t i);
/* Rows of the file left out by NNCL_MISSING_DROP or _MEAN. */
NNCL_API size_t nncl_dataset_dropped_rows(const nncl_dataset *ds);
/* Loads by name: "fashion-mnist" (the Debian package dataset-fashion-mnist)
 * or a folder holding the four IDX files, whose "train" or "test" part is
 * chosen by `part`; or a CSV file, recognised by its content whatever its
 * name (part ignored; options may be NULL). A file that is neither (an IDX
 * file on its own, a model file, a binary) is NNCL_ERR_FORMAT saying what it is. */
NNCL_API nncl_status nncl_dataset_open(nncl_context *ctx, const char *name, const char *part,
                                       const nncl_csv_options *options, nncl_dataset **out);
/* NULL does nothing. */
NNCL_API void nncl_dataset_destroy(nncl_dataset *ds);
NNCL_API size_t nncl_dataset_rows(const nncl_dataset *ds);
NNCL_API size_t nncl_dataset_cols(const nncl_dataset *ds);
/* Class labels are below this: a larger label is a typo far more often than
 * a task, so loading it is NNCL_ERR_FORMAT. */
#define NNCL_MAX_CLASSES 65536
/* Number of classes (1 + the largest label), 0 for regression targets or none. */
NNCL_API int nncl_dataset_classes(const nncl_dataset *ds);
/* 1 when the data set stays on the host and streams batch by batch. */
NNCL_API int nncl_dataset_is_streamed(const nncl_dataset *ds);
/* Splits off the last `fraction` (0 < fraction < 1) of a seeded shuffle as a
 * validation set; *train and *valid are new data sets; ds is unchanged. */
NNCL_API nncl_status nncl_dataset_split(const nncl_dataset *ds, double fraction, uint64_t seed,
                                        nncl_dataset **train, nncl_dataset **valid);
/* Per-column mean and standard deviation of the features (as the model
 * sees them, images scaled to [0, 1]), for standardisation; cols entries each. */
NNCL_API nncl_status nncl_dataset_stats(const nncl_dataset *ds, float *mean, float *stddev,
                                        size_t cols);
/* Mean and (population) standard deviation of the targets, in double. */
NNCL_API nncl_status nncl_dataset_target_stats(const nncl_dataset *ds, double *mean, double *stddev);
/* Copies the targets to the host: rows values (class indices as floats, or
 * regression targets; rows x outputs for multi-output CSVs is not supported). */
NNCL_API nncl_status nncl_dataset_targets(const nncl_dataset *ds, float *dst, size_t count);
/* Device memory above which nncl_dataset_* loads stream instead (bytes; 0:
 * half the device's memory). For tests and small devices. */
NNCL_API void nncl_dataset_set_device_budget(nncl_context *ctx, uint64_t bytes);

/* Standardisation kept with the model and applied to every data-set batch:
 * x' = (x - mean) / stddev per column. NULL mean removes it. */
NNCL_API nncl_status nncl_model_set_normalization(nncl_model *model, const float *mean,
                                                  const float *stddev, size_t count);
/* 1 and the values when the model has a normalisation (count = inputs). */
NNCL_API int nncl_model_get_normalization(const nncl_model *model, float *mean, float *stddev,
                                          size_t count);

/* Standardisation of an mse model's targets: training compares its outputs
 * with (t - mean) / stddev, and nncl_model_predict(_dataset) give outputs in
 * the targets' units again (y·stddev + mean); a stddev near 0 counts as 1.
 * count = outputs; NULL mean removes it. Kept in model files. The loss that
 * training and nncl_model_evaluate report is then in standardised units;
 * nncl_model_evaluate_metrics gives RMSE, MAE and R² in the targets' units. */
NNCL_API nncl_status nncl_model_set_target_normalization(nncl_model *model, const float *mean,
                                                         const float *stddev, size_t count);
/* 1 and the values when the model standardises its targets (count = outputs). */
NNCL_API int nncl_model_get_target_normalization(const nncl_model *model, float *mean, float *stddev,
                                                 size_t count);

/* Written by the library and passed to nncl_progress_fn. */
typedef struct nncl_progress {
    uint64_t epoch;         /* 0-based */
    size_t batches_done, batches_total;
    size_t samples_done;
    double seconds;         /* since the epoch began */
    float running_loss;     /* mean training loss of the epoch so far */
} nncl_progress;

/* Called between batches; a non-zero return stops the epoch early
 * (nncl_model_train_epoch then returns NNCL_ERR_INTERRUPTED). */
typedef int (*nncl_progress_fn)(const nncl_progress *progress, void *user);

typedef struct nncl_epoch_options {
    size_t size;              /* sizeof(nncl_epoch_options) or 0; see the top of this file */
    size_t batch;             /* rows per step, > 0; the last short batch is used too */
    uint64_t seed;            /* the shuffle is a pure function of (seed, epoch) */
    uint64_t epoch;           /* 0-based number of this epoch */
    size_t start_batch;       /* batches to skip: resumes an interrupted epoch exactly */
    nncl_progress_fn progress; /* NULL allowed; called every progress_every batches */
    size_t progress_every;    /* 0: never */
    void *user;               /* passed to progress */
} nncl_epoch_options;

/* batch 32, seed 0, epoch 0, from the first batch, no progress callback. */
NNCL_API nncl_epoch_options nncl_epoch_options_defaults(void);

/* One epoch over ds: shuffle, gather each batch on the device, train
 * (options NULL: nncl_epoch_options_defaults()). With the data set on the
 * device, one process and a context with a second queue, the next batch is
 * gathered while one trains, into a second batch buffer the model keeps
 * (counted by nncl_context_memory). loss/accuracy
 * (NULL allowed) get the means over the batches trained. When
 * progress asks to stop, returns NNCL_ERR_INTERRUPTED after the last whole
 * step; *batches_done (NULL allowed) says how many batches of the epoch are
 * done, for nncl_model_save_checkpoint. */
NNCL_API nncl_status nncl_model_train_epoch(nncl_model *model, const nncl_dataset *ds,
                                            const nncl_epoch_options *options, float *loss,
                                            float *accuracy, size_t *batches_done);
/* Mean loss and accuracy over a whole data set; confusion (NULL allowed) gets
 * a classes x classes table of counts, row = true class, column = predicted. */
NNCL_API nncl_status nncl_model_evaluate_dataset(nncl_model *model, const nncl_dataset *ds,
                                                 float *loss, float *accuracy,
                                                 uint64_t *confusion, size_t classes);
/* Every figure of a model on a data set. For softmax-ce and bce: loss and
 * accuracy (rmse, mae, r2 NaN). For mse: the loss as training reports it,
 * and root mean squared error, mean absolute error and the coefficient of
 * determination R² = 1 - Σ(y - t)² / Σ(t - mean t)² over every output, in
 * the targets' units (accuracy NaN; R² is 1 for a perfect fit of constant
 * targets and 0 otherwise, as scikit-learn's r2_score). */
typedef struct nncl_metrics {
    float loss, accuracy;
    float rmse, mae, r2;
    size_t rows;
} nncl_metrics;
NNCL_API nncl_status nncl_model_evaluate_metrics(nncl_model *model, const nncl_dataset *ds,
                                                 nncl_metrics *out);
/* Model outputs for every row of ds into dst (rows x outputs floats), as
 * nncl_model_predict gives them. */
NNCL_API nncl_status nncl_model_predict_dataset(nncl_model *model, const nncl_dataset *ds,
                                                float *dst, size_t count);

/* ---- The whole fit --------------------------------------------------------
 * nncl_model_fit runs a training run to its end: epochs of shuffled batches,
 * evaluation on a validation set after each, early stopping when the
 * monitored loss stops improving, the best epoch's weights at the end, a
 * history of every epoch, a per-batch progress callback and cancellation.
 * Every epoch's record is appended to the model's history (see
 * nncl_model_history), which model files and checkpoints keep. It is built
 * on the public calls above (the CLI's `nncl train` is a thin layer over it). */

typedef struct nncl_epoch_record {
    uint64_t epoch;             /* 0-based */
    float train_loss, train_accuracy; /* means over the epoch's batches */
    float valid_loss, valid_accuracy; /* NaN without a validation set */
    float test_loss, test_accuracy;   /* NaN without a test set (reported, never monitored) */
    float lr;                   /* the learning rate at the epoch's last step */
    double seconds;             /* the epoch's wall time: training and validation */
    double samples_per_second;  /* training rows per second */
    int best;                   /* 1: the best epoch so far (see monitored loss) */
} nncl_epoch_record;

/* Called after every epoch; a non-zero return stops the fit. */
typedef int (*nncl_epoch_fn)(const nncl_epoch_record *record, void *user);

typedef struct nncl_fit_options {
    size_t size;                /* sizeof(nncl_fit_options) or 0; see the top of this file */
    size_t batch;               /* rows per step; 0: from the data size (see nncl_fit_options_defaults) */
    uint64_t max_epochs;        /* 0: from the data size */
    uint64_t seed;              /* shuffles and the validation split */
    const nncl_dataset *validation; /* NULL: hold out validation_fraction of the training set */
    const nncl_dataset *test;   /* NULL allowed: evaluated after every epoch for the record only */
    double validation_fraction; /* with validation NULL: 0 (no validation set) or in (0, 1) */
    uint64_t patience;          /* stop after this many epochs without improvement; 0: never */
    float min_delta;            /* an improvement lowers the monitored loss by more than this */
    int restore_best;           /* 1: end with the best epoch's weights */
    int standardize;            /* 1: a model without a normalisation gets the training set's,
                                   and an mse model without a target normalisation its targets' */
    uint64_t start_epoch;       /* resume: the epoch to start at (0-based) */
    size_t start_batch;         /* resume: batches of start_epoch already done */
    nncl_epoch_fn on_epoch;     /* NULL allowed */
    nncl_progress_fn progress;  /* NULL allowed; called every progress_every batches */
    size_t progress_every;
    void *user;                 /* passed to on_epoch and progress */
} nncl_fit_options;

/* Defaults that work on small tabular data and on images alike: batch
 * min(128, max(16, rows / 16)) rounded to a multiple of 8 below 128;
 * max_epochs so that the run takes about 4000 steps, within [10, 500];
 * seed 42; no validation set (set validation or validation_fraction);
 * patience 10 epochs with min_delta 1e-4 (as scikit-learn's MLP: the
 * validation loss when there is a validation set, else the training loss);
 * restore_best 1; standardize 1. */
NNCL_API nncl_fit_options nncl_fit_options_defaults(void);

/* Sets the model's input standardisation from ds's columns (mean, standard
 * deviation) unless it has one, and for an mse model its target
 * standardisation from ds's targets unless it has one: what
 * nncl_fit_options.standardize does before the first epoch. */
NNCL_API nncl_status nncl_model_standardize(nncl_model *model, const nncl_dataset *ds);

/* The batch size and epoch count a fit of `rows` training rows will use
 * under options (NULL: the defaults), e.g. to size a learning-rate schedule
 * (cosine's total_steps) before the fit. */
NNCL_API void nncl_fit_plan(const nncl_fit_options *options, size_t rows, size_t *batch, uint64_t *epochs);

typedef struct nncl_fit_result {
    uint64_t epochs;           /* epochs completed by this call */
    uint64_t best_epoch;       /* the epoch whose weights the model ends with (restore_best) */
    float best_loss;           /* the monitored loss at best_epoch */
    int monitored_validation;  /* 1: validation loss was monitored, 0: training loss */
    int stopped_early;         /* patience ran out before max_epochs */
    int still_improving;       /* the monitored loss fell by more than 5 % over the last 3
                                  epochs and by more than 3 % in the last one: more epochs
                                  would likely help */
    size_t batches_done;       /* after an interruption: batches done of the epoch in progress,
                                  start_epoch + epochs (0 when it stopped between epochs) */
} nncl_fit_result;

/* ---- Data-parallel training ----------------------------------------------
 * Several processes ("ranks"), each with its own context and a copy of the
 * model, train one model together, as PyTorch DDP and Horovod do: every rank
 * takes its slice of each global batch (nncl_model_train_epoch, _fit: the
 * same shuffled order on every rank, rows [n·r/N, n·(r+1)/N) of a batch of n
 * rows to rank r of N), gradients are summed over the ranks through the
 * caller's allreduce, and every rank applies the same optimizer step, so the
 * parameters stay identical. Metrics and the evaluation of a data set
 * (split across ranks) are reduced, so every rank sees the global figures.
 *
 * The library does not link MPI: the communicator is this callback, which an
 * embedding program implements with MPI_Allreduce (the `nncl` tool does, in
 * host/dist), NCCL, or a test double. Every rank must make the same calls in
 * the same order (train, evaluate and metrics calls are collective), with
 * the same batch size and progress_every (each progress call allreduces). */

/* Sums data[0..count) elementwise over all ranks, in place, on host memory.
 * Every rank must get the same bits (MPI_Allreduce with MPI_SUM on floats
 * does, for a given number of ranks and count). Returns NNCL_OK, or a
 * failure (NNCL_ERR_COMM) that the training call returns. */
typedef nncl_status (*nncl_allreduce_fn)(float *data, size_t count, void *user);

typedef struct nncl_communicator {
    size_t size;                 /* sizeof(nncl_communicator) or 0; see the top of this file */
    int rank;                    /* this process, 0 .. ranks-1 */
    int ranks;                   /* processes training together; 1: alone (no reduction at all) */
    nncl_allreduce_fn allreduce; /* required when ranks > 1 */
    void *user;                  /* passed to allreduce */
    size_t bucket_floats;        /* gradients are reduced in buckets of whole layers, last layer
                                    first, each as soon as backward has computed it, while the
                                    device goes on with the layers below: a bucket closes when it
                                    holds at least this many floats. 0: 16384 (64 KiB), or
                                    on a CPU device SIZE_MAX (the host's allreduce would take
                                    the cores that backward runs on); SIZE_MAX: one bucket
                                    after the whole backward pass */
} nncl_communicator;

/* rank 0 of 1, no allreduce, bucket_floats 0. */
NNCL_API nncl_communicator nncl_communicator_defaults(void);
/* Makes model train as rank comm->rank of comm->ranks; NULL or ranks 1:
 * alone again (bit-identical to a model that never had one). The model
 * allocates a host staging area for its gradients (mapped, pinned where the
 * device has such memory). Every rank sets it at the same point of the run;
 * on ranks other than 0 it zeroes the training metric sums that a
 * checkpoint restored (rank 0 keeps them: they are the global sums). */
NNCL_API nncl_status nncl_model_set_communicator(nncl_model *model, const nncl_communicator *comm);

/* Where the time of the steps with reduction went (written by the library). */
typedef struct nncl_comm_stats {
    size_t size;                  /* sizeof(nncl_comm_stats) or 0; see the top of this file */
    uint64_t steps;               /* training steps with a gradient reduction */
    uint64_t allreduces;          /* allreduce calls (gradient buckets, metrics, stop flags) */
    double bytes;                 /* bytes passed to allreduce */
    double step_seconds;          /* wall time of those steps, from the first launch of the
                                     forward pass until the optimizer's launch is queued */
    double allreduce_seconds;     /* of which inside allreduce: waiting on the other ranks
                                     (the steps' gradient sums; metrics and stop flags
                                     summed between steps are counted in allreduces only) */
    double device_wait_seconds;   /* of which waiting for the device to finish a bucket */
    double overlapped_seconds;    /* allreduce time while the device still had backward work
                                     queued (hidden behind compute when the device is separate) */
} nncl_comm_stats;

/* The model's figures since the communicator was set (or the last reset). */
NNCL_API nncl_status nncl_model_comm_stats(nncl_model *model, nncl_comm_stats *stats, int reset);

/* Trains model on train under options (NULL: the defaults); *result (NULL
 * allowed) says how it went. When on_epoch or progress asks to stop, returns
 * NNCL_ERR_INTERRUPTED with the model as it stands (not restored to the best
 * epoch, so that a checkpoint resumes exactly) and *result filled. */
NNCL_API nncl_status nncl_model_fit(nncl_model *model, const nncl_dataset *train,
                                    const nncl_fit_options *options, nncl_fit_result *result);

/* ---- What a model keeps about its training --------------------------------
 * Saved in model files and checkpoints, so that `predict` can match a CSV's
 * columns by name and print class names, and a resumed run continues its
 * history. All strings are copied (UTF-8, no NUL); NULL clears. */

/* Names of the input columns (count = inputs) and of the target column. */
NNCL_API nncl_status nncl_model_set_columns(nncl_model *model, const char *const *features, size_t count,
                                            const char *target);
/* Input column i's name, or NULL when the model has none; valid until the
 * next set call or the model's destruction. */
NNCL_API const char *nncl_model_feature_name(const nncl_model *model, size_t i);
NNCL_API const char *nncl_model_target_name(const nncl_model *model);
/* Names of the classes in index order: count = outputs for softmax-ce, 2 for bce. */
NNCL_API nncl_status nncl_model_set_class_names(nncl_model *model, const char *const *names, size_t count);
/* Class i's name, or NULL. */
NNCL_API const char *nncl_model_class_name(const nncl_model *model, size_t i);
/* Appends one epoch's record to the model's history (nncl_model_fit does). */
NNCL_API nncl_status nncl_model_add_history(nncl_model *model, const nncl_epoch_record *record);
/* Copies up to max records of the history, oldest first, into dst (NULL
 * allowed with max 0); returns the history's length. */
NNCL_API size_t nncl_model_history(const nncl_model *model, nncl_epoch_record *dst, size_t max);
/* Empties the history. */
NNCL_API void nncl_model_clear_history(nncl_model *model);

/* ---- Model files (safetensors) --------------------------------------------
 * Tensors "layers.<i>.weight" (F32, shape [in, out]: y = x·W + b; PyTorch's
 * nn.Linear stores W transposed, [out, in]) and "layers.<i>.bias" ([out]);
 * "normalization.mean"/".std" when set. The architecture, loss and format
 * version are in __metadata__. Writes are atomic (a unique temporary file
 * beside the target, fsync, rename: the target is always the old or the new
 * complete file), and a model or checkpoint holding a non-finite value is
 * never written (NNCL_ERR_NUMERIC naming the tensor and index). */

/* Saves weights, architecture, loss and normalisation. */
NNCL_API nncl_status nncl_model_save(nncl_model *model, const char *path);
/* Where a training run stands: with the model's weights and optimizer state,
 * everything needed to resume bit-identically (the shuffle of each epoch is
 * a pure function of seed and epoch, so these are the RNG's position). */
typedef struct nncl_train_position {
    size_t size;          /* sizeof(nncl_train_position) or 0; see the top of this file */
    uint64_t seed;        /* the run's shuffle seed */
    uint64_t epoch;       /* the epoch in progress (0-based) */
    size_t batch;         /* batches of that epoch already done */
    size_t batch_size;    /* rows per batch of the run (0: not recorded) */
    int is_checkpoint;    /* set by nncl_model_load: 1 for a checkpoint, 0 for a plain model */
} nncl_train_position;

/* Every field 0: the start of a run with seed 0, as a plain model loads. */
NNCL_API nncl_train_position nncl_train_position_defaults(void);

/* Saves all of the above plus the optimizer (hyper-parameters, state
 * "optimizer.m"/"optimizer.v", step) and the position. */
NNCL_API nncl_status nncl_model_save_checkpoint(nncl_model *model, const char *path,
                                                const nncl_train_position *position);
/* Loads a model or checkpoint after validating every field (integers range-
 * checked, every value finite, optimizer.v >= 0); *position (NULL
 * allowed; from nncl_train_position_defaults() or zeroed, for its size) gets
 * the checkpoint's position (all zero for a plain model). */
NNCL_API nncl_status nncl_model_load(nncl_context *ctx, const char *path, nncl_model **out,
                                     nncl_train_position *position);

#ifdef __cplusplus
}
#endif
#endif /* NNCL_NNCL_H */
