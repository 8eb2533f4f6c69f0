/* SPDX-License-Identifier: MIT */
/* nncl devices: the table of OpenCL devices, the GEMM parameters a context
 * on each would be built with, and which device would be chosen; under
 * mpirun, which rank takes which device. */
#include "cli.h"
#include "dist/dist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *type_name(nncl_device_type t)
{
    switch (t) {
    case NNCL_DEVICE_CPU: return "cpu";
    case NNCL_DEVICE_GPU: return "gpu";
    case NNCL_DEVICE_ACCELERATOR: return "accel";
    default: return "other";
    }
}

/* Where a device's GEMM parameters come from (nncl_device_gemm_params's
 * source), in words. */
static const char *params_origin(const char *source)
{
    if (!strcmp(source, "default")) return "defaults for this device; `nncl bench --tune` tunes";
    if (!strcmp(source, "tuned")) return "tuning cache, from `nncl bench --tune`";
    if (!strcmp(source, "NNCL_GEMM_PARAMS") || !strcmp(source, "NNCL_GEMM_TILES")) return "environment";
    return source;
}

/* The indented second line of device i: its GEMM parameters and their
 * origin. Returns 1 where they cannot be resolved (a GEMM environment
 * variable that is not valid: no context can be made there), with the
 * reason in error when error is not NULL. */
static int print_gemm_params(int i, char *error, size_t error_size)
{
    char params[96];
    const char *source = "";
    if (nncl_device_gemm_params(i, params, sizeof params, &source) != NNCL_OK) {
        if (error) snprintf(error, error_size, "device %d: %s", i, nncl_last_error(NULL));
        printf("      gemm: none, no context can be made here (below)\n");
        return 1;
    }
    /* The environment names itself: "NNCL_GEMM_PARAMS (environment)". */
    if (!strncmp(source, "NNCL_", 5)) printf("      gemm: %s (%s in the %s)\n", params, source, params_origin(source));
    else printf("      gemm: %s (%s)\n", params, params_origin(source));
    return 0;
}

static int is_index(const char *spec)
{
    if (!spec || !*spec) return 0;
    for (const char *c = spec; *c; c++)
        if (*c < '0' || *c > '9') return 0;
    return 1;
}

int cli_rank_device(const char *spec, int local_rank, char *out, size_t size)
{
    if (!spec) spec = getenv("NNCL_DEVICE");
    int count = 0, chosen = -1;
    nncl_status st = nncl_device_count(&count);
    if (!st) st = nncl_device_select(spec, &chosen);
    if (st) return cli_fail(NULL, st, "choosing this rank's device");
    nncl_device_info first;
    if ((st = nncl_device_get_info(chosen, &first))) return cli_fail(NULL, st, "device info");
    int candidates[64], n = 0;
    for (int k = 0; k < count && n < 64; k++) { /* from the chosen one on, wrapping around */
        int i = (chosen + k) % count;
        nncl_device_info d;
        if (nncl_device_get_info(i, &d)) continue;
        if (i == chosen || (!is_index(spec) && d.type == first.type && !strcmp(d.platform, first.platform)))
            candidates[n++] = i;
    }
    snprintf(out, size, "%d", candidates[local_rank % n]);
    return 0;
}

/* Under mpirun: one line per rank, printed by rank 0 in rank order. */
static int rank_table(dist_world *w)
{
    char device[32], line[256];
    int rc = cli_rank_device(NULL, w->local_rank, device, sizeof device);
    nncl_device_info d;
    memset(&d, 0, sizeof d);
    if (!rc) nncl_device_get_info(atoi(device), &d);
    snprintf(line, sizeof line, "rank %d (node %s, local rank %d of %d): %s", w->rank, w->host, w->local_rank,
             w->local_ranks, rc ? "no device" : "");
    if (!rc) snprintf(line + strlen(line), sizeof line - strlen(line), "device %s, %s", device, d.name);
    enum { EACH = 256 };
    char *all = w->rank == 0 ? calloc((size_t)w->ranks, EACH) : NULL;
    if (w->rank == 0 && !all) return cli_fail(NULL, NNCL_ERR_OUT_OF_MEMORY, "the rank table");
    int gathered = dist_gather_lines(w, line, all, EACH);
    if (all) {
        printf("\n");
        for (int r = 0; r < w->ranks && !gathered; r++) printf("%s\n", all + (size_t)r * EACH);
        if (gathered) fprintf(stderr, "nncl devices: %s\n", dist_last_error());
        free(all);
    }
    return rc || gathered;
}

/* The device table alone (one process); cli_devices adds the ranks. */
static int list_devices(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            puts("usage: nncl devices\n\nLists every OpenCL device; '*' marks the one nncl "
                 "would use\n(NNCL_DEVICE=gpu|cpu|INDEX|NAME chooses another). Under each device, the GEMM\n"
                 "parameters a context there is built with and where they come from: the\n"
                 "defaults for the device, the tuning cache that `nncl bench --tune` fills\n"
                 "(gemm-params.txt in $NNCL_CACHE_DIR, else $XDG_CACHE_HOME/nncl, else\n"
                 "~/.cache/nncl), or NNCL_GEMM_PARAMS / NNCL_GEMM_TILES in the environment.");
            return 0;
        }
        return cli_usage_error("devices", "unknown option \"%s\"", argv[i]);
    }
    int count = 0;
    nncl_status st = nncl_device_count(&count);
    if (st != NNCL_OK) return cli_fail(NULL, st, "listing devices");
    int chosen = -1;
    nncl_status select_st = nncl_device_select(NULL, &chosen);
    char select_error[1024];
    snprintf(select_error, sizeof select_error, "%s", nncl_last_error(NULL));

    char params_error[1100] = "";
    printf("   # type  compute-units  global-MiB  local-KiB  OpenCL-C  device (platform)\n");
    for (int i = 0; i < count; i++) {
        nncl_device_info d;
        if ((st = nncl_device_get_info(i, &d)) != NNCL_OK) return cli_fail(NULL, st, "device info");
        printf(" %s %2d %-5s %13u %11llu %10llu  %-8s  %s (%s)\n", i == chosen ? "*" : " ", i,
               type_name(d.type), d.compute_units,
               (unsigned long long)(d.global_mem_bytes >> 20),
               (unsigned long long)(d.local_mem_bytes >> 10),
               strncmp(d.opencl_c_version, "OpenCL C ", 9) ? d.opencl_c_version
                                                          : d.opencl_c_version + 9,
               d.name, d.platform);
        /* the first device's reason is kept: the variable is the same for all */
        print_gemm_params(i, *params_error ? NULL : params_error, sizeof params_error);
    }
    if (select_st != NNCL_OK) {
        fprintf(stderr, "nncl devices: %s\n", select_error);
        return 1;
    }
    const char *env = getenv("NNCL_DEVICE");
    /* a GEMM variable that is not valid: no context can be made */
    printf("\nnncl %s device %d%s%s%s\n", *params_error ? "would use" : "uses", chosen,
           env ? " (NNCL_DEVICE=" : " (first GPU, else first CPU", env ? env : "", ")");
    if (*params_error) {
        fprintf(stderr, "nncl devices: %s\n", params_error);
        return 1;
    }
    return 0;
}

int cli_devices(int argc, char **argv)
{
    dist_world w;
    if (dist_init(&argc, &argv, &w)) return 1;
    int rc = w.rank == 0 ? list_devices(argc, argv) : 0;
    if (w.ranks > 1) {
        dist_barrier(&w);
        rc |= rank_table(&w);
    }
    dist_finalize(&w);
    return rc;
}
