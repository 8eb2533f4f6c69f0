/* Batches assembled on the device: the data set lives in device memory (images
 * as bytes), an index buffer holds this epoch's shuffled order, and these
 * kernels gather rows idx[start .. start+rows) into a float batch, scaling and
 * standardising on the way: x = (raw·scale - mean[c]) · inv_std[c]. */

/* One row per work-item, eight columns at a time (the last few one by one),
 * and the row's target (one float: a class index or a value) when there are
 * targets. */
#define GATHER_KERNEL(NAME, T)                                                           \
    WG_1D __kernel void NAME(__global const T *src, uint cols, __global const int *idx,  \
                             uint start, float scale, __global const float *mean,        \
                             __global const float *inv_std, int has_norm,                \
                             __global float *dst, uint dst_ld, uint rows,                \
                             __global const float *targets, int has_targets,             \
                             __global float *dst_targets)                                \
    {                                                                                    \
        size_t r = get_global_id(0);                                                     \
        if (r >= rows) return;                                                           \
        size_t row = (size_t)idx[start + r];                                             \
        __global const T *s = src + row * cols;                                          \
        __global float *d = dst + r * dst_ld;                                            \
        size_t c = 0;                                                                    \
        for (; c + 8 <= cols; c += 8) {                                                  \
            float8 x = convert_float8(vload8(0, s + c)) * scale;                         \
            if (has_norm) x = (x - vload8(0, mean + c)) * vload8(0, inv_std + c);        \
            vstore8(x, 0, d + c);                                                        \
        }                                                                                \
        for (; c < cols; c++) {                                                          \
            float x = (float)s[c] * scale;                                               \
            if (has_norm) x = (x - mean[c]) * inv_std[c];                                \
            d[c] = x;                                                                    \
        }                                                                                \
        if (has_targets) dst_targets[r] = targets[row];                                  \
    }

GATHER_KERNEL(gather_u8, uchar)
GATHER_KERNEL(gather_f32, float)
