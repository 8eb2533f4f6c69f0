/* SPDX-License-Identifier: MIT */
/* How the file readers and writers of host/io report a failure: a status and
 * a message in the caller's buffer. This layer never sees a context or an
 * OpenCL header (the build enforces it); the layers above copy the message
 * into their context with nncl__io_fail(err, status, "%s", err.text). */
#ifndef NNCL_IO_IOERR_H
#define NNCL_IO_IOERR_H

#include "nncl/nncl.h"

/* Room for a message: a path, a line and column, and the problem. */
#define NNCL__IO_ERRLEN 4096

typedef struct nncl__errbuf {
    char text[NNCL__IO_ERRLEN]; /* "" until a failure is recorded */
} nncl__errbuf;

#if defined(__GNUC__)
#define NNCL__IO_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define NNCL__IO_PRINTF(f, a)
#endif

/* Writes the formatted message into *err (NULL: the detail is dropped) and
 * returns status, so that `return nncl__io_fail(err, NNCL_ERR_FORMAT, ...)`
 * reads well. */
nncl_status nncl__io_fail(nncl__errbuf *err, nncl_status status, const char *fmt, ...)
    NNCL__IO_PRINTF(3, 4);

#define NNCL__IO_TRY(expr)                      \
    do {                                        \
        nncl_status nncl__s = (expr);           \
        if (nncl__s != NNCL_OK) return nncl__s; \
    } while (0)

#endif
