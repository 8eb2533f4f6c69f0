/* SPDX-License-Identifier: MIT */
/* nncl__io_fail: the one way host/io reports a failure (see ioerr.h). */
#include "io/ioerr.h"

#include <stdarg.h>
#include <stdio.h>

nncl_status nncl__io_fail(nncl__errbuf *err, nncl_status status, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->text, sizeof err->text, fmt, ap);
        va_end(ap);
    }
    return status;
}
