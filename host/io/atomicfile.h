/* SPDX-License-Identifier: MIT */
/* The one way nncl replaces a file: write a temporary file beside it, flush,
 * fsync, rename over the target, fsync the folder. Every writer of a file a
 * user keeps (models, checkpoints, the tuning cache, --history, --plot) goes
 * through here, so all of them share these promises:
 *  - the target is always the old complete file or the new complete one,
 *    also when the process is killed at any point;
 *  - the temporary name is unique ("<path>.tmp.<pid>.<6 letters>") and created
 *    with O_CREAT|O_EXCL|O_NOFOLLOW, so two writers (threads or processes)
 *    never share one, and a symlink planted at a predictable name is never
 *    followed;
 *  - temporaries that a killed writer left behind (their pid is gone) are
 *    removed by the next writer of the same path.
 * Internal; the layers above host/io may include this one header of it. */
#ifndef NNCL_IO_ATOMICFILE_H
#define NNCL_IO_ATOMICFILE_H

#include <stdio.h>

typedef struct {
    char *path; /* the target (a copy) */
    char *tmp;  /* the temporary file beside it */
    FILE *f;    /* open for writing, binary */
} nncl__atomic_file;

/* Creates the temporary file for path. 0, or an errno value (af is then
 * empty). Refuses (EISDIR / EEXIST) to replace something that is not a
 * regular file. */
int nncl__atomic_open(nncl__atomic_file *af, const char *path);
/* Flushes, fsyncs and closes the temporary file, renames it over the target
 * and syncs the folder. 0, or the errno of the step that failed (the
 * temporary file is then removed, the target untouched). *step (NULL
 * allowed) names that step. Always releases af. */
int nncl__atomic_commit(nncl__atomic_file *af, const char **step);
/* Closes and removes the temporary file; releases af. */
void nncl__atomic_abort(nncl__atomic_file *af);

#endif
