/* A unary gRPC-style exchange between an h2native client and server, through the C ABI only.
 *
 * The client sends HEADERS + DATA (END_STREAM); the server checks :path and the body, answers
 * HEADERS (:status 200) + DATA + trailers (grpc-status 0); the client checks all three. Bytes
 * are pumped between the two connections in memory, with DATA payloads spliced into the output
 * from this program's own buffers as the segment list says (rust/codec/ABI.md).
 *
 * Exits 0 and prints "roundtrip: OK" on success; prints what failed and exits 1 otherwise. */

#include "h2native.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ----- failure reporting ----- */

static void fail(const char *file, int line, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "roundtrip: FAILED at %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

#define CHECK(cond, ...)                                  \
    do {                                                  \
        if (!(cond)) fail(__FILE__, __LINE__, __VA_ARGS__); \
    } while (0)

/* Calls an h2native function and fails with its status and last error unless it returns OK. */
#define API(call)                                                                   \
    do {                                                                            \
        int rc_ = (call);                                                           \
        if (rc_ != H2NATIVE_OK) {                                                   \
            char msg_[256];                                                         \
            h2native_last_error(msg_, sizeof msg_);                                 \
            fail(__FILE__, __LINE__, "%s returned %d: %s", #call, rc_, msg_);       \
        }                                                                           \
    } while (0)

/* ----- a growable byte buffer and the record format ----- */

typedef struct {
    uint8_t *p;
    size_t len, cap;
} buf;

static void buf_put(buf *b, const void *src, size_t n) {
    if (n == 0) return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n) cap *= 2;
        uint8_t *p = realloc(b->p, cap);
        CHECK(p != NULL, "out of memory");
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

static void buf_free(buf *b) {
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

static void put_u16(buf *b, uint16_t v) {
    uint8_t o[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    buf_put(b, o, 2);
}

static void put_u32(buf *b, uint32_t v) {
    uint8_t o[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    buf_put(b, o, 4);
}

static uint16_t get_u16(const uint8_t *p, size_t at) {
    return (uint16_t)(p[at] | (p[at + 1] << 8));
}

static uint32_t get_u32(const uint8_t *p, size_t at) {
    return (uint32_t)p[at] | ((uint32_t)p[at + 1] << 8) | ((uint32_t)p[at + 2] << 16) |
           ((uint32_t)p[at + 3] << 24);
}

/* Starts a record {u16 kind, u16 flags, u32 len}; returns its offset for rec_end. */
static size_t rec_begin(buf *b, uint16_t kind, uint16_t flags) {
    size_t start = b->len;
    put_u16(b, kind);
    put_u16(b, flags);
    put_u32(b, 0);
    return start;
}

/* Pads the record with zeros to a multiple of 8 and writes its length. */
static void rec_end(buf *b, size_t start) {
    static const uint8_t zeros[8] = {0};
    buf_put(b, zeros, (8 - (b->len - start) % 8) % 8);
    uint32_t len = (uint32_t)(b->len - start);
    b->p[start + 4] = (uint8_t)len;
    b->p[start + 5] = (uint8_t)(len >> 8);
    b->p[start + 6] = (uint8_t)(len >> 16);
    b->p[start + 7] = (uint8_t)(len >> 24);
}

typedef struct {
    const char *name, *value;
} field;

static void cmd_headers(buf *b, uint32_t stream, const field *f, size_t n, int end_stream) {
    size_t start = rec_begin(b, H2NATIVE_CMD_HEADERS, end_stream ? H2NATIVE_CMD_FLAG_END_STREAM : 0);
    put_u32(b, stream);
    put_u32(b, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        put_u32(b, (uint32_t)strlen(f[i].name));
        put_u32(b, (uint32_t)strlen(f[i].value));
    }
    for (size_t i = 0; i < n; i++) {
        buf_put(b, f[i].name, strlen(f[i].name));
        buf_put(b, f[i].value, strlen(f[i].value));
    }
    rec_end(b, start);
}

static void cmd_data(buf *b, uint32_t stream, uint32_t len, uint32_t tag, int end_stream) {
    size_t start = rec_begin(b, H2NATIVE_CMD_DATA, end_stream ? H2NATIVE_CMD_FLAG_END_STREAM : 0);
    put_u32(b, stream);
    put_u32(b, len);
    put_u32(b, tag);
    put_u32(b, 0);
    rec_end(b, start);
}

static void cmd_consumed(buf *b, uint32_t stream, uint32_t n) {
    size_t start = rec_begin(b, H2NATIVE_CMD_CONSUMED, 0);
    put_u32(b, stream);
    put_u32(b, n);
    rec_end(b, start);
}

/* Applies a command buffer of `n` records that must all succeed; values[i] = result value. */
static void apply(h2native_conn c, const buf *cmds, size_t n, uint32_t *values) {
    const uint8_t *res;
    size_t res_len;
    API(h2native_conn_apply(c, cmds->p, cmds->len, &res, &res_len));
    CHECK(res_len == 8 * n, "apply: %zu result octets for %zu records", res_len, n);
    for (size_t i = 0; i < n; i++) {
        uint32_t status = get_u32(res, 8 * i);
        CHECK(status == H2NATIVE_STATUS_OK, "apply: record %zu has status %u", i, status);
        if (values) values[i] = get_u32(res, 8 * i + 4);
    }
}

/* ----- the payloads this program owns, named by DATA command tags ----- */

#define TAG_REQUEST 1
#define TAG_RESPONSE 2
static const char REQUEST_BODY[] = "\0\0\0\0\x05hello from C";
static const char RESPONSE_BODY[] = "\0\0\0\0\x0ahello back";
#define REQUEST_LEN (sizeof REQUEST_BODY - 1)
#define RESPONSE_LEN (sizeof RESPONSE_BODY - 1)

static const uint8_t *payload(uint32_t tag, size_t *len) {
    switch (tag) {
    case TAG_REQUEST: *len = REQUEST_LEN; return (const uint8_t *)REQUEST_BODY;
    case TAG_RESPONSE: *len = RESPONSE_LEN; return (const uint8_t *)RESPONSE_BODY;
    default: fail(__FILE__, __LINE__, "segment with unknown tag %u", tag); return NULL;
    }
}

/* Writes `from`'s output into `wire` with the payloads spliced in, clears it, and feeds
 * `wire` to `to`. */
static void pump(h2native_conn from, h2native_conn to, buf *wire) {
    const uint8_t *out, *segs;
    size_t out_len, segs_len, pos = 0;
    API(h2native_conn_output(from, &out, &out_len));
    API(h2native_conn_segments(from, &segs, &segs_len));
    CHECK(segs_len % H2NATIVE_SEGMENT_LEN == 0, "segments length %zu", segs_len);
    wire->len = 0;
    for (size_t s = 0; s < segs_len; s += H2NATIVE_SEGMENT_LEN) {
        uint32_t out_pos = get_u32(segs, s), tag = get_u32(segs, s + 4);
        uint32_t off = get_u32(segs, s + 8), len = get_u32(segs, s + 12);
        size_t plen;
        const uint8_t *p = payload(tag, &plen);
        CHECK(out_pos >= pos && out_pos <= out_len, "segment out_pos %u (at %zu of %zu)", out_pos, pos, out_len);
        CHECK((size_t)off + len <= plen, "segment [%u, +%u) past payload %u (%zu)", off, len, tag, plen);
        buf_put(wire, out + pos, out_pos - pos);
        buf_put(wire, p + off, len);
        pos = out_pos;
    }
    buf_put(wire, out + pos, out_len - pos);
    API(h2native_conn_clear_output(from));
    if (wire->len > 0) {
        size_t consumed = 0;
        API(h2native_conn_feed(to, wire->p, wire->len, &consumed));
        CHECK(consumed == wire->len, "feed consumed %zu of %zu", consumed, wire->len);
    }
}

/* ----- reading events ----- */

typedef struct {
    const char *who;
    uint32_t stream;
    char path[64], status[8], grpc_status[8];
    int got_headers, got_trailers, end_stream;
    buf body;
} side;

static void copy_value(char *dst, size_t cap, const uint8_t *v, uint32_t len) {
    size_t n = len < cap - 1 ? len : cap - 1;
    memcpy(dst, v, n);
    dst[n] = '\0';
}

/* Reads `c`'s events (DATA points into `wire`, the input just fed), then clears them and
 * returns the credit of the received DATA with CONSUMED commands. */
static void read_events(h2native_conn c, side *s, const buf *wire) {
    const uint8_t *ev;
    size_t ev_len;
    buf consumed = {0};
    size_t n_consumed = 0;
    API(h2native_conn_events(c, &ev, &ev_len));
    for (size_t pos = 0; pos < ev_len;) {
        CHECK(ev_len - pos >= H2NATIVE_RECORD_HEADER_LEN, "%s: truncated event", s->who);
        uint16_t kind = get_u16(ev, pos), flags = get_u16(ev, pos + 2);
        uint32_t len = get_u32(ev, pos + 4);
        CHECK(len >= 8 && len % 8 == 0 && len <= ev_len - pos, "%s: bad event length %u", s->who, len);
        const uint8_t *r = ev + pos;
        switch (kind) {
        case H2NATIVE_EV_HEADERS: {
            uint32_t stream = get_u32(r, 8), n = get_u32(r, 12);
            int trailers = (flags & H2NATIVE_EV_FLAG_TRAILERS) != 0;
            CHECK(!(flags & H2NATIVE_EV_FLAG_TOO_LARGE), "%s: header block too large", s->who);
            CHECK(H2NATIVE_HEADERS_FIELDS_OFFSET + (size_t)n * H2NATIVE_FIELD_ENTRY_LEN <= len,
                  "%s: HEADERS record too short", s->who);
            for (uint32_t i = 0; i < n; i++) {
                const uint8_t *e = r + H2NATIVE_HEADERS_FIELDS_OFFSET + i * H2NATIVE_FIELD_ENTRY_LEN;
                uint32_t no = get_u32(e, 4), nl = get_u32(e, 8), vo = get_u32(e, 12), vl = get_u32(e, 16);
                CHECK((size_t)no + nl <= ev_len && (size_t)vo + vl <= ev_len, "%s: field out of bounds", s->who);
                const uint8_t *name = ev + no, *value = ev + vo;
                if (nl == 5 && memcmp(name, ":path", 5) == 0) copy_value(s->path, sizeof s->path, value, vl);
                if (nl == 7 && memcmp(name, ":status", 7) == 0) copy_value(s->status, sizeof s->status, value, vl);
                if (nl == 11 && memcmp(name, "grpc-status", 11) == 0)
                    copy_value(s->grpc_status, sizeof s->grpc_status, value, vl);
            }
            if (trailers) s->got_trailers = 1;
            else s->got_headers = 1;
            s->stream = stream;
            if (flags & H2NATIVE_EV_FLAG_END_STREAM) s->end_stream = 1;
            break;
        }
        case H2NATIVE_EV_DATA: {
            uint32_t stream = get_u32(r, 8), off = get_u32(r, 12), dlen = get_u32(r, 16);
            CHECK((size_t)off + dlen <= wire->len, "%s: DATA [%u, +%u) outside the fed input", s->who, off, dlen);
            buf_put(&s->body, wire->p + off, dlen);
            if (dlen > 0) {
                cmd_consumed(&consumed, stream, dlen);
                n_consumed++;
            }
            if (flags & H2NATIVE_EV_FLAG_END_STREAM) s->end_stream = 1;
            break;
        }
        case H2NATIVE_EV_CONNECTION_ERROR:
        case H2NATIVE_EV_STREAM_ERROR: {
            uint32_t rlen = get_u32(r, 16);
            CHECK(0, "%s: %s error %u: %.*s", s->who, kind == H2NATIVE_EV_CONNECTION_ERROR ? "connection" : "stream",
                  get_u32(r, 12), (int)rlen, (const char *)r + 24);
            break;
        }
        case H2NATIVE_EV_RESET:
        case H2NATIVE_EV_GOAWAY:
        case H2NATIVE_EV_HTTP1_DETECTED:
            CHECK(0, "%s: unexpected event kind %u (code %u)", s->who, kind, kind == H2NATIVE_EV_HTTP1_DETECTED ? 0 : get_u32(r, 12));
            break;
        default: /* SETTINGS, SETTINGS_ACKED, WINDOW_OPENED, ...: nothing to do here */
            break;
        }
        pos += len;
    }
    API(h2native_conn_clear_events(c));
    if (n_consumed > 0) apply(c, &consumed, n_consumed, NULL);
    buf_free(&consumed);
}

/* One round trip of bytes: client -> server, then server -> client. */
static void exchange(h2native_conn client, h2native_conn server, side *cs, side *ss, buf *wire, uint64_t now) {
    API(h2native_conn_set_now(client, now));
    API(h2native_conn_set_now(server, now));
    pump(client, server, wire);
    read_events(server, ss, wire);
    pump(server, client, wire);
    read_events(client, cs, wire);
}

int main(void) {
    CHECK(h2native_abi_version() == H2NATIVE_ABI_VERSION, "library ABI %u, header %u", h2native_abi_version(),
          (unsigned)H2NATIVE_ABI_VERSION);

    h2native_config *cfg = h2native_config_new();
    CHECK(cfg != NULL, "h2native_config_new");
    uint64_t streams = 0, frame = 0;
    API(h2native_config_get(cfg, "max-concurrent-streams", &streams));
    API(h2native_config_get(cfg, "max-frame-size", &frame));
    CHECK(streams == 100 && frame == 16384, "unexpected defaults %llu %llu", (unsigned long long)streams,
          (unsigned long long)frame);
    API(h2native_config_set(cfg, "max-concurrent-streams", 50));
    CHECK(h2native_config_set(cfg, "no-such-field", 1) == H2NATIVE_ERR_UNKNOWN, "unknown field");
    h2native_conn client = 0, server = 0;
    API(h2native_conn_new_client(NULL, &client));
    API(h2native_conn_new_server(cfg, &server));
    API(h2native_config_free(cfg));

    /* The error paths: NULL arguments and a malformed command are codes, with a message. */
    char msg[256];
    size_t consumed;
    CHECK(h2native_conn_feed(0, NULL, 0, &consumed) == H2NATIVE_ERR_BAD_HANDLE, "feed(no connection)");
    CHECK(h2native_last_error(msg, sizeof msg) > 0 && strstr(msg, "closed"), "last error: %s", msg);
    CHECK(h2native_conn_new_client(NULL, NULL) == H2NATIVE_ERR_NULL, "new_client(NULL out)");
    const uint8_t bad[8] = {0xff, 0, 0, 0, 8, 0, 0, 0};
    const uint8_t *res;
    size_t res_len;
    CHECK(h2native_conn_apply(client, bad, sizeof bad, &res, &res_len) == H2NATIVE_ERR_MALFORMED, "bad opcode");
    h2native_last_error(msg, sizeof msg);
    CHECK(strstr(msg, "unknown opcode") && res_len == 0, "last error: %s", msg);

    side cs = {.who = "client"}, ss = {.who = "server"};
    buf wire = {0}, cmds = {0};
    uint32_t v[3];

    /* Request: HEADERS (stream 0: the next client stream), then DATA with END_STREAM. */
    const field req[] = {
        {":method", "POST"},         {":scheme", "http"},           {":path", "/echo.Echo/Say"},
        {":authority", "localhost"}, {"content-type", "application/grpc"}, {"te", "trailers"},
    };
    cmd_headers(&cmds, 0, req, sizeof req / sizeof req[0], 0);
    apply(client, &cmds, 1, v);
    uint32_t stream = v[0];
    CHECK(stream == 1, "first client stream is %u", stream);
    cmds.len = 0;
    cmd_data(&cmds, stream, REQUEST_LEN, TAG_REQUEST, 1);
    apply(client, &cmds, 1, v);
    CHECK(v[0] == REQUEST_LEN, "DATA accepted %u of %zu", v[0], (size_t)REQUEST_LEN);

    uint64_t now = 1000;
    for (int round = 0; round < 8 && !ss.end_stream; round++) exchange(client, server, &cs, &ss, &wire, now++);
    CHECK(ss.got_headers && ss.end_stream, "server did not get the whole request");
    CHECK(ss.stream == stream, "server saw stream %u", ss.stream);
    CHECK(strcmp(ss.path, "/echo.Echo/Say") == 0, "server :path is \"%s\"", ss.path);
    CHECK(ss.body.len == REQUEST_LEN && memcmp(ss.body.p, REQUEST_BODY, REQUEST_LEN) == 0,
          "server got a %zu-octet body", ss.body.len);

    /* Response: HEADERS, DATA, trailers with END_STREAM, in one batch. */
    const field resp[] = {{":status", "200"}, {"content-type", "application/grpc"}};
    const field trailers[] = {{"grpc-status", "0"}, {"grpc-message", ""}};
    cmds.len = 0;
    cmd_headers(&cmds, ss.stream, resp, 2, 0);
    cmd_data(&cmds, ss.stream, RESPONSE_LEN, TAG_RESPONSE, 0);
    cmd_headers(&cmds, ss.stream, trailers, 2, 1);
    apply(server, &cmds, 3, v);
    CHECK(v[0] == ss.stream && v[1] == RESPONSE_LEN && v[2] == ss.stream, "response results %u %u %u", v[0], v[1],
          v[2]);

    for (int round = 0; round < 8 && !cs.end_stream; round++) exchange(client, server, &cs, &ss, &wire, now++);
    CHECK(cs.got_headers && cs.got_trailers && cs.end_stream, "client did not get the whole response");
    CHECK(strcmp(cs.status, "200") == 0, "client :status is \"%s\"", cs.status);
    CHECK(cs.body.len == RESPONSE_LEN && memcmp(cs.body.p, RESPONSE_BODY, RESPONSE_LEN) == 0,
          "client got a %zu-octet body", cs.body.len);
    CHECK(strcmp(cs.grpc_status, "0") == 0, "client grpc-status is \"%s\"", cs.grpc_status);

    /* Let the CONSUMED credit and any ACKs settle; nothing may be left to say. */
    exchange(client, server, &cs, &ss, &wire, now++);
    exchange(client, server, &cs, &ss, &wire, now++);
    bool closed = true;
    API(h2native_conn_is_closed(client, &closed));
    CHECK(!closed, "client closed");
    API(h2native_conn_is_closed(server, &closed));
    CHECK(!closed, "server closed");

    /* What one side sent is what the other received, frame type by frame type. */
    uint64_t c_in[H2NATIVE_FRAME_KINDS], c_out[H2NATIVE_FRAME_KINDS], s_in[H2NATIVE_FRAME_KINDS], s_out[H2NATIVE_FRAME_KINDS];
    API(h2native_conn_frame_counts(client, c_in, c_out));
    API(h2native_conn_frame_counts(server, s_in, s_out));
    for (int k = 0; k < H2NATIVE_FRAME_KINDS; k++) {
        CHECK(c_out[k] == s_in[k] && s_out[k] == c_in[k], "frame type %d: client sent %llu, server got %llu", k,
              (unsigned long long)c_out[k], (unsigned long long)s_in[k]);
    }
    CHECK(s_in[1] == 1 && s_out[1] == 2 && s_in[0] >= 1, "server frames: HEADERS in %llu, out %llu",
          (unsigned long long)s_in[1], (unsigned long long)s_out[1]);
    CHECK(h2native_conn_frame_counts(server, NULL, s_out) == H2NATIVE_ERR_NULL, "NULL counts accepted");
    size_t held = h2native_allocated_bytes();
    CHECK(held > 0, "the library reports no memory while two connections are open");

    API(h2native_conn_free(client));
    API(h2native_conn_free(server));
    API(h2native_conn_free(0));
    CHECK(h2native_allocated_bytes() < held, "freeing both connections gave back no memory");
    /* A double free is detected (the handle is no longer in the live set) and not touched. */
    CHECK(h2native_conn_free(client) == H2NATIVE_ERR_BAD_HANDLE, "double free not reported");

    buf_free(&wire);
    buf_free(&cmds);
    buf_free(&cs.body);
    buf_free(&ss.body);
    printf("roundtrip: OK (request %zu octets on stream %u, response 200 + %zu octets + grpc-status 0)\n",
           (size_t)REQUEST_LEN, stream, (size_t)RESPONSE_LEN);
    return 0;
}
