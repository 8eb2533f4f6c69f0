/* SPDX-License-Identifier: MIT */
/* A small JSON reader (a tree of values) and writer helpers (a growing text
 * buffer, escaped strings), enough for safetensors headers. Internal. */
#ifndef NNCL_JSON_H
#define NNCL_JSON_H

#include "io/ioerr.h"

#include <stddef.h>
#include <stdint.h>

/* Objects and arrays nest at most this deep. */
#define NNCL__JSON_MAX_DEPTH 64

typedef enum {
    NNCL__JSON_NULL,
    NNCL__JSON_FALSE,
    NNCL__JSON_TRUE,
    NNCL__JSON_NUMBER,
    NNCL__JSON_STRING,
    NNCL__JSON_ARRAY,
    NNCL__JSON_OBJECT
} nncl__json_type;

typedef struct nncl__json nncl__json;
struct nncl__json {
    nncl__json_type type;
    int is_uint;       /* NUMBER: written as a non-negative integer that fits in uint64 */
    uint64_t uint;     /* NUMBER: the value when is_uint, else 0 */
    char *str;         /* STRING: decoded UTF-8, NUL-terminated (\u0000 is rejected) */
    size_t count;      /* ARRAY / OBJECT: number of members */
    char **keys;       /* OBJECT: member names in file order (duplicates kept) */
    nncl__json *items; /* ARRAY / OBJECT: member values in file order */
};

/* Parses exactly one value from text[0..len) (whitespace around it allowed,
 * anything else after it is an error). Strings must be valid UTF-8; escapes,
 * including \uXXXX and surrogate pairs, are decoded to UTF-8. On success fills
 * *out (free with nncl__json_free) and returns NNCL_OK; otherwise *out is a
 * NULL value, err gets "byte N: problem", and the status is NNCL_ERR_FORMAT or
 * NNCL_ERR_OUT_OF_MEMORY. */
nncl_status nncl__json_parse(const char *text, size_t len, nncl__json *out, char *err,
                             size_t errlen);
/* What a parse may build: a tree costs about 100 bytes a value, so a reader
 * that knows the most a valid document can hold says so, and a hostile one
 * fails after that many values instead of growing the tree. */
typedef struct {
    int max_depth;     /* nesting of objects and arrays, <= NNCL__JSON_MAX_DEPTH */
    size_t max_values; /* values of every kind, containers included */
} nncl__json_limits;
/* nncl__json_parse within limits; beyond them NNCL_ERR_FORMAT, "byte N: ...". */
nncl_status nncl__json_parse_limited(const char *text, size_t len, const nncl__json_limits *limits,
                                     nncl__json *out, char *err, size_t errlen);
/* Frees what v holds (not v itself) and makes it a NULL value. */
void nncl__json_free(nncl__json *v);
/* The first member of object obj called key, or NULL (also when obj is not an object). */
const nncl__json *nncl__json_get(const nncl__json *obj, const char *key);

/* 1 if s[0..n) is well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF). */
int nncl__json_utf8_valid(const char *s, size_t n);

/* A growing text buffer; after an allocation failure `failed` is set and
 * further appends do nothing. Start from {0}; free data when done. */
typedef struct {
    char *data; /* NUL-terminated when len > 0 */
    size_t len, cap;
    int failed;
} nncl__json_buf;

void nncl__json_put(nncl__json_buf *b, const char *s, size_t n);
void nncl__json_puts(nncl__json_buf *b, const char *s);
void nncl__json_put_uint(nncl__json_buf *b, uint64_t v);
/* s as a quoted JSON string: " and \ escaped, control characters as \n, \t,
 * ... or \u00XX, other bytes (UTF-8) copied as they are. */
void nncl__json_put_string(nncl__json_buf *b, const char *s);

#endif
