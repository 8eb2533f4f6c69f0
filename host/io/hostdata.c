/* Freeing a host data set (nncl__host_data) filled by the IDX or CSV readers. */
#include "io/hostdata.h"

#include <stdlib.h>
#include <string.h>

void nncl__host_data_free(nncl__host_data *d)
{
    if (!d) return;
    free(d->u8);
    free(d->f32);
    free(d->labels);
    free(d->targets);
    memset(d, 0, sizeof *d);
}
