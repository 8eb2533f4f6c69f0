/* SPDX-License-Identifier: MIT */
/* Shared test helpers: the runner every test program's main calls, a shared
 * context, random data, a temporary folder and closeness checks. */
#ifndef NNCL_TESTUTIL_H
#define NNCL_TESTUTIL_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "nncl/nncl.h"

#define NNCL_TEST_SKIP 77

/* Adds a suite's test cases to s. A program's cases fall in two suites: the
 * host suite never opens an OpenCL platform (so it runs anywhere, with
 * LeakSanitizer on), the device suite needs a device. */
typedef void nncl_test_cases(Suite *s);

/* The whole of a test program's main, kept on one line:
 *     int main(int argc, char **argv) { return nncl_test_run("core", host_cases, device_cases, argc, argv); }
 * tests/CMakeLists.txt reads that line and registers test_<name>.host and
 * test_<name>.device (NULL: the program has no such suite).
 * argv[1] is "host", "device", or absent for both. The device suite first
 * looks for a device and exits 77 (NNCL_TEST_SKIP) without one, or 1 when the
 * environment sets NNCL_TEST_REQUIRE_DEVICE=1 (CI, where a skip would hide a
 * broken device). Returns the exit status: 0 all passed, 1 some failed, 2
 * bad usage, 77 only a device suite was asked for and there is no device. */
int nncl_test_run(const char *name, nncl_test_cases *host, nncl_test_cases *device, int argc,
                  char **argv);
/* Adds to suite s a test case called name that runs the tests listed (names
 * given to START_TEST); timeout in seconds, 0 for Check's default. */
#define NNCL_TEST_CASE(s, name, timeout, ...)                                              \
    do {                                                                                   \
        const TTest *tests_[] = {__VA_ARGS__};                                             \
        nncl_test_add_case((s), (name), (timeout), tests_, sizeof tests_ / sizeof *tests_); \
    } while (0)
void nncl_test_add_case(Suite *s, const char *name, double timeout, const TTest *const *tests,
                        size_t count);
/* 1 if an OpenCL device can be opened here (it says why not on stderr). */
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

/* Runs a shell command line with stdout and stderr to out_path; returns its
 * exit status (-1: it did not exit normally). */
int nncl_test_shell(const char *cmd, const char *out_path);
/* A file's text (at most 4 MiB), NUL-terminated; the caller frees it. */
char *nncl_test_slurp(const char *path);
/* Runs cmd (output to out_name in nncl_test_tmpdir()); asserts its exit
 * status and returns its output (stdout and stderr), which the caller frees. */
char *nncl_test_command(const char *cmd, const char *out_name, int want_status);
/* Runs cmd; asserts its exit status and that its output holds `needle` (and
 * not `absent`, when not NULL). */
void nncl_test_expect_shell(const char *cmd, const char *out_path, int status, const char *needle,
                            const char *absent);
/* name's path in nncl_test_tmpdir() (static storage, valid for the next 16
 * calls). */
char *nncl_test_path(const char *name);
/* Writes text to a new file in nncl_test_tmpdir(); returns its path
 * (nncl_test_path's static storage). */
const char *nncl_test_write_text(const char *name, const char *text);

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
