/* SPDX-License-Identifier: MIT */
/* dlopen of the benchmark's peers; see peers.h. */
#include "peers.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#ifdef NNCL_HAVE_OPENBLAS
cli_sgemm_fn cli_peer_cblas_sgemm;
void (*cli_peer_openblas_set_num_threads)(int);
char *(*cli_peer_openblas_get_corename)(void);
#endif
#ifdef NNCL_HAVE_CLBLAST
cli_clblast_sgemm_fn cli_peer_CLBlastSgemm;
#endif

#if defined(NNCL_HAVE_OPENBLAS) || defined(NNCL_HAVE_CLBLAST)
/* The library by its soname, else by the file found at build time. */
static void *open_peer(const char *soname, const char *built)
{
    void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!h) h = dlopen(built, RTLD_NOW | RTLD_LOCAL);
    if (!h) fprintf(stderr, "nncl bench: cannot load %s (nncl was built with it): %s\n", soname, dlerror());
    return h;
}

/* A symbol of h into *fn (a function pointer's storage); 0 or 1. */
static int symbol(void *h, const char *name, void *fn)
{
    void *p = dlsym(h, name);
    if (!p) {
        fprintf(stderr, "nncl bench: %s not found: %s\n", name, dlerror());
        return 1;
    }
    memcpy(fn, &p, sizeof p); /* POSIX: a data pointer from dlsym holds a function's address */
    return 0;
}
#endif

int cli_peers_load(void)
{
    int failed = 0;
#ifdef NNCL_HAVE_OPENBLAS
    void *blas = open_peer("libopenblas.so.0", NNCL_OPENBLAS_FILE);
    failed |= !blas;
    if (blas) {
        failed |= symbol(blas, "cblas_sgemm", &cli_peer_cblas_sgemm);
        failed |= symbol(blas, "openblas_set_num_threads", &cli_peer_openblas_set_num_threads);
        failed |= symbol(blas, "openblas_get_corename", &cli_peer_openblas_get_corename);
    }
#endif
#ifdef NNCL_HAVE_CLBLAST
    void *clblast = open_peer("libclblast.so.1", NNCL_CLBLAST_FILE);
    failed |= !clblast;
    if (clblast) failed |= symbol(clblast, "CLBlastSgemm", &cli_peer_CLBlastSgemm);
#endif
    return failed;
}
