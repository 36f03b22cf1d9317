/* The OutcomeEvent builder's common case in C: one finished span -> its event's data.
 *
 * ``otel_agents.events.outcome.OutcomeEvent.from_span`` is the reference: this module
 * builds exactly the same dict for the spans it understands and answers None for every
 * other one (a value to convert, cut or repair, span events or links, a renamed or
 * evicted operation, a private field of the SDK that moved), so the Python code builds
 * those. Nothing here raises into the caller: every unexpected state is a None.
 *
 * It runs once per event on the export thread, where the interpreter's own work (frames,
 * bytecode dispatch) cost more than the dict operations it performs.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

/* -- SHA-1 (RFC 3174), for the uuid5 event id --------------------------------------- */

typedef struct sha1_state sha1_state;
struct sha1_state {
    uint32_t h[5];
    uint64_t length;
    unsigned char block[64];
    size_t used;
    void (*compress)(sha1_state *, const unsigned char *); /* one 64-byte block */
};

#define ROL(value, bits) (((value) << (bits)) | ((value) >> (32 - (bits))))

static void sha1_block(sha1_state *state, const unsigned char *block) {
    uint32_t w[80];
    for (int i = 0; i < 16; i++) {
        w[i] = ((uint32_t)block[4 * i] << 24) | ((uint32_t)block[4 * i + 1] << 16) |
               ((uint32_t)block[4 * i + 2] << 8) | (uint32_t)block[4 * i + 3];
    }
    for (int i = 16; i < 80; i++) {
        w[i] = ROL(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    }
    uint32_t a = state->h[0], b = state->h[1], c = state->h[2], d = state->h[3],
             e = state->h[4];
    /* Four loops of twenty rounds: no branch inside a round. */
#define ROUND(f, k)                                   \
    {                                                 \
        uint32_t next = ROL(a, 5) + (f) + e + (k) + w[i]; \
        e = d;                                        \
        d = c;                                        \
        c = ROL(b, 30);                               \
        b = a;                                        \
        a = next;                                     \
    }
    int i = 0;
    for (; i < 20; i++) ROUND((b & c) | (~b & d), 0x5A827999)
    for (; i < 40; i++) ROUND(b ^ c ^ d, 0x6ED9EBA1)
    for (; i < 60; i++) ROUND((b & c) | (b & d) | (c & d), 0x8F1BBCDC)
    for (; i < 80; i++) ROUND(b ^ c ^ d, 0xCA62C1D6)
#undef ROUND
    state->h[0] += a;
    state->h[1] += b;
    state->h[2] += c;
    state->h[3] += d;
    state->h[4] += e;
}

/* The same block with the CPU's SHA instructions (x86-64 with SHA-NI, most since 2019):
   ~4.5 k instructions per event id become ~0.5 k. Chosen once, at import, by CPUID. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>
#define HAVE_SHA_NI_PATH 1

__attribute__((target("sha,sse4.1"))) static void sha1_block_sha_ni(sha1_state *state,
                                                                     const unsigned char *block) {
    /* Lanes hold words high to low (a in lane 3); the message is read big-endian. */
    const __m128i byte_order = _mm_set_epi64x(0x0001020304050607LL, 0x08090a0b0c0d0e0fLL);
    __m128i abcd = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)state->h), 0x1B);
    __m128i e0 = _mm_set_epi32((int)state->h[4], 0, 0, 0);
    const __m128i abcd_before = abcd, e_before = e0;
    __m128i w[4], e1 = abcd;
    for (int i = 0; i < 4; i++) {
        w[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(block + 16 * i)), byte_order);
    }
    /* Twenty groups of four rounds; w[g % 4] holds the group's four message words. */
    e0 = _mm_add_epi32(e0, w[0]);
    abcd = _mm_sha1rnds4_epu32(abcd, e0, 0);
    for (int g = 1; g < 20; g++) {
        if (g >= 4) { /* w[t] = rol1(w[t-3] ^ w[t-8] ^ w[t-14] ^ w[t-16]), four at a time */
            __m128i next = _mm_sha1msg1_epu32(w[g & 3], w[(g + 1) & 3]);
            next = _mm_xor_si128(next, w[(g + 2) & 3]);
            w[g & 3] = _mm_sha1msg2_epu32(next, w[(g + 3) & 3]);
        }
        __m128i e;
        if (g & 1) {
            e = e1 = _mm_sha1nexte_epu32(e1, w[g & 3]);
            e0 = abcd;
        } else {
            e = e0 = _mm_sha1nexte_epu32(e0, w[g & 3]);
            e1 = abcd;
        }
        switch (g / 5) { /* the round function: an immediate operand */
        case 0: abcd = _mm_sha1rnds4_epu32(abcd, e, 0); break;
        case 1: abcd = _mm_sha1rnds4_epu32(abcd, e, 1); break;
        case 2: abcd = _mm_sha1rnds4_epu32(abcd, e, 2); break;
        default: abcd = _mm_sha1rnds4_epu32(abcd, e, 3); break;
        }
    }
    /* After group 19 (odd) e0 holds the a that entered it: rol30(a) is the next e. */
    e0 = _mm_sha1nexte_epu32(e0, e_before);
    abcd = _mm_add_epi32(abcd, abcd_before);
    _mm_storeu_si128((__m128i *)state->h, _mm_shuffle_epi32(abcd, 0x1B));
    state->h[4] = (uint32_t)_mm_extract_epi32(e0, 3);
}

static int cpu_has_sha_ni(void) {
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSE4_1) || !(c & bit_SSSE3)) {
        return 0;
    }
    if (__get_cpuid_max(0, NULL) < 7) {
        return 0;
    }
    __cpuid_count(7, 0, a, b, c, d);
    return (b & (1u << 29)) != 0; /* CPUID.(EAX=7,ECX=0):EBX.SHA[bit 29] */
}
#endif

/* sha1_block, or sha1_block_sha_ni where the CPU has it (set at import). */
static void (*SHA1_BLOCK)(sha1_state *, const unsigned char *) = sha1_block;

static void sha1_init(sha1_state *state) {
    state->h[0] = 0x67452301;
    state->h[1] = 0xEFCDAB89;
    state->h[2] = 0x98BADCFE;
    state->h[3] = 0x10325476;
    state->h[4] = 0xC3D2E1F0;
    state->length = 0;
    state->used = 0;
    state->compress = SHA1_BLOCK;
}

static void sha1_update(sha1_state *state, const unsigned char *data, size_t size) {
    state->length += size;
    while (size > 0) {
        size_t take = 64 - state->used;
        if (take > size) {
            take = size;
        }
        memcpy(state->block + state->used, data, take);
        state->used += take;
        data += take;
        size -= take;
        if (state->used == 64) {
            state->compress(state, state->block);
            state->used = 0;
        }
    }
}

static void sha1_final(sha1_state *state, unsigned char digest[20]) {
    uint64_t bits = state->length * 8;
    state->block[state->used++] = 0x80;
    if (state->used > 56) {
        memset(state->block + state->used, 0, 64 - state->used);
        state->compress(state, state->block);
        state->used = 0;
    }
    memset(state->block + state->used, 0, 56 - state->used);
    for (int i = 0; i < 8; i++) {
        state->block[56 + i] = (unsigned char)(bits >> (56 - 8 * i));
    }
    state->compress(state, state->block);
    for (int i = 0; i < 5; i++) {
        digest[4 * i] = (unsigned char)(state->h[i] >> 24);
        digest[4 * i + 1] = (unsigned char)(state->h[i] >> 16);
        digest[4 * i + 2] = (unsigned char)(state->h[i] >> 8);
        digest[4 * i + 3] = (unsigned char)state->h[i];
    }
}

/* -- Tables, handed over once by outcome.py (``configure``) -------------------------- */

static PyObject *TEMPLATE;           /* field -> default value, in schema order */
static PyObject *STR_FIELDS;         /* attribute -> field, for plain string fields */
static PyObject *DISPATCH;           /* attribute -> (field, conversion) */
static PyObject *METADATA_PREFIX;    /* "agent.metadata." */
static PyObject *OPERATIONS;         /* operation -> (name field, kind value) */
static PyObject *SEVERITY_OF_STATUS; /* status -> default severity */
static PyObject *STATUS_CODE_NAMES;  /* StatusCode -> its name */
static PyObject *RESOURCE_CACHE;     /* id(resource) -> (resource, converted) */
static PyObject *RESOURCE_OF;        /* resource -> converted (fills the cache) */
static PyObject *EVENT_TYPE;         /* "outcome" */
static PyObject *EVENT_CLASS;        /* OutcomeEvent, whose instances seal_event may untrack */
static PyObject *INFO;               /* "INFO" */
static PyObject *UNSET;              /* "UNSET" */
static unsigned char NAMESPACE[16];
static int configured;

enum { AS_STR, AS_INT, AS_FLOAT, AS_TEXT, AS_TAGS };

/* Interned names: fields of ``data`` and private fields of the SDK's spans. */
static PyObject *F_OPERATION, *F_STATUS, *F_SEVERITY, *F_INPUT_TOKENS, *F_OUTPUT_TOKENS,
    *F_TOTAL_TOKENS, *F_EVENTS, *F_LINKS, *F_TAGS, *F_LATENCY_MS, *F_EVENT_ID, *F_EVENT_TYPE,
    *F_TRACE_ID, *F_SPAN_ID, *F_PARENT_SPAN_ID, *F_TRACE_FLAGS, *F_KIND, *F_NAME,
    *F_SPAN_NAME, *F_START_TIME, *F_END_TIME, *F_DURATION_MS, *F_SPAN_STATUS, *F_METADATA,
    *F_ATTRIBUTES, *F_RESOURCE, *F_DATA;
static PyObject *A_NAME, *A_CONTEXT, *A_PARENT, *A_START_TIME, *A_END_TIME, *A_STATUS,
    *A_STATUS_CODE, *A_RESOURCE, *A_EVENTS, *A_LINKS, *A_DQ;

static int intern_names(void) {
#define NAME(var, text)                                  \
    if ((var = PyUnicode_InternFromString(text)) == NULL) { \
        return -1;                                       \
    }
    NAME(F_OPERATION, "operation");
    NAME(F_STATUS, "status");
    NAME(F_SEVERITY, "severity");
    NAME(F_INPUT_TOKENS, "input_tokens");
    NAME(F_OUTPUT_TOKENS, "output_tokens");
    NAME(F_TOTAL_TOKENS, "total_tokens");
    NAME(F_EVENTS, "events");
    NAME(F_LINKS, "links");
    NAME(F_TAGS, "tags");
    NAME(F_LATENCY_MS, "latency_ms");
    NAME(F_EVENT_ID, "event_id");
    NAME(F_EVENT_TYPE, "event_type");
    NAME(F_TRACE_ID, "trace_id");
    NAME(F_SPAN_ID, "span_id");
    NAME(F_PARENT_SPAN_ID, "parent_span_id");
    NAME(F_TRACE_FLAGS, "trace_flags");
    NAME(F_KIND, "kind");
    NAME(F_NAME, "name");
    NAME(F_SPAN_NAME, "span_name");
    NAME(F_START_TIME, "start_time");
    NAME(F_END_TIME, "end_time");
    NAME(F_DURATION_MS, "duration_ms");
    NAME(F_SPAN_STATUS, "span_status");
    NAME(F_METADATA, "metadata");
    NAME(F_ATTRIBUTES, "attributes");
    NAME(F_RESOURCE, "resource");
    NAME(F_DATA, "_data");
    NAME(A_NAME, "_name");
    NAME(A_CONTEXT, "_context");
    NAME(A_PARENT, "_parent");
    NAME(A_START_TIME, "_start_time");
    NAME(A_END_TIME, "_end_time");
    NAME(A_STATUS, "_status");
    NAME(A_STATUS_CODE, "_status_code");
    NAME(A_RESOURCE, "_resource");
    NAME(A_EVENTS, "_events");
    NAME(A_LINKS, "_links");
    NAME(A_DQ, "_dq");
#undef NAME
    return 0;
}

static int keep(PyObject **slot, PyObject *value) {
    Py_XINCREF(value);
    Py_XSETREF(*slot, value);
    return 0;
}

static PyObject *speedups_configure(PyObject *module, PyObject *args) {
    PyObject *template, *str_fields, *dispatch, *prefix, *operations, *severities, *codes,
        *cache, *resource_of, *event_type, *event_class;
    Py_buffer namespace;
    if (!PyArg_ParseTuple(args, "O!O!O!UO!O!O!O!OUy*O!", &PyDict_Type, &template, &PyDict_Type,
                          &str_fields, &PyDict_Type, &dispatch, &prefix, &PyDict_Type,
                          &operations, &PyDict_Type, &severities, &PyDict_Type, &codes,
                          &PyDict_Type, &cache, &resource_of, &event_type, &namespace,
                          &PyType_Type, &event_class)) {
        return NULL;
    }
    if (namespace.len != 16) {
        PyBuffer_Release(&namespace);
        PyErr_SetString(PyExc_ValueError, "the namespace is 16 bytes");
        return NULL;
    }
    memcpy(NAMESPACE, namespace.buf, 16);
    PyBuffer_Release(&namespace);
    keep(&TEMPLATE, template);
    keep(&STR_FIELDS, str_fields);
    keep(&DISPATCH, dispatch);
    keep(&METADATA_PREFIX, prefix);
    keep(&OPERATIONS, operations);
    keep(&SEVERITY_OF_STATUS, severities);
    keep(&STATUS_CODE_NAMES, codes);
    keep(&RESOURCE_CACHE, cache);
    keep(&RESOURCE_OF, resource_of);
    keep(&EVENT_TYPE, event_type);
    keep(&EVENT_CLASS, event_class);
    configured = 1;
    Py_RETURN_NONE;
}

/* -- Helpers; each returns NULL (or -1) with no exception set to mean "not ours" ------ */

/* An attribute of ``obj`` without raising: NULL, error cleared, when it is missing. */
static PyObject *field_of(PyObject *obj, PyObject *name) {
    PyObject *value = PyObject_GetAttr(obj, name);
    if (value == NULL) {
        PyErr_Clear();
    }
    return value;
}

/* A field of the span's instance dict (borrowed from it, so a new reference here), else
 * through getattr: the SDK keeps them as plain instance attributes, and one dict lookup
 * is ~10x cheaper than the generic attribute lookup. */
static PyObject *span_field(PyObject *fields, PyObject *span, PyObject *name) {
    if (fields != NULL) {
        PyObject *value = PyDict_GetItemWithError(fields, name);
        if (value != NULL) {
            Py_INCREF(value);
            return value;
        }
        PyErr_Clear();
    }
    return field_of(span, name);
}

/* 1 when the SDK's BoundedList in ``span.<name>`` holds items (or is not the known shape). */
static int may_have_items(PyObject *fields, PyObject *span, PyObject *name) {
    PyObject *bounded = span_field(fields, span, name);
    if (bounded == NULL || bounded == Py_None) {
        Py_XDECREF(bounded);
        return 1;
    }
    PyObject *items = field_of(bounded, A_DQ);
    Py_DECREF(bounded);
    if (items == NULL) {
        return 1;
    }
    Py_ssize_t size = PyObject_Length(items);
    Py_DECREF(items);
    if (size < 0) {
        PyErr_Clear();
        return 1;
    }
    return size > 0;
}

static const char HEX[] = "0123456789abcdef";

static PyObject *hex_text(const unsigned char *bytes, Py_ssize_t size) {
    PyObject *text = PyUnicode_New(2 * size, 127);
    if (text == NULL) {
        return NULL;
    }
    Py_UCS1 *out = PyUnicode_1BYTE_DATA(text);
    for (Py_ssize_t i = 0; i < size; i++) {
        out[2 * i] = (Py_UCS1)HEX[bytes[i] >> 4];
        out[2 * i + 1] = (Py_UCS1)HEX[bytes[i] & 0xF];
    }
    return text;
}

/* A non-negative int below 2**64; -1 (error cleared) otherwise. */
static int as_u64(PyObject *number, uint64_t *out) {
    if (!PyLong_Check(number)) {
        return -1;
    }
    unsigned long long value = PyLong_AsUnsignedLongLong(number);
    if (value == (unsigned long long)-1 && PyErr_Occurred()) {
        PyErr_Clear();
        return -1;
    }
    *out = (uint64_t)value;
    return 0;
}

static void put_u64(unsigned char *bytes, uint64_t value) {
    for (int i = 0; i < 8; i++) {
        bytes[i] = (unsigned char)(value >> (56 - 8 * i));
    }
}

/* A trace id (below 2**128) as 16 big-endian bytes; -1 otherwise. */
static int trace_id_bytes(PyObject *number, unsigned char bytes[16]) {
    if (!PyLong_Check(number)) {
        return -1;
    }
    static PyObject *sixty_four;
    if (sixty_four == NULL && (sixty_four = PyLong_FromLong(64)) == NULL) {
        PyErr_Clear();
        return -1;
    }
    PyObject *high = PyNumber_Rshift(number, sixty_four);
    if (high == NULL) {
        PyErr_Clear();
        return -1;
    }
    uint64_t high_bits;
    int ok = as_u64(high, &high_bits);
    Py_DECREF(high);
    if (ok < 0) {
        return -1; /* negative, or beyond 128 bits */
    }
    unsigned long long low = PyLong_AsUnsignedLongLongMask(number);
    if (low == (unsigned long long)-1 && PyErr_Occurred()) {
        PyErr_Clear();
        return -1;
    }
    put_u64(bytes, high_bits);
    put_u64(bytes + 8, (uint64_t)low);
    return 0;
}

/* RFC 3339 with microseconds, as outcome._rfc3339; NULL for what it does not cover. */
static PyObject *rfc3339(int64_t ns) {
    static int64_t last_second = -1;
    static char prefix[21]; /* "YYYY-MM-DDTHH:MM:SS." */
    int64_t micros = ns / 1000;
    int64_t seconds = micros / 1000000;
    int fraction = (int)(micros % 1000000);
    if (seconds != last_second) {
        time_t t = (time_t)seconds;
        struct tm parts;
        if (gmtime_r(&t, &parts) == NULL || parts.tm_year + 1900 > 9999) {
            return NULL;
        }
        char text[80]; /* room for any int, though gmtime_r's fields are in range */
        snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.", parts.tm_year + 1900,
                 parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec);
        if (strlen(text) != 20) {
            return NULL;
        }
        memcpy(prefix, text, 20);
        last_second = seconds;
    }
    PyObject *text = PyUnicode_New(27, 127);
    if (text == NULL) {
        PyErr_Clear();
        return NULL;
    }
    Py_UCS1 *out = PyUnicode_1BYTE_DATA(text);
    memcpy(out, prefix, 20);
    for (int i = 25; i >= 20; i--) {
        out[i] = (Py_UCS1)('0' + fraction % 10);
        fraction /= 10;
    }
    out[26] = 'Z';
    return text;
}

/* A new list for the event: its items are strings, so it can take part in no reference
 * cycle, and the collector need not track it (see untrack_event). NULL on failure. */
static PyObject *untracked(PyObject *list) {
    if (list != NULL) {
        PyObject_GC_UnTrack(list);
    }
    return list;
}

/* A dict of strings, numbers and such dicts (a converted resource) is untracked, as the
 * collector itself would untrack it: 1 if it is (or was) untracked, 0 if it holds more. */
static int untrack_if_atomic(PyObject *dict) {
    Py_ssize_t position = 0;
    PyObject *key, *value;
    while (PyDict_Next(dict, &position, &key, &value)) {
        if (PyObject_GC_IsTracked(value) && !(PyDict_CheckExact(value) && untrack_if_atomic(value))) {
            return 0;
        }
    }
    PyObject_GC_UnTrack(dict);
    return 1;
}

/* ``outcome._safe`` for the values it keeps as they are: a new reference, or NULL. */
static PyObject *safe_value(PyObject *value, Py_ssize_t limit) {
    if (PyUnicode_CheckExact(value)) {
        if (PyUnicode_GET_LENGTH(value) > limit) {
            return NULL;
        }
    } else if (PyFloat_CheckExact(value)) {
        double number = PyFloat_AS_DOUBLE(value);
        if (!isfinite(number)) {
            return NULL;
        }
    } else if (!PyLong_CheckExact(value) && !PyBool_Check(value)) {
        return NULL;
    }
    Py_INCREF(value);
    return value;
}

/* One known attribute through its conversion into ``data``: 0 done, -1 not ours. */
static int convert(PyObject *data, PyObject *field, long how, PyObject *value,
                   Py_ssize_t limit) {
    PyObject *converted = NULL;
    switch (how) {
    case AS_STR:
        if (!PyUnicode_CheckExact(value)) {
            return -1;
        }
        Py_INCREF(value);
        converted = value;
        break;
    case AS_INT:
        if (!PyLong_CheckExact(value)) {
            return -1;
        }
        Py_INCREF(value);
        converted = value;
        break;
    case AS_FLOAT:
        if (PyFloat_CheckExact(value)) {
            if (isfinite(PyFloat_AS_DOUBLE(value))) {
                Py_INCREF(value);
                converted = value;
            } else {
                Py_INCREF(Py_None);
                converted = Py_None;
            }
        } else if (PyLong_CheckExact(value)) {
            double number = PyLong_AsDouble(value);
            if (number == -1.0 && PyErr_Occurred()) {
                PyErr_Clear();
                return -1;
            }
            converted = PyFloat_FromDouble(number);
        } else {
            return -1;
        }
        break;
    case AS_TEXT:
        if (!PyUnicode_CheckExact(value) || PyUnicode_GET_LENGTH(value) > limit) {
            return -1;
        }
        Py_INCREF(value);
        converted = value;
        break;
    case AS_TAGS:
        if (PyUnicode_CheckExact(value)) {
            converted = untracked(PyList_New(1));
            if (converted != NULL) {
                Py_INCREF(value);
                PyList_SET_ITEM(converted, 0, value);
            }
        } else if (PyTuple_CheckExact(value)) {
            Py_ssize_t size = PyTuple_GET_SIZE(value);
            for (Py_ssize_t i = 0; i < size; i++) {
                if (!PyUnicode_CheckExact(PyTuple_GET_ITEM(value, i))) {
                    return -1;
                }
            }
            converted = untracked(PySequence_List(value));
        } else {
            return -1;
        }
        break;
    default:
        return 0; /* shown by other fields: not repeated */
    }
    if (converted == NULL) {
        PyErr_Clear();
        return -1;
    }
    int failed = PyDict_SetItem(data, field, converted);
    Py_DECREF(converted);
    if (failed) {
        PyErr_Clear();
        return -1;
    }
    return 0;
}

/* The attribute pass of ``from_span``: 0 done, -1 not ours. */
static int read_attributes(PyObject *data, PyObject *source, PyObject *metadata,
                           PyObject *others, Py_ssize_t limit) {
    Py_ssize_t position = 0;
    PyObject *key, *value;
    Py_ssize_t prefix_length = PyUnicode_GET_LENGTH(METADATA_PREFIX);
    while (PyDict_Next(source, &position, &key, &value)) {
        if (!PyUnicode_CheckExact(key)) {
            return -1;
        }
        PyObject *field = PyDict_GetItemWithError(STR_FIELDS, key);
        if (field == NULL && PyErr_Occurred()) {
            PyErr_Clear();
            return -1;
        }
        if (field != NULL && PyUnicode_CheckExact(value)) {
            if (PyDict_SetItem(data, field, value)) {
                PyErr_Clear();
                return -1;
            }
            continue;
        }
        PyObject *target = PyDict_GetItemWithError(DISPATCH, key);
        if (target == NULL) {
            if (PyErr_Occurred()) {
                PyErr_Clear();
                return -1;
            }
            PyObject *safe = safe_value(value, limit);
            if (safe == NULL) {
                return -1;
            }
            int failed;
            Py_ssize_t match = PyUnicode_Tailmatch(key, METADATA_PREFIX, 0, PY_SSIZE_T_MAX, -1);
            if (match == 1) {
                PyObject *name =
                    PyUnicode_Substring(key, prefix_length, PyUnicode_GET_LENGTH(key));
                failed = name == NULL || PyDict_SetItem(metadata, name, safe);
                Py_XDECREF(name);
            } else {
                failed = match < 0 || PyDict_SetItem(others, key, safe);
            }
            Py_DECREF(safe);
            if (failed) {
                PyErr_Clear();
                return -1;
            }
            continue;
        }
        if (!PyTuple_CheckExact(target) || PyTuple_GET_SIZE(target) != 2) {
            return -1;
        }
        long how = PyLong_AsLong(PyTuple_GET_ITEM(target, 1));
        if (how == -1 && PyErr_Occurred()) {
            PyErr_Clear();
            return -1;
        }
        if (convert(data, PyTuple_GET_ITEM(target, 0), how, value, limit) < 0) {
            return -1;
        }
    }
    return 0;
}

/* ``data[field] = value``, stealing ``value``; -1 if either failed. */
static int set_new(PyObject *data, PyObject *field, PyObject *value) {
    if (value == NULL) {
        PyErr_Clear();
        return -1;
    }
    int failed = PyDict_SetItem(data, field, value);
    Py_DECREF(value);
    if (failed) {
        PyErr_Clear();
        return -1;
    }
    return 0;
}

/* A borrowed field of ``data`` (always present: ``data`` is a copy of the template). */
static PyObject *get(PyObject *data, PyObject *field) {
    PyObject *value = PyDict_GetItemWithError(data, field);
    if (value == NULL) {
        PyErr_Clear();
    }
    return value;
}

static int is_truthy_str(PyObject *value) {
    return value != NULL && PyUnicode_CheckExact(value) && PyUnicode_GET_LENGTH(value) > 0;
}

/* The span-level fields after the attribute pass; 0 done, -1 not ours. */
static int fill_from_span(PyObject *data, PyObject *span, PyObject *fields, PyObject *events) {
    PyObject *operation = get(data, F_OPERATION);
    if (!is_truthy_str(operation)) {
        return -1;
    }
    PyObject *entry = PyDict_GetItemWithError(OPERATIONS, operation);
    if (entry == NULL || !PyTuple_CheckExact(entry) || PyTuple_GET_SIZE(entry) != 2) {
        PyErr_Clear();
        return -1; /* evicted or renamed: the Python code reads the span name */
    }
    PyObject *status = get(data, F_STATUS);
    if (!is_truthy_str(status)) {
        return -1; /* read from the span's status by the Python code */
    }
    /* Span events: the exception's message and stack go to their fields in Python. */
    if (events != Py_None) {
        Py_ssize_t size = PyObject_Length(events);
        if (size != 0) {
            PyErr_Clear();
            return -1;
        }
    } else if (may_have_items(fields, span, A_EVENTS)) {
        return -1;
    }
    if (may_have_items(fields, span, A_LINKS)) {
        return -1;
    }

    int result = -1;
    PyObject *span_name = NULL, *context = NULL, *parent = NULL, *start = NULL, *end = NULL,
             *span_status = NULL, *code = NULL, *resource = NULL;
    if ((span_name = span_field(fields, span, A_NAME)) == NULL ||
        !PyUnicode_CheckExact(span_name) ||
        (context = span_field(fields, span, A_CONTEXT)) == NULL ||
        (parent = span_field(fields, span, A_PARENT)) == NULL ||
        (start = span_field(fields, span, A_START_TIME)) == NULL ||
        (end = span_field(fields, span, A_END_TIME)) == NULL ||
        (span_status = span_field(fields, span, A_STATUS)) == NULL ||
        (code = field_of(span_status, A_STATUS_CODE)) == NULL ||
        (resource = span_field(fields, span, A_RESOURCE)) == NULL) {
        goto done;
    }

    /* The name: its attribute, else the span's; a name the SDK cut is the Python's job. */
    PyObject *name = get(data, PyTuple_GET_ITEM(entry, 0));
    if (!is_truthy_str(name)) {
        name = span_name;
    }
    if (PyUnicode_Tailmatch(span_name, name, 0, PY_SSIZE_T_MAX, 1) != 1) {
        PyErr_Clear();
        goto done;
    }

    /* Times: a finished span has both, as non-negative nanoseconds. */
    int64_t start_ns = 0, end_ns;
    if (start != Py_None) {
        uint64_t value;
        if (as_u64(start, &value) < 0 || value > INT64_MAX) {
            goto done;
        }
        start_ns = (int64_t)value;
    }
    uint64_t end_value;
    if (end == Py_None || as_u64(end, &end_value) < 0 || end_value == 0 ||
        end_value > INT64_MAX) {
        goto done;
    }
    end_ns = (int64_t)end_value;
    double duration = (double)(end_ns - start_ns) / 1e6;

    /* Ids. */
    if (!PyTuple_Check(context) || PyTuple_GET_SIZE(context) < 4) {
        goto done;
    }
    unsigned char trace_bytes[16], span_bytes[8];
    uint64_t span_id, flags;
    if (trace_id_bytes(PyTuple_GET_ITEM(context, 0), trace_bytes) < 0 ||
        as_u64(PyTuple_GET_ITEM(context, 1), &span_id) < 0 ||
        as_u64(PyTuple_GET_ITEM(context, 3), &flags) < 0 || flags > 255) {
        goto done;
    }
    put_u64(span_bytes, span_id);
    PyObject *parent_hex;
    if (parent == Py_None) {
        Py_INCREF(Py_None);
        parent_hex = Py_None;
    } else {
        uint64_t parent_id;
        unsigned char parent_bytes[8];
        if (!PyTuple_Check(parent) || PyTuple_GET_SIZE(parent) < 2 ||
            as_u64(PyTuple_GET_ITEM(parent, 1), &parent_id) < 0) {
            goto done;
        }
        put_u64(parent_bytes, parent_id);
        if ((parent_hex = hex_text(parent_bytes, 8)) == NULL) {
            PyErr_Clear();
            goto done;
        }
    }
    if (set_new(data, F_PARENT_SPAN_ID, parent_hex) < 0) {
        goto done;
    }

    /* uuid5(namespace, "<trace hex>-<span hex>-outcome"), as ids.event_id_from_hex. */
    char name_text[32 + 1 + 16 + 1 + 32];
    for (int i = 0; i < 16; i++) {
        name_text[2 * i] = HEX[trace_bytes[i] >> 4];
        name_text[2 * i + 1] = HEX[trace_bytes[i] & 0xF];
    }
    name_text[32] = '-';
    for (int i = 0; i < 8; i++) {
        name_text[33 + 2 * i] = HEX[span_bytes[i] >> 4];
        name_text[33 + 2 * i + 1] = HEX[span_bytes[i] & 0xF];
    }
    name_text[49] = '-';
    Py_ssize_t type_size;
    const char *type_text = PyUnicode_AsUTF8AndSize(EVENT_TYPE, &type_size);
    if (type_text == NULL || type_size > 32) {
        PyErr_Clear();
        goto done;
    }
    memcpy(name_text + 50, type_text, (size_t)type_size);
    sha1_state sha;
    unsigned char digest[20];
    sha1_init(&sha);
    sha1_update(&sha, NAMESPACE, 16);
    sha1_update(&sha, (const unsigned char *)name_text, 50 + (size_t)type_size);
    sha1_final(&sha, digest);
    digest[6] = (unsigned char)((digest[6] & 0x0F) | 0x50);
    digest[8] = (unsigned char)((digest[8] & 0x3F) | 0x80);
    PyObject *event_id = PyUnicode_New(36, 127);
    if (event_id == NULL) {
        PyErr_Clear();
        goto done;
    }
    Py_UCS1 *out = PyUnicode_1BYTE_DATA(event_id);
    for (int i = 0, at = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            out[at++] = '-';
        }
        out[at++] = (Py_UCS1)HEX[digest[i] >> 4];
        out[at++] = (Py_UCS1)HEX[digest[i] & 0xF];
    }

    if (set_new(data, F_EVENT_ID, event_id) < 0 ||
        PyDict_SetItem(data, F_EVENT_TYPE, EVENT_TYPE) ||
        set_new(data, F_TRACE_ID, hex_text(trace_bytes, 16)) < 0 ||
        set_new(data, F_SPAN_ID, hex_text(span_bytes, 8)) < 0 ||
        set_new(data, F_TRACE_FLAGS, PyLong_FromUnsignedLongLong(flags)) < 0 ||
        PyDict_SetItem(data, F_KIND, PyTuple_GET_ITEM(entry, 1)) ||
        PyDict_SetItem(data, F_NAME, name) || PyDict_SetItem(data, F_SPAN_NAME, span_name) ||
        set_new(data, F_START_TIME, rfc3339(start_ns)) < 0 ||
        set_new(data, F_END_TIME, rfc3339(end_ns)) < 0) {
        PyErr_Clear();
        goto done;
    }

    /* Severity from the status; total tokens at least input + output. */
    PyObject *severity = get(data, F_SEVERITY);
    if (severity == Py_None) {
        PyObject *fallback = PyDict_GetItemWithError(SEVERITY_OF_STATUS, status);
        if (fallback == NULL && PyErr_Occurred()) {
            PyErr_Clear();
            goto done;
        }
        if (PyDict_SetItem(data, F_SEVERITY, fallback != NULL ? fallback : INFO)) {
            PyErr_Clear();
            goto done;
        }
    }
    PyObject *tokens_in = get(data, F_INPUT_TOKENS);
    PyObject *tokens_out = get(data, F_OUTPUT_TOKENS);
    if (tokens_in == NULL || tokens_out == NULL) {
        goto done;
    }
    if (tokens_in != Py_None || tokens_out != Py_None) {
        PyObject *zero = PyLong_FromLong(0);
        PyObject *total = get(data, F_TOTAL_TOKENS);
        if (zero == NULL || total == NULL) {
            Py_XDECREF(zero);
            PyErr_Clear();
            goto done;
        }
        PyObject *sum = PyNumber_Add(tokens_in != Py_None ? tokens_in : zero,
                                     tokens_out != Py_None ? tokens_out : zero);
        PyObject *current = total != Py_None ? total : zero;
        int keep_current = sum == NULL ? -1 : PyObject_RichCompareBool(current, sum, Py_GE);
        int failed = keep_current < 0 ||
                     PyDict_SetItem(data, F_TOTAL_TOKENS, keep_current ? current : sum);
        Py_XDECREF(sum);
        Py_DECREF(zero);
        if (failed) {
            PyErr_Clear();
            goto done;
        }
    }

    PyObject *latency = get(data, F_LATENCY_MS);
    PyObject *tags = get(data, F_TAGS);
    if (latency == NULL || tags == NULL ||
        set_new(data, F_DURATION_MS, PyFloat_FromDouble(duration)) < 0 ||
        (latency == Py_None && set_new(data, F_LATENCY_MS, PyFloat_FromDouble(duration)) < 0) ||
        (tags == Py_None && set_new(data, F_TAGS, untracked(PyList_New(0))) < 0) ||
        set_new(data, F_EVENTS, untracked(PyList_New(0))) < 0 ||
        set_new(data, F_LINKS, untracked(PyList_New(0))) < 0 ||
        PyDict_SetItem(data, F_STATUS, status)) {
        PyErr_Clear();
        goto done;
    }

    /* StatusCode is an Enum: hashing one runs Enum.__hash__ in Python (~1k instructions).
       Its three members are matched by identity first; the lookup is the fallback. */
    PyObject *code_name = NULL, *member, *member_name;
    Py_ssize_t at = 0;
    while (PyDict_Next(STATUS_CODE_NAMES, &at, &member, &member_name)) {
        if (member == code) {
            code_name = member_name;
            break;
        }
    }
    if (code_name == NULL) {
        code_name = PyDict_GetItemWithError(STATUS_CODE_NAMES, code);
    }
    if (code_name == NULL && PyErr_Occurred()) {
        PyErr_Clear();
        goto done;
    }
    if (PyDict_SetItem(data, F_SPAN_STATUS, code_name != NULL ? code_name : UNSET)) {
        PyErr_Clear();
        goto done;
    }

    /* The resource, converted once per provider (outcome._resource fills the cache). */
    PyObject *converted = NULL;
    if (resource == Py_None) {
        converted = PyDict_New();
    } else {
        PyObject *key = PyLong_FromVoidPtr(resource);
        PyObject *cached = key == NULL ? NULL : PyDict_GetItemWithError(RESOURCE_CACHE, key);
        Py_XDECREF(key);
        if (cached != NULL && PyTuple_CheckExact(cached) && PyTuple_GET_SIZE(cached) == 2 &&
            PyTuple_GET_ITEM(cached, 0) == resource) {
            converted = PyTuple_GET_ITEM(cached, 1);
            Py_INCREF(converted);
        } else {
            PyErr_Clear();
            converted = PyObject_CallOneArg(RESOURCE_OF, resource);
            if (converted != NULL && PyDict_CheckExact(converted)) {
                untrack_if_atomic(converted); /* once per resource: it is cached */
            }
        }
    }
    if (set_new(data, F_RESOURCE, converted) < 0) {
        goto done;
    }
    result = 0;
done:
    Py_XDECREF(span_name);
    Py_XDECREF(context);
    Py_XDECREF(parent);
    Py_XDECREF(start);
    Py_XDECREF(end);
    Py_XDECREF(span_status);
    Py_XDECREF(code);
    Py_XDECREF(resource);
    return result;
}

/* An event's data is read-only (``OutcomeEvent.data``) and, as built here, holds only
 * strings, numbers, lists of strings and dicts of those: no reference cycle can pass
 * through it. Untracked, the cyclic collector does not walk its ~60 values at every
 * young collection for each event still on its way to the sinks. A resource that holds
 * more (cached as the Python builder made it) keeps the whole event tracked. */
static void untrack_event(PyObject *data) {
    PyObject *resource = get(data, F_RESOURCE);
    if (resource == NULL || PyObject_GC_IsTracked(resource)) {
        return;
    }
    /* metadata and attributes: values that passed safe_value, all atomic */
    PyObject *metadata = get(data, F_METADATA), *others = get(data, F_ATTRIBUTES);
    if (metadata == NULL || others == NULL) {
        return;
    }
    PyObject_GC_UnTrack(metadata);
    PyObject_GC_UnTrack(others);
    PyObject_GC_UnTrack(data);
}

static PyObject *speedups_build_outcome(PyObject *module, PyObject *const *args,
                                        Py_ssize_t nargs) {
    if (nargs != 4) {
        PyErr_SetString(PyExc_TypeError, "build_outcome(span, attributes, events, limit)");
        return NULL;
    }
    PyObject *span = args[0], *source = args[1], *events = args[2];
    Py_ssize_t limit = PyLong_AsSsize_t(args[3]);
    if (!configured || !PyDict_CheckExact(source) || (limit == -1 && PyErr_Occurred())) {
        PyErr_Clear();
        Py_RETURN_NONE;
    }
    /* The span's own fields (a plain ``__dict__``, made once if the instance had none). */
    PyObject *fields = PyObject_GenericGetDict(span, NULL);
    if (fields != NULL && !PyDict_CheckExact(fields)) {
        Py_CLEAR(fields);
    }
    PyErr_Clear();
    PyObject *data = PyDict_Copy(TEMPLATE);
    PyObject *metadata = PyDict_New();
    PyObject *others = PyDict_New();
    if (data == NULL || metadata == NULL || others == NULL ||
        read_attributes(data, source, metadata, others, limit) < 0 ||
        PyDict_SetItem(data, F_METADATA, metadata) || PyDict_SetItem(data, F_ATTRIBUTES, others) ||
        fill_from_span(data, span, fields, events) < 0) {
        PyErr_Clear();
        Py_XDECREF(fields);
        Py_XDECREF(data);
        Py_XDECREF(metadata);
        Py_XDECREF(others);
        Py_RETURN_NONE;
    }
    Py_XDECREF(fields);
    Py_DECREF(metadata);
    Py_DECREF(others);
    untrack_event(data);
    return data;
}

/* An OutcomeEvent (exactly the class handed over in ``configure``, which keeps its data
 * and its JSON in two slots) whose data is untracked (see untrack_event) can take part in
 * no reference cycle either: its other slot holds bytes or None. Untracked too, the
 * events waiting in a sink's queue or kept for ``recent_events()`` are no longer walked
 * by every collection that reaches them. Returns the event; any other object unchanged. */
static PyObject *speedups_seal_event(PyObject *module, PyObject *event) {
    if (configured && Py_TYPE(event) == (PyTypeObject *)EVENT_CLASS &&
        PyObject_GC_IsTracked(event)) {
        PyObject *data = PyObject_GetAttr(event, F_DATA);
        if (data == NULL) {
            PyErr_Clear();
        } else {
            if (PyDict_CheckExact(data) && !PyObject_GC_IsTracked(data)) {
                PyObject_GC_UnTrack(event);
            }
            Py_DECREF(data);
        }
    }
    Py_INCREF(event);
    return event;
}

/* -- The CloudEvents envelope around an event's data, as JSON bytes ------------------ */

/* ``OutcomeEvent.to_dict`` made a second dict per event and ``_traceparent`` formatted a
 * string, only for orjson to take them apart again: about 40% of serialising an event.
 * Here the envelope's few fields are written around orjson's bytes for ``data``. The
 * same bytes as ``dumps(event.to_dict())``, or None whenever they might not be (a field
 * of an unexpected type, a string that is not valid UTF-8, ``data`` orjson refuses). */

static PyObject *FRAGMENTS;    /* the envelope's constant pieces, bytes, in order */
static PyObject *ORJSON_DUMPS; /* orjson.dumps */
static PyObject *DUMPS_DEFAULT; /* its ``default``, as jsonsafe.dumps passes it */
static PyObject *DEFAULT_KWNAMES; /* ("default",) */
static PyObject *F_SERVICE_NAME, *UNKNOWN_SERVICE;
static int envelope_configured;

enum { FRAGMENT_COUNT = 7 };

static PyObject *speedups_configure_envelope(PyObject *module, PyObject *args) {
    PyObject *fragments, *dumps, *fallback;
    if (!PyArg_ParseTuple(args, "O!OO", &PyTuple_Type, &fragments, &dumps, &fallback)) {
        return NULL;
    }
    if (PyTuple_GET_SIZE(fragments) != FRAGMENT_COUNT) {
        PyErr_SetString(PyExc_ValueError, "the envelope has 7 fragments");
        return NULL;
    }
    for (Py_ssize_t i = 0; i < FRAGMENT_COUNT; i++) {
        if (!PyBytes_CheckExact(PyTuple_GET_ITEM(fragments, i))) {
            PyErr_SetString(PyExc_TypeError, "the envelope's fragments are bytes");
            return NULL;
        }
    }
    if (DEFAULT_KWNAMES == NULL) {
        /* Interned: orjson tells its keywords apart by identity. */
        PyObject *name = PyUnicode_InternFromString("default");
        DEFAULT_KWNAMES = name == NULL ? NULL : PyTuple_Pack(1, name);
        Py_XDECREF(name);
        if (DEFAULT_KWNAMES == NULL) {
            return NULL;
        }
    }
    if (F_SERVICE_NAME == NULL &&
        (F_SERVICE_NAME = PyUnicode_InternFromString("service_name")) == NULL) {
        return NULL;
    }
    if (UNKNOWN_SERVICE == NULL &&
        (UNKNOWN_SERVICE = PyUnicode_InternFromString("unknown_service")) == NULL) {
        return NULL;
    }
    keep(&FRAGMENTS, fragments);
    keep(&ORJSON_DUMPS, dumps);
    keep(&DUMPS_DEFAULT, fallback);
    envelope_configured = 1;
    Py_RETURN_NONE;
}

/* UTF-8 of a str; NULL (error cleared) for anything else or a lone surrogate. */
static const char *utf8_of(PyObject *value, Py_ssize_t *size) {
    if (value == NULL || !PyUnicode_CheckExact(value)) {
        return NULL;
    }
    const char *text = PyUnicode_AsUTF8AndSize(value, size);
    if (text == NULL) {
        PyErr_Clear();
    }
    return text;
}

/* ``text`` as the inside of a JSON string, escaped as orjson escapes it. */
static char *put_escaped(char *out, const char *text, Py_ssize_t size) {
    static const char hex[] = "0123456789abcdef";
    for (Py_ssize_t i = 0; i < size; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            *out++ = (char)c;
            continue;
        }
        *out++ = '\\';
        switch (c) {
        case '"': *out++ = '"'; break;
        case '\\': *out++ = '\\'; break;
        case '\b': *out++ = 'b'; break;
        case '\t': *out++ = 't'; break;
        case '\n': *out++ = 'n'; break;
        case '\f': *out++ = 'f'; break;
        case '\r': *out++ = 'r'; break;
        default:
            *out++ = 'u';
            *out++ = '0';
            *out++ = '0';
            *out++ = hex[c >> 4];
            *out++ = hex[c & 15];
        }
    }
    return out;
}

static char *put_bytes(char *out, PyObject *bytes) {
    Py_ssize_t size = PyBytes_GET_SIZE(bytes);
    memcpy(out, PyBytes_AS_STRING(bytes), (size_t)size);
    return out + size;
}

/* The traceparent's flags as ``_traceparent`` reads them (trace_flags or 0); -1 (no
 * error set) where they are no int in 0..255, which the Python code writes. */
static long traceparent_flags(PyObject *data) {
    PyObject *value = get(data, F_TRACE_FLAGS);
    if (value == NULL) {
        return -1; /* no such field: the Python code raises KeyError */
    }
    if (value == Py_None) {
        return 0;
    }
    if (!PyLong_Check(value)) {
        return -1;
    }
    long flags = PyLong_AsLong(value);
    if (flags < 0 || flags > 255) {
        PyErr_Clear();
        return -1;
    }
    return flags;
}

static PyObject *speedups_envelope_json(PyObject *module, PyObject *data) {
    if (!envelope_configured || !PyDict_CheckExact(data)) {
        Py_RETURN_NONE;
    }
    /* service: (resource or {}).get("service_name") or "unknown_service" */
    PyObject *resource = get(data, F_RESOURCE), *service = NULL;
    if (resource == NULL || (resource != Py_None && !PyDict_CheckExact(resource))) {
        Py_RETURN_NONE; /* a missing field is the Python code's KeyError to raise */
    }
    if (resource != Py_None) {
        service = get(resource, F_SERVICE_NAME);
    }
    if (service == NULL || service == Py_None ||
        (PyUnicode_CheckExact(service) && PyUnicode_GET_LENGTH(service) == 0)) {
        service = UNKNOWN_SERVICE;
    }
    /* time: end_time or start_time */
    PyObject *when = get(data, F_END_TIME);
    if (when == NULL) {
        Py_RETURN_NONE;
    }
    if (when == Py_None ||
        (PyUnicode_CheckExact(when) && PyUnicode_GET_LENGTH(when) == 0)) {
        when = get(data, F_START_TIME);
    }
    long flags = traceparent_flags(data);
    if (flags < 0) {
        Py_RETURN_NONE;
    }
    Py_ssize_t id_size, service_size, name_size, time_size, trace_size, span_size;
    const char *id = utf8_of(get(data, F_EVENT_ID), &id_size);
    const char *service_text = utf8_of(service, &service_size);
    const char *name = utf8_of(get(data, F_NAME), &name_size);
    const char *time_text = utf8_of(when, &time_size);
    const char *trace = utf8_of(get(data, F_TRACE_ID), &trace_size);
    const char *span = utf8_of(get(data, F_SPAN_ID), &span_size);
    if (id == NULL || service_text == NULL || name == NULL || time_text == NULL ||
        trace == NULL || span == NULL) {
        Py_RETURN_NONE;
    }
    PyObject *call_args[2] = {data, DUMPS_DEFAULT};
    PyObject *inner = PyObject_Vectorcall(ORJSON_DUMPS, call_args, 1, DEFAULT_KWNAMES);
    if (inner == NULL || !PyBytes_CheckExact(inner)) {
        PyErr_Clear();
        Py_XDECREF(inner);
        Py_RETURN_NONE;
    }
    Py_ssize_t bound = PyBytes_GET_SIZE(inner) + 4; /* "-", "-" and two hex digits */
    for (Py_ssize_t i = 0; i < FRAGMENT_COUNT; i++) {
        bound += PyBytes_GET_SIZE(PyTuple_GET_ITEM(FRAGMENTS, i));
    }
    /* an escaped byte is at most six */
    bound += 6 * (id_size + service_size + name_size + time_size + trace_size + span_size);
    PyObject *result = PyBytes_FromStringAndSize(NULL, bound);
    if (result == NULL) {
        PyErr_Clear();
        Py_DECREF(inner);
        Py_RETURN_NONE;
    }
    static const char hex[] = "0123456789abcdef";
    char *start = PyBytes_AS_STRING(result), *out = start;
    out = put_bytes(out, PyTuple_GET_ITEM(FRAGMENTS, 0)); /* {..."id":" */
    out = put_escaped(out, id, id_size);
    out = put_bytes(out, PyTuple_GET_ITEM(FRAGMENTS, 1)); /* ","source":"/otel-agents/ */
    out = put_escaped(out, service_text, service_size);
    out = put_bytes(out, PyTuple_GET_ITEM(FRAGMENTS, 2)); /* ","type":...,"subject":" */
    out = put_escaped(out, name, name_size);
    out = put_bytes(out, PyTuple_GET_ITEM(FRAGMENTS, 3)); /* ","time":" */
    out = put_escaped(out, time_text, time_size);
    out = put_bytes(out, PyTuple_GET_ITEM(FRAGMENTS, 4)); /* ...,"traceparent":"00- */
    out = put_escaped(out, trace, trace_size);
    *out++ = '-';
    out = put_escaped(out, span, span_size);
    *out++ = '-';
    *out++ = hex[flags >> 4];
    *out++ = hex[flags & 15];
    out = put_bytes(out, PyTuple_GET_ITEM(FRAGMENTS, 5)); /* ","data": */
    out = put_bytes(out, inner);
    out = put_bytes(out, PyTuple_GET_ITEM(FRAGMENTS, 6)); /* } */
    Py_DECREF(inner);
    if (_PyBytes_Resize(&result, out - start) < 0) {
        PyErr_Clear();
        Py_RETURN_NONE;
    }
    return result;
}

/* A Kafka record's key (the trace id) and ``traceparent`` header, both as bytes, from an
 * event's data; None where the Python properties must make them (as ``envelope_json``). */
static PyObject *speedups_record_ids(PyObject *module, PyObject *data) {
    if (!PyDict_CheckExact(data)) {
        Py_RETURN_NONE;
    }
    long flags = traceparent_flags(data);
    if (flags < 0) {
        Py_RETURN_NONE;
    }
    Py_ssize_t trace_size, span_size;
    const char *trace = utf8_of(get(data, F_TRACE_ID), &trace_size);
    const char *span = utf8_of(get(data, F_SPAN_ID), &span_size);
    if (trace == NULL || span == NULL) {
        Py_RETURN_NONE;
    }
    PyObject *key = PyBytes_FromStringAndSize(trace, trace_size);
    PyObject *traceparent = PyBytes_FromStringAndSize(NULL, trace_size + span_size + 7);
    if (key == NULL || traceparent == NULL) {
        PyErr_Clear();
        Py_XDECREF(key);
        Py_XDECREF(traceparent);
        Py_RETURN_NONE;
    }
    static const char hex[] = "0123456789abcdef";
    char *out = PyBytes_AS_STRING(traceparent);
    memcpy(out, "00-", 3);
    memcpy(out + 3, trace, (size_t)trace_size);
    out += 3 + trace_size;
    *out++ = '-';
    memcpy(out, span, (size_t)span_size);
    out += span_size;
    *out++ = '-';
    *out++ = hex[flags >> 4];
    *out++ = hex[flags & 15];
    PyObject *pair = PyTuple_New(2);
    if (pair == NULL) {
        PyErr_Clear();
        Py_DECREF(key);
        Py_DECREF(traceparent);
        Py_RETURN_NONE;
    }
    PyTuple_SET_ITEM(pair, 0, key);
    PyTuple_SET_ITEM(pair, 1, traceparent);
    return pair;
}

/* For the tests: SHA-1 of ``data`` with the portable block function or the CPU's SHA
   instructions (None where the CPU or the build has none). */
static PyObject *speedups_sha1(PyObject *self, PyObject *args) {
    Py_buffer data;
    int accelerated;
    if (!PyArg_ParseTuple(args, "y*p", &data, &accelerated)) {
        return NULL;
    }
    sha1_state state;
    sha1_init(&state);
    state.compress = sha1_block;
    if (accelerated) {
        if (SHA1_BLOCK == sha1_block) { /* CPUID found none at import */
            PyBuffer_Release(&data);
            Py_RETURN_NONE;
        }
        state.compress = SHA1_BLOCK;
    }
    unsigned char digest[20];
    sha1_update(&state, (const unsigned char *)data.buf, (size_t)data.len);
    sha1_final(&state, digest);
    PyBuffer_Release(&data);
    return PyBytes_FromStringAndSize((const char *)digest, 20);
}

static PyMethodDef methods[] = {
    {"sha1", speedups_sha1, METH_VARARGS,
     "SHA-1 digest of bytes, portable or accelerated (None if unavailable); for tests."},
    {"configure", speedups_configure, METH_VARARGS,
     "Hand over the builder's tables (called once by otel_agents.events.outcome)."},
    {"build_outcome", (PyCFunction)(void (*)(void))speedups_build_outcome, METH_FASTCALL,
     "The data of a finished span's OutcomeEvent, or None when the Python builder must make it."},
    {"configure_envelope", speedups_configure_envelope, METH_VARARGS,
     "Hand over the envelope's constant fragments and orjson's dumps with its default."},
    {"envelope_json", speedups_envelope_json, METH_O,
     "An event's data in its CloudEvents envelope as JSON bytes, or None."},
    {"record_ids", speedups_record_ids, METH_O,
     "A Kafka record's key and traceparent header from an event's data, or None."},
    {"seal_event", speedups_seal_event, METH_O,
     "Leave an OutcomeEvent whose data holds no cycle out of the cyclic collector."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_definition = {
    PyModuleDef_HEAD_INIT, "otel_agents.events._speedups",
    "The OutcomeEvent builder's common case, compiled.", -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__speedups(void) {
    if (intern_names() < 0) {
        return NULL;
    }
    if ((INFO = PyUnicode_InternFromString("INFO")) == NULL ||
        (UNSET = PyUnicode_InternFromString("UNSET")) == NULL) {
        return NULL;
    }
#ifdef HAVE_SHA_NI_PATH
    if (cpu_has_sha_ni()) {
        SHA1_BLOCK = sha1_block_sha_ni;
    }
#endif
    PyObject *module = PyModule_Create(&module_definition);
    if (module != NULL &&
        PyModule_AddObjectRef(module, "sha1_accelerated",
                              SHA1_BLOCK == sha1_block ? Py_False : Py_True) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
