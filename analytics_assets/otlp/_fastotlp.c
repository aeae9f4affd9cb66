/* OTLP/JSON trace and log request lines straight to the columns of raw.otlp_spans and raw.otlp_logs.
 *
 * Why C: polars decodes a span's ~1.8 kB of JSON at ~20 us and flattens it at ~8 us (a log record:
 * ~11 + ~6 us); DuckDB's insert of the row costs ~6 us; 150 k records/s on two cores leaves < 7 us
 * for everything but the insert (README, Benchmarks). This decoder reads a line once and writes
 * the flat columns.
 *
 * It is a fast path, not a second definition: flatten.py stays the reference. A line is taken
 * here only when every value in it is of a form whose result is certain to equal the polars
 * path's (plain strings, integers, doubles as JSON numbers or plain decimal text, known AnyValue
 * kinds, no duplicate fields ...). Anything else -- a line of metrics, an unknown kind, a value
 * that does not fit its column, broken JSON, a control character, invalid UTF-8 -- is *declined*:
 * the line is handed back, whole, to the polars path, which decodes, quarantines and reports it as
 * before. tests/test_fast_otlp.py holds both paths equal.
 *
 * Output: tables of column buffers (spans, logs, resources, scopes) plus a child table of zen
 * tools; Python (fast_otlp.py) turns them into Arrow arrays without copying them again. A log
 * record's key is left to flatten.py's own _key_src, from the raw texts and the attribute
 * fingerprint written here. Parsing runs without the GIL: two shaping threads decode two batches
 * at once.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#ifdef FASTOTLP_DEBUG
static int declined_at;
#define DECLINE (declined_at = __LINE__, -1)
#else
#define DECLINE (-1)
#endif
#define NOMEM (-2)
#define TRY(x) do { int _r = (x); if (_r) return _r; } while (0)

/* ---- growable buffers and columns ------------------------------------------------------- */

typedef struct { char *p; size_t len, cap; } Buf;

static inline int buf_reserve(Buf *b, size_t extra) {
    if (b->len + extra <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra) cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) return NOMEM;
    b->p = p;
    b->cap = cap;
    return 0;
}

static inline int buf_put(Buf *b, const void *src, size_t n) {
    TRY(buf_reserve(b, n));
    memcpy(b->p + b->len, src, n);
    b->len += n;
    return 0;
}

enum { C_STR, C_I64, C_F64, C_I32, C_BOOL };  /* C_BOOL: data is a bitmap, as Arrow's */

typedef struct {
    const char *name;
    int kind;
    Buf data, offs, bits;  /* offs: int64 string offsets (Arrow large_string), bits: validity */
    size_t nulls;
} Col;

typedef struct {
    Col *cols;
    int ncols;
    int64_t rows;
} Table;

static inline int col_valid(Col *c, int64_t row, int valid) {
    size_t byte = (size_t)(row >> 3);
    if (c->bits.len <= byte) {
        TRY(buf_reserve(&c->bits, byte + 1 - c->bits.len));
        memset(c->bits.p + c->bits.len, 0, byte + 1 - c->bits.len);
        c->bits.len = byte + 1;
    }
    if (valid) c->bits.p[byte] |= (char)(1u << (row & 7));
    else { c->bits.p[byte] &= (char)~(1u << (row & 7)); c->nulls++; }
    return 0;
}

/* A string cell is written in pieces: str_open, any number of buf_put on ->data, str_close. */
static inline int str_close(Col *c, int64_t row, int valid) {
    int64_t end = (int64_t)c->data.len;
    if (c->offs.len == 0) { int64_t zero = 0; TRY(buf_put(&c->offs, &zero, 8)); }
    TRY(buf_put(&c->offs, &end, 8));
    return col_valid(c, row, valid);
}

static inline int put_str(Col *c, int64_t row, const char *s, size_t n, int valid) {
    if (valid) TRY(buf_put(&c->data, s, n));
    return str_close(c, row, valid);
}

static inline int put_i64(Col *c, int64_t row, int64_t v, int valid) {
    if (!valid) v = 0;
    TRY(buf_put(&c->data, &v, 8));
    return col_valid(c, row, valid);
}

static inline int put_i32(Col *c, int64_t row, int32_t v, int valid) {
    if (!valid) v = 0;
    TRY(buf_put(&c->data, &v, 4));
    return col_valid(c, row, valid);
}

static inline int put_f64(Col *c, int64_t row, double v, int valid) {
    if (!valid) v = 0;
    TRY(buf_put(&c->data, &v, 8));
    return col_valid(c, row, valid);
}

static inline int put_bool(Col *c, int64_t row, int v, int valid) {
    size_t byte = (size_t)(row >> 3);
    if (c->data.len <= byte) {
        TRY(buf_reserve(&c->data, byte + 1 - c->data.len));
        memset(c->data.p + c->data.len, 0, byte + 1 - c->data.len);
        c->data.len = byte + 1;
    }
    if (valid && v) c->data.p[byte] |= (char)(1u << (row & 7));
    else c->data.p[byte] &= (char)~(1u << (row & 7));
    return col_valid(c, row, valid);
}

typedef struct { size_t data, offs, nulls; } ColMark;

/* ---- strings and values as read from the line ------------------------------------------- */

typedef struct { const char *p; size_t n; int present; } Str;  /* present = 0: null or absent */

enum { V_EMPTY, V_STR, V_INT, V_DBL, V_BOOL };

typedef struct {
    Str key;
    int kind;
    Str text;      /* V_STR: the decoded string; V_INT/V_DBL/V_BOOL: the literal or string as written */
    int64_t ival;  /* V_INT */
    double dval;   /* V_DBL */
    int quoted;    /* the value was a JSON string (polars keeps its text; a number it writes anew) */
    int modeled;   /* a key with a column of its own (set by find_modeled): not in the rest's JSON */
    int bval;      /* V_BOOL */
} Attr;

typedef struct {
    const char *p, *end;
    char *arena;       /* decoded and lowercased strings of the current line (2 x the longest line) */
    size_t arena_len, arena_cap;
    Attr *attrs;
    size_t nattrs, attrs_cap;
} Parser;

static inline void ws(Parser *ps) {
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\r' || *ps->p == '\t')) ps->p++;
}

static inline int expect(Parser *ps, char c) {
    ws(ps);
    if (ps->p >= ps->end || *ps->p != c) return DECLINE;
    ps->p++;
    return 0;
}

/* 1 when the next non-blank byte is c (and consumes it), else 0. */
static inline int peek_take(Parser *ps, char c) {
    ws(ps);
    if (ps->p < ps->end && *ps->p == c) { ps->p++; return 1; }
    return 0;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Length of a valid UTF-8 sequence starting at s (lead byte >= 0x80), 0 when invalid. */
static size_t utf8_len(const unsigned char *s, const unsigned char *end) {
    unsigned char c = s[0];
    size_t n;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) { n = 2; cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { n = 3; cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 4; cp = c & 0x07; }
    else return 0;
    if ((size_t)(end - s) < n) return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF))) return 0;
    return n;
}

/* A JSON string at ps->p (after blanks). Escapes are decoded into the arena; a string without
 * them is a view into the line. Declines raw control characters, invalid UTF-8, surrogates. */
static int parse_string(Parser *ps, Str *out) {
    ws(ps);
    if (ps->p >= ps->end || *ps->p != '"') return DECLINE;
    const char *s = ++ps->p;
    const char *q = s;
#ifdef __SSE2__
    /* 16 bytes at a time to the first quote, backslash, control or non-ASCII byte (signed < 0x20) */
    while (ps->end - q >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)q);
        __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
                                   _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));
        int mask = _mm_movemask_epi8(hit);
        if (mask) { q += __builtin_ctz((unsigned)mask); break; }
        q += 16;
    }
#endif
    while (q < ps->end) {
        unsigned char c = (unsigned char)*q;
        if (c == '"') { out->p = s; out->n = (size_t)(q - s); out->present = 1; ps->p = q + 1; return 0; }
        if (c == '\\') break;
        if (c < 0x20) return DECLINE;
        if (c >= 0x80) {
            size_t n = utf8_len((const unsigned char *)q, (const unsigned char *)ps->end);
            if (!n) return DECLINE;
            q += n;
        } else q++;
    }
    if (q >= ps->end) return DECLINE;
    /* escapes: copy into the arena (a decoded string is never longer than its text) */
    if (ps->arena_len + (size_t)(ps->end - s) > ps->arena_cap) return DECLINE;
    char *dst = ps->arena + ps->arena_len, *start = dst;
    memcpy(dst, s, (size_t)(q - s));
    dst += q - s;
    while (q < ps->end) {
        unsigned char c = (unsigned char)*q;
        if (c == '"') break;
        if (c < 0x20) return DECLINE;
        if (c == '\\') {
            if (q + 1 >= ps->end) return DECLINE;
            char e = q[1];
            q += 2;
            switch (e) {
                case '"': *dst++ = '"'; break;
                case '\\': *dst++ = '\\'; break;
                case '/': *dst++ = '/'; break;
                case 'b': *dst++ = '\b'; break;
                case 'f': *dst++ = '\f'; break;
                case 'n': *dst++ = '\n'; break;
                case 'r': *dst++ = '\r'; break;
                case 't': *dst++ = '\t'; break;
                case 'u': {
                    if (ps->end - q < 4) return DECLINE;
                    int h0 = hexval(q[0]), h1 = hexval(q[1]), h2 = hexval(q[2]), h3 = hexval(q[3]);
                    if (h0 < 0 || h1 < 0 || h2 < 0 || h3 < 0) return DECLINE;
                    uint32_t cp = (uint32_t)(h0 << 12 | h1 << 8 | h2 << 4 | h3);
                    q += 4;
                    if (cp >= 0xD800 && cp <= 0xDFFF) return DECLINE;  /* pairs: left to the reference path */
                    if (cp == 0) return DECLINE;
                    if (cp < 0x80) *dst++ = (char)cp;
                    else if (cp < 0x800) { *dst++ = (char)(0xC0 | cp >> 6); *dst++ = (char)(0x80 | (cp & 0x3F)); }
                    else { *dst++ = (char)(0xE0 | cp >> 12); *dst++ = (char)(0x80 | ((cp >> 6) & 0x3F)); *dst++ = (char)(0x80 | (cp & 0x3F)); }
                    break;
                }
                default: return DECLINE;
            }
        } else if (c >= 0x80) {
            size_t n = utf8_len((const unsigned char *)q, (const unsigned char *)ps->end);
            if (!n) return DECLINE;
            memcpy(dst, q, n);
            dst += n;
            q += n;
        } else *dst++ = (char)*q++;
    }
    if (q >= ps->end) return DECLINE;
    ps->p = q + 1;
    out->p = start;
    out->n = (size_t)(dst - start);
    out->present = 1;
    ps->arena_len += out->n;
    return 0;
}

/* A JSON number literal: its text, and whether it is a plain integer (no fraction, no exponent). */
static int parse_number(Parser *ps, Str *out, int *is_int) {
    ws(ps);
    const char *s = ps->p, *q = s;
    if (q < ps->end && *q == '-') q++;
    if (q >= ps->end || *q < '0' || *q > '9') return DECLINE;
    if (*q == '0' && q + 1 < ps->end && q[1] >= '0' && q[1] <= '9') return DECLINE;  /* leading zero */
    while (q < ps->end && *q >= '0' && *q <= '9') q++;
    *is_int = 1;
    if (q < ps->end && *q == '.') {
        *is_int = 0;
        q++;
        if (q >= ps->end || *q < '0' || *q > '9') return DECLINE;
        while (q < ps->end && *q >= '0' && *q <= '9') q++;
    }
    if (q < ps->end && (*q == 'e' || *q == 'E')) {
        *is_int = 0;
        q++;
        if (q < ps->end && (*q == '+' || *q == '-')) q++;
        if (q >= ps->end || *q < '0' || *q > '9') return DECLINE;
        while (q < ps->end && *q >= '0' && *q <= '9') q++;
    }
    out->p = s;
    out->n = (size_t)(q - s);
    out->present = 1;
    ps->p = q;
    return 0;
}

static inline int take_lit(Parser *ps, const char *lit, size_t n) {
    ws(ps);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, lit, n) != 0) return 0;
    ps->p += n;
    return 1;
}
#define take_literal(ps, lit) take_lit(ps, lit, sizeof(lit) - 1)

/* An integer the way polars casts text to Int64 (strict=False): optional sign, digits, within
 * int64 (nanosecond times take 19 digits). Anything else declines, and so does "-0" (not worth
 * knowing what the reference writes back for it). */
static int int_of_text(const char *s, size_t n, int64_t *out) {
    size_t i = 0;
    int neg = 0;
    if (i < n && (s[i] == '+' || s[i] == '-')) { neg = s[i] == '-'; i++; }
    if (i >= n || n - i > 19) return DECLINE;
    uint64_t v = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return DECLINE;
        v = v * 10 + (uint64_t)(s[i] - '0');  /* 19 digits fit in uint64 */
    }
    if (v > (uint64_t)INT64_MAX || (neg && v == 0)) return DECLINE;
    *out = neg ? -(int64_t)v : (int64_t)v;
    return 0;
}

/* A double from text in JSON's number grammar only (polars also reads "inf", ".5", "5." ...:
 * those decline). strtod rounds correctly, as polars' parser does. */
static int double_of_text(const char *s, size_t n, double *out) {
    if (n == 0 || n > 64) return DECLINE;
    char tmp[72];
    Parser sub = {s, s + n, NULL, 0, 0, NULL, 0, 0};
    Str lit;
    int is_int;
    if (parse_number(&sub, &lit, &is_int) || sub.p != s + n) {
        /* JSON grammar aside, allow a leading '+' or leading zeros? No: decline. */
        return DECLINE;
    }
    /* Exact fast path (Clinger): up to 15 significant digits and a power of ten up to 22 are
     * exact doubles, and one multiplication or division of them is correctly rounded. */
    {
        const char *q = s;
        int neg = 0, exp10 = 0, digits = 0;
        uint64_t m = 0;
        if (*q == '-') { neg = 1; q++; }
        for (; q < s + n && *q >= '0' && *q <= '9'; q++) { m = m * 10 + (uint64_t)(*q - '0'); if (m) digits++; if (digits > 15) break; }
        if (digits <= 15 && q < s + n && *q == '.') {
            for (q++; q < s + n && *q >= '0' && *q <= '9'; q++) { m = m * 10 + (uint64_t)(*q - '0'); exp10--; if (m) digits++; if (digits > 15) break; }
        }
        if (digits <= 15 && q == s + n && exp10 >= -22) {
            static const double P10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
                                         1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
            double v = (double)m / P10[-exp10];
            *out = neg ? -v : v;
            return 0;
        }
    }
    memcpy(tmp, s, n);
    tmp[n] = 0;
    char *endp;
    double v = strtod(tmp, &endp);
    if (endp != tmp + n || !isfinite(v)) return DECLINE;
    *out = v;
    return 0;
}

/* ---- doubles as polars writes them (Float64 cast to String) --------------------------------
 * Shortest round-trip digits; plain notation for 1e-5 <= |x| < 1e16 ("0.00001", "1000000000000000.0",
 * ".0" after an integer), else "1e+16", "9.9e-6", "1.2345678901234568e+17". Checked against polars on
 * random doubles (tests/test_fast_otlp.py). */

/* Significant digits (no leading or trailing zeros) and decimal exponent e (x = d0.d1d2... 10^e) of a
 * number in JSON grammar with at most 15 of them: exactly the shortest digits of the double it
 * parses to (two decimals of <= 15 digits never parse to one double). -1: more digits, or odd. */
static int literal_digits(const char *s, size_t n, char *digits, int *e) {
    const char *q = s, *end = s + n;
    char raw[400];
    int nraw = 0, int_len = 0;
    long x = 0;
    if (q < end && *q == '-') q++;
    for (; q < end && *q >= '0' && *q <= '9'; q++) { if (nraw == 400) return -1; raw[nraw++] = *q; int_len++; }
    if (q < end && *q == '.') for (q++; q < end && *q >= '0' && *q <= '9'; q++) { if (nraw == 400) return -1; raw[nraw++] = *q; }
    if (q < end && (*q == 'e' || *q == 'E')) {
        q++;
        int neg = 0;
        if (q < end && (*q == '+' || *q == '-')) neg = *q++ == '-';
        for (; q < end && *q >= '0' && *q <= '9'; q++) { x = x * 10 + (*q - '0'); if (x > 1000) return -1; }
        if (neg) x = -x;
    }
    if (q != end) return -1;
    int z = 0;
    while (z < nraw && raw[z] == '0') z++;
    int last = nraw;
    while (last > z && raw[last - 1] == '0') last--;
    int nd = last - z;
    if (nd > 15) return -1;
    memcpy(digits, raw + z, (size_t)nd);
    *e = (int)(int_len + x - z - 1);
    return nd;
}

/* The same for any finite double, by printf: the closest 15-digit decimal when it round-trips, else
 * the closest 16-digit one, else 17. -1 where a 16-digit decimal other than the closest round-trips
 * (the shortest digits then are not the closest's: not worth settling). */
static int printed_digits(double v, char *digits, int *e) {
    char buf[48];
    for (int p = 14; p <= 16; p++) {
        snprintf(buf, sizeof buf, "%.*e", p, v);
        if (strtod(buf, NULL) != v) {
            if (p == 15) {
                char *ep = strchr(buf, 'e');
                long long m = 0;
                for (char *c = buf; c < ep; c++) if (*c >= '0' && *c <= '9') m = m * 10 + (*c - '0');
                int x = atoi(ep + 1) - 15;
                for (int d = -1; d <= 1; d += 2) {
                    char near[48];
                    snprintf(near, sizeof near, "%llde%d", m + d, x);
                    if (strtod(near, NULL) == v) return -1;
                }
            }
            continue;
        }
        int nd = 0;
        char *c = buf;
        for (; *c && *c != 'e'; c++) if (*c >= '0' && *c <= '9') digits[nd++] = *c;
        while (nd > 1 && digits[nd - 1] == '0') nd--;
        *e = atoi(c + 1);
        return nd;
    }
    return -1;
}

static int put_float_text(Buf *b, double v, const char *lit, size_t litn) {
    char digits[400];
    int e = 0, nd = -1;
    if (!isfinite(v)) return DECLINE;
    if (v == 0) return signbit(v) ? buf_put(b, "-0.0", 4) : buf_put(b, "0.0", 3);
    if (lit) nd = literal_digits(lit, litn, digits, &e);
    if (nd <= 0) nd = printed_digits(fabs(v), digits, &e);
    if (nd <= 0) return DECLINE;
    TRY(buf_reserve(b, (size_t)nd + 32));
    char *d = b->p + b->len, *start = d;
    if (v < 0) *d++ = '-';
    if (e >= 16 || e < -5) {
        *d++ = digits[0];
        if (nd > 1) { *d++ = '.'; memcpy(d, digits + 1, (size_t)nd - 1); d += nd - 1; }
        d += sprintf(d, "e%c%d", e < 0 ? '-' : '+', e < 0 ? -e : e);
    } else if (e >= 0) {
        for (int i = 0; i <= e; i++) *d++ = i < nd ? digits[i] : '0';
        *d++ = '.';
        if (nd > e + 1) { memcpy(d, digits + e + 1, (size_t)(nd - e - 1)); d += nd - e - 1; }
        else *d++ = '0';
    } else {
        *d++ = '0';
        *d++ = '.';
        for (int i = 0; i < -e - 1; i++) *d++ = '0';
        memcpy(d, digits, (size_t)nd);
        d += nd;
    }
    b->len += (size_t)(d - start);
    return 0;
}

/* Skip any JSON value. A skipped object key that ends in "Value" declines: the reference path
 * routes such lines its own way (unknown AnyValue kinds), and it is not worth telling apart. */
static int skip_value(Parser *ps, int depth) {
    if (depth > 64) return DECLINE;
    ws(ps);
    if (ps->p >= ps->end) return DECLINE;
    char c = *ps->p;
    Str s;
    if (c == '"') return parse_string(ps, &s);
    if (c == '{') {
        ps->p++;
        if (peek_take(ps, '}')) return 0;
        for (;;) {
            TRY(parse_string(ps, &s));
            if (s.n >= 5 && memcmp(s.p + s.n - 5, "Value", 5) == 0) return DECLINE;
            TRY(expect(ps, ':'));
            TRY(skip_value(ps, depth + 1));
            if (peek_take(ps, ',')) continue;
            return expect(ps, '}');
        }
    }
    if (c == '[') {
        ps->p++;
        if (peek_take(ps, ']')) return 0;
        for (;;) {
            TRY(skip_value(ps, depth + 1));
            if (peek_take(ps, ',')) continue;
            return expect(ps, ']');
        }
    }
    if (take_literal(ps, "true") || take_literal(ps, "false") || take_literal(ps, "null")) return 0;
    int is_int;
    return parse_number(ps, &s, &is_int);
}

/* Equal keys of n bytes: the last 8 bytes first (modeled keys differ mostly at their end). */
static inline int same_key(const char *a, const char *b, size_t n) {
    if (n >= 8) {
        uint64_t x, y;
        memcpy(&x, a + n - 8, 8);
        memcpy(&y, b + n - 8, 8);
        if (x != y) return 0;
    }
    return memcmp(a, b, n) == 0;
}

/* A key against a string literal (its length known at compile time: most keys differ in length). */
#define key_is(k, lit) ((k).n == sizeof(lit) - 1 && memcmp((k).p, lit, sizeof(lit) - 1) == 0)

/* A string field (or null). */
static int field_string(Parser *ps, Str *out) {
    if (take_literal(ps, "null")) { out->present = 0; return 0; }
    return parse_string(ps, out);
}

/* An integer-ish field polars decodes to a String: a string, an integer literal, or null. */
static int field_int_text(Parser *ps, Str *out) {
    ws(ps);
    if (take_literal(ps, "null")) { out->present = 0; return 0; }
    if (ps->p < ps->end && *ps->p == '"') return parse_string(ps, out);
    int is_int;
    TRY(parse_number(ps, out, &is_int));
    return is_int ? 0 : DECLINE;
}

/* The members of a JSON object: `...` runs for each with `k` its key, after the ':', and reads the
 * value. (Every reader below is one of these loops; the macro keeps the punctuation in one place.) */
#define FOR_MEMBERS(ps, k, ...)                        \
    do {                                               \
        TRY(expect(ps, '{'));                          \
        if (!peek_take(ps, '}')) {                     \
            for (;;) {                                 \
                Str k;                                 \
                TRY(parse_string(ps, &k));             \
                TRY(expect(ps, ':'));                  \
                __VA_ARGS__                            \
                if (peek_take(ps, ',')) continue;      \
                TRY(expect(ps, '}'));                  \
                break;                                 \
            }                                          \
        }                                              \
    } while (0)

/* A record's field read once: a second one declines (`seen`, `bit`: the reader's own). */
#define FIELD(nm, b, stmt) else if (key_is(k, nm)) { bit = b; if (seen & bit) return DECLINE; stmt; }

/* ---- AnyValue and attribute lists ------------------------------------------------------- */

static int parse_any_value(Parser *ps, Attr *a) {
    a->kind = V_EMPTY;
    a->text.present = 0;
    if (take_literal(ps, "null")) return 0;
    TRY(expect(ps, '{'));
    if (peek_take(ps, '}')) return 0;
    Str k;
    TRY(parse_string(ps, &k));
    TRY(expect(ps, ':'));
    ws(ps);
    if (key_is(k, "stringValue")) {
        if (take_literal(ps, "null")) a->kind = V_EMPTY;
        else { TRY(parse_string(ps, &a->text)); a->kind = V_STR; }
    } else if (key_is(k, "intValue")) {
        if (take_literal(ps, "null")) a->kind = V_EMPTY;
        else {
            if (ps->p < ps->end && *ps->p == '"') TRY(parse_string(ps, &a->text));
            else { int is_int; TRY(parse_number(ps, &a->text, &is_int)); if (!is_int) return DECLINE; }
            TRY(int_of_text(a->text.p, a->text.n, &a->ival));
            a->kind = V_INT;
        }
    } else if (key_is(k, "doubleValue")) {
        if (take_literal(ps, "null")) a->kind = V_EMPTY;
        else {
            a->quoted = ps->p < ps->end && *ps->p == '"';
            if (a->quoted) TRY(parse_string(ps, &a->text));
            else { int is_int; TRY(parse_number(ps, &a->text, &is_int)); }
            TRY(double_of_text(a->text.p, a->text.n, &a->dval));
            a->kind = V_DBL;
        }
    } else if (key_is(k, "boolValue")) {
        if (take_literal(ps, "true")) { a->bval = 1; a->kind = V_BOOL; }
        else if (take_literal(ps, "false")) { a->bval = 0; a->kind = V_BOOL; }
        else if (take_literal(ps, "null")) a->kind = V_EMPTY;
        else return DECLINE;
    } else return DECLINE;  /* bytesValue, arrayValue, kvlistValue, unknown kinds: the reference path */
    return expect(ps, '}');  /* a second kind in one AnyValue declines too */
}

/* An attribute list into ps->attrs (appended). */
static int parse_attributes(Parser *ps) {
    if (take_literal(ps, "null")) return 0;
    TRY(expect(ps, '['));
    if (peek_take(ps, ']')) return 0;
    for (;;) {
        if (ps->nattrs == ps->attrs_cap) {
            size_t cap = ps->attrs_cap ? ps->attrs_cap * 2 : 64;
            Attr *p = realloc(ps->attrs, cap * sizeof(Attr));
            if (!p) return NOMEM;
            ps->attrs = p;
            ps->attrs_cap = cap;
        }
        Attr *a = &ps->attrs[ps->nattrs];
        memset(a, 0, sizeof *a);
        int have_key = 0, have_value = 0;
        FOR_MEMBERS(ps, k, {
            if (key_is(k, "key")) {
                if (have_key) return DECLINE;
                have_key = 1;
                TRY(parse_string(ps, &a->key));  /* a null key declines */
            } else if (key_is(k, "value")) {
                if (have_value) return DECLINE;
                have_value = 1;
                TRY(parse_any_value(ps, a));
            } else TRY(skip_value(ps, 1));
        });
        if (!have_key) return DECLINE;
        ps->nattrs++;
        if (peek_take(ps, ',')) continue;
        return expect(ps, ']');
    }
}

static int is_tool_key(Str k) { return k.n >= 10 && memcmp(k.p, "zen.tools.", 10) == 0; }
static int never_stored(Str k) { return key_is(k, "prompt") || key_is(k, "tool_parameters") || key_is(k, "tool_input"); }

/* A string as polars' json_encode writes it. */
static int json_string(Buf *b, const char *s, size_t n) {
    TRY(buf_reserve(b, n * 6 + 2));
    char *d = b->p + b->len;
    *d++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"') { *d++ = '\\'; *d++ = '"'; }
        else if (c == '\\') { *d++ = '\\'; *d++ = '\\'; }
        else if (c < 0x20) {
            *d++ = '\\';
            switch (c) {
                case '\b': *d++ = 'b'; break;
                case '\f': *d++ = 'f'; break;
                case '\n': *d++ = 'n'; break;
                case '\r': *d++ = 'r'; break;
                case '\t': *d++ = 't'; break;
                default: {
                    static const char hex[] = "0123456789abcdef";
                    *d++ = 'u'; *d++ = '0'; *d++ = '0'; *d++ = hex[c >> 4]; *d++ = hex[c & 15];
                }
            }
        } else *d++ = (char)c;
    }
    *d++ = '"';
    b->len = (size_t)(d - b->p);
    return 0;
}

/* An attribute's value as JSON text, as attributes.with_json writes it. */
static int put_value_json(Buf *b, const Attr *a) {
    char num[32];
    switch (a->kind) {
        case V_STR: return json_string(b, a->text.p, a->text.n);
        case V_INT: return buf_put(b, num, (size_t)snprintf(num, sizeof num, "%lld", (long long)a->ival));
        case V_BOOL: return buf_put(b, a->bval ? "true" : "false", a->bval ? 4 : 5);
        case V_DBL: return put_float_text(b, a->dval, a->text.p, a->text.n);
        default: return buf_put(b, "null", 4);
    }
}

/* The JSON object of the attributes not modeled ("{}" when none), as typed_attributes writes it:
 * after find_modeled marked the modeled ones; `skip_tools`: zen.tools.* keys left out too (spans). */
static int rest_json(Col *c, int64_t row, Attr *attrs, size_t n, int skip_tools) {
    TRY(buf_put(&c->data, "{", 1));
    int first = 1;
    for (size_t i = 0; i < n; i++) {
        Attr *a = &attrs[i];
        if (never_stored(a->key) || a->modeled || (skip_tools && is_tool_key(a->key))) continue;
        if (!first) TRY(buf_put(&c->data, ",", 1));
        first = 0;
        TRY(json_string(&c->data, a->key.p, a->key.n));
        TRY(buf_put(&c->data, ":", 1));
        TRY(put_value_json(&c->data, a));
    }
    TRY(buf_put(&c->data, "}", 1));
    return str_close(c, row, 1);
}

/* ---- modeled attributes --------------------------------------------------------------- */

enum { T_STR, T_I64, T_F64, T_BOOL };
typedef struct { const char *key; int type; int col; size_t n; } Modeled;
#define M(key, type, col) {key, type, col, sizeof(key) - 1}

/* A modeled attribute's value into its column, as typed_attributes casts the value's text. */
static int put_modeled(Col *c, int64_t row, int type, const Attr *a) {
    if (!a || a->kind == V_EMPTY) {
        if (type == T_STR) return put_str(c, row, NULL, 0, 0);
        if (type == T_I64) return put_i64(c, row, 0, 0);
        if (type == T_BOOL) return put_bool(c, row, 0, 0);
        return put_f64(c, row, 0, 0);
    }
    if (type == T_BOOL) {  /* "true"/"false" in any case, as attributes._cast reads them */
        if (a->kind == V_BOOL) return put_bool(c, row, a->bval, 1);
        if (a->kind != V_STR || (a->text.n != 4 && a->text.n != 5)) return DECLINE;
        char low[5];
        for (size_t i = 0; i < a->text.n; i++) low[i] = (char)(a->text.p[i] >= 'A' && a->text.p[i] <= 'Z' ? a->text.p[i] + 32 : a->text.p[i]);
        if (a->text.n == 4 && memcmp(low, "true", 4) == 0) return put_bool(c, row, 1, 1);
        if (a->text.n == 5 && memcmp(low, "false", 5) == 0) return put_bool(c, row, 0, 1);
        return DECLINE;
    }
    if (type == T_STR) {
        if (a->kind == V_STR || a->kind == V_INT) return put_str(c, row, a->text.p, a->text.n, 1);
        if (a->kind == V_BOOL) return put_str(c, row, a->bval ? "true" : "false", a->bval ? 4 : 5, 1);
        return DECLINE;
    }
    if (type == T_I64) {
        int64_t v;
        if (a->kind == V_INT) v = a->ival;
        else if (a->kind == V_STR) TRY(int_of_text(a->text.p, a->text.n, &v));
        else return DECLINE;
        return put_i64(c, row, v, 1);
    }
    double d;
    if (a->kind == V_DBL) d = a->dval;
    else if (a->kind == V_INT) {
        if (a->ival > (INT64_C(1) << 53) || a->ival < -(INT64_C(1) << 53)) return DECLINE;
        d = (double)a->ival;
    } else if (a->kind == V_STR) TRY(double_of_text(a->text.p, a->text.n, &d));
    else return DECLINE;
    return put_f64(c, row, d, 1);
}

/* The attribute of each modeled key (found[j]: NULL when absent), each marked modeled; a modeled key
 * twice declines. */
static int find_modeled(const Modeled *m, int nm, Attr *attrs, size_t n, const Attr **found) {
    for (int j = 0; j < nm; j++) found[j] = NULL;
    for (size_t i = 0; i < n; i++) {
        if (never_stored(attrs[i].key)) continue;
        for (int j = 0; j < nm; j++) {
            if (attrs[i].key.n == m[j].n && same_key(attrs[i].key.p, m[j].key, m[j].n)) {
                if (found[j]) return DECLINE;
                found[j] = &attrs[i];
                attrs[i].modeled = 1;
                break;
            }
        }
    }
    return 0;
}

/* ---- the tables ----------------------------------------------------------------------- */

enum {
    S_LINE, S_RESOURCE, S_SCOPE, S_TRACE_ID, S_SPAN_ID, S_PARENT_SPAN_ID, S_SPAN_NAME, S_SPAN_KIND, S_START, S_END,
    S_DURATION, S_STATUS_CODE, S_STATUS_MESSAGE, S_TRACE_STATE, S_EVENT_COUNT, S_LINK_COUNT,
    S_ZEN_COMMAND, S_ZEN_COMMAND_TYPE, S_ZEN_STATUS, S_ZEN_DURATION_MS, S_ZEN_WORKSPACE_HASH, S_ZEN_SESSION_HASH,
    S_ZEN_BATCH_ID, S_TOK_INPUT, S_TOK_OUTPUT, S_TOK_CACHE_READ, S_TOK_CACHE_CREATION, S_TOK_TOOLS, S_TOK_TOTAL,
    S_COST_INPUT, S_COST_OUTPUT, S_COST_CACHE_READ, S_COST_CACHE_CREATION, S_COST_TOTAL, S_SESSION_ID,
    S_TOOLS_END, S_ATTRIBUTES, S_EVENT_DATE, S_KEY, S_NCOLS
};

static const Modeled SPAN_MODELED[] = {
    M("zen.instance.command", T_STR, S_ZEN_COMMAND),
    M("zen.instance.command_type", T_STR, S_ZEN_COMMAND_TYPE),
    M("zen.instance.status", T_STR, S_ZEN_STATUS),
    M("zen.instance.duration_ms", T_F64, S_ZEN_DURATION_MS),
    M("zen.workspace.hash", T_STR, S_ZEN_WORKSPACE_HASH),
    M("zen.session.hash", T_STR, S_ZEN_SESSION_HASH),
    M("zen.batch.id", T_STR, S_ZEN_BATCH_ID),
    M("zen.tokens.input", T_I64, S_TOK_INPUT),
    M("zen.tokens.output", T_I64, S_TOK_OUTPUT),
    M("zen.tokens.cache_read", T_I64, S_TOK_CACHE_READ),
    M("zen.tokens.cache_creation", T_I64, S_TOK_CACHE_CREATION),
    M("zen.tokens.tools", T_I64, S_TOK_TOOLS),
    M("zen.tokens.total", T_I64, S_TOK_TOTAL),
    M("zen.cost.usd_input", T_F64, S_COST_INPUT),
    M("zen.cost.usd_output", T_F64, S_COST_OUTPUT),
    M("zen.cost.usd_cache_read", T_F64, S_COST_CACHE_READ),
    M("zen.cost.usd_cache_creation", T_F64, S_COST_CACHE_CREATION),
    M("zen.cost.usd_total", T_F64, S_COST_TOTAL),
    M("session.id", T_STR, S_SESSION_ID),
};
#define N_SPAN_MODELED ((int)(sizeof SPAN_MODELED / sizeof SPAN_MODELED[0]))

enum { R_SERVICE_NAME, R_SERVICE_VERSION, R_HOST_NAME, R_OS_TYPE, R_ATTRIBUTES, R_NCOLS };
static const Modeled RESOURCE_MODELED[] = {
    M("service.name", T_STR, R_SERVICE_NAME),
    M("service.version", T_STR, R_SERVICE_VERSION),
    M("host.name", T_STR, R_HOST_NAME),
    M("os.type", T_STR, R_OS_TYPE),
};
#define N_RESOURCE_MODELED 4

enum { SC_NAME, SC_VERSION, SC_ATTRIBUTES, SC_NCOLS };
enum { T_TOOL, T_INVOCATIONS, T_TOKENS, T_NCOLS };

static const char *SPAN_NAMES[S_NCOLS] = {
    "_line", "_resource", "_scope", "trace_id", "span_id", "parent_span_id", "span_name", "span_kind", "start_time",
    "end_time", "duration_ms", "status_code", "status_message", "trace_state", "event_count", "link_count",
    "zen_command", "zen_command_type", "zen_status", "zen_duration_ms", "zen_workspace_hash", "zen_session_hash",
    "zen_batch_id", "zen_tokens_input", "zen_tokens_output", "zen_tokens_cache_read", "zen_tokens_cache_creation",
    "zen_tokens_tools", "zen_tokens_total", "zen_cost_usd_input", "zen_cost_usd_output", "zen_cost_usd_cache_read",
    "zen_cost_usd_cache_creation", "zen_cost_usd_total", "session_id", "_tools_end", "attributes", "event_date",
    "record_key_src",
};
static int span_kind_of(int i) {
    switch (i) {
        case S_LINE: case S_RESOURCE: case S_SCOPE: case S_EVENT_COUNT: case S_LINK_COUNT: case S_EVENT_DATE: return C_I32;
        case S_START: case S_END: case S_TOOLS_END: case S_TOK_INPUT: case S_TOK_OUTPUT: case S_TOK_CACHE_READ:
        case S_TOK_CACHE_CREATION: case S_TOK_TOOLS: case S_TOK_TOTAL: return C_I64;
        case S_DURATION: case S_ZEN_DURATION_MS: case S_COST_INPUT: case S_COST_OUTPUT: case S_COST_CACHE_READ:
        case S_COST_CACHE_CREATION: case S_COST_TOTAL: return C_F64;
        default: return C_STR;
    }
}
static const char *RESOURCE_NAMES[R_NCOLS] = {"service_name", "service_version", "host_name", "os_type", "resource_attributes"};
static const char *SCOPE_NAMES[SC_NCOLS] = {"scope_name", "scope_version", "scope_attributes"};
static const char *TOOL_NAMES[T_NCOLS] = {"tool", "invocations", "tokens"};

typedef struct {
    Table spans, logs, resources, scopes, tools;
    int logs_signal;  /* the request being read: 0 traces, 1 logs */
    Buf scratch;      /* a log record's "key=value" fingerprint parts */
    Parser ps;
    int32_t line;
    int32_t resource, scope;  /* the current entries' row numbers */
} Ctx;

static int table_init(Table *t, const char **names, int n, int (*kind)(int), int fixed_kind) {
    t->cols = calloc((size_t)n, sizeof(Col));
    if (!t->cols) return NOMEM;
    t->ncols = n;
    t->rows = 0;
    for (int i = 0; i < n; i++) {
        t->cols[i].name = names[i];
        t->cols[i].kind = kind ? kind(i) : fixed_kind;
    }
    return 0;
}

static void table_free(Table *t) {
    if (!t->cols) return;
    for (int i = 0; i < t->ncols; i++) { free(t->cols[i].data.p); free(t->cols[i].offs.p); free(t->cols[i].bits.p); }
    free(t->cols);
    t->cols = NULL;
}


static void table_mark(Table *t, ColMark *marks) {
    for (int i = 0; i < t->ncols; i++) { marks[i].data = t->cols[i].data.len; marks[i].offs = t->cols[i].offs.len; marks[i].nulls = t->cols[i].nulls; }
}

static void table_reset(Table *t, ColMark *marks, int64_t rows) {
    t->rows = rows;
    for (int i = 0; i < t->ncols; i++) {
        t->cols[i].data.len = marks[i].data;
        t->cols[i].offs.len = marks[i].offs;
        t->cols[i].nulls = marks[i].nulls;
    }
}

/* ---- records -------------------------------------------------------------------------- */

static int lower_ascii(Parser *ps, Str *s) {
    /* Into the arena, lowercased; non-ASCII declines (polars lowercases by Unicode). */
    if (ps->arena_len + s->n > ps->arena_cap) return DECLINE;
    char *d = ps->arena + ps->arena_len;
    for (size_t i = 0; i < s->n; i++) {
        unsigned char c = (unsigned char)s->p[i];
        if (c >= 0x80) return DECLINE;
        d[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    s->p = d;
    ps->arena_len += s->n;
    return 0;
}

static int put_hex_id(Ctx *x, Table *t, int col, Str s) {
    Col *c = &t->cols[col];
    if (!s.present || s.n == 0) return put_str(c, t->rows, NULL, 0, 0);
    TRY(lower_ascii(&x->ps, &s));
    return put_str(c, t->rows, s.p, s.n, 1);
}

/* kind / status code as flatten._enum: lowercase, strip the enum prefix, numbers to names. */
static int put_enum(Ctx *x, int col, Str s, const char *prefix, const char *const *names, int nnames) {
    Col *c = &x->spans.cols[col];
    if (!s.present) { s.p = "0"; s.n = 1; s.present = 1; }
    TRY(lower_ascii(&x->ps, &s));
    size_t pl = strlen(prefix);
    /* the reference strips any of the three prefixes; only these two occur for spans, and the
       third ("aggregation_temporality_") is declined rather than reasoned about */
    if (s.n >= 24 && memcmp(s.p, "aggregation_temporality_", 24) == 0) return DECLINE;
    const char *other = strcmp(prefix, "span_kind_") == 0 ? "status_code_" : "span_kind_";
    size_t ol = strlen(other);
    if (s.n >= pl && memcmp(s.p, prefix, pl) == 0) { s.p += pl; s.n -= pl; }
    else if (s.n >= ol && memcmp(s.p, other, ol) == 0) { s.p += ol; s.n -= ol; }
    if (s.n == 1 && s.p[0] >= '0' && s.p[0] - '0' < nnames) {
        const char *name = names[s.p[0] - '0'];
        return put_str(c, x->spans.rows, name, strlen(name), 1);
    }
    return put_str(c, x->spans.rows, s.p, s.n, 1);
}

static const char *const SPAN_KINDS[] = {"unspecified", "internal", "server", "client", "producer", "consumer"};
static const char *const STATUS_CODES[] = {"unset", "ok", "error"};

/* Count the elements of an array of objects (events, links); null counts 0. The reference decodes
 * one field of each (`field`: an event's name, a link's spanId) as a string, and fails the line
 * when it is an object or an array: then this declines. */
static int count_objects(Parser *ps, int32_t *n, const char *field, size_t field_n) {
    *n = 0;
    if (take_literal(ps, "null")) return 0;
    TRY(expect(ps, '['));
    if (peek_take(ps, ']')) return 0;
    for (;;) {
        int seen = 0;
        FOR_MEMBERS(ps, k, {
            if (k.n == field_n && memcmp(k.p, field, field_n) == 0) {
                if (seen++) return DECLINE;
                ws(ps);
                if (ps->p < ps->end && (*ps->p == '{' || *ps->p == '[')) return DECLINE;
            }
            TRY(skip_value(ps, 2));
        });
        (*n)++;
        if (peek_take(ps, ',')) continue;
        return expect(ps, ']');
    }
}


typedef struct { const char *tool; size_t n; int64_t inv, tok; int has_inv, has_tok; } Tool;

static int tool_cmp(const void *a, const void *b) {
    const Tool *x = a, *y = b;
    size_t n = x->n < y->n ? x->n : y->n;
    int r = memcmp(x->tool, y->tool, n);
    if (r) return r;
    return (x->n > y->n) - (x->n < y->n);
}

static int emit_tools(Ctx *x, Attr *attrs, size_t n) {
    Tool tools[64];
    int nt = 0;
    for (size_t i = 0; i < n; i++) {
        Attr *a = &attrs[i];
        if (never_stored(a->key) || !is_tool_key(a->key)) continue;
        const char *rest = a->key.p + 10;
        size_t rn = a->key.n - 10;
        const char *dot = memchr(rest, '.', rn);
        if (!dot) continue;  /* no tool part: not a tool row */
        size_t mn = (size_t)(dot - rest);
        int inv = mn == 11 && memcmp(rest, "invocations", 11) == 0;
        int tok = mn == 6 && memcmp(rest, "tokens", 6) == 0;
        if (!inv && !tok) continue;
        double d;
        if (a->kind == V_INT) {
            if (a->ival > (INT64_C(1) << 53)) return DECLINE;
            d = (double)a->ival;
        } else if (a->kind == V_DBL) d = a->dval;
        else if (a->kind == V_STR) TRY(double_of_text(a->text.p, a->text.n, &d));
        else return DECLINE;  /* not a count: the reference path reports it */
        if (d < 0 || d != floor(d) || d > 9007199254740992.0) return DECLINE;
        const char *tool = dot + 1;
        size_t tn = rn - mn - 1;
        int j;
        for (j = 0; j < nt; j++) if (tools[j].n == tn && memcmp(tools[j].tool, tool, tn) == 0) break;
        if (j == nt) {
            if (nt == 64) return DECLINE;
            tools[nt] = (Tool){tool, tn, 0, 0, 0, 0};
            nt++;
        }
        if (inv && !tools[j].has_inv) { tools[j].inv = (int64_t)d; tools[j].has_inv = 1; }
        if (tok && !tools[j].has_tok) { tools[j].tok = (int64_t)d; tools[j].has_tok = 1; }
    }
    qsort(tools, (size_t)nt, sizeof(Tool), tool_cmp);
    for (int j = 0; j < nt; j++) {
        int64_t r = x->tools.rows;
        TRY(put_str(&x->tools.cols[T_TOOL], r, tools[j].tool, tools[j].n, 1));
        TRY(put_i64(&x->tools.cols[T_INVOCATIONS], r, tools[j].inv, tools[j].has_inv));
        TRY(put_i64(&x->tools.cols[T_TOKENS], r, tools[j].tok, tools[j].has_tok));
        x->tools.rows++;
    }
    /* the list's end offset; no tool rows: a null list (the reference's left join) */
    Col *end = &x->spans.cols[S_TOOLS_END];
    int64_t at = x->tools.rows;  /* written even when null: list offsets must not go back */
    TRY(buf_put(&end->data, &at, 8));
    return col_valid(end, x->spans.rows, nt > 0);
}

static int64_t us_of(Str t, int *valid, int *err) {
    *valid = 0;
    if (!t.present) return 0;
    int64_t ns;
    if (int_of_text(t.p, t.n, &ns)) { *err = 1; return 0; }
    if (ns <= 0) return 0;
    *valid = 1;
    return ns / 1000;
}

/* An array (or null) whose every element `element` parses. */
static int each(Ctx *x, int (*element)(Ctx *)) {
    Parser *ps = &x->ps;
    if (take_literal(ps, "null")) return 0;
    TRY(expect(ps, '['));
    if (peek_take(ps, ']')) return 0;
    for (;;) {
        TRY(element(x));
        if (peek_take(ps, ',')) continue;
        return expect(ps, ']');
    }
}

/* A span's status (or null): its code and message. */
static int parse_status(Parser *ps, Str *code, Str *message) {
    if (take_literal(ps, "null")) return 0;
    unsigned seen = 0;
    FOR_MEMBERS(ps, k, {
        unsigned bit = 0;
        if (0) {}
        FIELD("code", 1u, TRY(field_int_text(ps, code)))
        FIELD("message", 2u, TRY(field_string(ps, message)))
        else TRY(skip_value(ps, 1));
        seen |= bit;
    });
    return 0;
}

static int parse_span(Ctx *x) {
    Parser *ps = &x->ps;
    Str trace = {0}, span = {0}, parent = {0}, state = {0}, name = {0}, kind = {0}, start = {0}, end = {0};
    Str code = {0}, message = {0};
    int32_t events = 0, links = 0;
    unsigned seen = 0;
    ps->nattrs = 0;
    FOR_MEMBERS(ps, k, {
        unsigned bit = 0;
        if (0) {}
        FIELD("traceId", 1u, TRY(field_string(ps, &trace)))
        FIELD("spanId", 2u, TRY(field_string(ps, &span)))
        FIELD("parentSpanId", 4u, TRY(field_string(ps, &parent)))
        FIELD("traceState", 8u, TRY(field_string(ps, &state)))
        FIELD("name", 16u, TRY(field_string(ps, &name)))
        FIELD("kind", 32u, TRY(field_int_text(ps, &kind)))
        FIELD("startTimeUnixNano", 64u, TRY(field_int_text(ps, &start)))
        FIELD("endTimeUnixNano", 128u, TRY(field_int_text(ps, &end)))
        FIELD("attributes", 256u, TRY(parse_attributes(ps)))
        FIELD("events", 512u, TRY(count_objects(ps, &events, "name", 4)))
        FIELD("links", 1024u, TRY(count_objects(ps, &links, "spanId", 6)))
        FIELD("status", 2048u, TRY(parse_status(ps, &code, &message)))
        else TRY(skip_value(ps, 1));
        seen |= bit;
    });
    Table *t = &x->spans;
    int64_t r = t->rows;
    Col *c = t->cols;
    TRY(put_i32(&c[S_LINE], r, x->line, 1));
    TRY(put_i32(&c[S_RESOURCE], r, x->resource, 1));
    TRY(put_i32(&c[S_SCOPE], r, x->scope, 1));
    TRY(put_hex_id(x, t, S_TRACE_ID, trace));
    TRY(put_hex_id(x, t, S_SPAN_ID, span));
    TRY(put_hex_id(x, t, S_PARENT_SPAN_ID, parent));
    TRY(put_str(&c[S_SPAN_NAME], r, name.p, name.n, name.present));
    TRY(put_enum(x, S_SPAN_KIND, kind, "span_kind_", SPAN_KINDS, 6));
    int sv, ev, err = 0;
    int64_t su = us_of(start, &sv, &err), eu = us_of(end, &ev, &err);
    if (err) return DECLINE;
    TRY(put_i64(&c[S_START], r, su, sv));
    TRY(put_i64(&c[S_END], r, eu, ev));
    TRY(put_f64(&c[S_DURATION], r, (double)(eu - su) / 1000.0, sv && ev));
    TRY(put_enum(x, S_STATUS_CODE, code, "status_code_", STATUS_CODES, 3));
    TRY(put_str(&c[S_STATUS_MESSAGE], r, message.p, message.n, message.present));
    TRY(put_str(&c[S_TRACE_STATE], r, state.p, state.n, state.present));
    TRY(put_i32(&c[S_EVENT_COUNT], r, events, 1));
    TRY(put_i32(&c[S_LINK_COUNT], r, links, 1));
    const Attr *found[N_SPAN_MODELED];
    TRY(find_modeled(SPAN_MODELED, N_SPAN_MODELED, ps->attrs, ps->nattrs, found));
    for (int j = 0; j < N_SPAN_MODELED; j++) TRY(put_modeled(&c[SPAN_MODELED[j].col], r, SPAN_MODELED[j].type, found[j]));
    TRY(emit_tools(x, ps->attrs, ps->nattrs));
    TRY(rest_json(&c[S_ATTRIBUTES], r, ps->attrs, ps->nattrs, 1));
    /* event_date: the UTC day of the start (floor: starts are after 1970 here, ns > 0) */
    TRY(put_i32(&c[S_EVENT_DATE], r, (int32_t)(su / INT64_C(86400000000)), sv));
    Col *key = &c[S_KEY];
    Str tl = trace, sl = span;
    /* the key uses the lowered ids the columns hold: read them back from the columns */
    Col *tc = &c[S_TRACE_ID], *sc = &c[S_SPAN_ID];
    int64_t *to = (int64_t *)tc->offs.p, *so = (int64_t *)sc->offs.p;
    size_t ti = tc->offs.len / 8 - 2, si = sc->offs.len / 8 - 2;
    (void)tl; (void)sl;
    TRY(buf_put(&key->data, tc->data.p + to[ti], (size_t)(to[ti + 1] - to[ti])));
    TRY(buf_put(&key->data, ":", 1));
    TRY(buf_put(&key->data, sc->data.p + so[si], (size_t)(so[si + 1] - so[si])));
    TRY(str_close(key, r, 1));
    t->rows++;
    return 0;
}

/* ---- log records ------------------------------------------------------------------------ */

enum {
    L_LINE, L_RESOURCE, L_SCOPE, L_TIME, L_OBSERVED, L_SEVERITY_NUMBER, L_SEVERITY_TEXT, L_EVENT_NAME_OTEL, L_BODY,
    L_TRACE_ID, L_SPAN_ID, L_EVENT_NAME, L_EVENT_TIMESTAMP, L_SESSION_ID, L_USER_ACCOUNT_UUID, L_USER_EMAIL, L_USER_ID,
    L_ORGANIZATION_ID, L_TERMINAL_TYPE, L_APP_VERSION, L_MODEL, L_COST_USD, L_DURATION_MS, L_INPUT_TOKENS,
    L_OUTPUT_TOKENS, L_CACHE_READ_TOKENS, L_CACHE_CREATION_TOKENS, L_REQUEST_ID, L_TOOL_NAME, L_SUCCESS, L_DECISION,
    L_DECISION_SOURCE, L_ERROR, L_STATUS_CODE, L_ATTEMPT, L_PROMPT_LENGTH, L_ATTRIBUTES, L_EVENT_DATE,
    L_TIME_TEXT, L_OBSERVED_TEXT, L_SEVERITY_NUMBER_TEXT, L_FINGERPRINT, L_NCOLS
};

/* flatten.LOG_ATTRS */
static const Modeled LOG_MODELED[] = {
    M("event.name", T_STR, L_EVENT_NAME),
    M("event.timestamp", T_STR, L_EVENT_TIMESTAMP),
    M("session.id", T_STR, L_SESSION_ID),
    M("user.account_uuid", T_STR, L_USER_ACCOUNT_UUID),
    M("user.email", T_STR, L_USER_EMAIL),
    M("user.id", T_STR, L_USER_ID),
    M("organization.id", T_STR, L_ORGANIZATION_ID),
    M("terminal.type", T_STR, L_TERMINAL_TYPE),
    M("app.version", T_STR, L_APP_VERSION),
    M("model", T_STR, L_MODEL),
    M("cost_usd", T_F64, L_COST_USD),
    M("duration_ms", T_F64, L_DURATION_MS),
    M("input_tokens", T_I64, L_INPUT_TOKENS),
    M("output_tokens", T_I64, L_OUTPUT_TOKENS),
    M("cache_read_tokens", T_I64, L_CACHE_READ_TOKENS),
    M("cache_creation_tokens", T_I64, L_CACHE_CREATION_TOKENS),
    M("request_id", T_STR, L_REQUEST_ID),
    M("tool_name", T_STR, L_TOOL_NAME),
    M("success", T_BOOL, L_SUCCESS),
    M("decision", T_STR, L_DECISION),
    M("source", T_STR, L_DECISION_SOURCE),
    M("error", T_STR, L_ERROR),
    M("status_code", T_STR, L_STATUS_CODE),
    M("attempt", T_I64, L_ATTEMPT),
    M("prompt_length", T_I64, L_PROMPT_LENGTH),
};
#define N_LOG_MODELED ((int)(sizeof LOG_MODELED / sizeof LOG_MODELED[0]))

static const char *LOG_NAMES[L_NCOLS] = {
    "_line", "_resource", "_scope", "time", "observed_time", "severity_number", "severity_text", "otel_event_name",
    "body", "trace_id", "span_id", "event_name", "event_timestamp", "session_id", "user_account_uuid", "user_email",
    "user_id", "organization_id", "terminal_type", "app_version", "model", "cost_usd", "duration_ms", "input_tokens",
    "output_tokens", "cache_read_tokens", "cache_creation_tokens", "request_id", "tool_name", "success", "decision",
    "decision_source", "error", "status_code", "attempt", "prompt_length", "attributes", "event_date",
    "_time_text", "_observed_text", "_severity_number_text", "_fingerprint",
};

static int log_kind_of(int i) {
    switch (i) {
        case L_LINE: case L_RESOURCE: case L_SCOPE: case L_SEVERITY_NUMBER: case L_EVENT_DATE: return C_I32;
        case L_TIME: case L_OBSERVED: case L_INPUT_TOKENS: case L_OUTPUT_TOKENS: case L_CACHE_READ_TOKENS:
        case L_CACHE_CREATION_TOKENS: case L_ATTEMPT: case L_PROMPT_LENGTH: return C_I64;
        case L_COST_USD: case L_DURATION_MS: return C_F64;
        case L_SUCCESS: return C_BOOL;
        default: return C_STR;
    }
}

typedef struct { size_t at, n; } Piece;

/* Every attribute as "key=<JSON value>", sorted, joined by \x1f: typed_attributes' _fingerprint. */
static int put_fingerprint(Ctx *x, Col *c, int64_t row) {
    Parser *ps = &x->ps;
    Buf *sb = &x->scratch;
    sb->len = 0;
    Piece pieces[256];
    size_t np = 0;
    for (size_t i = 0; i < ps->nattrs; i++) {
        Attr *a = &ps->attrs[i];
        if (never_stored(a->key)) continue;
        if (np == 256) return DECLINE;
        size_t at = sb->len;
        TRY(buf_put(sb, a->key.p, a->key.n));
        TRY(buf_put(sb, "=", 1));
        TRY(put_value_json(sb, a));
        pieces[np++] = (Piece){at, sb->len - at};
    }
    {
        /* insertion sort (bytewise, as polars sorts strings): a record has a few dozen attributes */
        for (size_t i = 1; i < np; i++) {
            Piece key = pieces[i];
            size_t j = i;
            while (j > 0) {
                const Piece *y = &pieces[j - 1];
                size_t n = key.n < y->n ? key.n : y->n;
                int r = memcmp(sb->p + y->at, sb->p + key.at, n);
                if (r < 0 || (r == 0 && y->n <= key.n)) break;
                pieces[j] = pieces[j - 1];
                j--;
            }
            pieces[j] = key;
        }
    }
    for (size_t i = 0; i < np; i++) {
        if (i) TRY(buf_put(&c->data, "\x1f", 1));
        TRY(buf_put(&c->data, sb->p + pieces[i].at, pieces[i].n));
    }
    return str_close(c, row, 1);
}

/* A body's text: the AnyValue's value as polars decodes it to a string (attributes.long_attributes). */
static int put_body(Col *c, int64_t row, const Attr *a) {
    switch (a->kind) {
        case V_STR: case V_INT: return put_str(c, row, a->text.p, a->text.n, 1);
        case V_BOOL: return put_str(c, row, a->bval ? "true" : "false", a->bval ? 4 : 5, 1);
        case V_DBL: if (a->quoted) return put_str(c, row, a->text.p, a->text.n, 1); return DECLINE;  /* polars writes a number anew */
        default: return put_str(c, row, NULL, 0, 0);
    }
}

static int parse_log(Ctx *x) {
    Parser *ps = &x->ps;
    Str tt = {0}, ot = {0}, sev = {0}, sevtext = {0}, ev = {0}, trace = {0}, span = {0};
    Attr body;
    memset(&body, 0, sizeof body);
    body.kind = V_EMPTY;
    unsigned seen = 0;
    ps->nattrs = 0;
    FOR_MEMBERS(ps, k, {
        unsigned bit = 0;
        if (0) {}
        FIELD("timeUnixNano", 1u, TRY(field_int_text(ps, &tt)))
        FIELD("observedTimeUnixNano", 2u, TRY(field_int_text(ps, &ot)))
        FIELD("severityNumber", 4u, TRY(field_int_text(ps, &sev)))
        FIELD("severityText", 8u, TRY(field_string(ps, &sevtext)))
        FIELD("eventName", 16u, TRY(field_string(ps, &ev)))
        FIELD("body", 32u, TRY(parse_any_value(ps, &body)))
        FIELD("attributes", 64u, TRY(parse_attributes(ps)))
        FIELD("traceId", 128u, TRY(field_string(ps, &trace)))
        FIELD("spanId", 256u, TRY(field_string(ps, &span)))
        else TRY(skip_value(ps, 1));
        seen |= bit;
    });
    Table *t = &x->logs;
    int64_t r = t->rows;
    Col *c = t->cols;
    int tv, ov, err = 0;
    int64_t tu = us_of(tt, &tv, &err), ou = us_of(ot, &ov, &err);
    if (err) return DECLINE;
    int64_t sn = 0;
    if (sev.present) {
        TRY(int_of_text(sev.p, sev.n, &sn));
        if (sn > INT32_MAX || sn < INT32_MIN) return DECLINE;
    }
    TRY(put_i32(&c[L_LINE], r, x->line, 1));
    TRY(put_i32(&c[L_RESOURCE], r, x->resource, 1));
    TRY(put_i32(&c[L_SCOPE], r, x->scope, 1));
    int64_t time = tv ? tu : ou;
    TRY(put_i64(&c[L_TIME], r, time, tv || ov));
    TRY(put_i64(&c[L_OBSERVED], r, ou, ov));
    TRY(put_i32(&c[L_SEVERITY_NUMBER], r, (int32_t)sn, sev.present));
    TRY(put_str(&c[L_SEVERITY_TEXT], r, sevtext.p, sevtext.n, sevtext.present));
    TRY(put_str(&c[L_EVENT_NAME_OTEL], r, ev.p, ev.n, ev.present));
    TRY(put_body(&c[L_BODY], r, &body));
    TRY(put_hex_id(x, t, L_TRACE_ID, trace));
    TRY(put_hex_id(x, t, L_SPAN_ID, span));
    const Attr *found[N_LOG_MODELED];
    TRY(find_modeled(LOG_MODELED, N_LOG_MODELED, ps->attrs, ps->nattrs, found));
    for (int j = 0; j < N_LOG_MODELED; j++) TRY(put_modeled(&c[LOG_MODELED[j].col], r, LOG_MODELED[j].type, found[j]));
    TRY(rest_json(&c[L_ATTRIBUTES], r, ps->attrs, ps->nattrs, 0));
    TRY(put_i32(&c[L_EVENT_DATE], r, (int32_t)(time / INT64_C(86400000000)), tv || ov));
    TRY(put_str(&c[L_TIME_TEXT], r, tt.p, tt.n, tt.present));
    TRY(put_str(&c[L_OBSERVED_TEXT], r, ot.p, ot.n, ot.present));
    TRY(put_str(&c[L_SEVERITY_NUMBER_TEXT], r, sev.p, sev.n, sev.present));
    TRY(put_fingerprint(x, &c[L_FINGERPRINT], r));
    t->rows++;
    return 0;
}

/* The resource row of ps->attrs: modeled columns, then the rest as JSON. */
static int emit_resource_row(Ctx *x) {
    Parser *ps = &x->ps;
    const Attr *found[N_RESOURCE_MODELED];
    TRY(find_modeled(RESOURCE_MODELED, N_RESOURCE_MODELED, ps->attrs, ps->nattrs, found));
    Table *t = &x->resources;
    for (int j = 0; j < N_RESOURCE_MODELED; j++) TRY(put_modeled(&t->cols[RESOURCE_MODELED[j].col], t->rows, T_STR, found[j]));
    TRY(rest_json(&t->cols[R_ATTRIBUTES], t->rows, ps->attrs, ps->nattrs, 0));
    t->rows++;
    return 0;
}

static int parse_resource_object(Ctx *x) {
    Parser *ps = &x->ps;
    ps->nattrs = 0;
    int have_attrs = 0;
    if (!take_literal(ps, "null")) {
        FOR_MEMBERS(ps, k, {
            if (key_is(k, "attributes")) { if (have_attrs) return DECLINE; have_attrs = 1; TRY(parse_attributes(ps)); }
            else TRY(skip_value(ps, 1));
        });
    }
    return emit_resource_row(x);
}

static int parse_scope_object(Ctx *x) {
    Parser *ps = &x->ps;
    ps->nattrs = 0;
    Str name = {0}, version = {0};
    unsigned seen = 0;
    if (!take_literal(ps, "null")) {
        FOR_MEMBERS(ps, k, {
            if (key_is(k, "name")) { if (seen & 1) return DECLINE; seen |= 1; TRY(field_string(ps, &name)); }
            else if (key_is(k, "version")) { if (seen & 2) return DECLINE; seen |= 2; TRY(field_string(ps, &version)); }
            else if (key_is(k, "attributes")) { if (seen & 4) return DECLINE; seen |= 4; TRY(parse_attributes(ps)); }
            else TRY(skip_value(ps, 1));
        });
    }
    Table *t = &x->scopes;
    TRY(put_str(&t->cols[SC_NAME], t->rows, name.p, name.n, name.present));
    TRY(put_str(&t->cols[SC_VERSION], t->rows, version.p, version.n, version.present));
    TRY(rest_json(&t->cols[SC_ATTRIBUTES], t->rows, ps->attrs, ps->nattrs, 0));
    t->rows++;
    return 0;
}

/* An entry of an array whose elements must all be objects; null entries decline (the reference
 * drops them, which is easy to get subtly different). */
static int parse_scope_entry(Ctx *x) {
    Parser *ps = &x->ps;
    x->scope = (int32_t)x->scopes.rows;
    int have_scope = 0, have_spans = 0;
    FOR_MEMBERS(ps, k, {
        if (key_is(k, "scope")) { if (have_scope) return DECLINE; have_scope = 1; TRY(parse_scope_object(x)); }
        else if (x->logs_signal ? key_is(k, "logRecords") : key_is(k, "spans")) {
            if (have_spans) return DECLINE;
            have_spans = 1;
            TRY(each(x, x->logs_signal ? parse_log : parse_span));
        } else TRY(skip_value(ps, 1));
    });
    if (!have_scope) {  /* no scope object: a row of nulls, as the reference's struct fields give */
        ps->nattrs = 0;
        Table *t = &x->scopes;
        TRY(put_str(&t->cols[SC_NAME], t->rows, NULL, 0, 0));
        TRY(put_str(&t->cols[SC_VERSION], t->rows, NULL, 0, 0));
        TRY(put_str(&t->cols[SC_ATTRIBUTES], t->rows, "{}", 2, 1));
        t->rows++;
    }
    return 0;
}

static int parse_resource_entry(Ctx *x) {
    Parser *ps = &x->ps;
    x->resource = (int32_t)x->resources.rows;
    int have_resource = 0, have_scopes = 0;
    FOR_MEMBERS(ps, k, {
        if (key_is(k, "resource")) {
            /* before or after the scopes: no other entry's resource row comes in between */
            if (have_resource) return DECLINE;
            have_resource = 1;
            TRY(parse_resource_object(x));
        } else if (x->logs_signal ? key_is(k, "scopeLogs") : key_is(k, "scopeSpans")) {
            if (have_scopes) return DECLINE;
            have_scopes = 1;
            TRY(each(x, parse_scope_entry));
        } else TRY(skip_value(ps, 1));
    });
    if (!have_resource) {  /* no resource object: nulls and "{}", as the reference's struct fields give */
        ps->nattrs = 0;
        TRY(emit_resource_row(x));
    }
    return 0;
}

/* A whole request line. Only a trace request is taken: any other signal declines. */
static int parse_request(Ctx *x) {
    Parser *ps = &x->ps;
    int have_spans = 0;
    TRY(expect(ps, '{'));
    if (peek_take(ps, '}')) return DECLINE;
    for (;;) {
        Str k;
        TRY(parse_string(ps, &k));
        TRY(expect(ps, ':'));
        if (key_is(k, "resourceSpans") || key_is(k, "resourceLogs")) {
            if (have_spans) return DECLINE;  /* one signal a line; two: the reference path */
            have_spans = 1;
            x->logs_signal = key_is(k, "resourceLogs");
            TRY(each(x, parse_resource_entry));
        } else if (key_is(k, "resourceMetrics")) return DECLINE;
        else TRY(skip_value(ps, 1));
        if (peek_take(ps, ',')) continue;
        TRY(expect(ps, '}'));
        break;
    }
    ws(ps);
    if (ps->p != ps->end || !have_spans) return DECLINE;
    return 0;
}

/* ---- Python ---------------------------------------------------------------------------- */

static PyObject *bytes_of(Buf *b) { return PyBytes_FromStringAndSize(b->p ? b->p : "", (Py_ssize_t)b->len); }

static PyObject *table_dict(Table *t) {
    PyObject *d = PyDict_New();
    if (!d) return NULL;
    for (int i = 0; i < t->ncols; i++) {
        Col *c = &t->cols[i];
        PyObject *offs, *bits;
        if (c->kind == C_STR) {
            if (c->offs.len == 0) { int64_t zero = 0; if (buf_put(&c->offs, &zero, 8)) { Py_DECREF(d); return PyErr_NoMemory(); } }
            offs = bytes_of(&c->offs);
        } else { offs = Py_None; Py_INCREF(offs); }
        if (c->nulls) bits = bytes_of(&c->bits);
        else { bits = Py_None; Py_INCREF(bits); }
        PyObject *item = Py_BuildValue("(iNNN)", c->kind, bytes_of(&c->data), offs, bits);
        if (!item || PyDict_SetItemString(d, c->name, item)) { Py_XDECREF(item); Py_DECREF(d); return NULL; }
        Py_DECREF(item);
    }
    return Py_BuildValue("(LN)", (long long)t->rows, d);
}

static int tool_kind(int i) { return i == T_TOOL ? C_STR : C_I64; }
static int resource_kind(int i) { (void)i; return C_STR; }

static PyObject *decode(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *lines;
    if (!PyArg_ParseTuple(args, "O!", &PyList_Type, &lines)) return NULL;
    Py_ssize_t n = PyList_GET_SIZE(lines);
    const char **ptrs = calloc((size_t)n + 1, sizeof(char *));
    Py_ssize_t *lens = calloc((size_t)n + 1, sizeof(Py_ssize_t));
    int32_t *declined = calloc((size_t)n + 1, sizeof(int32_t));
    PyObject **held = calloc((size_t)n + 1, sizeof(PyObject *));
    Ctx x;
    memset(&x, 0, sizeof x);
    size_t longest = 0;
    int rc = 0;
    Py_ssize_t nd = 0;
    if (!ptrs || !lens || !declined || !held) { rc = NOMEM; goto done; }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyList_GET_ITEM(lines, i);
        if (PyBytes_Check(item)) {
            Py_INCREF(item);  /* kept alive while parsed without the GIL, whatever happens to the list */
            held[i] = item;
            ptrs[i] = PyBytes_AS_STRING(item);
            lens[i] = PyBytes_GET_SIZE(item);
            if ((size_t)lens[i] > longest) longest = (size_t)lens[i];
        }
    }
    if ((rc = table_init(&x.spans, SPAN_NAMES, S_NCOLS, span_kind_of, 0))) goto done;
    if ((rc = table_init(&x.logs, LOG_NAMES, L_NCOLS, log_kind_of, 0))) goto done;
    if ((rc = table_init(&x.resources, RESOURCE_NAMES, R_NCOLS, resource_kind, 0))) goto done;
    if ((rc = table_init(&x.scopes, SCOPE_NAMES, SC_NCOLS, resource_kind, 0))) goto done;
    if ((rc = table_init(&x.tools, TOOL_NAMES, T_NCOLS, tool_kind, 0))) goto done;
    x.ps.arena_cap = 2 * longest + 64;
    x.ps.arena = malloc(x.ps.arena_cap);
    ColMark marks[S_NCOLS + R_NCOLS + SC_NCOLS + T_NCOLS], log_marks[L_NCOLS];
    if (!x.ps.arena) { rc = NOMEM; goto done; }
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!ptrs[i]) { declined[nd++] = (int32_t)i; continue; }
        int64_t rows[5] = {x.spans.rows, x.resources.rows, x.scopes.rows, x.tools.rows, x.logs.rows};
        table_mark(&x.logs, log_marks);
        table_mark(&x.spans, marks);
        table_mark(&x.resources, marks + S_NCOLS);
        table_mark(&x.scopes, marks + S_NCOLS + R_NCOLS);
        table_mark(&x.tools, marks + S_NCOLS + R_NCOLS + SC_NCOLS);
        x.line = (int32_t)i;
        x.ps.p = ptrs[i];
        x.ps.end = ptrs[i] + lens[i];
        x.ps.arena_len = 0;
        int r = parse_request(&x);
        if (r == NOMEM) { rc = NOMEM; break; }
        if (r) {
            table_reset(&x.logs, log_marks, rows[4]);
            table_reset(&x.spans, marks, rows[0]);
            table_reset(&x.resources, marks + S_NCOLS, rows[1]);
            table_reset(&x.scopes, marks + S_NCOLS + R_NCOLS, rows[2]);
            table_reset(&x.tools, marks + S_NCOLS + R_NCOLS + SC_NCOLS, rows[3]);
            declined[nd++] = (int32_t)i;
#ifdef FASTOTLP_DEBUG
            fprintf(stderr, "line %zd declined at _fastotlp.c:%d, byte %zd\n", i, declined_at, (Py_ssize_t)(x.ps.p - ptrs[i]));
#endif
        }
    }
    Py_END_ALLOW_THREADS
done:;
    PyObject *result = NULL;
    if (rc == NOMEM) PyErr_NoMemory();
    else {
        PyObject *dl = PyList_New(nd);
        if (dl) {
            for (Py_ssize_t i = 0; i < nd; i++) PyList_SET_ITEM(dl, i, PyLong_FromLong(declined[i]));
            result = Py_BuildValue("{sNsNsNsNsNsN}", "spans", table_dict(&x.spans), "logs", table_dict(&x.logs),
                                   "resources", table_dict(&x.resources),
                                   "scopes", table_dict(&x.scopes), "tools", table_dict(&x.tools), "declined", dl);
        }
    }
    for (Py_ssize_t i = 0; held && i < n; i++) Py_XDECREF(held[i]);
    free(held);
    table_free(&x.spans);
    table_free(&x.logs);
    free(x.scratch.p);
    table_free(&x.resources);
    table_free(&x.scopes);
    table_free(&x.tools);
    free(x.ps.arena);
    free(x.ps.attrs);
    free(ptrs);
    free(lens);
    free(declined);
    return result;
}

static PyObject *float_text(PyObject *self, PyObject *args) {
    (void)self;
    double v;
    const char *lit = NULL;
    Py_ssize_t litn = 0;
    if (!PyArg_ParseTuple(args, "dz#", &v, &lit, &litn)) return NULL;
    Buf b = {0};
    int r = put_float_text(&b, v, lit, (size_t)litn);
    PyObject *out = r ? (r == NOMEM ? PyErr_NoMemory() : Py_NewRef(Py_None)) : PyUnicode_FromStringAndSize(b.p, (Py_ssize_t)b.len);
    free(b.p);
    return out;
}

static PyMethodDef METHODS[] = {
    {"decode", decode, METH_VARARGS,
     "decode(lines: list[bytes]) -> dict: the span, log record, resource, scope and tool columns of the lines "
     "taken, and the indices of the lines declined (for the reference path)."},
    {"float_text", float_text, METH_VARARGS, "float_text(x: float, literal: str | None) -> str | None: x as polars "
     "casts a Float64 to String (None: declined); for the tests."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef MODULE = {PyModuleDef_HEAD_INIT, "_fastotlp", NULL, -1, METHODS, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__fastotlp(void) {
    PyObject *m = PyModule_Create(&MODULE);
    if (m) {
        PyModule_AddIntConstant(m, "STR", C_STR);
        PyModule_AddIntConstant(m, "I64", C_I64);
        PyModule_AddIntConstant(m, "F64", C_F64);
        PyModule_AddIntConstant(m, "I32", C_I32);
        PyModule_AddIntConstant(m, "BOOL", C_BOOL);
    }
    return m;
}
