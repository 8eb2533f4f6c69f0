/* Shared test helpers: a device-or-skip context, random data, and a plain-C
 * double-precision reference for the ops. */
#ifndef NNCL_TESTUTIL_H
#define NNCL_TESTUTIL_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

#include "nncl/nncl.h"

#define NNCL_TEST_SKIP 77

/* Runs the suite; returns the process exit status (0 all passed, 1 some failed). */
int nncl_test_run(Suite *s);
/* 1 if an OpenCL device can be opened here; tests that need one exit 77 otherwise. */
int nncl_test_have_device(void);
/* A context for a test, created once per process (NNCL_DEVICE honoured).
 * ck_abort if it cannot be created (after nncl_test_have_device said yes). */
nncl_context *nncl_test_context(void);

/* Deterministic uniform floats in [lo, hi) from a 64-bit state. */
float nncl_test_uniform(uint64_t *state, float lo, float hi);
void nncl_test_fill_uniform(float *v, size_t n, uint64_t seed, float lo, float hi);

/* A temporary directory for the process ("/tmp/nncl-test-XXXXXX"), removed at exit. */
const char *nncl_test_tmpdir(void);

/* Asserts |got - want| <= tol * max(1, |want|) for every element, naming the first miss. */
void nncl_test_assert_close(const float *got, const double *want, size_t n, double tol,
                            const char *what);

#endif
