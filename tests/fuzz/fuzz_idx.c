/* SPDX-License-Identifier: MIT */
/* The IDX reader on any images/labels pair (the first two bytes: where the
 * input splits), plain and gzip: the same bytes gzip-compressed must read
 * the same as plain (status and data), and raw bytes named .gz must not
 * crash the decompressing path. */
#include "fuzz_common.h"
#include "io/hostdata.h"

#include <string.h>
#include <zlib.h>

static void write_gz(const char *path, const uint8_t *data, size_t size)
{
    gzFile g = gzopen(path, "wb");
    if (!g || (size && gzwrite(g, data, (unsigned)size) != (int)size) || gzclose(g) != Z_OK) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > (1u << 20)) return 0;
    size_t split = ((size_t)data[0] << 8 | data[1]) % (size - 1);
    const uint8_t *images = data + 2, *labels = data + 2 + split;
    size_t n_images = split, n_labels = size - 2 - split;
    const char *pi = fuzz_path(0, "images.idx"), *pl = fuzz_path(1, "labels.idx");
    const char *gi = fuzz_path(2, "images.idx.gz"), *gl = fuzz_path(3, "labels.idx.gz");
    fuzz_write(pi, images, n_images);
    fuzz_write(pl, labels, n_labels);
    write_gz(gi, images, n_images);
    write_gz(gl, labels, n_labels);
    nncl__errbuf err;
    nncl__host_data plain = {0}, gz = {0};
    nncl_status a = nncl__idx_read(&err, pi, pl, &plain), b = nncl__idx_read(&err, gi, gl, &gz);
    FUZZ_CHECK(a == b);
    if (a == NNCL_OK) {
        FUZZ_CHECK(plain.rows == gz.rows && plain.cols == gz.cols && plain.classes == gz.classes);
        FUZZ_CHECK(memcmp(plain.u8, gz.u8, plain.rows * plain.cols) == 0);
        FUZZ_CHECK(!plain.labels == !gz.labels);
        if (plain.labels) FUZZ_CHECK(memcmp(plain.labels, gz.labels, plain.rows * sizeof *plain.labels) == 0);
    }
    nncl__host_data_free(&plain);
    nncl__host_data_free(&gz);
    /* the fuzz bytes themselves as a .gz: a broken or odd gzip stream */
    fuzz_write(gi, images, n_images);
    if (nncl__idx_read(&err, gi, NULL, &gz) == NNCL_OK) nncl__host_data_free(&gz);
    nncl__idx_sniff(gi);
    return 0;
}
