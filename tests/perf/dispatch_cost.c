/* SPDX-License-Identifier: MIT */
/* dispatch_cost: what a kernel boundary costs on this machine.
 *
 *   dispatch_cost [iterations]
 *
 * 1. Two threads on two CPUs hand a token back and forth through a condition
 *    variable: the round trip is two wake-ups of a sleeping thread, which is
 *    what PoCL's worker threads pay between kernels (a worker that runs out
 *    of work-groups sleeps until the next kernel is ready).
 * 2. A chain of 1000 kernels, each 64 work-groups of a busy loop, on the
 *    default nncl device: the time per kernel. Run it twice, once with
 *    POCL_MAX_PTHREAD_COUNT=1: a kernel that two threads run in less than
 *    half the one-thread time plus the wake-up is where the second thread
 *    joined late. With 1 iteration the kernels are all but empty: the cost
 *    of a queued launch.
 * 3. The same kernel 200 times, each waited for (clFinish): a lone
 *    synchronous launch, which pays the wake-ups of a worker and of the
 *    caller.
 * On a VM whose idle vCPUs halt (no halt polling), the round trip is tens of
 * microseconds, and kernels shorter than that gain little from a second
 * thread (docs/PERFORMANCE.md, "Third session"). A developer's tool. */
#define _GNU_SOURCE
#include <nncl/nncl.h>
#include <nncl/nncl_cl.h>

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

enum { ROUND_TRIPS = 2000, KERNELS = 1000 };
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int turn; /* 1: the partner's move, 0: the main thread's */

static void pin(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

static void *partner(void *arg)
{
    (void)arg;
    pin(1);
    for (int i = 0; i < ROUND_TRIPS; i++) {
        pthread_mutex_lock(&mu);
        while (turn != 1) pthread_cond_wait(&cv, &mu);
        turn = 0;
        pthread_cond_signal(&cv);
        pthread_mutex_unlock(&mu);
    }
    return NULL;
}

/* The other end, on CPU 0 (its own thread: the main thread keeps its
 * affinity, which PoCL's worker threads inherit when the context is made). */
static void *starter(void *out)
{
    pin(0);
    pthread_t t;
    if (pthread_create(&t, NULL, partner, NULL)) return NULL;
    double t0 = now();
    for (int i = 0; i < ROUND_TRIPS; i++) {
        pthread_mutex_lock(&mu);
        turn = 1;
        pthread_cond_signal(&cv);
        while (turn != 0) pthread_cond_wait(&cv, &mu);
        pthread_mutex_unlock(&mu);
    }
    *(double *)out = (now() - t0) / ROUND_TRIPS * 1e6;
    pthread_join(t, NULL);
    return NULL;
}

static double round_trip_us(void)
{
    double us = -1;
    pthread_t t;
    if (pthread_create(&t, NULL, starter, &us)) return -1;
    pthread_join(t, NULL);
    return us;
}

static const char *source =
    "__kernel __attribute__((reqd_work_group_size(1, 1, 1)))\n"
    "void busy(__global float *x, int iterations)\n"
    "{\n"
    "    float a = x[get_global_id(0)];\n"
    "    for (int i = 0; i < iterations; i++) a = a * 1.0001f + 0.5f;\n"
    "    x[get_global_id(0)] = a;\n"
    "}\n";

int main(int argc, char **argv)
{
    int iterations = argc > 1 ? atoi(argv[1]) : 2000;
    double us = round_trip_us();
    if (us < 0) printf("thread wake-up round trip: not measured (a thread could not be created)\n");
    else printf("thread wake-up round trip (two CPUs, condition variable): %.1f us\n", us);
    nncl_context *ctx = NULL;
    if (nncl_context_create(NULL, &ctx)) {
        fprintf(stderr, "dispatch_cost: %s\n", nncl_last_error(NULL));
        return 1;
    }
    cl_int err;
    cl_context cl = nncl_context_cl_context(ctx);
    cl_device_id dev = nncl_context_cl_device(ctx);
    cl_command_queue q = nncl_context_cl_queue(ctx);
    cl_program prog = clCreateProgramWithSource(cl, 1, &source, NULL, &err);
    if (err == CL_SUCCESS) err = clBuildProgram(prog, 1, &dev, "", NULL, NULL);
    cl_kernel k = err == CL_SUCCESS ? clCreateKernel(prog, "busy", &err) : NULL;
    cl_mem buf = err == CL_SUCCESS ? clCreateBuffer(cl, CL_MEM_READ_WRITE, 64 * sizeof(float), NULL, &err) : NULL;
    if (err == CL_SUCCESS) err = clSetKernelArg(k, 0, sizeof buf, &buf);
    if (err == CL_SUCCESS) err = clSetKernelArg(k, 1, sizeof iterations, &iterations);
    if (err != CL_SUCCESS) {
        fprintf(stderr, "dispatch_cost: OpenCL error %d\n", err);
        return 1;
    }
    size_t global = 64, local = 1;
    for (int round = 0; round < 4; round++) {
        int n = round ? KERNELS : 50; /* the first round warms up */
        double t0 = now();
        for (int i = 0; i < n && err == CL_SUCCESS; i++)
            err = clEnqueueNDRangeKernel(q, k, 1, NULL, &global, &local, 0, NULL, NULL);
        clFinish(q);
        if (round) printf("chain of %d kernels, 64 work-groups x %d iterations: %.1f us per kernel\n", n,
                          iterations, (now() - t0) / n * 1e6);
    }
    enum { WAITED = 200 };
    double t0 = now();
    for (int i = 0; i < WAITED && err == CL_SUCCESS; i++) {
        err = clEnqueueNDRangeKernel(q, k, 1, NULL, &global, &local, 0, NULL, NULL);
        if (err == CL_SUCCESS) err = clFinish(q);
    }
    printf("one kernel at a time, each waited for: %.1f us per kernel\n", (now() - t0) / WAITED * 1e6);
    clReleaseMemObject(buf);
    clReleaseKernel(k);
    clReleaseProgram(prog);
    nncl_context_destroy(ctx);
    return err == CL_SUCCESS ? 0 : 1;
}
