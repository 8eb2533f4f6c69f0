/* SPDX-License-Identifier: MIT */
/* Failure injection, SQLite-style: the N-th host allocation (malloc, calloc,
 * realloc, strdup, strndup) or the N-th OpenCL object creation (context,
 * queue, program, kernel, buffer) made by nncl fails, for N = 1, 2, ... until
 * a run meets no failure, through context creation, model creation, a
 * training step, save and load. Every failure must come back as a status
 * with a message, free everything it allocated (a live set of nncl's own
 * allocations, so PoCL's are not counted), and leave the saved file whole.
 *
 * The calls are redirected with the linker's --wrap (tests/CMakeLists.txt),
 * which reaches the objects of libnncl.a linked into this program and not
 * the shared libraries (libc, PoCL), so only nncl's own calls fail. */
#include "testutil.h"

#include "nncl/nncl_cl.h" /* the OpenCL types, for CL 1.2 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- the injector ------------------------------------------------------- */

static int armed;             /* count and fail only between arm() and disarm() */
static long host_calls, host_fail_at, cl_calls, cl_fail_at;
static int injected;          /* a failure was injected in this run */

/* nncl's live allocations: an open-addressing set of pointers. */
#define LIVE_SLOTS (1u << 16)
static void *live[LIVE_SLOTS];
static long live_count;

static size_t slot_of(const void *p) { return ((uintptr_t)p >> 4) * 2654435761u % LIVE_SLOTS; }

static void live_add(void *p)
{
    if (!p || !armed) return;
    size_t i = slot_of(p);
    while (live[i] && live[i] != (void *)1) i = (i + 1) % LIVE_SLOTS;
    live[i] = p;
    live_count++;
}

static void live_remove(void *p)
{
    if (!p) return;
    size_t i = slot_of(p);
    for (size_t n = 0; n < LIVE_SLOTS && live[i]; n++, i = (i + 1) % LIVE_SLOTS)
        if (live[i] == p) {
            live[i] = (void *)1; /* a tombstone */
            live_count--;
            return;
        }
}

static int fail_host(void)
{
    if (!armed) return 0;
    if (++host_calls != host_fail_at) return 0;
    injected = 1;
    return 1;
}

static int fail_cl(void)
{
    if (!armed) return 0;
    if (++cl_calls != cl_fail_at) return 0;
    injected = 1;
    return 1;
}

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);

void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);

void *__wrap_malloc(size_t n)
{
    if (fail_host()) return NULL;
    void *p = __real_malloc(n);
    live_add(p);
    return p;
}
void *__wrap_calloc(size_t n, size_t size)
{
    if (fail_host()) return NULL;
    void *p = __real_calloc(n, size);
    live_add(p);
    return p;
}
void *__wrap_realloc(void *p, size_t n)
{
    if (fail_host()) return NULL;
    void *q = __real_realloc(p, n);
    if (q) {
        live_remove(p);
        live_add(q);
    }
    return q;
}
void __wrap_free(void *p)
{
    live_remove(p);
    __real_free(p);
}
char *__wrap_strdup(const char *s)
{
    if (fail_host()) return NULL;
    char *p = __real_strdup(s);
    live_add(p);
    return p;
}
char *__wrap_strndup(const char *s, size_t n)
{
    if (fail_host()) return NULL;
    char *p = __real_strndup(s, n);
    live_add(p);
    return p;
}

#define WRAP_CL_CREATE(ret, name, params, args)      \
    ret __real_##name params;                        \
    ret __wrap_##name params;                        \
    ret __wrap_##name params                         \
    {                                                \
        if (fail_cl()) {                             \
            if (errcode_ret) *errcode_ret = CL_OUT_OF_RESOURCES; \
            return NULL;                             \
        }                                            \
        return __real_##name args;                   \
    }
WRAP_CL_CREATE(cl_mem, clCreateBuffer,
               (cl_context c, cl_mem_flags f, size_t size, void *host, cl_int *errcode_ret),
               (c, f, size, host, errcode_ret))
WRAP_CL_CREATE(cl_kernel, clCreateKernel, (cl_program p, const char *name, cl_int *errcode_ret),
               (p, name, errcode_ret))
WRAP_CL_CREATE(cl_program, clCreateProgramWithSource,
               (cl_context c, cl_uint n, const char **src, const size_t *len, cl_int *errcode_ret),
               (c, n, src, len, errcode_ret))
WRAP_CL_CREATE(cl_context, clCreateContext,
               (const cl_context_properties *props, cl_uint n, const cl_device_id *d,
                void(CL_CALLBACK *notify)(const char *, const void *, size_t, void *), void *user,
                cl_int *errcode_ret),
               (props, n, d, notify, user, errcode_ret))
WRAP_CL_CREATE(cl_command_queue, clCreateCommandQueue,
               (cl_context c, cl_device_id d, cl_command_queue_properties p, cl_int *errcode_ret),
               (c, d, p, errcode_ret))

static void arm(long host_at, long cl_at)
{
    host_calls = cl_calls = 0;
    host_fail_at = host_at;
    cl_fail_at = cl_at;
    injected = 0;
    armed = 1;
}

static void disarm(void) { armed = 0; }

/* ---- the scenarios -------------------------------------------------------- */

static char saved[512];

/* A status, and with it a message. */
/* The last error before a run, which a failure must replace. */
static char marker[1024];

static void expect_reported(nncl_status st, const char *msg, const char *what, long n)
{
    ck_assert_msg(*msg && strcmp(msg, marker) != 0, "%s failed (%s) at injection %ld without a message", what,
                  nncl_status_string(st), n);
}

/* The saved file is whole: the model that was there, or a new one. */
static void expect_saved_file_whole(nncl_context *ctx, long n)
{
    nncl_model *m = NULL;
    nncl_status st = nncl_model_load(ctx, saved, &m, NULL);
    ck_assert_msg(st == NNCL_OK, "after injection %ld the saved file does not load: %s", n, nncl_last_error(ctx));
    nncl_model_destroy(m);
}

/* Model creation, a training step, save, load: returns 1 when no failure
 * was injected (the run went through). */
static int model_run(nncl_context *ctx, long host_at, long cl_at)
{
    static nncl_layer_spec layers[] = {{6, NNCL_ACT_RELU}, {3, NNCL_ACT_SOFTMAX}};
    float x[8 * 4], y[8];
    for (int i = 0; i < 32; i++) x[i] = (float)(i % 7) / 7.0f;
    for (int i = 0; i < 8; i++) y[i] = (float)(i % 3);
    nncl_tensor *X = nncl_test_tensor(ctx, 8, 4, x), *Y = nncl_test_tensor(ctx, 8, 1, y);
    nncl_model_spec spec = nncl_model_spec_defaults();
    spec.inputs = 4, spec.n_layers = 2, spec.layers = layers, spec.loss = NNCL_LOSS_SOFTMAX_CE;
    long base = live_count;
    long n = host_at ? host_at : cl_at;
    ck_assert_int_ne(nncl_model_create(ctx, NULL, NULL), NNCL_OK);
    snprintf(marker, sizeof marker, "%s", nncl_last_error(ctx));
    arm(host_at, cl_at);
    nncl_model *m = NULL, *loaded = NULL;
    nncl_status st = nncl_model_create(ctx, &spec, &m);
    const char *what = "nncl_model_create";
    if (st == NNCL_OK) what = "nncl_model_train_step", st = nncl_model_train_step(m, X, Y);
    if (st == NNCL_OK) what = "nncl_model_sync", st = nncl_model_sync(m);
    if (st == NNCL_OK) what = "nncl_model_save", st = nncl_model_save(m, saved);
    if (st == NNCL_OK) what = "nncl_model_load", st = nncl_model_load(ctx, saved, &loaded, NULL);
    char message[1024]; /* Check allocates in every assertion: none while armed */
    snprintf(message, sizeof message, "%s", nncl_last_error(ctx));
    nncl_model_destroy(loaded);
    nncl_model_destroy(m);
    disarm();
    if (st != NNCL_OK) expect_reported(st, message, what, n);
    ck_assert_msg(st == NNCL_OK || injected, "%s failed with nothing injected: %s", what, message);
    ck_assert_msg(live_count == base, "injection %ld (%s): %ld allocations of nncl left behind", n, what,
                  live_count - base);
    nncl_tensor_destroy(X), nncl_tensor_destroy(Y);
    expect_saved_file_whole(ctx, n);
    return !injected;
}

static void prepare_saved_file(nncl_context *ctx)
{
    snprintf(saved, sizeof saved, "%s/faults.safetensors", nncl_test_tmpdir());
    ck_assert_int_eq(model_run(ctx, 0, 0), 1);
}

START_TEST(host_allocation_failures_in_a_model_run)
{
    nncl_context *ctx = nncl_test_context();
    prepare_saved_file(ctx);
    long n = 1;
    while (!model_run(ctx, n, 0)) n++;
    fprintf(stderr, "host allocations: %ld points of failure in a model run, each reported and clean\n", n - 1);
    ck_assert_int_gt(n, 10);
    /* a failed save removed its temporary file */
    DIR *d = opendir(nncl_test_tmpdir());
    struct dirent *e;
    while ((e = readdir(d))) ck_assert_msg(!strstr(e->d_name, ".tmp."), "left behind: %s", e->d_name);
    closedir(d);
}
END_TEST

START_TEST(opencl_creation_failures_in_a_model_run)
{
    nncl_context *ctx = nncl_test_context();
    prepare_saved_file(ctx);
    long n = 1;
    while (!model_run(ctx, 0, n)) n++;
    fprintf(stderr, "OpenCL creations: %ld points of failure in a model run, each reported and clean\n", n - 1);
    ck_assert_int_gt(n, 3);
}
END_TEST

/* Context creation alone; returns 1 when no failure was injected. */
static int context_run(long host_at, long cl_at)
{
    long base = live_count, n = host_at ? host_at : cl_at;
    ck_assert_int_ne(nncl_context_create(NULL, NULL), NNCL_OK);
    snprintf(marker, sizeof marker, "%s", nncl_last_error(NULL));
    arm(host_at, cl_at);
    nncl_context *ctx = NULL;
    nncl_status st = nncl_context_create(NULL, &ctx);
    char message[1024];
    snprintf(message, sizeof message, "%s", nncl_last_error(NULL));
    int consistent = st == NNCL_OK ? ctx != NULL : ctx == NULL;
    nncl_context_destroy(ctx);
    disarm();
    if (st != NNCL_OK) expect_reported(st, message, "nncl_context_create", n);
    ck_assert_msg(st == NNCL_OK || injected, "nncl_context_create failed with nothing injected: %s", message);
    ck_assert(consistent);
    ck_assert_msg(live_count == base, "context creation, injection %ld: %ld allocations of nncl left behind", n,
                  live_count - base);
    return !injected;
}

START_TEST(failures_in_context_creation)
{
    long host = 1, cl = 1;
    while (!context_run(host, 0)) host++;
    while (!context_run(0, cl)) cl++;
    fprintf(stderr, "context creation: %ld host allocations and %ld OpenCL creations can fail, each reported\n",
            host - 1, cl - 1);
    ck_assert_int_gt(cl, 3);
}
END_TEST

static void device_cases(Suite *s)
{
    NNCL_TEST_CASE(s, "inject", 600, failures_in_context_creation, host_allocation_failures_in_a_model_run,
                   opencl_creation_failures_in_a_model_run);
}

int main(int argc, char **argv) { return nncl_test_run("faults", NULL, device_cases, argc, argv); }
