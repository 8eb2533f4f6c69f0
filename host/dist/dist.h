/* SPDX-License-Identifier: MIT */
/* The process group the `nncl` tool runs in: the MPI ranks of `mpirun -np N
 * nncl train`, or one process alone. The library knows nothing of MPI; this
 * layer turns MPI into the library's communicator (nncl_communicator) and is
 * compiled into the tool only: mpi.c when CMake finds MPI, else single.c. */
#ifndef NNCL_DIST_DIST_H
#define NNCL_DIST_DIST_H

#include <stddef.h>

#include "nncl/nncl.h"

typedef struct dist_world {
    int rank, ranks;             /* in the job (MPI_COMM_WORLD) */
    int local_rank, local_ranks; /* on this node (MPI_COMM_TYPE_SHARED) */
    char host[64];               /* this node's name */
    int mpi;                     /* 1: MPI was started (under mpirun) */
} dist_world;

/* Joins the job when the process was started by mpirun (its environment
 * says so), else fills *w as rank 0 of 1. Returns 0, or 1 after printing
 * why MPI could not start. */
int dist_init(int *argc, char ***argv, dist_world *w);
/* Leaves the job (MPI_Finalize) after a successful run. */
void dist_finalize(const dist_world *w);
/* Ends the whole job at once with exit status rc (MPI_Abort), from a rank
 * that failed while the others may wait on it; alone, returns rc. */
int dist_abort(const dist_world *w, int rc);
/* The job's communicator for nncl_model_set_communicator: MPI_Allreduce
 * (MPI_SUM, in place) on MPI_COMM_WORLD, errors returned, not fatal. */
nncl_communicator dist_communicator(dist_world *w);
/* Rank 0 gets every rank's line (each < `each` bytes) in rank order in
 * all[rank * each]; the others send theirs. all may be NULL off rank 0. */
int dist_gather_lines(const dist_world *w, const char *line, char *all, size_t each);
/* The detail of the last failed MPI call ("" if none). */
const char *dist_last_error(void);
/* A barrier: every rank reaches it before any goes on. */
void dist_barrier(const dist_world *w);

#endif
