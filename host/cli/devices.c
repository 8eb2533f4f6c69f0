/* SPDX-License-Identifier: MIT */
/* nncl devices: the table of OpenCL devices and which one would be chosen. */
#include "cli.h"

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

int cli_devices(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            puts("usage: nncl devices\n\nLists every OpenCL device; '*' marks the one nncl "
                 "would use\n(NNCL_DEVICE=gpu|cpu|INDEX|NAME chooses another).");
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
    }
    if (select_st != NNCL_OK) {
        fprintf(stderr, "nncl devices: %s\n", select_error);
        return 1;
    }
    const char *env = getenv("NNCL_DEVICE");
    printf("\nnncl uses device %d%s%s%s\n", chosen, env ? " (NNCL_DEVICE=" : " (first GPU, else first CPU",
           env ? env : "", ")");
    return 0;
}
