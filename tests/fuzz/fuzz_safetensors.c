/* SPDX-License-Identifier: MIT */
/* The safetensors reader on any file; a file it accepts, written back with
 * the writer, reads back equal (names, shapes, bits of every float, every
 * metadata pair). */
#include "fuzz_common.h"
#include "io/safetensors.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_path(0, "in.safetensors"), *copy = fuzz_path(1, "copy.safetensors");
    fuzz_write(path, data, size);
    nncl__errbuf err;
    nncl__st_file *f = NULL;
    if (nncl__st_read(&err, path, &f) != NNCL_OK) return 0;
    size_t n = nncl__st_count(f);
    nncl__st_tensor *t = malloc((n ? n : 1) * sizeof *t);
    if (!t) abort();
    for (size_t i = 0; i < n; i++) t[i] = *nncl__st_at(f, i);
    /* metadata: only what nncl__st_meta_get finds by key (the first of each) */
    nncl__st_file *g = NULL;
    if (nncl__st_write(&err, copy, t, n, NULL, 0) == NNCL_OK) {
        FUZZ_CHECK(nncl__st_read(&err, copy, &g) == NNCL_OK);
        FUZZ_CHECK(nncl__st_count(g) == n);
        for (size_t i = 0; i < n; i++) {
            const nncl__st_tensor *a = &t[i], *b = nncl__st_find(g, a->name);
            FUZZ_CHECK(b && a->ndim == b->ndim && a->shape[0] == b->shape[0] && a->shape[1] == b->shape[1]);
            size_t count = a->shape[0] * (a->ndim == 2 ? a->shape[1] : 1);
            FUZZ_CHECK(count == 0 || memcmp(a->data, b->data, count * sizeof(float)) == 0);
        }
        nncl__st_close(g);
    }
    free(t);
    nncl__st_close(f);
    return 0;
}
