/* Batches assembled on the device: the data set lives in device memory (images
 * as bytes), an index buffer holds this epoch's shuffled order, and these
 * kernels gather rows idx[start .. start+rows) into a float batch, scaling and
 * standardising on the way: x = (raw·scale - mean[c]) · inv_std[c]. */

/* Eight columns of one row per work-item (the last few one by one). */
#define GATHER_KERNEL(NAME, T)                                                           \
    WG_1D __kernel void NAME(__global const T *src, uint cols, __global const int *idx,  \
                             uint start, float scale, __global const float *mean,        \
                             __global const float *inv_std, int has_norm,                \
                             __global float *dst, uint dst_ld, uint rows)                \
    {                                                                                    \
        size_t c0 = get_global_id(0) * 8, r = get_global_id(1);                         \
        if (c0 >= cols || r >= rows) return;                                             \
        __global const T *s = src + (size_t)idx[start + r] * cols;                       \
        __global float *d = dst + r * dst_ld;                                            \
        if (c0 + 8 <= cols) {                                                            \
            float8 x = convert_float8(vload8(0, s + c0)) * scale;                        \
            if (has_norm) x = (x - vload8(0, mean + c0)) * vload8(0, inv_std + c0);      \
            vstore8(x, 0, d + c0);                                                       \
            return;                                                                      \
        }                                                                                \
        for (size_t c = c0; c < cols; c++) {                                             \
            float x = (float)s[c] * scale;                                               \
            if (has_norm) x = (x - mean[c]) * inv_std[c];                                \
            d[c] = x;                                                                    \
        }                                                                                \
    }

GATHER_KERNEL(gather_u8, uchar)
GATHER_KERNEL(gather_f32, float)

/* Targets: rows x cols floats (class indices as floats, or regression values). */
WG_1D __kernel void gather_labels(__global const float *src, uint cols, __global const int *idx,
                            uint start, __global float *dst, uint rows)
{
    size_t c = get_global_id(0), r = get_global_id(1);
    if (c >= cols || r >= rows) return;
    dst[r * cols + c] = src[(size_t)idx[start + r] * cols + c];
}
