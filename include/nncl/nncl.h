/* nncl — neural-network training on OpenCL devices.
 *
 * The public API: pure C11, no OpenCL types. Every fallible call returns an
 * nncl_status (0 is NNCL_OK, failures are negative); results come back through
 * out-parameters, and nncl_last_error() gives the detail of the last failure.
 *
 * Threads: one context is used by one thread at a time; separate contexts are
 * independent and may be used from different threads at once.
 *
 * Layout: tensors are float32, row-major, 2-D (rows x cols, batch first).
 */
#ifndef NNCL_NNCL_H
#define NNCL_NNCL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define NNCL_API __declspec(dllexport)
#elif defined(__GNUC__)
#define NNCL_API __attribute__((visibility("default")))
#else
#define NNCL_API
#endif

#define NNCL_VERSION_MAJOR 0
#define NNCL_VERSION_MINOR 1
#define NNCL_VERSION_PATCH 0
#define NNCL_VERSION_STRING "0.1.0"
/* One number, MAJOR*10000 + MINOR*100 + PATCH, comparable with nncl_version(). */
#define NNCL_VERSION \
    (NNCL_VERSION_MAJOR * 10000 + NNCL_VERSION_MINOR * 100 + NNCL_VERSION_PATCH)

/* Version of the library actually linked, as NNCL_VERSION; a program may
 * check nncl_version() / 10000 == NNCL_VERSION_MAJOR at start-up. */
NNCL_API int nncl_version(void);
/* The same as a string such as "0.1.0"; static storage. */
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
    X(ERR_INTERRUPTED, -11, "interrupted by the caller")

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

/* ---- Contexts ----------------------------------------------------------- */

typedef struct nncl_context nncl_context;

typedef struct nncl_context_options {
    const char *device;     /* as nncl_device_select; NULL: $NNCL_DEVICE, then defaults */
    const char *kernel_dir; /* NULL: embedded kernels ($NNCL_KERNEL_DIR overrides) */
} nncl_context_options;

/* Creates a context (device, in-order queue, built kernels) on the device that
 * options->device selects. options may be NULL. On failure *out is NULL and
 * nncl_last_error(NULL) has the detail. The caller destroys *out. */
NNCL_API nncl_status nncl_context_create(const nncl_context_options *options,
                                         nncl_context **out);
/* Releases everything the context created; NULL does nothing. Tensors and
 * models of the context must be destroyed first. */
NNCL_API void nncl_context_destroy(nncl_context *ctx);
/* The device the context runs on. */
NNCL_API nncl_status nncl_context_device(const nncl_context *ctx, nncl_device_info *info);
/* Waits until every operation queued on the context has finished. */
NNCL_API nncl_status nncl_context_finish(nncl_context *ctx);
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

#ifdef __cplusplus
}
#endif
#endif /* NNCL_NNCL_H */
