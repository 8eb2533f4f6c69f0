/* SPDX-License-Identifier: MIT */
/* `nncl bench --tune` as a user runs it: the sweep finishes, records the
 * fastest parameters in the tuning cache (NNCL_CACHE_DIR, a fresh folder
 * here), and the next run on the device uses them ("tuned"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static char *run(const char *cmd, int want_status) { return nncl_test_command(cmd, "bench-out.txt", want_status); }

START_TEST(tune_records_the_fastest_and_the_next_run_uses_it)
{
    char cmd[4096], path[1200];
    const char *dir = nncl_test_tmpdir();
    snprintf(cmd, sizeof cmd, "NNCL_CACHE_DIR=%s/tuned %s bench --tune --quick", dir, NNCL_CLI);
    char *text = run(cmd, 0);
    /* every candidate scored (the three stages) and one declared fastest */
    const char *fastest = strstr(text, "fastest: ");
    ck_assert_msg(fastest && strstr(text, "ms for the MLP GEMMs"), "%s", text);
    char params[256];
    ck_assert_msg(sscanf(fastest, "fastest: %255[^,]", params) == 1, "%s", text);
    free(text);

    snprintf(path, sizeof path, "%s/tuned/gemm-params.txt", dir);
    char *cache = nncl_test_slurp(path);
    /* one line: device, driver, kernel, parameters; params is "kernel params" */
    const char *space = strchr(params, ' ');
    ck_assert_ptr_nonnull(space);
    ck_assert_msg(strstr(cache, space + 1) != NULL, "cache lacks \"%s\":\n%s", space + 1, cache);
    free(cache);

    snprintf(cmd, sizeof cmd, "NNCL_CACHE_DIR=%s/tuned %s bench --quick --train-only --json --batches 128", dir,
             NNCL_CLI);
    text = run(cmd, 0);
    char want[400];
    snprintf(want, sizeof want, "\"gemm_params\": \"%s\", \"gemm_params_source\": \"tuned\"", params);
    ck_assert_msg(strstr(text, want) != NULL, "want %s in:\n%s", want, text);
    free(text);
}
END_TEST

static void device_cases(Suite *s)
{
    NNCL_TEST_CASE(s, "device", 600, tune_records_the_fastest_and_the_next_run_uses_it);
}

int main(int argc, char **argv) { return nncl_test_run("cli_bench", NULL, device_cases, argc, argv); }
