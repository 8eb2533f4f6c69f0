/* Shared test helpers: a device-or-skip context, random data, and a plain-C
 * double-precision reference for the ops. */
#ifndef NNCL_TESTUTIL_H
#define NNCL_TESTUTIL_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "nncl/nncl.h"

#define NNCL_TEST_SKIP 77

/* Runs the suite; returns the process exit status (0 all passed, 1 some failed). */
int nncl_test_run(Suite *s);
/* 1 if an OpenCL device can be opened here; tests that need one exit 77 otherwise. */
int nncl_test_have_device(void);
/* A context for a test, created once per process (NNCL_DEVICE honoured).
 * ck_abort if it cannot be created (after nncl_test_have_device said yes). */
nncl_context *nncl_test_context(void);
/* A new context created with the environment variable var set to value (and
 * unset again), for the settings read at context creation; ck_abort if it
 * cannot be created. The caller destroys it. */
nncl_context *nncl_test_context_with(const char *var, const char *value);

/* Deterministic uniform floats in [lo, hi) from a 64-bit state. */
float nncl_test_uniform(uint64_t *state, float lo, float hi);
void nncl_test_fill_uniform(float *v, size_t n, uint64_t seed, float lo, float hi);
/* n such floats in a new array (ck_abort without memory); the caller frees it. */
float *nncl_test_random(size_t n, uint64_t seed, float lo, float hi);
/* A rows x cols tensor of ctx holding data (row-major; NULL: left as created). */
nncl_tensor *nncl_test_tensor(nncl_context *ctx, size_t rows, size_t cols, const float *data);

/* A temporary directory for the process ("/tmp/nncl-test-XXXXXX"), removed at exit. */
const char *nncl_test_tmpdir(void);

/* Asserts |got - want| <= tol * max(1, |want|) for every element, naming the first miss. */
void nncl_test_assert_close(const float *got, const double *want, size_t n, double tol,
                            const char *what);

/* Asserts that `call` returns `status` and that the last error of ctx (NULL:
 * of this thread) contains `needle`; both are named when it fails. */
#define ASSERT_FAILS(ctx, call, status, needle)                                            \
    do {                                                                                   \
        nncl_status st_ = (call);                                                          \
        ck_assert_msg(st_ == (status), "%s returned %s, want %s (%s)", #call,              \
                      nncl_status_string(st_), nncl_status_string(status),                 \
                      nncl_last_error(ctx));                                               \
        ck_assert_msg(strstr(nncl_last_error(ctx), (needle)) != NULL,                      \
                      "%s: message \"%s\" lacks \"%s\"", #call, nncl_last_error(ctx), (needle)); \
    } while (0)

#endif
