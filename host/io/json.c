/* SPDX-License-Identifier: MIT */
/* A small recursive-descent JSON parser building an nncl__json tree, UTF-8
 * validation, and the text buffer used to write JSON. See json.h. */
#include "io/json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const unsigned char *start, *p, *end;
    char *err;
    size_t errlen;
    nncl_status status;
    int depth, max_depth;
    size_t values, max_values;
} parser;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int fail(parser *ps, const char *fmt, ...)
{
    if (ps->status != NNCL_OK) return -1; /* keep the first message */
    ps->status = NNCL_ERR_FORMAT;
    if (ps->err && ps->errlen) {
        int n = snprintf(ps->err, ps->errlen, "byte %zu: ", (size_t)(ps->p - ps->start));
        if (n >= 0 && (size_t)n < ps->errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return -1;
}

static int fail_nomem(parser *ps)
{
    if (ps->status == NNCL_OK) {
        ps->status = NNCL_ERR_OUT_OF_MEMORY;
        if (ps->err && ps->errlen) snprintf(ps->err, ps->errlen, "out of memory");
    }
    return -1;
}

/* Describes the byte at p for a message: "'x'", "byte 0x01" or "end of input". */
static const char *describe(const parser *ps, char *buf, size_t n)
{
    if (ps->p >= ps->end) return "end of input";
    unsigned c = *ps->p;
    if (c >= 0x20 && c < 0x7f) snprintf(buf, n, "'%c'", (char)c);
    else snprintf(buf, n, "byte 0x%02x", c);
    return buf;
}

static int unexpected(parser *ps, const char *wanted)
{
    char b[16];
    return fail(ps, "expected %s, found %s", wanted, describe(ps, b, sizeof b));
}

/* Length of the well-formed UTF-8 sequence at s (n bytes available), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned lo = 0x80, hi = 0xbf; /* allowed range of the second byte */
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf) len = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        if (c == 0xe0) lo = 0xa0;      /* overlong */
        else if (c == 0xed) hi = 0x9f; /* surrogates */
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        if (c == 0xf0) lo = 0x90;      /* overlong */
        else if (c == 0xf4) hi = 0x8f; /* > U+10FFFF */
    } else {
        return 0;
    }
    if (n < len || s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < len; i++)
        if ((s[i] & 0xc0) != 0x80) return 0;
    return len;
}

int nncl__json_utf8_valid(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        size_t l = utf8_seq(u + i, n - i);
        if (!l) return 0;
        i += l;
    }
    return 1;
}

static void skip_ws(parser *ps)
{
    while (ps->p < ps->end &&
           (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static int hex4(parser *ps, unsigned *out)
{
    unsigned v = 0;
    if (ps->end - ps->p < 4) return fail(ps, "truncated \\u escape");
    for (int i = 0; i < 4; i++) {
        unsigned c = ps->p[i], d;
        if (c >= '0' && c <= '9') d = c - '0';
        else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
        else return fail(ps, "invalid hex digit in \\u escape");
        v = v * 16 + d;
    }
    ps->p += 4;
    *out = v;
    return 0;
}

static size_t put_utf8(unsigned char *o, unsigned cp)
{
    if (cp < 0x80) { o[0] = (unsigned char)cp; return 1; }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xc0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xe0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (unsigned char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (unsigned char)(0xf0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
    o[3] = (unsigned char)(0x80 | (cp & 0x3f));
    return 4;
}

/* The escape after a backslash (ps->p just past it), decoded into o. */
static int parse_escape(parser *ps, unsigned char *o, size_t *olen)
{
    if (ps->p >= ps->end) return fail(ps, "unterminated string");
    unsigned c = *ps->p++, cp = 0;
    switch (c) {
    case '"': case '\\': case '/': o[0] = (unsigned char)c; *olen = 1; return 0;
    case 'b': o[0] = '\b'; *olen = 1; return 0;
    case 'f': o[0] = '\f'; *olen = 1; return 0;
    case 'n': o[0] = '\n'; *olen = 1; return 0;
    case 'r': o[0] = '\r'; *olen = 1; return 0;
    case 't': o[0] = '\t'; *olen = 1; return 0;
    case 'u': break;
    default:
        ps->p--;
        return fail(ps, "invalid escape '\\%c'", (c >= 0x20 && c < 0x7f) ? (char)c : '?');
    }
    if (hex4(ps, &cp)) return -1;
    if (cp >= 0xd800 && cp <= 0xdbff) {
        unsigned lo = 0;
        if (ps->end - ps->p < 2 || ps->p[0] != '\\' || ps->p[1] != 'u')
            return fail(ps, "high surrogate \\u%04X without a low surrogate", cp);
        ps->p += 2;
        if (hex4(ps, &lo)) return -1;
        if (lo < 0xdc00 || lo > 0xdfff)
            return fail(ps, "high surrogate \\u%04X followed by \\u%04X", cp, lo);
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
    } else if (cp >= 0xdc00 && cp <= 0xdfff) {
        return fail(ps, "lone low surrogate \\u%04X", cp);
    } else if (cp == 0) {
        return fail(ps, "\\u0000 in a string is not supported");
    }
    *olen = put_utf8(o, cp);
    return 0;
}

/* A string; ps->p is at the opening quote. *out is malloc'd on success. */
static int parse_string(parser *ps, char **out)
{
    *out = NULL;
    ps->p++;
    /* Decoded text is never longer than the raw text: find the end first. */
    const unsigned char *q = ps->p;
    while (q < ps->end && *q != '"') q += (*q == '\\' && ps->end - q > 1) ? 2 : 1;
    if (q >= ps->end) return fail(ps, "unterminated string");
    unsigned char *s = malloc((size_t)(q - ps->p) + 1);
    if (!s) return fail_nomem(ps);
    size_t n = 0;
    while (*ps->p != '"') {
        unsigned c = *ps->p;
        if (c == '\\') {
            size_t l = 0;
            ps->p++;
            if (parse_escape(ps, s + n, &l)) { free(s); return -1; }
            n += l;
        } else if (c < 0x20) {
            free(s);
            return fail(ps, "unescaped control character 0x%02x in a string", c);
        } else {
            size_t l = utf8_seq(ps->p, (size_t)(ps->end - ps->p));
            if (!l) { free(s); return fail(ps, "invalid UTF-8 in a string"); }
            memcpy(s + n, ps->p, l);
            n += l;
            ps->p += l;
        }
    }
    ps->p++;
    s[n] = '\0';
    *out = (char *)s;
    return 0;
}

static int is_digit(const parser *ps) { return ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9'; }

static int parse_number(parser *ps, nncl__json *out)
{
    int neg = 0, integral = 1, overflow = 0;
    uint64_t v = 0;
    out->type = NNCL__JSON_NUMBER;
    if (*ps->p == '-') { neg = 1; ps->p++; }
    if (!is_digit(ps)) return unexpected(ps, "a digit");
    if (*ps->p == '0') {
        ps->p++;
        if (is_digit(ps)) return fail(ps, "leading zero in a number");
    } else {
        while (is_digit(ps)) {
            unsigned d = (unsigned)(*ps->p++ - '0');
            if (v > (UINT64_MAX - d) / 10) overflow = 1;
            else v = v * 10 + d;
        }
    }
    if (ps->p < ps->end && *ps->p == '.') {
        integral = 0;
        ps->p++;
        if (!is_digit(ps)) return unexpected(ps, "a digit after '.'");
        while (is_digit(ps)) ps->p++;
    }
    if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
        integral = 0;
        ps->p++;
        if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-')) ps->p++;
        if (!is_digit(ps)) return unexpected(ps, "a digit in the exponent");
        while (is_digit(ps)) ps->p++;
    }
    out->is_uint = !neg && integral && !overflow;
    out->uint = out->is_uint ? v : 0;
    return 0;
}

static int parse_value(parser *ps, nncl__json *out);

/* Appends v (and key, for objects) to out; on failure frees them. */
static int append(parser *ps, nncl__json *out, size_t *cap, char *key, nncl__json *v)
{
    if (out->count == *cap) {
        size_t nc = *cap ? *cap * 2 : 4;
        nncl__json *items = realloc(out->items, nc * sizeof *items);
        if (items) out->items = items;
        char **keys = NULL;
        if (items && out->type == NNCL__JSON_OBJECT) {
            keys = realloc(out->keys, nc * sizeof *keys);
            if (keys) out->keys = keys;
        }
        if (!items || (out->type == NNCL__JSON_OBJECT && !keys)) {
            free(key);
            nncl__json_free(v);
            return fail_nomem(ps);
        }
        *cap = nc;
    }
    if (out->type == NNCL__JSON_OBJECT) out->keys[out->count] = key;
    out->items[out->count++] = *v;
    return 0;
}

/* An array or object; ps->p is at '[' or '{'. */
static int parse_container(parser *ps, nncl__json *out, int object)
{
    char close = object ? '}' : ']';
    size_t cap = 0;
    out->type = object ? NNCL__JSON_OBJECT : NNCL__JSON_ARRAY;
    if (++ps->depth > ps->max_depth) return fail(ps, "nesting deeper than %d levels", ps->max_depth);
    ps->p++;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == close) {
        ps->p++;
        ps->depth--;
        return 0;
    }
    for (;;) {
        char *key = NULL;
        nncl__json v;
        memset(&v, 0, sizeof v);
        skip_ws(ps);
        if (object) {
            if (ps->p >= ps->end || *ps->p != '"') return unexpected(ps, "a string key");
            if (parse_string(ps, &key)) return -1;
            skip_ws(ps);
            if (ps->p >= ps->end || *ps->p != ':') { free(key); return unexpected(ps, "':'"); }
            ps->p++;
            skip_ws(ps);
        }
        if (parse_value(ps, &v)) { free(key); nncl__json_free(&v); return -1; }
        if (append(ps, out, &cap, key, &v)) return -1;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') { ps->p++; continue; }
        if (ps->p < ps->end && *ps->p == close) { ps->p++; break; }
        return unexpected(ps, object ? "',' or '}'" : "',' or ']'");
    }
    ps->depth--;
    return 0;
}

static int literal(parser *ps, const char *word, nncl__json_type type, nncl__json *out)
{
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
        return unexpected(ps, "a JSON value");
    ps->p += n;
    out->type = type;
    return 0;
}

static int parse_value(parser *ps, nncl__json *out)
{
    if (ps->p >= ps->end) return unexpected(ps, "a JSON value");
    if (++ps->values > ps->max_values)
        return fail(ps, "more than %zu values, the most this document can hold", ps->max_values);
    switch (*ps->p) {
    case '{': return parse_container(ps, out, 1);
    case '[': return parse_container(ps, out, 0);
    case '"': out->type = NNCL__JSON_STRING; return parse_string(ps, &out->str);
    case 't': return literal(ps, "true", NNCL__JSON_TRUE, out);
    case 'f': return literal(ps, "false", NNCL__JSON_FALSE, out);
    case 'n': return literal(ps, "null", NNCL__JSON_NULL, out);
    default:
        if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9')) return parse_number(ps, out);
        return unexpected(ps, "a JSON value");
    }
}

nncl_status nncl__json_parse(const char *text, size_t len, nncl__json *out, char *err,
                             size_t errlen)
{
    const nncl__json_limits unlimited = {NNCL__JSON_MAX_DEPTH, SIZE_MAX};
    return nncl__json_parse_limited(text, len, &unlimited, out, err, errlen);
}

nncl_status nncl__json_parse_limited(const char *text, size_t len, const nncl__json_limits *limits,
                                     nncl__json *out, char *err, size_t errlen)
{
    parser ps;
    ps.max_depth = limits->max_depth < NNCL__JSON_MAX_DEPTH ? limits->max_depth : NNCL__JSON_MAX_DEPTH;
    ps.values = 0;
    ps.max_values = limits->max_values;
    ps.start = ps.p = (const unsigned char *)text;
    ps.end = ps.start + len;
    ps.err = err;
    ps.errlen = errlen;
    ps.status = NNCL_OK;
    ps.depth = 0;
    memset(out, 0, sizeof *out);
    if (err && errlen) err[0] = '\0';
    skip_ws(&ps);
    if (parse_value(&ps, out) == 0) {
        skip_ws(&ps);
        if (ps.p != ps.end) {
            char b[16];
            fail(&ps, "unexpected %s after the JSON value", describe(&ps, b, sizeof b));
        }
    }
    if (ps.status != NNCL_OK) nncl__json_free(out);
    return ps.status;
}

void nncl__json_free(nncl__json *v)
{
    if (!v) return;
    for (size_t i = 0; i < v->count; i++) {
        if (v->keys) free(v->keys[i]);
        nncl__json_free(&v->items[i]);
    }
    free(v->keys);
    free(v->items);
    free(v->str);
    memset(v, 0, sizeof *v);
}

const nncl__json *nncl__json_get(const nncl__json *obj, const char *key)
{
    if (!obj || obj->type != NNCL__JSON_OBJECT) return NULL;
    for (size_t i = 0; i < obj->count; i++)
        if (strcmp(obj->keys[i], key) == 0) return &obj->items[i];
    return NULL;
}

/* ---- writing ---- */

void nncl__json_put(nncl__json_buf *b, const char *s, size_t n)
{
    if (b->failed) return;
    if (n >= b->cap - b->len || !b->data) {
        size_t nc = b->cap ? b->cap : 256;
        while (nc - b->len <= n) {
            if (nc > SIZE_MAX / 2) { b->failed = 1; return; }
            nc *= 2;
        }
        char *d = realloc(b->data, nc);
        if (!d) { b->failed = 1; return; }
        b->data = d;
        b->cap = nc;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void nncl__json_puts(nncl__json_buf *b, const char *s) { nncl__json_put(b, s, strlen(s)); }

void nncl__json_put_uint(nncl__json_buf *b, uint64_t v)
{
    char tmp[24];
    size_t i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    nncl__json_put(b, tmp + i, sizeof tmp - i);
}

void nncl__json_put_string(nncl__json_buf *b, const char *s)
{
    nncl__json_put(b, "\"", 1);
    const char *run = s; /* start of bytes copied as they are */
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[8];
        const char *e = NULL;
        switch (c) {
        case '"': e = "\\\""; break;
        case '\\': e = "\\\\"; break;
        case '\b': e = "\\b"; break;
        case '\f': e = "\\f"; break;
        case '\n': e = "\\n"; break;
        case '\r': e = "\\r"; break;
        case '\t': e = "\\t"; break;
        default:
            if (c < 0x20) {
                snprintf(esc, sizeof esc, "\\u%04x", c);
                e = esc;
            }
        }
        if (e) {
            nncl__json_put(b, run, (size_t)(s - run));
            nncl__json_puts(b, e);
            run = s + 1;
        }
    }
    nncl__json_put(b, run, (size_t)(s - run));
    nncl__json_put(b, "\"", 1);
}
