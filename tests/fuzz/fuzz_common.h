/* SPDX-License-Identifier: MIT */
/* Helpers of the libFuzzer targets (tests/fuzz): the readers take paths, so
 * each input goes to a file of this process's own, under TMPDIR. */
#ifndef NNCL_FUZZ_COMMON_H
#define NNCL_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* "<TMPDIR>/nncl-fuzz-<pid>-<name>" (static storage, one per name slot). */
static inline const char *fuzz_path(int slot, const char *name)
{
    static char paths[4][512];
    const char *dir = getenv("TMPDIR");
    snprintf(paths[slot], sizeof paths[slot], "%s/nncl-fuzz-%ld-%s", dir && *dir ? dir : "/tmp", (long)getpid(),
             name);
    return paths[slot];
}

/* Writes data[0..size) to path; aborts when it cannot (the target is broken). */
static inline void fuzz_write(const char *path, const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) abort();
}

#define FUZZ_CHECK(cond)                                                                  \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond);  \
            abort();                                                                      \
        }                                                                                 \
    } while (0)

#endif
