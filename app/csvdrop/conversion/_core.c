/*
 * The conversion's inner loop: RFC 4180 CSV in UTF-8 to compact JSON records.
 *
 * Python settles the encoding, the delimiter and the keys; this parser turns
 * UTF-8 bytes into JSON text in one pass without building a Python object per
 * field. It keeps its state between feed() calls, so input can arrive in
 * chunks cut anywhere, and it only ever returns whole records: a record still
 * being read stays in the output buffer until its line ends.
 *
 * Before keys are set, the parser reads the header record and returns it as a
 * JSON array of strings, with how much of the input it consumed.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum state { START_RECORD, START_FIELD, IN_FIELD, IN_QUOTED, QUOTE_IN_QUOTED };

/* Byte classes; 0 is a byte copied as it is. */
enum byte_class { PLAIN, DELIMITER, CR, LF, QUOTE, ESCAPE, NUL };

/* 2**53 - 1, the largest integer a double holds exactly, has 16 digits. */
#define LARGEST_EXACT 9007199254740991ULL
#define LARGEST_DIGITS 16

typedef struct {
    PyObject_HEAD
    unsigned char unquoted[256];
    unsigned char quoted[256];
    /* Bytes the counting pass must look at, outside and inside quotes. */
    unsigned char unquoted_stop[256];
    unsigned char quoted_stop[256];
    int infer;
    int count_only;
    int ndjson;
    int reading_header;
    int header_done;
    Py_ssize_t nkeys;
    char **prefixes; /* '{"key":"' for the first field, ',"key":"' after */
    Py_ssize_t *prefix_lengths;

    enum state state;
    int after_cr;
    long long line;
    long long record_line;
    long long quote_line;
    Py_ssize_t field;
    Py_ssize_t field_start;
    int field_escaped;
    long long rows;

    char *out;
    Py_ssize_t length;
    Py_ssize_t capacity;
    Py_ssize_t record_start;

    /* The first fault: kind, line and (for field counts) the fields found. */
    const char *fault;
    long long fault_line;
    Py_ssize_t fault_found;
    int out_of_memory;
} Parser;

static PyObject *ParseError;

static const char HEX[] = "0123456789abcdef";

/* Room that short copies may overrun: they copy a fixed 16 bytes. */
#define SLACK 16

static int grow(Parser *p, Py_ssize_t extra);

static inline int
reserve(Parser *p, Py_ssize_t extra)
{
    if (p->length + extra + SLACK <= p->capacity) {
        return 0;
    }
    return grow(p, extra + SLACK);
}

static int
grow(Parser *p, Py_ssize_t extra)
{
    Py_ssize_t capacity = p->capacity ? p->capacity : 1 << 16;
    while (capacity < p->length + extra) {
        capacity *= 2;
    }
    /* The raw allocator: parsing runs without the GIL. */
    char *grown = PyMem_RawRealloc(p->out, capacity);
    if (grown == NULL) {
        p->out_of_memory = 1;
        return -1;
    }
    p->out = grown;
    p->capacity = capacity;
    return 0;
}

/* Copy bytes already reserved. Most runs are a few bytes long, where one
   fixed-size copy beats a call to memcpy; readable says whether 16 bytes may
   be read from data. */
static inline void
put(Parser *p, const char *data, Py_ssize_t size, int readable)
{
    if (size <= SLACK && readable) {
        memcpy(p->out + p->length, data, SLACK);
    }
    else {
        memcpy(p->out + p->length, data, size);
    }
    p->length += size;
}

/* Write one byte that JSON strings must escape; room for 6 bytes is reserved. */
static inline void
put_escaped(Parser *p, unsigned char c)
{
    char *o = p->out + p->length;
    o[0] = '\\';
    switch (c) {
    case '"': o[1] = '"'; p->length += 2; return;
    case '\\': o[1] = '\\'; p->length += 2; return;
    case '\n': o[1] = 'n'; p->length += 2; return;
    case '\r': o[1] = 'r'; p->length += 2; return;
    case '\t': o[1] = 't'; p->length += 2; return;
    case '\b': o[1] = 'b'; p->length += 2; return;
    case '\f': o[1] = 'f'; p->length += 2; return;
    default:
        o[1] = 'u'; o[2] = '0'; o[3] = '0';
        o[4] = HEX[c >> 4]; o[5] = HEX[c & 15];
        p->length += 6;
    }
}

static void
set_fault(Parser *p, const char *kind, long long line, Py_ssize_t found)
{
    if (p->fault == NULL) {
        p->fault = kind;
        p->fault_line = line;
        p->fault_found = found;
    }
}

static inline int
begin_field(Parser *p)
{
    const char *prefix;
    Py_ssize_t size;
    if (p->reading_header) {
        prefix = p->field == 0 ? "[\"" : ",\"";
        size = 2;
    }
    else if (p->field < p->nkeys) {
        prefix = p->prefixes[p->field];
        size = p->prefix_lengths[p->field];
    }
    else {
        /* Surplus fields are only counted: the record is rejected anyway. */
        prefix = ",\"\":\"";
        size = 5;
    }
    if (reserve(p, size) < 0) {
        return -1;
    }
    /* Stored prefixes carry SLACK bytes of padding; the literals do not. */
    put(p, prefix, size, p->field < p->nkeys && !p->reading_header);
    p->field_start = p->length;
    p->field_escaped = 0;
    return 0;
}

/* Digits of the mantissa s[0:end] between the first and last non-zero digit. */
static Py_ssize_t
significant_digits(const char *s, Py_ssize_t end)
{
    Py_ssize_t first = -1, last = -1, count = 0;
    for (Py_ssize_t k = 0; k < end; k++) {
        if (s[k] >= '1' && s[k] <= '9') {
            if (first < 0) {
                first = k;
            }
            last = k;
        }
    }
    if (first < 0) {
        return 0;
    }
    for (Py_ssize_t k = first; k <= last; k++) {
        count += s[k] >= '0' && s[k] <= '9';
    }
    return count;
}

/* Whether text is a number under the infer rules (JSON grammar, exact, finite).
 * A decimal qualifies only when a reader that parses it as a double gets its
 * value back: at most DBL_DIG significant digits, and neither overflow
 * (1e999) nor underflow (1e-400, which would read as 0) nor a subnormal. */
static int
is_number(const char *s, Py_ssize_t n)
{
    Py_ssize_t i = 0;
    if (s[0] == '-') {
        i = 1;
    }
    if (i == n) {
        return 0;
    }
    if (s[i] == '0') {
        i++;
    }
    else if (s[i] >= '1' && s[i] <= '9') {
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            i++;
        }
    }
    else {
        return 0;
    }
    if (i == n) {
        Py_ssize_t digits = n - (s[0] == '-');
        if (digits > LARGEST_DIGITS) {
            return 0;
        }
        unsigned long long value = 0;
        for (Py_ssize_t k = n - digits; k < n; k++) {
            value = value * 10 + (unsigned long long)(s[k] - '0');
        }
        return value <= LARGEST_EXACT;
    }
    Py_ssize_t mantissa_end = i;
    if (s[i] == '.') {
        i++;
        Py_ssize_t first = i;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            i++;
        }
        if (i == first) {
            return 0;
        }
        mantissa_end = i;
    }
    Py_ssize_t significant = significant_digits(s, mantissa_end);
    if (significant > DBL_DIG) {
        return 0;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) {
            i++;
        }
        Py_ssize_t first = i;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            i++;
        }
        if (i == first) {
            return 0;
        }
    }
    if (i != n) {
        return 0;
    }
    /* Only the magnitude can fail now: 1e999 is not a finite double. */
    char small[64];
    char *copy = n < (Py_ssize_t)sizeof(small) ? small : PyMem_RawMalloc(n + 1);
    if (copy == NULL) {
        return 0;
    }
    memcpy(copy, s, n);
    copy[n] = '\0';
    double value = fabs(strtod(copy, NULL));
    if (copy != small) {
        PyMem_RawFree(copy);
    }
    if (value == 0.0) {
        /* Zero only when every mantissa digit is zero, not by underflow. */
        return significant == 0;
    }
    return isfinite(value) && value >= DBL_MIN;
}

static inline int
end_field(Parser *p)
{
    if (reserve(p, 4) < 0) {
        return -1;
    }
    if (p->infer && !p->reading_header && !p->field_escaped) {
        const char *text = p->out + p->field_start;
        Py_ssize_t n = p->length - p->field_start;
        if (n == 0) {
            p->length = p->field_start - 1; /* drop the opening quote */
            put(p, "null", 4, 0);
            return 0;
        }
        if ((n == 4 && memcmp(text, "true", 4) == 0) ||
            (n == 5 && memcmp(text, "false", 5) == 0) || is_number(text, n)) {
            memmove(p->out + p->field_start - 1, text, n);
            p->length -= 1;
            return 0;
        }
    }
    p->out[p->length++] = '"';
    return 0;
}

/* Finish the record; 1 when the header has just been read, -1 on error. */
static inline int
end_record(Parser *p)
{
    if (end_field(p) < 0 || reserve(p, 2) < 0) {
        return -1;
    }
    if (p->reading_header) {
        p->out[p->length++] = ']';
        p->reading_header = 0;
        p->header_done = 1;
        return 1;
    }
    if (p->field + 1 != p->nkeys) {
        set_fault(p, "field-count", p->record_line, p->field + 1);
        return -1;
    }
    p->out[p->length++] = '}';
    if (p->ndjson) {
        p->out[p->length++] = '\n';
    }
    p->rows++;
    return 0;
}

/* Parse data[0:n]; set *used to the bytes consumed (less than n only when the
   header has just been read). Return 0, or -1 with a fault or out of memory.

   The states are labels rather than a switch in a loop: moving from one to
   the next is a jump the CPU predicts, not a dispatch per byte. */
static int
parse(Parser *p, const unsigned char *s, Py_ssize_t n, Py_ssize_t *used)
{
    const unsigned char *unquoted = p->unquoted;
    const unsigned char *quoted = p->quoted;
    Py_ssize_t i = 0, j;
    unsigned char c, cls;
    int ended;

    switch (p->state) {
    case START_FIELD:
        goto start_field;
    case IN_FIELD:
        goto in_field;
    case IN_QUOTED:
        goto in_quoted;
    case QUOTE_IN_QUOTED:
        goto quote_in_quoted;
    default:
        goto start_record;
    }

start_record:
    /* Line breaks here end blank lines, which are skipped. */
    while (i < n) {
        c = s[i];
        if (c == '\n') {
            if (!p->after_cr) {
                p->line++;
            }
            p->after_cr = 0;
            i++;
        }
        else if (c == '\r') {
            p->line++;
            p->after_cr = 1;
            i++;
        }
        else {
            break;
        }
    }
    if (i == n) {
        p->state = START_RECORD;
        goto done;
    }
    p->after_cr = 0;
    p->record_line = p->line;
    p->record_start = p->length;
    if (!p->reading_header && !p->ndjson && p->rows > 0) {
        if (reserve(p, 1) < 0) {
            return -1;
        }
        p->out[p->length++] = ',';
    }
    p->field = 0;
    if (begin_field(p) < 0) {
        return -1;
    }

start_field:
    if (i == n) {
        p->state = START_FIELD;
        goto done;
    }
    if (s[i] == '"') {
        p->quote_line = p->line;
        i++;
        goto in_quoted;
    }

in_field:
    j = i;
    while (j < n && unquoted[s[j]] == PLAIN) {
        j++;
    }
    if (j > i) {
        if (reserve(p, j - i) < 0) {
            return -1;
        }
        put(p, (const char *)s + i, j - i, i + SLACK <= n);
        i = j;
    }
    if (i == n) {
        p->state = IN_FIELD;
        goto done;
    }
    c = s[i];
    cls = unquoted[c];
    if (cls == DELIMITER) {
        if (end_field(p) < 0) {
            return -1;
        }
        p->field++;
        if (begin_field(p) < 0) {
            return -1;
        }
        i++;
        goto start_field;
    }
    if (cls == CR || cls == LF) {
        ended = end_record(p);
        if (ended < 0) {
            return -1;
        }
        p->line++;
        p->after_cr = c == '\r';
        i++;
        if (ended == 1) {
            p->state = START_RECORD;
            *used = i;
            return 0;
        }
        goto start_record;
    }
    if (cls == NUL) {
        set_fault(p, "binary-data", p->line, 0);
        return -1;
    }
    if (reserve(p, 6) < 0) {
        return -1;
    }
    put_escaped(p, c);
    p->field_escaped = 1;
    i++;
    goto in_field;

in_quoted:
    j = i;
    while (j < n && quoted[s[j]] == PLAIN) {
        j++;
    }
    if (j > i) {
        if (reserve(p, j - i) < 0) {
            return -1;
        }
        put(p, (const char *)s + i, j - i, i + SLACK <= n);
        p->after_cr = 0;
        i = j;
    }
    if (i == n) {
        p->state = IN_QUOTED;
        goto done;
    }
    c = s[i];
    if (c == '"') {
        p->after_cr = 0;
        i++;
        goto quote_in_quoted;
    }
    if (quoted[c] == NUL) {
        set_fault(p, "binary-data", p->line, 0);
        return -1;
    }
    if (c == '\r') {
        p->line++;
    }
    else if (c == '\n' && !p->after_cr) {
        p->line++;
    }
    p->after_cr = c == '\r';
    if (reserve(p, 6) < 0) {
        return -1;
    }
    put_escaped(p, c);
    p->field_escaped = 1;
    i++;
    goto in_quoted;

quote_in_quoted:
    if (i == n) {
        p->state = QUOTE_IN_QUOTED;
        goto done;
    }
    c = s[i];
    if (c == '"') {
        if (reserve(p, 2) < 0) {
            return -1;
        }
        put_escaped(p, c);
        p->field_escaped = 1;
        i++;
        goto in_quoted;
    }
    if (unquoted[c] == DELIMITER || c == '\r' || c == '\n') {
        goto in_field; /* the quoted field ends here */
    }
    set_fault(p, "stray-quote", p->line, 0);
    return -1;

done:
    *used = n;
    return 0;
}

/* Check a finished record's width when only counting; -1 on a fault. */
static inline int
end_counted(Parser *p)
{
    if (p->field + 1 != p->nkeys) {
        set_fault(p, "field-count", p->record_line, p->field + 1);
        return -1;
    }
    p->rows++;
    return 0;
}

/* parse() without the output, for the pass that proves the input converts
   and counts its records before anything is stored: the same states, line
   numbers and faults, but runs of bytes are skipped rather than copied and
   nothing is escaped. Only records after the header go through here. */
static int
count(Parser *p, const unsigned char *s, Py_ssize_t n)
{
    const unsigned char *unquoted_stop = p->unquoted_stop;
    const unsigned char *quoted_stop = p->quoted_stop;
    Py_ssize_t i = 0, j;
    unsigned char c, cls;

    switch (p->state) {
    case START_FIELD:
        goto start_field;
    case IN_FIELD:
        goto in_field;
    case IN_QUOTED:
        goto in_quoted;
    case QUOTE_IN_QUOTED:
        goto quote_in_quoted;
    default:
        goto start_record;
    }

start_record:
    while (i < n) {
        c = s[i];
        if (c == '\n') {
            if (!p->after_cr) {
                p->line++;
            }
            p->after_cr = 0;
            i++;
        }
        else if (c == '\r') {
            p->line++;
            p->after_cr = 1;
            i++;
        }
        else {
            break;
        }
    }
    if (i == n) {
        p->state = START_RECORD;
        return 0;
    }
    p->after_cr = 0;
    p->record_line = p->line;
    p->field = 0;

start_field:
    if (i == n) {
        p->state = START_FIELD;
        return 0;
    }
    if (s[i] == '"') {
        p->quote_line = p->line;
        i++;
        goto in_quoted;
    }

in_field:
    while (i < n && !unquoted_stop[s[i]]) {
        i++;
    }
    if (i == n) {
        p->state = IN_FIELD;
        return 0;
    }
    c = s[i];
    cls = p->unquoted[c];
    if (cls == DELIMITER) {
        p->field++;
        i++;
        goto start_field;
    }
    if (cls == CR || cls == LF) {
        if (end_counted(p) < 0) {
            return -1;
        }
        p->line++;
        p->after_cr = c == '\r';
        i++;
        goto start_record;
    }
    set_fault(p, "binary-data", p->line, 0);
    return -1;

in_quoted:
    j = i;
    while (j < n && !quoted_stop[s[j]]) {
        j++;
    }
    if (j > i) {
        p->after_cr = 0;
        i = j;
    }
    if (i == n) {
        p->state = IN_QUOTED;
        return 0;
    }
    c = s[i];
    if (c == '"') {
        p->after_cr = 0;
        i++;
        goto quote_in_quoted;
    }
    if (c == 0) {
        set_fault(p, "binary-data", p->line, 0);
        return -1;
    }
    if (c == '\r' || !p->after_cr) {
        p->line++;
    }
    p->after_cr = c == '\r';
    i++;
    goto in_quoted;

quote_in_quoted:
    if (i == n) {
        p->state = QUOTE_IN_QUOTED;
        return 0;
    }
    c = s[i];
    if (c == '"') {
        i++;
        goto in_quoted;
    }
    if (p->unquoted[c] == DELIMITER || c == '\r' || c == '\n') {
        goto in_field;
    }
    set_fault(p, "stray-quote", p->line, 0);
    return -1;
}

/* The end of the input: finish a last record that has no line break. */
static int
finish(Parser *p)
{
    switch (p->state) {
    case START_RECORD:
        return 0;
    case IN_QUOTED:
        set_fault(p, "unclosed-quote", p->quote_line, 0);
        return -1;
    default:
        if ((p->count_only && !p->reading_header ? end_counted(p)
                                                 : end_record(p)) < 0) {
            return -1;
        }
        p->state = START_RECORD;
        return 0;
    }
}

static PyObject *
raise_fault(Parser *p)
{
    if (p->fault == NULL && p->out_of_memory) {
        return PyErr_NoMemory();
    }
    if (p->fault != NULL) {
        PyObject *args = Py_BuildValue(
            "(sLn)", p->fault, p->fault_line, p->fault_found);
        if (args != NULL) {
            PyErr_SetObject(ParseError, args);
            Py_DECREF(args);
        }
    }
    return NULL;
}

/* Hand over every complete record and keep the one being read. */
static PyObject *
take_output(Parser *p)
{
    Py_ssize_t ready = p->state == START_RECORD ? p->length : p->record_start;
    PyObject *out = PyBytes_FromStringAndSize(p->out, ready);
    if (out == NULL) {
        return NULL;
    }
    memmove(p->out, p->out + ready, p->length - ready);
    p->length -= ready;
    p->field_start -= ready;
    p->record_start -= ready;
    return out;
}

static PyObject *
Parser_feed(Parser *p, PyObject *args)
{
    Py_buffer data;
    int final = 0;
    if (!PyArg_ParseTuple(args, "y*|p", &data, &final)) {
        return NULL;
    }
    if (p->fault != NULL) {
        PyBuffer_Release(&data);
        return raise_fault(p);
    }
    if (p->header_done) {
        PyBuffer_Release(&data);
        PyErr_SetString(PyExc_RuntimeError, "set_keys() must follow the header");
        return NULL;
    }
    Py_ssize_t used = 0;
    int status;
    /* Other threads (the service's I/O, hashing) run while a chunk parses;
       one parser is never fed from two threads at once. */
    Py_BEGIN_ALLOW_THREADS
    if (p->count_only && !p->reading_header) {
        status = count(p, data.buf, data.len);
        used = data.len;
    }
    else {
        status = parse(p, data.buf, data.len, &used);
    }
    if (status == 0 && final && used == data.len && !p->header_done) {
        status = finish(p);
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&data);
    if (status < 0) {
        return raise_fault(p);
    }
    PyObject *out = take_output(p);
    if (out == NULL) {
        return NULL;
    }
    return Py_BuildValue("(Nn)", out, used);
}

static void
free_prefixes(Parser *p)
{
    for (Py_ssize_t k = 0; k < p->nkeys; k++) {
        PyMem_Free(p->prefixes[k]);
    }
    PyMem_Free(p->prefixes);
    PyMem_Free(p->prefix_lengths);
    p->prefixes = NULL;
    p->prefix_lengths = NULL;
    p->nkeys = 0;
}

static PyObject *
Parser_set_keys(Parser *p, PyObject *keys)
{
    if (!PyList_Check(keys)) {
        PyErr_SetString(PyExc_TypeError, "keys must be a list of bytes");
        return NULL;
    }
    free_prefixes(p);
    Py_ssize_t count = PyList_GET_SIZE(keys);
    p->prefixes = PyMem_Calloc(count ? count : 1, sizeof(char *));
    p->prefix_lengths = PyMem_Calloc(count ? count : 1, sizeof(Py_ssize_t));
    if (p->prefixes == NULL || p->prefix_lengths == NULL) {
        return PyErr_NoMemory();
    }
    for (Py_ssize_t k = 0; k < count; k++) {
        char *key;
        Py_ssize_t size;
        if (PyBytes_AsStringAndSize(PyList_GET_ITEM(keys, k), &key, &size) < 0) {
            p->nkeys = k;
            return NULL;
        }
        /* '{' or ',' + the JSON string + ':' + the value's opening quote */
        char *prefix = PyMem_Calloc(1, size + 3 + SLACK);
        if (prefix == NULL) {
            p->nkeys = k;
            return PyErr_NoMemory();
        }
        prefix[0] = k == 0 ? '{' : ',';
        memcpy(prefix + 1, key, size);
        prefix[size + 1] = ':';
        prefix[size + 2] = '"';
        p->prefixes[k] = prefix;
        p->prefix_lengths[k] = size + 3;
        p->nkeys = k + 1;
    }
    p->reading_header = 0;
    p->header_done = 0;
    p->length = 0;
    p->record_start = 0;
    Py_RETURN_NONE;
}

static int
Parser_init(Parser *p, PyObject *args, PyObject *kwargs)
{
    static char *names[] = {"delimiter", "infer", "ndjson", "count_only", NULL};
    int delimiter, infer = 0, ndjson = 0, count_only = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "C|ppp", names, &delimiter,
                                     &infer, &ndjson, &count_only)) {
        return -1;
    }
    if (delimiter >= 128 || delimiter == '"' || delimiter == '\r' ||
        delimiter == '\n' || delimiter == 0) {
        PyErr_SetString(PyExc_ValueError, "the delimiter must be one ASCII "
                                          "character other than a quote or "
                                          "a line break");
        return -1;
    }
    for (int c = 0; c < 256; c++) {
        unsigned char cls = PLAIN;
        if (c == 0) {
            cls = NUL;
        }
        else if (c == '\r') {
            cls = CR;
        }
        else if (c == '\n') {
            cls = LF;
        }
        else if (c == '"') {
            cls = QUOTE;
        }
        else if (c == '\\' || c < 0x20) {
            cls = ESCAPE;
        }
        p->quoted[c] = cls;
        p->unquoted[c] = cls;
        /* Counting copies nothing, so escapes and a quote inside an
           unquoted field are plain bytes to it. */
        p->unquoted_stop[c] = cls == CR || cls == LF || cls == NUL;
        p->quoted_stop[c] = cls == CR || cls == LF || cls == NUL || cls == QUOTE;
    }
    p->unquoted[delimiter] = DELIMITER;
    p->unquoted_stop[delimiter] = 1;
    p->infer = infer;
    p->count_only = count_only;
    p->ndjson = ndjson;
    p->reading_header = 1;
    p->header_done = 0;
    p->state = START_RECORD;
    p->line = 1;
    p->rows = 0;
    p->fault = NULL;
    p->out_of_memory = 0;
    return 0;
}

static void
Parser_dealloc(Parser *p)
{
    free_prefixes(p);
    PyMem_RawFree(p->out);
    Py_TYPE(p)->tp_free((PyObject *)p);
}

static PyObject *
Parser_get_rows(Parser *p, void *closure)
{
    return PyLong_FromLongLong(p->rows);
}

static PyObject *
Parser_get_line(Parser *p, void *closure)
{
    return PyLong_FromLongLong(p->line);
}

static PyMethodDef Parser_methods[] = {
    {"feed", (PyCFunction)Parser_feed, METH_VARARGS,
     "Parse a chunk; return (complete JSON output, bytes consumed)."},
    {"set_keys", (PyCFunction)Parser_set_keys, METH_O,
     "Set the record keys, each a JSON string as bytes, after the header."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef Parser_getset[] = {
    {"rows", (getter)Parser_get_rows, NULL, "records converted so far", NULL},
    {"line", (getter)Parser_get_line, NULL, "the current physical line", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject ParserType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "csvdrop.conversion._core.Parser",
    .tp_basicsize = sizeof(Parser),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A streaming CSV to JSON parser for UTF-8 input; with count_only "
              "it checks and counts the records after the header and writes "
              "no JSON for them.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Parser_init,
    .tp_dealloc = (destructor)Parser_dealloc,
    .tp_methods = Parser_methods,
    .tp_getset = Parser_getset,
};

/* The UTF-8 check, scalar: from i, a known character boundary, to the first
   fault. Returns where it stopped: n, or the start of an incomplete sequence
   at the very end (not a fault unless final), or the fault, which *bad is
   then set to. */
static Py_ssize_t
utf8_scalar(const unsigned char *s, Py_ssize_t n, Py_ssize_t i, int final,
            Py_ssize_t *bad)
{
    while (i < n) {
        /* Eight ASCII bytes at a time: the common case. */
        while (i + 8 <= n) {
            unsigned long long word;
            memcpy(&word, s + i, 8);
            if (word & 0x8080808080808080ULL) {
                break;
            }
            i += 8;
        }
        if (i >= n) {
            break;
        }
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        Py_ssize_t need;
        unsigned char lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
        }
        else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            if (c == 0xE0) {
                lo = 0xA0;
            }
            else if (c == 0xED) {
                hi = 0x9F; /* no surrogates */
            }
        }
        else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            if (c == 0xF0) {
                lo = 0x90;
            }
            else if (c == 0xF4) {
                hi = 0x8F;
            }
        }
        else {
            *bad = i;
            return i;
        }
        Py_ssize_t k = 1;
        for (; k <= need && i + k < n; k++) {
            unsigned char next = s[i + k];
            if (k == 1 ? (next < lo || next > hi) : (next < 0x80 || next > 0xBF)) {
                break;
            }
        }
        if (k <= need) {
            if (i + k >= n && !final) {
                return i; /* cut off at the end of this chunk */
            }
            *bad = i;
            return i;
        }
        i += need + 1;
    }
    if (final && i < n) {
        *bad = i;
    }
    return i;
}

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define HAVE_WIDE_UTF8 1

/* The vectorised check looks at every byte together with the one before it
   (and, for the third and fourth bytes of a sequence, the lead two or three
   bytes back). Three tables, indexed by the previous byte's high nibble,
   its low nibble and the current byte's high nibble, each give the set of
   faults that nibble allows; a pair is at fault when all three agree. */
#define TOO_SHORT 0x01  /* a lead byte not followed by a continuation */
#define TOO_LONG 0x02   /* a continuation after an ASCII byte */
#define OVERLONG_3 0x04 /* E0 80..9F */
#define TOO_LARGE 0x08  /* F4 90..BF, F5..FF 90..BF */
#define SURROGATE 0x10  /* ED A0..BF */
#define OVERLONG_2 0x20 /* C0 or C1 as a lead */
#define TOO_LARGE_1000 0x40 /* F5..FF 80..8F */
#define OVERLONG_4 0x40     /* F0 80..8F */
#define TWO_CONTS 0x80      /* fine only as the third or fourth byte */
#define CARRY (TOO_SHORT | TOO_LONG | TWO_CONTS)

#define TABLE(a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p)                  \
    _mm256_setr_epi8(a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, a, b, c, \
                     d, e, f, g, h, i, j, k, l, m, n, o, p)

/* Returns a position up to which s is valid UTF-8 and which starts a
   character; the scalar check goes on from there, so it alone decides where
   a fault is and what the incomplete end is. */
__attribute__((target("avx2"))) static Py_ssize_t
utf8_wide_prefix(const unsigned char *s, Py_ssize_t n)
{
    const __m256i previous_high = TABLE(
        TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG,
        TOO_LONG, TWO_CONTS, TWO_CONTS, TWO_CONTS, TWO_CONTS,
        TOO_SHORT | OVERLONG_2, TOO_SHORT, TOO_SHORT | OVERLONG_3 | SURROGATE,
        TOO_SHORT | TOO_LARGE | TOO_LARGE_1000 | OVERLONG_4);
    const __m256i previous_low = TABLE(
        CARRY | OVERLONG_3 | OVERLONG_2 | OVERLONG_4, CARRY | OVERLONG_2, CARRY,
        CARRY, CARRY | TOO_LARGE, CARRY | TOO_LARGE | TOO_LARGE_1000,
        CARRY | TOO_LARGE | TOO_LARGE_1000, CARRY | TOO_LARGE | TOO_LARGE_1000,
        CARRY | TOO_LARGE | TOO_LARGE_1000, CARRY | TOO_LARGE | TOO_LARGE_1000,
        CARRY | TOO_LARGE | TOO_LARGE_1000, CARRY | TOO_LARGE | TOO_LARGE_1000,
        CARRY | TOO_LARGE | TOO_LARGE_1000,
        CARRY | TOO_LARGE | TOO_LARGE_1000 | SURROGATE,
        CARRY | TOO_LARGE | TOO_LARGE_1000, CARRY | TOO_LARGE | TOO_LARGE_1000);
    const __m256i current_high = TABLE(
        TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT,
        TOO_SHORT, TOO_SHORT,
        TOO_LONG | OVERLONG_2 | TWO_CONTS | OVERLONG_3 | TOO_LARGE_1000 |
            OVERLONG_4,
        TOO_LONG | OVERLONG_2 | TWO_CONTS | OVERLONG_3 | TOO_LARGE,
        TOO_LONG | OVERLONG_2 | TWO_CONTS | SURROGATE | TOO_LARGE,
        TOO_LONG | OVERLONG_2 | TWO_CONTS | SURROGATE | TOO_LARGE, TOO_SHORT,
        TOO_SHORT, TOO_SHORT, TOO_SHORT);
    const __m256i nibble = _mm256_set1_epi8(0x0F);
    const __m256i third_lead = _mm256_set1_epi8((char)(0xE0 - 0x80));
    const __m256i fourth_lead = _mm256_set1_epi8((char)(0xF0 - 0x80));
    const __m256i high_bit = _mm256_set1_epi8((char)0x80);
    __m256i before = _mm256_setzero_si256();
    Py_ssize_t i = 0;

    for (; i + 32 <= n; i += 32) {
        __m256i block = _mm256_loadu_si256((const __m256i *)(s + i));
        if (_mm256_testz_si256(block, high_bit) &&
            _mm256_testz_si256(before, high_bit)) {
            before = block; /* ASCII after ASCII */
            continue;
        }
        /* The block moved one, two and three bytes later, the gap filled
           from the end of the block before. */
        __m256i joined = _mm256_permute2x128_si256(before, block, 0x21);
        __m256i back1 = _mm256_alignr_epi8(block, joined, 15);
        __m256i back2 = _mm256_alignr_epi8(block, joined, 14);
        __m256i back3 = _mm256_alignr_epi8(block, joined, 13);

        __m256i faults = _mm256_and_si256(
            _mm256_and_si256(
                _mm256_shuffle_epi8(
                    previous_high,
                    _mm256_and_si256(_mm256_srli_epi16(back1, 4), nibble)),
                _mm256_shuffle_epi8(previous_low, _mm256_and_si256(back1, nibble))),
            _mm256_shuffle_epi8(current_high,
                                _mm256_and_si256(_mm256_srli_epi16(block, 4), nibble)));
        /* Where the lead two or three bytes back makes this byte a third or
           fourth byte, two continuations in a row are required, not a fault. */
        __m256i must_continue = _mm256_and_si256(
            _mm256_or_si256(_mm256_subs_epu8(back2, third_lead),
                            _mm256_subs_epu8(back3, fourth_lead)),
            high_bit);
        if (!_mm256_testz_si256(_mm256_xor_si256(faults, must_continue),
                                _mm256_set1_epi8((char)0xFF))) {
            break;
        }
        before = block;
    }
    /* Back to the start of a sequence that the next bytes must finish. */
    for (Py_ssize_t k = 1; k <= 3 && k <= i; k++) {
        unsigned char c = s[i - k];
        if (c < 0x80) {
            break;
        }
        if (c >= 0xC0) {
            Py_ssize_t length = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
            return k < length ? i - k : i;
        }
    }
    return i;
}

static int wide_utf8;
#endif

/* Return (offset of the first byte that is not valid UTF-8 or -1, length of
   the complete prefix). An incomplete sequence at the very end is not an
   error unless final is true: it is left out of the complete prefix. */
static PyObject *
utf8_error(PyObject *module, PyObject *args)
{
    Py_buffer data;
    int final = 0;
    if (!PyArg_ParseTuple(args, "y*|p", &data, &final)) {
        return NULL;
    }
    const unsigned char *s = data.buf;
    Py_ssize_t n = data.len, start = 0, bad = -1, end;
    Py_BEGIN_ALLOW_THREADS
#ifdef HAVE_WIDE_UTF8
    if (wide_utf8) {
        start = utf8_wide_prefix(s, n);
    }
#endif
    end = utf8_scalar(s, n, start, final, &bad);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&data);
    return Py_BuildValue("(nn)", bad, bad < 0 ? end : bad);
}

static PyMethodDef module_methods[] = {
    {"utf8_error", utf8_error, METH_VARARGS,
     "Return (first invalid UTF-8 offset or -1, complete prefix length)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_core",
    .m_doc = "csvdrop's CSV to JSON inner loop.",
    .m_size = -1,
    .m_methods = module_methods,
};

PyMODINIT_FUNC
PyInit__core(void)
{
    if (PyType_Ready(&ParserType) < 0) {
        return NULL;
    }
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) {
        return NULL;
    }
    ParseError = PyErr_NewException("csvdrop.conversion._core.ParseError",
                                    PyExc_ValueError, NULL);
    if (ParseError == NULL || PyModule_AddObjectRef(m, "ParseError", ParseError) < 0 ||
        PyModule_AddObjectRef(m, "Parser", (PyObject *)&ParserType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
#ifdef HAVE_WIDE_UTF8
    wide_utf8 = __builtin_cpu_supports("avx2") != 0;
#endif
    if (PyModule_AddIntConstant(m, "WIDE_UTF8",
#ifdef HAVE_WIDE_UTF8
                                wide_utf8
#else
                                0
#endif
                                ) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
