/* SPDX-License-Identifier: MIT */
/* Data-parallel training: the model's side of the caller's communicator
 * (nncl_communicator). Gradients are reduced in buckets of whole layers, last
 * layer first, as DDP does: backward queues a bucket's copy to host memory as
 * soon as its gradient GEMMs are queued and goes on with the layers below;
 * the host then waits for each bucket in turn, sums it over the ranks while
 * the device still computes the buckets below it, and queues the sum back
 * before the optimizer's launch, which thus sees the global gradient.
 *
 * The staging area is one host-visible buffer of n_params floats
 * (CL_MEM_ALLOC_HOST_PTR, mapped once): pinned memory that a GPU copies to
 * by DMA, and on a CPU device the same memory the kernels use. A GPU-aware
 * communicator would replace the copy to the staging area (queued by
 * nncl__comm_layer_done) and reduce_bucket's wait, sum and copy back by one
 * call on the device buffer; the steps around it stay. */
#include "model/model_impl.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* bucket_floats 0 means this: 64 KiB, a few allreduce latencies' worth of
 * bandwidth on a PCIe or Ethernet link, so that a tiny last layer travels
 * with the one before it instead of alone. */
#define NNCL__DEFAULT_BUCKET_FLOATS 16384

typedef struct nncl__comm {
    nncl_communicator c;
    cl_mem staging;       /* n_params floats, host-visible */
    float *host;          /* its mapping */
    /* The buckets, in the order backward closes them (plan_buckets, once):
     * floats [first[k], first[k] + count[k]) of m->grads; layer l closes
     * bucket closes[l] (-1: none). done[k]: the step's copy of bucket k to
     * the host (NULL: not queued, as when this rank had no rows). */
    size_t n_buckets, first[NNCL_MAX_LAYERS], count[NNCL_MAX_LAYERS];
    int closes[NNCL_MAX_LAYERS];
    cl_event done[NNCL_MAX_LAYERS];
    double step_start;    /* when the step in progress began (seconds) */
    int in_step;          /* backward runs for a step (not compute_gradients) */
    nncl_comm_stats stats;
} nncl__comm;

nncl_communicator nncl_communicator_defaults(void)
{
    nncl_communicator c;
    memset(&c, 0, sizeof c);
    c.size = sizeof c;
    c.ranks = 1;
    return c;
}

static void release_events(nncl__comm *cm)
{
    for (size_t k = 0; k < cm->n_buckets; k++)
        if (cm->done[k]) clReleaseEvent(cm->done[k]), cm->done[k] = NULL;
}

/* Layer l's gradients [dW_l; db_l] are floats [w_off[l], w_off[l] + (in+1)·units)
 * of m->grads, right below layer l+1's: backward, going down, extends the
 * open bucket downwards and closes it once it holds bucket_floats, or at
 * l = 0. */
static void plan_buckets(const nncl_model *m, nncl__comm *cm)
{
    size_t open_end = 0; /* end of the bucket being filled (floats), 0: none */
    cm->n_buckets = 0;
    for (size_t l = m->n_layers; l-- > 0;) {
        size_t end = l + 1 < m->n_layers ? m->w_off[l + 1] : m->n_params;
        if (!open_end) open_end = end;
        size_t count = open_end - m->w_off[l];
        cm->closes[l] = -1;
        if (count < cm->c.bucket_floats && l > 0) continue;
        cm->closes[l] = (int)cm->n_buckets;
        cm->first[cm->n_buckets] = m->w_off[l], cm->count[cm->n_buckets++] = count;
        open_end = 0;
    }
}

void nncl__comm_free(nncl_model *m)
{
    nncl__comm *cm = m->comm;
    if (!cm) return;
    release_events(cm);
    if (cm->host) {
        clEnqueueUnmapMemObject(m->ctx->queue, cm->staging, cm->host, 0, NULL, NULL);
        clFinish(m->ctx->queue);
    }
    nncl__buffer_release(m->ctx, &cm->staging);
    free(cm);
    m->comm = NULL;
}

nncl_status nncl_model_set_communicator(nncl_model *m, const nncl_communicator *comm)
{
    if (!m) return nncl__fail(NULL, NNCL_ERR_INVALID_ARG, "nncl_model_set_communicator: model is NULL");
    nncl_communicator c = nncl_communicator_defaults();
    if (comm) NNCL__OPTIONS_READ(&c, comm);
    if (c.ranks < 1 || c.rank < 0 || c.rank >= c.ranks)
        return nncl__fail(m->ctx, NNCL_ERR_INVALID_ARG, "nncl_model_set_communicator: rank %d of %d ranks", c.rank,
                          c.ranks);
    if (c.ranks > 1 && !c.allreduce)
        return nncl__fail(m->ctx, NNCL_ERR_INVALID_ARG,
                          "nncl_model_set_communicator: %d ranks need an allreduce function", c.ranks);
    NNCL__CHECK_CL(m->ctx, clFinish(m->ctx->queue), "clFinish");
    nncl__comm_free(m);
    if (c.ranks == 1) return NNCL_OK;
    if (!c.bucket_floats) { /* overlap pays only where the device computes apart from the host */
        nncl_device_info dev;
        int cpu = nncl_context_device(m->ctx, &dev) == NNCL_OK && dev.type == NNCL_DEVICE_CPU;
        c.bucket_floats = cpu ? SIZE_MAX : NNCL__DEFAULT_BUCKET_FLOATS;
    }
    nncl__comm *cm = calloc(1, sizeof *cm);
    if (!cm) return nncl__fail(m->ctx, NNCL_ERR_OUT_OF_MEMORY, "communicator state");
    cm->c = c;
    cm->stats.size = sizeof cm->stats;
    plan_buckets(m, cm);
    m->comm = cm;
    cl_int err = nncl__buffer_create(m->ctx, CL_MEM_READ_WRITE | CL_MEM_ALLOC_HOST_PTR, m->n_params * sizeof(float),
                                     NULL, &cm->staging);
    if (err == CL_SUCCESS)
        cm->host = clEnqueueMapBuffer(m->ctx->queue, cm->staging, CL_TRUE, CL_MAP_READ | CL_MAP_WRITE, 0,
                                      m->n_params * sizeof(float), 0, NULL, NULL, &err);
    if (err != CL_SUCCESS) {
        nncl__comm_free(m);
        return nncl__cl_fail(m->ctx, err, "allocating the gradient staging area");
    }
    /* A checkpoint's training sums are the global ones: rank 0 keeps them. */
    if (c.rank != 0) NNCL__TRY(nncl__model_clear_metrics(m, NNCL_METRIC_TRAIN));
    return NNCL_OK;
}

nncl_status nncl_model_comm_stats(nncl_model *m, nncl_comm_stats *stats, int reset)
{
    if (!m || !stats) return nncl__fail(m ? m->ctx : NULL, NNCL_ERR_INVALID_ARG, "nncl_model_comm_stats: NULL argument");
    nncl_comm_stats s;
    memset(&s, 0, sizeof s);
    s.size = sizeof s;
    if (m->comm) s = m->comm->stats;
    NNCL__OPTIONS_WRITE(stats, &s);
    if (reset && m->comm) {
        memset(&m->comm->stats, 0, sizeof m->comm->stats);
        m->comm->stats.size = sizeof m->comm->stats;
    }
    return NNCL_OK;
}

int nncl__model_ranks(const nncl_model *m, int *rank)
{
    if (rank) *rank = m->comm ? m->comm->c.rank : 0;
    return m->comm ? m->comm->c.ranks : 1;
}

/* The caller's allreduce, timed and counted. */
static nncl_status allreduce(nncl_model *m, float *data, size_t count)
{
    nncl__comm *cm = m->comm;
    double t0 = nncl__seconds_now();
    nncl_status st = cm->c.allreduce(data, count, cm->c.user);
    /* The steps' share only (the gradient buckets): a metric or stop flag
     * summed between steps would otherwise count waits that no step_seconds
     * holds, and allreduce_seconds could exceed it. */
    if (cm->in_step) cm->stats.allreduce_seconds += nncl__seconds_now() - t0;
    cm->stats.allreduces++;
    cm->stats.bytes += (double)count * sizeof(float);
    if (st != NNCL_OK) /* the callback's own detail is its to report (its context is not ours) */
        return nncl__fail(m->ctx, NNCL_ERR_COMM, "allreduce of %zu floats on rank %d of %d failed: the communicator "
                          "returned %s",
                          count, cm->c.rank, cm->c.ranks, nncl_status_string(st));
    return NNCL_OK;
}

nncl_status nncl__model_allreduce(nncl_model *m, float *data, size_t count)
{
    return m->comm ? allreduce(m, data, count) : NNCL_OK;
}

/* Queues the copy of the bucket layer l closes (plan_buckets), if any. */
nncl_status nncl__comm_layer_done(nncl_model *m, size_t l)
{
    nncl__comm *cm = m->comm;
    if (!cm->in_step) return NNCL_OK; /* nncl_model_compute_gradients: this rank's own */
    if (cm->closes[l] < 0) return NNCL_OK;
    size_t k = (size_t)cm->closes[l], first = cm->first[k], count = cm->count[k];
    NNCL__CHECK_CL(m->ctx,
                   clEnqueueReadBuffer(m->ctx->queue, m->grads, CL_FALSE, first * sizeof(float), count * sizeof(float),
                                       cm->host + first, 0, NULL, &cm->done[k]),
                   "copying a gradient bucket to the host");
    /* Start the device on what is queued, so the copy comes back while
     * the host has not yet asked for it. */
    NNCL__CHECK_CL(m->ctx, clFlush(m->ctx->queue), "clFlush");
    return NNCL_OK;
}

static int event_complete(cl_event e)
{
    cl_int status = CL_QUEUED;
    clGetEventInfo(e, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof status, &status, NULL);
    return status == CL_COMPLETE;
}

/* Bucket k: wait for its copy (or zero it: this rank had no rows), sum it
 * over the ranks, queue it back. Each rank's gradient is already its share
 * of the global batch's mean (the loss divides by the global rows). */
static nncl_status reduce_bucket(nncl_model *m, size_t k)
{
    nncl__comm *cm = m->comm;
    float *g = cm->host + cm->first[k];
    size_t count = cm->count[k];
    if (cm->done[k]) {
        double t0 = nncl__seconds_now();
        cl_int err = clWaitForEvents(1, &cm->done[k]);
        cm->stats.device_wait_seconds += nncl__seconds_now() - t0;
        if (err != CL_SUCCESS) return nncl__cl_fail(m->ctx, err, "waiting for a gradient bucket");
    } else {
        memset(g, 0, count * sizeof *g);
    }
    double t0 = nncl__seconds_now();
    NNCL__TRY(allreduce(m, g, count));
    if (k + 1 < cm->n_buckets && cm->done[k + 1] && !event_complete(cm->done[k + 1]))
        cm->stats.overlapped_seconds += nncl__seconds_now() - t0; /* the device was busy all along */
    NNCL__CHECK_CL(m->ctx,
                   clEnqueueWriteBuffer(m->ctx->queue, m->grads, CL_FALSE, cm->first[k] * sizeof(float),
                                        count * sizeof(float), g, 0, NULL, NULL),
                   "writing a reduced gradient bucket");
    return NNCL_OK;
}

void nncl__comm_step_begin(nncl_model *m)
{
    release_events(m->comm); /* of a step that failed midway */
    m->comm->step_start = nncl__seconds_now();
    m->comm->in_step = 1;
}

void nncl__comm_step_abort(nncl_model *m)
{
    if (m->ctx->queue) clFinish(m->ctx->queue); /* the queued copies into the staging area end first */
    release_events(m->comm);
    m->comm->in_step = 0;
}

nncl_status nncl__comm_reduce_gradients(nncl_model *m, size_t rows)
{
    nncl__comm *cm = m->comm;
    /* With rows 0 backward queued no copy (done[k] NULL): this rank sends
     * zeros, and the staging area is about to be zeroed, so the last step's
     * sums must have been written from it first. */
    if (rows == 0) NNCL__CHECK_CL(m->ctx, clFinish(m->ctx->queue), "clFinish");
    nncl_status st = NNCL_OK;
    for (size_t k = 0; k < cm->n_buckets && st == NNCL_OK; k++) st = reduce_bucket(m, k);
    release_events(cm);
    cm->in_step = 0;
    cm->stats.steps++;
    cm->stats.step_seconds += nncl__seconds_now() - cm->step_start;
    return st;
}
