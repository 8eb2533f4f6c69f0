/* Batches assembled on the device: the data set lives in device memory (images
 * as bytes), an index buffer holds this epoch's shuffled order, and these
 * kernels gather rows idx[start .. start+rows) into a float batch, scaling and
 * standardising on the way: x = (raw·scale - mean[c]) · inv_std[c]. */

WG_1D __kernel void gather_u8(__global const uchar *src, uint cols, __global const int *idx,
                        uint start, float scale, __global const float *mean,
                        __global const float *inv_std, int has_norm,
                        __global float *dst, uint dst_ld, uint rows)
{
    size_t c = get_global_id(0), r = get_global_id(1);
    if (c >= cols || r >= rows) return;
    size_t s = (size_t)idx[start + r] * cols + c;
    float x = (float)src[s] * scale;
    if (has_norm) x = (x - mean[c]) * inv_std[c];
    dst[r * dst_ld + c] = x;
}

WG_1D __kernel void gather_f32(__global const float *src, uint cols, __global const int *idx,
                         uint start, float scale, __global const float *mean,
                         __global const float *inv_std, int has_norm,
                         __global float *dst, uint dst_ld, uint rows)
{
    size_t c = get_global_id(0), r = get_global_id(1);
    if (c >= cols || r >= rows) return;
    size_t s = (size_t)idx[start + r] * cols + c;
    float x = src[s] * scale;
    if (has_norm) x = (x - mean[c]) * inv_std[c];
    dst[r * dst_ld + c] = x;
}

/* Targets: rows x cols floats (class indices as floats, or regression values). */
WG_1D __kernel void gather_labels(__global const float *src, uint cols, __global const int *idx,
                            uint start, __global float *dst, uint rows)
{
    size_t c = get_global_id(0), r = get_global_id(1);
    if (c >= cols || r >= rows) return;
    dst[r * cols + c] = src[(size_t)idx[start + r] * cols + c];
}
