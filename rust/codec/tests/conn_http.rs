//! RFC 9113 §8: message framing, pseudo-header fields, field validity, trailers,
//! content-length. Every malformed message is a stream PROTOCOL_ERROR (§8.1.1).

#[path = "conn_support.rs"]
mod support;

use h2native_codec::abi::testing::Event;
use h2native_codec::abi::Connection;
use h2native_codec::abi::{ev_flags, source};
use h2native_codec::conn::Config;
use h2native_codec::error::ErrorCode;
use support::*;

fn malformed_request(fields: &[(&str, &str)]) {
    let mut p = Peer::new();
    let mut c = server(&mut p);
    p.headers(1, fields, true);
    feed(&mut c, &mut p);
    assert_rst(&mut c, 1, ErrorCode::ProtocolError);
}

fn with(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut v = REQ.to_vec();
    v.extend_from_slice(extra);
    v
}

#[test]
fn pseudo_header_rules() {
    malformed_request(&[(":method", "GET"), (":scheme", "http"), (":path", "/"), (":unknown", "x")]);
    malformed_request(&with(&[(":status", "200")]));
    malformed_request(&[(":method", "GET"), ("x", "y"), (":scheme", "http"), (":path", "/")]);
    malformed_request(&[(":scheme", "http"), (":path", "/")]);
    malformed_request(&[(":method", "GET"), (":path", "/")]);
    malformed_request(&[(":method", "GET"), (":scheme", "http")]);
    malformed_request(&[(":method", "GET"), (":scheme", "http"), (":path", "")]);
    malformed_request(&with(&[(":method", "GET")]));
    malformed_request(&with(&[(":scheme", "https")]));
    malformed_request(&with(&[(":path", "/b")]));
}

#[test]
fn field_rules() {
    malformed_request(&with(&[("UPPER", "x")]));
    malformed_request(&with(&[("connection", "keep-alive")]));
    malformed_request(&with(&[("transfer-encoding", "chunked")]));
    malformed_request(&with(&[("te", "gzip")]));
    malformed_request(&with(&[("x", "a\r\nb")]));
    let mut p = Peer::new();
    let mut c = server(&mut p);
    p.headers(1, &with(&[("te", "trailers")]), true);
    feed(&mut c, &mut p);
    assert_silent(&mut c);
}

#[test]
fn an_invalid_indexed_field_stays_invalid() {
    // The first request inserts "x-bad: a b " into the dynamic table; the next ones reference
    // it by index. Valid entries are remembered so they are not scanned again: an invalid one
    // must never be, whichever way it arrives.
    let mut p = Peer::new();
    let mut c = server(&mut p);
    let bad = with(&[("x-bad", "a b ")]);
    for id in [1, 3, 5] {
        p.headers(id, &bad, true);
        feed(&mut c, &mut p);
        assert_rst(&mut c, id, ErrorCode::ProtocolError);
    }
    // A valid indexed field, seen a second time, still passes.
    let good = with(&[("x-good", "a b")]);
    for id in [7, 9] {
        p.headers(id, &good, true);
        feed(&mut c, &mut p);
        assert!(take_events(&mut c)
            .iter()
            .any(|e| matches!(e, Event::Headers { stream_id, .. } if *stream_id == id)));
    }
}

#[test]
fn connect_needs_only_authority() {
    let mut p = Peer::new();
    let mut c = server(&mut p);
    p.headers(1, &[(":method", "CONNECT"), (":authority", "example.com:443")], false);
    feed(&mut c, &mut p);
    assert_silent(&mut c);
    malformed_request(&[(":method", "CONNECT"), (":authority", "a:1"), (":scheme", "http")]);
    malformed_request(&[(":method", "CONNECT")]);
}

#[test]
fn trailers_must_end_stream_and_carry_no_pseudo_headers() {
    let mut p = Peer::new();
    let mut c = server(&mut p);
    p.headers(1, REQ, false).headers(1, TRAILERS, false);
    feed(&mut c, &mut p);
    assert_rst(&mut c, 1, ErrorCode::ProtocolError);

    let mut p = Peer::new();
    let mut c = server(&mut p);
    p.headers(1, REQ, false).headers(1, &[(":status", "200")], true);
    feed(&mut c, &mut p);
    assert_rst(&mut c, 1, ErrorCode::ProtocolError);

    let mut p = Peer::new();
    let mut c = server(&mut p);
    p.headers(1, REQ, false).data(1, b"body", false).headers(1, TRAILERS, true);
    feed(&mut c, &mut p);
    let ev = take_events(&mut c);
    assert!(
        matches!(&ev[2], Event::Headers { stream_id: 1, flags, .. } if *flags == ev_flags::END_STREAM | ev_flags::TRAILERS)
    );
}

#[test]
fn content_length_mismatch() {
    for (cl, parts, trailers) in
        [("3", &[&b"ab"[..]][..], false), ("3", &[&b"ab"[..], b"cd"], false), ("5", &[&b"ab"[..]], true)]
    {
        let mut p = Peer::new();
        let mut c = server(&mut p);
        p.headers(1, &with(&[("content-length", cl)]), false);
        for (i, d) in parts.iter().enumerate() {
            p.data(1, d, !trailers && i + 1 == parts.len());
        }
        if trailers {
            p.headers(1, TRAILERS, true);
        }
        feed(&mut c, &mut p);
        assert_rst(&mut c, 1, ErrorCode::ProtocolError);
    }
    // Declared length with END_STREAM on HEADERS.
    malformed_request(&with(&[("content-length", "1")]));
    // Matching length is fine.
    let mut p = Peer::new();
    let mut c = server(&mut p);
    p.headers(1, &with(&[("content-length", "4")]), false).data(1, b"ab", false).data(1, b"cd", true);
    feed(&mut c, &mut p);
    assert_silent(&mut c);
}

#[test]
fn headers_event_carries_field_sources_for_interning() {
    let mut p = Peer::new();
    let mut c = server(&mut p);
    let req = with(&[("grpc-timeout", "1S"), ("content-type", "application/grpc")]);
    p.headers(1, &req, true).headers(3, &req, true);
    feed(&mut c, &mut p);
    let ev = take_events(&mut c);
    let (Event::Headers { fields: a, .. }, Event::Headers { fields: b, .. }) = (&ev[0], &ev[1]) else {
        panic!()
    };
    // ":method: POST" is static entry 3.
    assert_eq!((a[0].source, a[0].id), (source::STATIC, 3));
    // First time: inserted into the dynamic table; second time: the same entry, by stable id.
    assert_eq!(a[5].source, source::INSERTED);
    assert_eq!(b[5].source, source::DYNAMIC);
    assert_eq!(a[5].id, b[5].id);
    assert_eq!((b[5].name, b[5].value), (&b"content-type"[..], &b"application/grpc"[..]));
}

fn client() -> (Peer, Connection, u32) {
    let mut c = Connection::client(Config::default());
    c.clear_output();
    let mut p = Peer::new();
    p.settings(&[]);
    feed(&mut c, &mut p);
    let req: Vec<(&[u8], &[u8], bool)> =
        REQ.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes(), false)).collect();
    let id = c.send_headers(0, req, false).unwrap();
    c.clear_output();
    c.clear_events();
    (p, c, id)
}

#[test]
fn client_response_rules() {
    let (mut p, mut c, id) = client();
    p.headers(id, &[(":status", "100")], false)
        .headers(id, RESP, false)
        .data(id, b"x", false)
        .headers(id, TRAILERS, true);
    feed(&mut c, &mut p);
    let flags: Vec<u16> = take_events(&mut c)
        .iter()
        .filter_map(|e| if let Event::Headers { flags, .. } = e { Some(*flags) } else { None })
        .collect();
    assert_eq!(flags, vec![ev_flags::INFORMATIONAL, 0, ev_flags::END_STREAM | ev_flags::TRAILERS]);

    for bad in [&[("x", "y")][..], &[(":status", "2000")], &[(":status", "200"), (":path", "/")]] {
        let (mut p, mut c, id) = client();
        p.headers(id, bad, true);
        feed(&mut c, &mut p);
        assert_rst(&mut c, id, ErrorCode::ProtocolError);
    }
    let (mut p, mut c, id) = client();
    p.data(id, b"x", true);
    feed(&mut c, &mut p);
    assert_rst(&mut c, id, ErrorCode::ProtocolError);
}

/// §8.2.2 on what we send: connection-specific fields, and `te` other than "trailers", never go
/// out, whoever calls `send_headers` (the JVM filters them too, a C caller might not).
#[test]
fn connection_specific_fields_are_never_sent() {
    let mut p = Peer::new();
    let mut c = server(&mut p);
    p.headers(1, REQ, true);
    feed(&mut c, &mut p);
    c.clear_output();
    let fields: Vec<(&[u8], &[u8], bool)> = [
        (":status", "200"),
        ("connection", "close"),
        ("keep-alive", "timeout=5"),
        ("proxy-connection", "keep-alive"),
        ("transfer-encoding", "chunked"),
        ("upgrade", "h2c"),
        ("te", "gzip"),
        ("te", "trailers"),
        ("x-kept", "yes"),
    ]
    .iter()
    .map(|(n, v)| (n.as_bytes(), v.as_bytes(), false))
    .collect();
    c.send_headers(1, fields, true).unwrap();
    let f = take_frames(&mut c);
    let mut d = h2native_codec::hpack::Decoder::new(4096);
    let mut out = h2native_codec::hpack::DecodedHeaders::new();
    let limits = h2native_codec::hpack::Limits { max_header_list_size: 1 << 16, max_header_count: 64 };
    d.decode(&f[0].payload, &limits, &mut out).unwrap();
    let sent: Vec<(&[u8], &[u8])> = out.iter().map(|(n, v, _)| (n, v)).collect();
    assert_eq!(sent, vec![(&b":status"[..], &b"200"[..]), (b"te", b"trailers"), (b"x-kept", b"yes")]);
}
