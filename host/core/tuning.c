/* SPDX-License-Identifier: MIT */
/* GEMM tile shapes per device: defaults by device type, an override for
 * experiments (NNCL_GEMM_TILES), and a small on-disk cache of the shape that
 * `nncl bench --tune` measured fastest, keyed by device name and driver
 * version. Cache lines: "name<TAB>driver<TAB>TM<TAB>TN". */
#include "core/core.h"
#include "io/atomicfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Rows of C from which a row-major B is packed into panels (NNCL_GEMM_PACK_MIN_M
 * overrides it): from there packing costs no more than it saves, and a
 * training run then builds one GEMM kernel fewer, even for the short last
 * batch of an epoch; below it the copy shows. docs/PERFORMANCE.md ("Why the
 * GEMM paths are chosen as they are") has the measurements. */
#define PACK_MIN_M_DEFAULT 64

static int valid(int tm, int tn) { return tm >= 1 && tm <= 16 && (tn == 8 || tn == 16); }

/* The cache file's path; 0 when no home or cache directory is known. */
static int cache_path(char *dir, size_t dir_size, char *path, size_t path_size)
{
    const char *base = getenv("NNCL_CACHE_DIR");
    if (base && *base) {
        snprintf(dir, dir_size, "%s", base);
    } else if ((base = getenv("XDG_CACHE_HOME")) && *base) {
        snprintf(dir, dir_size, "%s/nncl", base);
    } else if ((base = getenv("HOME")) && *base) {
        snprintf(dir, dir_size, "%s/.cache/nncl", base);
    } else {
        return 0;
    }
    snprintf(path, path_size, "%s/tiles.txt", dir);
    return 1;
}

/* Reads the cached shape for this device, if any. */
static int cached_tiles(const nncl_context *ctx, int *tm, int *tn)
{
    char dir[2048], path[2100], line[512];
    if (!cache_path(dir, sizeof dir, path, sizeof path)) return 0;
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    int found = 0;
    while (!found && fgets(line, sizeof line, f)) {
        char *name = strtok(line, "\t"), *driver = strtok(NULL, "\t"), *m = strtok(NULL, "\t"),
             *n = strtok(NULL, "\t\n");
        if (name && driver && m && n && !strcmp(name, ctx->info.name) &&
            !strcmp(driver, ctx->info.driver_version)) {
            *tm = atoi(m);
            *tn = atoi(n);
            found = valid(*tm, *tn);
        }
    }
    fclose(f);
    return found;
}

void nncl__choose_tiles(nncl_context *ctx)
{
    nncl__gemm_tiles *t = &ctx->tiles;
    /* One work-item per work-group for the register-tiled GEMM: the driver
     * runs work-groups on its threads and each one is a plain loop. */
    t->wgx = t->wgy = 1;
    t->wg = ctx->info.type == NNCL_DEVICE_GPU ? 256 : 64;
    const char *tn_mode = getenv("NNCL_GEMM_TN"); /* "transpose", "direct"; else automatic */
    t->transpose_a = tn_mode && !strcmp(tn_mode, "transpose") ? NNCL__TN_TRANSPOSE
                     : tn_mode && !strcmp(tn_mode, "direct")  ? NNCL__TN_DIRECT
                                                    : NNCL__TN_AUTO;
    const char *pack = getenv("NNCL_GEMM_PACK_MIN_M");
    t->pack_min_m = pack ? (size_t)strtoul(pack, NULL, 10) : PACK_MIN_M_DEFAULT;
    /* 6 x 16: twelve 8-wide accumulators, two B vectors and a broadcast fill
     * the sixteen AVX2 registers, the shape of the classic AVX2 sgemm kernels
     * (docs/PERFORMANCE.md has the sweep). */
    t->tm = 6;
    t->tn = 16;
    t->source = "default";
    /* GPUs: 16 x 16 work-groups of 4 x 4 register blocks (64 x 64 outputs per
     * group), k in steps of 16 through local memory: 8.5 KB of local memory
     * and 16 accumulators per work-item, sizes every current GPU takes. */
    const char *kernel = getenv("NNCL_GEMM_KERNEL"); /* "local" or "register" */
    t->local_gemm = kernel ? !strcmp(kernel, "local") : ctx->info.type == NNCL_DEVICE_GPU;
    t->lwg = 16, t->lrb = 4, t->lkt = 16;
    if (t->local_gemm && ctx->info.max_work_group_size < 256) t->lwg = 8;
    int tm = 0, tn = 0, wgx = 1, wgy = 1;
    const char *env = getenv("NNCL_GEMM_TILES"); /* "TMxTN[xWGXxWGY]" */
    if (env && sscanf(env, "%dx%dx%dx%d", &tm, &tn, &wgx, &wgy) >= 2 && valid(tm, tn) && wgx >= 1 &&
        wgy >= 1 && wgx * wgy <= 256) {
        t->tm = tm, t->tn = tn, t->wgx = wgx, t->wgy = wgy;
        t->source = "NNCL_GEMM_TILES";
        return;
    }
    if (cached_tiles(ctx, &tm, &tn)) t->tm = tm, t->tn = tn, t->source = "tuned";
}

const char *nncl_context_tiles_source(const nncl_context *ctx) { return ctx ? ctx->tiles.source : ""; }

const char *nncl_context_tiles(const nncl_context *ctx)
{
    static _Thread_local char text[32];
    if (!ctx) return "";
    if (ctx->tiles.local_gemm)
        snprintf(text, sizeof text, "local %dx%d", ctx->tiles.lwg * ctx->tiles.lrb, ctx->tiles.lwg * ctx->tiles.lrb);
    else
        snprintf(text, sizeof text, "%dx%d", ctx->tiles.tm, ctx->tiles.tn);
    return text;
}

nncl_status nncl_context_save_tuning(const nncl_context *ctx)
{
    if (!ctx) return nncl__fail(NULL, NNCL_ERR_INVALID_ARG, "nncl_context_save_tuning: ctx is NULL");
    char dir[2048], path[2100], line[512];
    if (!cache_path(dir, sizeof dir, path, sizeof path))
        return nncl__fail(ctx, NNCL_ERR_IO, "tuning cache: set NNCL_CACHE_DIR or HOME");
    /* mkdir -p of the cache folder (two levels at most: ~/.cache/nncl). */
    char parent[2048];
    snprintf(parent, sizeof parent, "%s", dir);
    char *slash = strrchr(parent, '/');
    if (slash && slash != parent) {
        *slash = '\0';
        mkdir(parent, 0755);
    }
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return nncl__fail(ctx, NNCL_ERR_IO, "tuning cache %s: %s", dir, strerror(errno));
    nncl__atomic_file af;
    int e = nncl__atomic_open(&af, path);
    if (e) return nncl__fail(ctx, NNCL_ERR_IO, "tuning cache %s: %s", path, strerror(e));
    FILE *out = af.f, *in = fopen(path, "r");
    size_t name_len = strlen(ctx->info.name), driver_len = strlen(ctx->info.driver_version);
    while (in && fgets(line, sizeof line, in)) {
        /* Keep every other device's line. */
        int same = !strncmp(line, ctx->info.name, name_len) && line[name_len] == '\t' &&
                   !strncmp(line + name_len + 1, ctx->info.driver_version, driver_len) &&
                   line[name_len + 1 + driver_len] == '\t';
        if (!same) fputs(line, out);
    }
    if (in) fclose(in);
    fprintf(out, "%s\t%s\t%d\t%d\n", ctx->info.name, ctx->info.driver_version, ctx->tiles.tm, ctx->tiles.tn);
    const char *step = "";
    if ((e = nncl__atomic_commit(&af, &step)))
        return nncl__fail(ctx, NNCL_ERR_IO, "tuning cache %s: %s: %s", path, step, strerror(e));
    return NNCL_OK;
}
