/* SPDX-License-Identifier: MIT */
/* The benchmark's peers (OpenBLAS, CLBlast), loaded on demand with dlopen by
 * `nncl bench` alone: linked into the tool, OpenBLAS started its threads in
 * every command, and under a low memory limit (ulimit -v 150000) one of them
 * spun on a failed malloc and kept even `nncl --version` from exiting. The
 * headers give the types; the calls go through the pointers below, under the
 * libraries' own names, so bench.c reads as if they were linked. */
#ifndef NNCL_CLI_PEERS_H
#define NNCL_CLI_PEERS_H

#ifdef NNCL_HAVE_OPENBLAS
#include <cblas.h>
typedef void (*cli_sgemm_fn)(enum CBLAS_ORDER, enum CBLAS_TRANSPOSE, enum CBLAS_TRANSPOSE, blasint, blasint,
                             blasint, float, const float *, blasint, const float *, blasint, float, float *,
                             blasint);
extern cli_sgemm_fn cli_peer_cblas_sgemm;
extern void (*cli_peer_openblas_set_num_threads)(int);
extern char *(*cli_peer_openblas_get_corename)(void);
#define cblas_sgemm (*cli_peer_cblas_sgemm)
#define openblas_set_num_threads (*cli_peer_openblas_set_num_threads)
#define openblas_get_corename (*cli_peer_openblas_get_corename)
#endif

#ifdef NNCL_HAVE_CLBLAST
#include <clblast_c.h>
typedef CLBlastStatusCode (*cli_clblast_sgemm_fn)(CLBlastLayout, CLBlastTranspose, CLBlastTranspose, size_t, size_t,
                                                  size_t, float, cl_mem, size_t, size_t, cl_mem, size_t, size_t,
                                                  float, cl_mem, size_t, size_t, cl_command_queue *, cl_event *);
extern cli_clblast_sgemm_fn cli_peer_CLBlastSgemm;
#define CLBlastSgemm (*cli_peer_CLBlastSgemm)
#endif

/* Loads the peers nncl was built with; 0, or 1 after saying on stderr which
 * library or symbol is missing. */
int cli_peers_load(void);

#endif
