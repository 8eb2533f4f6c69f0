/* SPDX-License-Identifier: MIT */
/* Freeing a host data set (nncl__host_data) filled by the IDX or CSV readers,
 * and copying its name lists. */
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
    free(d->col_names);
    free(d->label_name);
    free(d->class_names);
    memset(d, 0, sizeof *d);
}

char **nncl__names_dup(char *const *names, size_t n)
{
    if (!names || n == 0) return NULL;
    size_t bytes = n * sizeof(char *);
    for (size_t i = 0; i < n; i++) bytes += strlen(names[i]) + 1;
    char **copy = malloc(bytes);
    if (!copy) return NULL;
    char *text = (char *)(copy + n);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(names[i]) + 1;
        copy[i] = memcpy(text, names[i], len);
        text += len;
    }
    return copy;
}

int nncl__host_data_copy_names(nncl__host_data *dst, const nncl__host_data *src)
{
    dst->col_names = nncl__names_dup(src->col_names, src->col_names ? src->cols : 0);
    dst->class_names =
        nncl__names_dup(src->class_names, src->class_names ? (size_t)src->classes : 0);
    dst->label_name = NULL;
    if (src->label_name) {
        size_t len = strlen(src->label_name) + 1;
        dst->label_name = malloc(len);
        if (dst->label_name) memcpy(dst->label_name, src->label_name, len);
    }
    if ((src->col_names && !dst->col_names) || (src->class_names && !dst->class_names) ||
        (src->label_name && !dst->label_name)) {
        free(dst->col_names);
        free(dst->class_names);
        free(dst->label_name);
        dst->col_names = dst->class_names = NULL;
        dst->label_name = NULL;
        return -1;
    }
    return 0;
}
