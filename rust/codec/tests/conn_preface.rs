//! RFC 9113 §3.4 (connection preface) and §4 (frame format and size).

#[path = "conn_support.rs"]
mod support;

use h2native_codec::abi::testing::Event;
use h2native_codec::abi::Connection;
use h2native_codec::conn::{Config, PREFACE};
use h2native_codec::error::ErrorCode;
use h2native_codec::frame::{flags, kind, Setting};
use support::*;

#[test]
fn server_sends_settings_and_connection_window_at_once() {
    let mut c = Connection::server(Config::default());
    let f = take_frames(&mut c);
    assert_eq!(f[0].kind, kind::SETTINGS);
    assert_eq!(f[0].flags, 0);
    // MAX_CONCURRENT_STREAMS = 100 is among the entries.
    assert!(f[0].payload.chunks(6).any(|e| e == [0, 3, 0, 0, 0, 100]));
    assert_eq!(f[1].kind, kind::WINDOW_UPDATE);
    assert_eq!(f[1].stream, 0);
    assert_eq!(f[1].window_increment(), (1 << 20) - 65_535);
}

#[test]
fn client_writes_preface_settings_without_push() {
    let mut c = Connection::client(Config::default());
    assert!(c.output().starts_with(PREFACE));
    let rest = c.output()[24..].to_vec();
    c.clear_output();
    let f = split_frames(&rest);
    assert_eq!(f[0].kind, kind::SETTINGS);
    assert!(f[0].payload.chunks(6).any(|e| e == [0, 2, 0, 0, 0, 0]), "ENABLE_PUSH=0");
}

#[test]
fn preface_split_over_feeds_then_settings_acked() {
    let mut c = Connection::server(Config::default());
    c.clear_output();
    let mut p = Peer::new();
    p.preface();
    let b = p.take();
    for cut in [1, 5, 23] {
        let mut c = Connection::server(Config::default());
        c.clear_output();
        assert_eq!(c.feed(&b[..cut]), 0);
        assert_eq!(c.feed(&b), b.len());
        let f = take_frames(&mut c);
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].kind, f[0].flags), (kind::SETTINGS, flags::ACK));
    }
    assert_eq!(c.feed(&b), b.len());
    assert!(take_events(&mut c).iter().any(|e| matches!(e, Event::Settings { max_frame_size: 16_384, .. })));
}

#[test]
fn bad_preface_is_protocol_error() {
    let mut c = Connection::server(Config::default());
    c.clear_output();
    let n = c.feed(b"PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n");
    assert_eq!(n, 24);
    let last = assert_goaway(&mut c, ErrorCode::ProtocolError);
    assert_eq!(last, 0);
}

#[test]
fn http1_request_line_is_detected_without_goaway() {
    for line in
        [&b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"[..], b"POST /x HTTP/1.1\r\n", b"OPTIONS * HTTP/1.1\r\n"]
    {
        let mut c = Connection::server(Config::default());
        c.clear_output();
        // Too short to tell yet.
        assert_eq!(c.feed(&line[..2]), 0);
        assert!(!c.is_closed());
        c.feed(line);
        assert!(c.is_closed());
        assert_eq!(take_events(&mut c), vec![Event::Http1Detected]);
        assert!(c.output().is_empty());
    }
}

#[test]
fn first_frame_must_be_settings() {
    let mut c = Connection::server(Config::default());
    c.clear_output();
    let mut p = Peer::new();
    p.buf.extend_from_slice(PREFACE);
    p.ping(false, [0; 8]);
    feed(&mut c, &mut p);
    assert_goaway(&mut c, ErrorCode::ProtocolError);

    // A SETTINGS ACK is not the preface either.
    let mut c = Connection::server(Config::default());
    c.clear_output();
    p.buf.extend_from_slice(PREFACE);
    p.settings_ack();
    feed(&mut c, &mut p);
    assert_goaway(&mut c, ErrorCode::ProtocolError);
}

#[test]
fn client_requires_server_settings_first() {
    let mut c = Connection::client(Config::default());
    c.clear_output();
    let mut p = Peer::new();
    p.ping(false, [1; 8]);
    feed(&mut c, &mut p);
    assert_goaway(&mut c, ErrorCode::ProtocolError);
}

#[test]
fn partial_frames_are_left_unconsumed() {
    let mut p = Peer::new();
    let mut c = server(&mut p);
    p.headers(1, REQ, false).data(1, b"hello", true);
    let b = p.take();
    let mut pos = 0;
    // Feed one byte at a time from wherever the connection stopped.
    let mut fed = 0;
    while pos < b.len() {
        fed = (fed + 1).max(pos + 1).min(b.len());
        pos += c.feed(&b[pos..fed]);
    }
    let ev = take_events(&mut c);
    assert!(matches!(ev[0], Event::Headers { stream_id: 1, .. }));
    assert!(matches!(ev[1], Event::Data { stream_id: 1, end_stream: true, len: 5, .. }));
}

#[test]
fn data_offsets_point_into_the_fed_input() {
    let mut p = Peer::new();
    let mut c = server(&mut p);
    p.headers(1, REQ, false).data(1, b"abc", false).data_padded(1, b"defg", true, 7);
    let b = p.take();
    c.feed(&b);
    let mut got = Vec::new();
    for e in take_events(&mut c) {
        if let Event::Data { offset, len, .. } = e {
            got.extend_from_slice(&b[offset as usize..(offset + len) as usize]);
        }
    }
    assert_eq!(got, b"abcdefg");
}

#[test]
fn oversize_frame_is_frame_size_error_from_header_alone() {
    let mut p = Peer::new();
    let mut c = server(&mut p);
    // Only the 9-octet header of a 16,385-octet DATA frame.
    let mut b = vec![0, 0x40, 0x01, 0, 0, 0, 0, 0, 1];
    b.truncate(9);
    c.feed(&b);
    assert_goaway(&mut c, ErrorCode::FrameSizeError);
}

#[test]
fn larger_max_frame_size_is_accepted_when_configured() {
    let mut p = Peer::new();
    let mut c = server_with(Config { max_frame_size: 65_536, ..Config::default() }, &mut p);
    p.headers(1, REQ, false).data(1, &vec![7u8; 40_000], true);
    feed(&mut c, &mut p);
    assert!(take_events(&mut c).iter().any(|e| matches!(e, Event::Data { len: 40_000, .. })));
}

#[test]
fn unknown_frame_types_and_flags_are_ignored() {
    let mut p = Peer::new();
    let mut c = server(&mut p);
    p.raw(0xfa, 0xff, 0, b"whatever").raw(0xfb, 0, 3, b"");
    // Undefined flags on PING are ignored; reserved bit of the stream id too (§4.1).
    p.raw(kind::PING, 0xfe, 0, &[9; 8]);
    feed(&mut c, &mut p);
    let f = take_frames(&mut c);
    assert_eq!(f.len(), 1);
    assert_eq!((f[0].kind, f[0].flags, f[0].payload.clone()), (kind::PING, flags::ACK, vec![9; 8]));
    // An unknown setting is ignored too (§6.5.2).
    p.settings(&[Setting::Unknown(0x99, 5)]);
    feed(&mut c, &mut p);
    assert_eq!(take_frames(&mut c)[0].flags, flags::ACK);
}

#[test]
fn after_a_connection_error_input_is_ignored() {
    let mut p = Peer::new();
    let mut c = server(&mut p);
    p.data(1, b"x", false);
    feed(&mut c, &mut p);
    assert_goaway(&mut c, ErrorCode::ProtocolError);
    p.ping(false, [0; 8]);
    let b = p.take();
    assert_eq!(c.feed(&b), b.len());
    assert!(c.output().is_empty() && c.events().is_empty());
}

#[test]
fn h2spec_invalid_preface_gets_goaway() {
    let mut c = Connection::server(Config::default());
    c.clear_output();
    c.feed(b"INVALID CONNECTION PREFACE\r\n\r\n");
    assert_goaway(&mut c, ErrorCode::ProtocolError);
}
