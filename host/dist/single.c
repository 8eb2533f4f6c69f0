/* SPDX-License-Identifier: MIT */
/* The tool built without MPI: always one process alone. */
#include "dist/dist.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

int dist_init(int *argc, char ***argv, dist_world *w)
{
    (void)argc, (void)argv;
    memset(w, 0, sizeof *w);
    w->ranks = w->local_ranks = 1;
    if (gethostname(w->host, sizeof w->host) != 0) snprintf(w->host, sizeof w->host, "localhost");
    w->host[sizeof w->host - 1] = '\0';
    return 0;
}

void dist_finalize(const dist_world *w) { (void)w; }

int dist_abort(const dist_world *w, int rc)
{
    (void)w;
    return rc;
}

nncl_communicator dist_communicator(dist_world *w)
{
    (void)w;
    return nncl_communicator_defaults();
}

int dist_gather_lines(const dist_world *w, const char *line, char *all, size_t each)
{
    (void)w;
    if (all) snprintf(all, each, "%s", line);
    return 0;
}

const char *dist_last_error(void) { return ""; }

void dist_barrier(const dist_world *w) { (void)w; }
