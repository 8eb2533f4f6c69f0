/* SPDX-License-Identifier: MIT */
/* The tool's MPI: one rank per device, gradients and metrics summed with
 * MPI_Allreduce on host memory (the model stages them in mapped, pinned
 * buffers). A GPU-aware MPI would take the device buffers instead; that is a
 * second allreduce callback on the model, not a change to the training.
 * Errors are returned (MPI_ERRORS_RETURN), so that a failed rank's message
 * names what failed before the tool ends the job with MPI_Abort. */
#include "dist/dist.h"

#include <limits.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char last_error[MPI_MAX_ERROR_STRING + 64];

static int mpi_failed(int err, const char *what)
{
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(err, text, &len) != MPI_SUCCESS) snprintf(text, sizeof text, "MPI error %d", err);
    snprintf(last_error, sizeof last_error, "%s: %s", what, text);
    return 1;
}

const char *dist_last_error(void) { return last_error; }

/* mpirun (Open MPI, MPICH, PMIx launchers) says so in the environment; a
 * plain `nncl train` never starts MPI (no singleton start-up cost). */
static int under_mpirun(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE") || getenv("PMIX_RANK");
}

int dist_init(int *argc, char ***argv, dist_world *w)
{
    memset(w, 0, sizeof *w);
    w->ranks = w->local_ranks = 1;
    if (!under_mpirun()) {
        snprintf(w->host, sizeof w->host, "localhost");
        return 0;
    }
    int err = MPI_Init(argc, argv);
    if (err != MPI_SUCCESS) {
        mpi_failed(err, "MPI_Init");
        fprintf(stderr, "nncl: starting MPI: %s\n", last_error);
        return 1;
    }
    w->mpi = 1;
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &w->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &w->ranks);
    MPI_Comm node;
    if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, w->rank, MPI_INFO_NULL, &node) == MPI_SUCCESS) {
        MPI_Comm_rank(node, &w->local_rank);
        MPI_Comm_size(node, &w->local_ranks);
        MPI_Comm_free(&node);
    } else {
        w->local_rank = w->rank, w->local_ranks = w->ranks;
    }
    char name[MPI_MAX_PROCESSOR_NAME];
    int len = 0;
    MPI_Get_processor_name(name, &len);
    snprintf(w->host, sizeof w->host, "%.63s", name);
    return 0;
}

void dist_finalize(const dist_world *w)
{
    if (w->mpi) MPI_Finalize();
}

int dist_abort(const dist_world *w, int rc)
{
    if (!w->mpi || w->ranks == 1) return rc;
    fflush(stdout);
    fprintf(stderr, "nncl: rank %d of %d (%s) failed; ending the job\n", w->rank, w->ranks, w->host);
    fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, rc ? rc : 1);
    return rc; /* not reached */
}

/* MPI counts are ints: large buffers go in pieces. */
static nncl_status mpi_allreduce(float *data, size_t count, void *user)
{
    (void)user;
    while (count) {
        int n = count > INT_MAX ? INT_MAX : (int)count;
        int err = MPI_Allreduce(MPI_IN_PLACE, data, n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        if (err != MPI_SUCCESS) {
            mpi_failed(err, "MPI_Allreduce");
            return NNCL_ERR_COMM;
        }
        data += n, count -= (size_t)n;
    }
    return NNCL_OK;
}

nncl_communicator dist_communicator(dist_world *w)
{
    nncl_communicator c = nncl_communicator_defaults();
    c.rank = w->rank, c.ranks = w->ranks;
    if (w->ranks > 1) c.allreduce = mpi_allreduce, c.user = w;
    /* For experiments (docs/SCALING.md): floats per gradient bucket. */
    const char *bucket = getenv("NNCL_BUCKET_FLOATS");
    if (bucket) c.bucket_floats = (size_t)strtoull(bucket, NULL, 10);
    return c;
}

int dist_gather_lines(const dist_world *w, const char *line, char *all, size_t each)
{
    if (!w->mpi) {
        if (all) snprintf(all, each, "%s", line);
        return 0;
    }
    char *mine = calloc(1, each);
    if (!mine) return 1;
    snprintf(mine, each, "%s", line);
    int err = MPI_Gather(mine, (int)each, MPI_CHAR, all, (int)each, MPI_CHAR, 0, MPI_COMM_WORLD);
    free(mine);
    return err == MPI_SUCCESS ? 0 : mpi_failed(err, "MPI_Gather");
}

void dist_barrier(const dist_world *w)
{
    if (w->mpi) MPI_Barrier(MPI_COMM_WORLD);
}
