//! The flat ABI: command buffers through `apply_commands`, result words, the segment list, and
//! the exact byte layout of event records (ABI.md).

#[path = "conn_support.rs"]
mod support;

use h2native_codec::abi::testing::{CommandWriter, Event};
use h2native_codec::abi::Connection;
use h2native_codec::abi::{
    apply_commands, ev, get_u16, get_u32, get_u64, source, status, testing, ABI_VERSION,
};
use h2native_codec::conn::Config;
use h2native_codec::error::ErrorCode;
use h2native_codec::frame::{flags, kind, Setting};
use support::*;

fn request_open(p: &mut Peer) -> Connection {
    let mut c = server(p);
    p.settings(&[Setting::MaxFrameSize(16_384)]).headers(1, REQ, false).data(1, b"req", true);
    feed(&mut c, p);
    c.clear_output();
    c.clear_events();
    c
}

#[test]
fn unary_response_in_one_batch() {
    let mut p = Peer::new();
    let mut c = request_open(&mut p);
    let mut w = CommandWriter::default();
    w.headers(1, &[(b":status", b"200", false), (b"content-type", b"application/grpc", false)], false);
    w.data(1, 20_000, false, 77);
    w.headers(1, &[(b"grpc-status", b"0", false)], true);
    let mut results = Vec::new();
    assert_eq!(apply_commands(&mut c, &w.buf, &mut results), Ok(3));
    assert_eq!(results.len(), 24);
    assert_eq!((get_u32(&results, 0), get_u32(&results, 4)), (status::OK, 1));
    assert_eq!((get_u32(&results, 8), get_u32(&results, 12)), (status::OK, 20_000));
    assert_eq!(get_u32(&results, 16), status::OK);
    // Two segments (split at 16,384), both of tag 77.
    let segs: Vec<_> = c.segments().to_vec();
    assert_eq!(segs.len(), 2);
    assert_eq!((segs[0].tag, segs[0].payload_off, segs[0].len), (77, 0, 16_384));
    assert_eq!((segs[1].tag, segs[1].payload_off, segs[1].len), (77, 16_384, 3_616));
    let payload: Vec<u8> = (0..20_000u32).map(|i| i as u8).collect();
    let wire = materialize(&c, &|_| payload.clone());
    let f = split_frames(&wire);
    let kinds: Vec<_> = f.iter().map(|f| (f.kind, f.flags)).collect();
    assert_eq!(
        kinds,
        vec![
            (kind::HEADERS, flags::END_HEADERS),
            (kind::DATA, 0),
            (kind::DATA, 0),
            (kind::HEADERS, flags::END_HEADERS | flags::END_STREAM)
        ]
    );
    assert_eq!([&f[1].payload[..], &f[2].payload[..]].concat(), payload);
    assert_eq!(c.stream_state(1), None);
}

#[test]
fn result_statuses() {
    let mut p = Peer::new();
    let mut c = request_open(&mut p);
    let mut w = CommandWriter::default();
    w.data(1, 5, false, 0); // before HEADERS: invalid
    w.data(9, 5, false, 0); // unknown stream
    w.headers(0, &[(b":status", b"200", false)], false); // server cannot open
    w.reset(1, ErrorCode::Cancel);
    w.reset(1, ErrorCode::Cancel); // already gone
    w.ping(*b"12345678");
    w.consumed(1, 3);
    w.goaway(false, ErrorCode::InternalError, b"dbg");
    w.data(1, 1, false, 0); // connection closed
    let mut r = Vec::new();
    assert_eq!(apply_commands(&mut c, &w.buf, &mut r), Ok(9));
    let st: Vec<u32> = r.chunks(8).map(|x| get_u32(x, 0)).collect();
    assert_eq!(
        st,
        vec![
            status::INVALID,
            status::STREAM_GONE,
            status::INVALID,
            status::OK,
            status::STREAM_GONE,
            status::OK,
            status::OK,
            status::OK,
            status::CLOSED
        ]
    );
    let f = take_frames(&mut c);
    assert_eq!((f[0].kind, f[0].rst_code()), (kind::RST_STREAM, ErrorCode::Cancel));
    assert_eq!((f[1].kind, &f[1].payload[..]), (kind::PING, &b"12345678"[..]));
    assert_eq!(f[2].goaway(), (1, ErrorCode::InternalError));
    assert_eq!(&f[2].payload[8..], b"dbg");
}

#[test]
fn client_request_allocates_stream_and_sensitive_fields_are_never_indexed() {
    let mut c = Connection::client(Config::default());
    c.clear_output();
    let mut w = CommandWriter::default();
    let fields: Vec<(&[u8], &[u8], bool)> =
        REQ.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes(), false)).collect();
    w.headers(0, &fields, false);
    w.headers(
        0,
        &[
            (b":method", b"GET", false),
            (b":scheme", b"http", false),
            (b":path", b"/", false),
            (b"authorization", b"secret", true),
        ],
        true,
    );
    let mut r = Vec::new();
    apply_commands(&mut c, &w.buf, &mut r).unwrap();
    assert_eq!((get_u32(&r, 4), get_u32(&r, 12)), (1, 3));
    let f = take_frames(&mut c);
    // Decoding the second block shows the sensitive field as never indexed.
    let mut d = h2native_codec::hpack::Decoder::new(4096);
    let mut out = h2native_codec::hpack::DecodedHeaders::new();
    let lim = h2native_codec::hpack::Limits::default();
    d.decode(&f[0].payload, &lim, &mut out).unwrap();
    out.clear();
    d.decode(&f[1].payload, &lim, &mut out).unwrap();
    let (n, v, field) = out.iter().last().unwrap();
    assert_eq!((n, v), (&b"authorization"[..], &b"secret"[..]));
    assert!(field.never_indexed);
}

#[test]
fn graceful_goaway_command() {
    let mut p = Peer::new();
    let mut c = server(&mut p);
    let mut w = CommandWriter::default();
    w.goaway(true, ErrorCode::NoError, b"");
    let mut r = Vec::new();
    apply_commands(&mut c, &w.buf, &mut r).unwrap();
    let f = take_frames(&mut c);
    assert_eq!(f[0].goaway().0, (1 << 31) - 1);
    assert_eq!(f[1].kind, kind::PING);
}

#[test]
fn malformed_command_buffers() {
    let mut p = Peer::new();
    let mut c = request_open(&mut p);
    let mut r = Vec::new();
    // Truncated header.
    assert_eq!(apply_commands(&mut c, &[1, 0, 0], &mut r).unwrap_err().offset, 0);
    // Length not a multiple of 8 / beyond the buffer / too short for the opcode.
    assert!(apply_commands(&mut c, &[2, 0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0], &mut r).is_err());
    assert!(apply_commands(&mut c, &[2, 0, 0, 0, 64, 0, 0, 0], &mut r).is_err());
    assert!(apply_commands(&mut c, &[2, 0, 0, 0, 8, 0, 0, 0], &mut r).is_err());
    // Unknown opcode after one good record: the good one is applied.
    let mut w = CommandWriter::default();
    w.ping([0; 8]);
    w.buf.extend_from_slice(&[99, 0, 0, 0, 8, 0, 0, 0]);
    let e = apply_commands(&mut c, &w.buf, &mut r).unwrap_err();
    assert_eq!((e.offset, e.reason), (16, "unknown opcode"));
    assert_eq!(r.len(), 8);
    // HEADERS whose field lengths run past the record.
    let mut w = CommandWriter::default();
    w.headers(1, &[(b"a", b"b", false)], false);
    w.buf[16] = 200;
    assert!(apply_commands(&mut c, &w.buf, &mut r).is_err());
}

#[test]
fn event_record_layout_is_exact() {
    let mut p = Peer::new();
    let mut c = server(&mut p);
    p.headers(1, &[(":method", "GET"), (":scheme", "http"), (":path", "/"), ("x-a", "bc")], false);
    p.data(1, b"hello", true);
    let input = p.take();
    c.feed(&input);
    let e = c.events().to_vec();
    // HEADERS record.
    assert_eq!(get_u16(&e, 0), ev::HEADERS);
    assert_eq!(get_u16(&e, 2), 0);
    let len = get_u32(&e, 4) as usize;
    assert_eq!(len % 8, 0);
    assert_eq!(get_u32(&e, 8), 1);
    assert_eq!(get_u32(&e, 12), 4);
    let bytes_off = get_u32(&e, 16) as usize;
    assert_eq!(bytes_off, 24 + 4 * 32);
    let bytes_len = get_u32(&e, 20) as usize;
    assert_eq!(len, (bytes_off + bytes_len).div_ceil(8) * 8);
    // Field 0: static ":method: GET" = index 2.
    assert_eq!((e[24], e[25]), (source::STATIC, 0));
    assert_eq!(get_u64(&e, 24 + 24), 2);
    let (no, nl) = (get_u32(&e, 28) as usize, get_u32(&e, 32) as usize);
    let (vo, vl) = (get_u32(&e, 36) as usize, get_u32(&e, 40) as usize);
    assert_eq!((&e[no..no + nl], &e[vo..vo + vl]), (&b":method"[..], &b"GET"[..]));
    // Field 3: literal with incremental indexing -> INSERTED.
    let f3 = 24 + 3 * 32;
    assert_eq!(e[f3], source::INSERTED);
    // ABI 3: the entries' octets 2..4 are reserved, zero; 20..24 carry the field set id, the
    // same nonzero one in every entry (the connection's first decode: 1).
    assert_eq!(ABI_VERSION, 3);
    for f in 0..4 {
        let at = 24 + f * 32;
        assert_eq!((get_u16(&e, at + 2), get_u32(&e, at + 20)), (0, 1), "field {f}");
    }
    let (no, nl) = (get_u32(&e, f3 + 4) as usize, get_u32(&e, f3 + 8) as usize);
    assert_eq!(&e[no..no + nl], b"x-a");
    // DATA record follows.
    let d = len;
    assert_eq!((get_u16(&e, d), get_u16(&e, d + 2), get_u32(&e, d + 4)), (ev::DATA, 1, 24));
    assert_eq!(get_u32(&e, d + 8), 1);
    let (off, n) = (get_u32(&e, d + 12) as usize, get_u32(&e, d + 16) as usize);
    assert_eq!(&input[off..off + n], b"hello");
    assert_eq!(e.len(), d + 24);
}

#[test]
fn error_and_limit_records() {
    let mut p = Peer::new();
    let mut c = server(&mut p);
    p.headers(1, &[(":method", "GET")], true);
    feed(&mut c, &mut p);
    let e = c.events().to_vec();
    assert_eq!(get_u16(&e, 0), ev::STREAM_ERROR);
    assert_eq!((get_u32(&e, 8), get_u32(&e, 12)), (1, ErrorCode::ProtocolError.as_u32()));
    let n = get_u32(&e, 16) as usize;
    assert_eq!(&e[24..24 + n], b"missing :scheme");
    let evs: Vec<Event> = testing::events(&e).collect();
    assert!(matches!(evs[0], Event::StreamError { reason: "missing :scheme", .. }));
}
