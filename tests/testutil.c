/* SPDX-License-Identifier: MIT */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

void nncl_test_add_case(Suite *s, const char *name, double timeout, const TTest *const *tests,
                        size_t count)
{
    TCase *tc = tcase_create(name);
    if (timeout > 0) tcase_set_timeout(tc, timeout);
    for (size_t i = 0; i < count; i++) tcase_add_test(tc, tests[i]);
    suite_add_tcase(s, tc);
}

/* Runs one suite, "<name>.<kind>"; 0 all passed, 1 some failed. */
static int run_suite(const char *name, const char *kind, nncl_test_cases *add)
{
    char title[64]; /* Check keeps the pointer: it must outlive the runner */
    snprintf(title, sizeof title, "%s.%s", name, kind);
    Suite *s = suite_create(title);
    add(s);
    SRunner *sr = srunner_create(s);
    /* One process for the whole suite: the OpenCL context (and its built
     * kernels) is shared by the tests instead of rebuilt in a fork per test. */
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}

int nncl_test_have_device(void)
{
    int index = -1;
    if (nncl_device_select(NULL, &index) != NNCL_OK) {
        fprintf(stderr, "no OpenCL device: %s\n", nncl_last_error(NULL));
        return 0;
    }
    return 1;
}

/* The device suite, or 77 / 1 (NNCL_TEST_REQUIRE_DEVICE=1) without a device. */
static int run_device_suite(const char *name, nncl_test_cases *device)
{
    if (nncl_test_have_device()) return run_suite(name, "device", device);
    const char *require = getenv("NNCL_TEST_REQUIRE_DEVICE");
    if (require && strcmp(require, "1") == 0) {
        fprintf(stderr, "%s.device: NNCL_TEST_REQUIRE_DEVICE=1 and no device: failed\n", name);
        return 1;
    }
    fprintf(stderr, "%s.device: skipped\n", name);
    return NNCL_TEST_SKIP;
}

int nncl_test_run(const char *name, nncl_test_cases *host, nncl_test_cases *device, int argc,
                  char **argv)
{
    const char *which = argc > 1 ? argv[1] : NULL;
    int bad = argc > 2 || (which && !(strcmp(which, "host") == 0 && host) &&
                           !(strcmp(which, "device") == 0 && device));
    if (bad) {
        fprintf(stderr, "usage: %s [%s%s%s]: runs the %s suites (none named: all of them)\n",
                argv[0], host ? "host" : "", host && device ? "|" : "", device ? "device" : "", name);
        return 2;
    }
    if (which) return which[0] == 'h' ? run_suite(name, "host", host) : run_device_suite(name, device);
    int host_status = host ? run_suite(name, "host", host) : NNCL_TEST_SKIP;
    int device_status = device ? run_device_suite(name, device) : NNCL_TEST_SKIP;
    if (host_status == 1 || device_status == 1) return 1;
    return host_status == 0 || device_status == 0 ? 0 : NNCL_TEST_SKIP;
}

static nncl_context *shared_ctx;

static void destroy_shared(void) { nncl_context_destroy(shared_ctx); }

nncl_context *nncl_test_context(void)
{
    if (!shared_ctx) {
        nncl_status st = nncl_context_create(NULL, &shared_ctx);
        ck_assert_msg(st == NNCL_OK, "context: %s: %s", nncl_status_string(st),
                      nncl_last_error(NULL));
        atexit(destroy_shared);
    }
    return shared_ctx;
}

float nncl_test_uniform(uint64_t *state, float lo, float hi)
{
    /* splitmix64 */
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return lo + (hi - lo) * (float)((z >> 40) * (1.0 / 16777216.0));
}

void nncl_test_fill_uniform(float *v, size_t n, uint64_t seed, float lo, float hi)
{
    for (size_t i = 0; i < n; i++) v[i] = nncl_test_uniform(&seed, lo, hi);
}

nncl_context *nncl_test_context_with(const char *var, const char *value)
{
    setenv(var, value, 1);
    nncl_context *ctx = NULL;
    nncl_status st = nncl_context_create(NULL, &ctx);
    unsetenv(var);
    ck_assert_msg(st == NNCL_OK, "context with %s=%s: %s", var, value, nncl_last_error(NULL));
    return ctx;
}

float *nncl_test_random(size_t n, uint64_t seed, float lo, float hi)
{
    float *v = malloc((n ? n : 1) * sizeof *v);
    ck_assert_ptr_nonnull(v);
    nncl_test_fill_uniform(v, n, seed, lo, hi);
    return v;
}

nncl_tensor *nncl_test_tensor(nncl_context *ctx, size_t rows, size_t cols, const float *data)
{
    nncl_tensor *t = NULL;
    nncl_status st = nncl_tensor_create(ctx, rows, cols, &t);
    ck_assert_msg(st == NNCL_OK, "tensor %zux%zu: %s", rows, cols, nncl_last_error(ctx));
    if (data) ck_assert_int_eq(nncl_tensor_upload(t, data, rows * cols), NNCL_OK);
    return t;
}

static char tmpdir[64];

static void remove_tmpdir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
}

const char *nncl_test_tmpdir(void)
{
    if (!tmpdir[0]) {
        strcpy(tmpdir, "/tmp/nncl-test-XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(tmpdir));
        atexit(remove_tmpdir);
    }
    return tmpdir;
}

void nncl_test_assert_close(const float *got, const double *want, size_t n, double tol,
                            const char *what)
{
    for (size_t i = 0; i < n; i++) {
        double scale = fabs(want[i]) > 1.0 ? fabs(want[i]) : 1.0;
        double err = fabs((double)got[i] - want[i]);
        ck_assert_msg(err <= tol * scale && !isnan(got[i]),
                      "%s: element %zu is %.9g, want %.9g (error %.3g > %.3g)", what, i,
                      (double)got[i], want[i], err, tol * scale);
    }
}

int nncl_test_shell(const char *cmd, const char *out_path)
{
    char line[8192];
    snprintf(line, sizeof line, "(%s) > '%s' 2>&1", cmd, out_path);
    int status = system(line);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

char *nncl_test_slurp(const char *path)
{
    enum { MAX_TEXT = 4 << 20 };
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    char *buf = calloc(MAX_TEXT, 1);
    ck_assert_ptr_nonnull(buf);
    size_t n = fread(buf, 1, MAX_TEXT - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

char *nncl_test_path(const char *name)
{
    static char paths[16][1024];
    static int next;
    char *p = paths[next++ % 16];
    snprintf(p, sizeof paths[0], "%s/%s", nncl_test_tmpdir(), name);
    return p;
}

const char *nncl_test_write_text(const char *name, const char *text)
{
    const char *p = nncl_test_path(name);
    FILE *f = fopen(p, "wb");
    ck_assert_msg(f != NULL, "cannot write %s", p);
    fputs(text, f);
    fclose(f);
    return p;
}

char *nncl_test_command(const char *cmd, const char *out_name, int want_status)
{
    char out[1024]; /* its own buffer: nncl_test_path's slots are the caller's files */
    snprintf(out, sizeof out, "%s/%s", nncl_test_tmpdir(), out_name);
    int rc = nncl_test_shell(cmd, out);
    char *text = nncl_test_slurp(out);
    ck_assert_msg(rc == want_status, "`%s` exited %d (want %d):\n%s", cmd, rc, want_status, text);
    return text;
}

void nncl_test_expect_shell(const char *cmd, const char *out_path, int status, const char *needle,
                            const char *absent)
{
    int rc = nncl_test_shell(cmd, out_path);
    char *text = nncl_test_slurp(out_path);
    ck_assert_msg(rc == status && strstr(text, needle) && !(absent && strstr(text, absent)),
                  "`%s` exited %d (want %d), said: %s", cmd, rc, status, text);
    free(text);
}
