/* SPDX-License-Identifier: MIT */
/* Batches assembled on the device: the data set lives in device memory (images
 * as bytes), an index buffer holds this epoch's shuffled order, and these
 * kernels gather rows idx[start .. start+rows) into a float batch, scaling and
 * standardising on the way: x = (raw·scale - mean[c]) · inv_std[c]. */

/* Features are read eight at a time as a float8 (the last few one by one). */
#define GATHER_VEC 8

/* Features c .. c+GATHER_VEC of a row, and feature c alone, as floats:
 * bytes (su8) or floats (sf32) as the literal flag u8 says; the other
 * pointer is not read. */
INLINE_FUNC float8 features8(__global const uchar *su8, __global const float *sf32, const int u8, size_t c)
{
    if (u8) return convert_float8(vload8(0, su8 + c));
    return vload8(0, sf32 + c);
}

INLINE_FUNC float feature(__global const uchar *su8, __global const float *sf32, const int u8, size_t c)
{
    if (u8) return (float)su8[c];
    return sf32[c];
}

/* Rows are in shuffled order, so each is a cold miss in a data set larger
 * than the caches; the hardware prefetchers cannot guess the next row. Each
 * work-item therefore asks for the row GATHER_AHEAD places later before
 * converting its own, keeping that many rows' misses in flight: 1024 rows
 * of Fashion-MNIST went from about 250 to 110-125 us (docs/PERFORMANCE.md). The
 * hint is the compiler's prefetch builtin where the kernels are built by
 * PoCL for a CPU (OpenCL's prefetch() does nothing there); elsewhere none. */
#define GATHER_AHEAD 8
#if defined(POCL_DEVICE_ADDRESS_BITS) && (defined(__x86_64__) || defined(__aarch64__))
#define PREFETCH_LINE(p) __builtin_prefetch((const void *)(size_t)(p)) /* CPU: one address space */
#else
#define PREFETCH_LINE(p) ((void)(p))
#endif

INLINE_FUNC void prefetch_row(__global const uchar *src_u8, __global const float *src_f32, const int u8,
                              uint cols, size_t row)
{
    size_t bytes = (size_t)cols * (u8 ? 1 : sizeof(float));
    __global const uchar *p = u8 ? src_u8 + row * cols : (__global const uchar *)(src_f32 + row * cols);
    for (size_t b = 0; b < bytes; b += 64) PREFETCH_LINE(p + b);
}

/* One row per work-item, GATHER_VEC columns at a time, and the row's target
 * (one float: a class index or a value) when there are targets. */
INLINE_FUNC void gather_row(__global const uchar *src_u8, __global const float *src_f32, const int u8,
                            uint cols, __global const int *idx, int has_idx, uint start, float scale,
                            __global const float *mean, __global const float *inv_std, int has_norm,
                            __global float *dst, uint dst_ld, uint rows,
                            __global const float *targets, int has_targets,
                            __global float *dst_targets)
{
    size_t r = get_global_id(0);
    if (r >= rows) return;
    /* has_idx 0: rows in order (evaluation, prediction), which need no prefetch */
    size_t row = has_idx ? (size_t)idx[start + r] : (size_t)start + r;
    if (has_idx && r + GATHER_AHEAD < rows)
        prefetch_row(src_u8, src_f32, u8, cols, (size_t)idx[start + r + GATHER_AHEAD]);
    __global const uchar *su8 = src_u8 + row * cols;
    __global const float *sf32 = src_f32 + row * cols;
    __global float *d = dst + r * dst_ld;
    size_t c = 0;
    for (; c + GATHER_VEC <= cols; c += GATHER_VEC) {
        float8 x = features8(su8, sf32, u8, c) * scale;
        if (has_norm) x = (x - vload8(0, mean + c)) * vload8(0, inv_std + c);
        store8(x, d + c);
    }
    for (; c < cols; c++) {
        float x = feature(su8, sf32, u8, c) * scale;
        if (has_norm) x = (x - mean[c]) * inv_std[c];
        d[c] = x;
    }
    if (has_targets) dst_targets[r] = targets[row];
}

/* The two entry points take the same arguments (host/ops/data.c), src being
 * bytes or floats. */
#define GATHER_PARAMS(src_type)                                                                       \
    __global const src_type *src, uint cols, __global const int *idx, int has_idx, uint start,        \
        float scale,                                                                                  \
        __global const float *mean, __global const float *inv_std, int has_norm, __global float *dst, \
        uint dst_ld, uint rows, __global const float *targets, int has_targets,                       \
        __global float *dst_targets
#define GATHER_ARGS \
    cols, idx, has_idx, start, scale, mean, inv_std, has_norm, dst, dst_ld, rows, targets, has_targets, \
        dst_targets

WG_1D __kernel void gather_u8(GATHER_PARAMS(uchar)) { gather_row(src, 0, 1, GATHER_ARGS); }
WG_1D __kernel void gather_f32(GATHER_PARAMS(float)) { gather_row(0, src, 0, GATHER_ARGS); }
