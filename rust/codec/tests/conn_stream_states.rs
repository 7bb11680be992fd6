//! RFC 9113 §5.1 stream states, §5.1.1 identifiers, §5.1.2 concurrency, §5.3 self-dependency,
//! §5.4 error handling: every transition and every error the section names, both roles.

#[path = "conn_support.rs"]
mod support;

use h2native_codec::abi::testing::Event;
use h2native_codec::abi::Connection;
use h2native_codec::conn::{Config, State};
use h2native_codec::error::ErrorCode;
use h2native_codec::frame::{kind, Setting};
use support::*;

fn client() -> Connection {
    let mut c = Connection::client(Config::default());
    c.clear_output();
    c
}

fn setup() -> (Peer, Connection) {
    let mut p = Peer::new();
    let c = server(&mut p);
    (p, c)
}

// ----- idle -----

#[test]
fn idle_headers_opens_and_end_stream_half_closes() {
    let (mut p, mut c) = setup();
    p.headers(1, REQ, false);
    feed(&mut c, &mut p);
    assert_eq!(c.stream_state(1), Some(State::Open));
    p.headers(3, REQ, true);
    feed(&mut c, &mut p);
    assert_eq!(c.stream_state(3), Some(State::HalfClosedRemote));
    let ev = take_events(&mut c);
    assert!(matches!(&ev[0], Event::Headers { stream_id: 1, flags: 0, fields } if fields.len() == 4));
    assert!(matches!(&ev[1], Event::Headers { stream_id: 3, flags: 1, .. }));
    assert_silent(&mut c);
}

#[test]
fn idle_data_rst_window_update_continuation_are_connection_errors() {
    for f in 0..4 {
        let (mut p, mut c) = setup();
        match f {
            0 => p.data(1, b"test", true),
            1 => p.rst(1, ErrorCode::Cancel),
            2 => p.window_update(1, 100),
            _ => {
                let b = p.block(REQ);
                p.continuation(1, &b, true)
            }
        };
        feed(&mut c, &mut p);
        assert_goaway(&mut c, ErrorCode::ProtocolError);
    }
}

#[test]
fn idle_priority_is_allowed_and_does_not_open() {
    let (mut p, mut c) = setup();
    p.priority(5, 0);
    feed(&mut c, &mut p);
    assert_silent(&mut c);
    assert_eq!(c.stream_state(5), None);
    // Stream 1 may still be opened: PRIORITY does not consume ids.
    p.headers(1, REQ, true);
    feed(&mut c, &mut p);
    assert_eq!(c.stream_state(1), Some(State::HalfClosedRemote));
}

// ----- open / half-closed -----

#[test]
fn open_to_half_closed_local_to_closed() {
    let (mut p, mut c) = setup();
    p.headers(1, REQ, false);
    feed(&mut c, &mut p);
    respond(&mut c, 1, true);
    assert_eq!(c.stream_state(1), Some(State::HalfClosedLocal));
    p.data(1, b"x", true);
    feed(&mut c, &mut p);
    assert_eq!(c.stream_state(1), None);
    assert_eq!(c.active_streams(), 0);
}

#[test]
fn half_closed_remote_to_closed_by_our_end_stream() {
    let (mut p, mut c) = setup();
    p.headers(1, REQ, true);
    feed(&mut c, &mut p);
    respond(&mut c, 1, false);
    assert_eq!(c.stream_state(1), Some(State::HalfClosedRemote));
    c.send_data(1, 3, true, 0).unwrap();
    assert_eq!(c.stream_state(1), None);
}

#[test]
fn half_closed_remote_data_and_headers_are_stream_closed() {
    for headers in [false, true] {
        let (mut p, mut c) = setup();
        p.headers(1, REQ, true);
        if headers {
            p.headers(1, REQ, true);
        } else {
            p.data(1, b"test", true);
        }
        feed(&mut c, &mut p);
        assert_rst(&mut c, 1, ErrorCode::StreamClosed);
    }
}

#[test]
fn half_closed_remote_continuation_is_an_error() {
    let (mut p, mut c) = setup();
    p.headers(1, REQ, true);
    let b = p.block(REQ);
    p.continuation(1, &b, true);
    feed(&mut c, &mut p);
    // No HEADERS is open: §6.10 makes it a connection PROTOCOL_ERROR (h2spec accepts it).
    assert_goaway(&mut c, ErrorCode::ProtocolError);
}

#[test]
fn half_closed_remote_allows_window_update_priority_rst() {
    let (mut p, mut c) = setup();
    p.headers(1, REQ, true).window_update(1, 10).priority(1, 0);
    feed(&mut c, &mut p);
    assert_silent(&mut c);
    p.rst(1, ErrorCode::Cancel);
    feed(&mut c, &mut p);
    assert_eq!(c.stream_state(1), None);
    assert!(take_events(&mut c).contains(&Event::Reset {
        stream_id: 1,
        code: ErrorCode::Cancel,
        by_goaway: false
    }));
}

#[test]
fn half_closed_local_still_receives() {
    let (mut p, mut c) = setup();
    p.headers(1, REQ, false);
    feed(&mut c, &mut p);
    respond(&mut c, 1, true);
    c.clear_output();
    c.clear_events();
    p.data(1, b"more", false);
    feed(&mut c, &mut p);
    assert!(take_events(&mut c).iter().any(|e| matches!(e, Event::Data { len: 4, .. })));
    // We may not send any more.
    assert!(c.send_data(1, 1, false, 0).is_err());
}

// ----- closed -----

#[test]
fn closed_after_peer_reset_frames_are_stream_closed() {
    for f in 0..2 {
        let (mut p, mut c) = setup();
        p.headers(1, REQ, false).rst(1, ErrorCode::Cancel);
        if f == 0 {
            p.data(1, b"test", true);
        } else {
            p.headers(1, REQ, true);
        }
        feed(&mut c, &mut p);
        assert_rst(&mut c, 1, ErrorCode::StreamClosed);
    }
}

#[test]
fn closed_after_end_stream_both_ways_data_headers_are_connection_stream_closed() {
    for f in 0..2 {
        let (mut p, mut c) = setup();
        p.headers(1, REQ, true);
        feed(&mut c, &mut p);
        respond(&mut c, 1, true);
        c.clear_output();
        if f == 0 {
            p.data(1, b"test", true);
        } else {
            p.headers(1, REQ, true);
        }
        feed(&mut c, &mut p);
        assert_goaway(&mut c, ErrorCode::StreamClosed);
    }
}

#[test]
fn closed_after_end_stream_tolerates_window_update_rst_priority() {
    let (mut p, mut c) = setup();
    p.headers(1, REQ, true);
    feed(&mut c, &mut p);
    respond(&mut c, 1, true);
    c.clear_output();
    p.window_update(1, 5).rst(1, ErrorCode::NoError).priority(1, 0);
    feed(&mut c, &mut p);
    assert_silent(&mut c);
}

#[test]
fn closed_after_our_reset_frames_are_ignored_but_counted() {
    let (mut p, mut c) = setup();
    p.headers(1, REQ, false);
    feed(&mut c, &mut p);
    c.send_reset(1, ErrorCode::Cancel).unwrap();
    c.clear_events();
    let f = take_frames(&mut c);
    assert_eq!((f[0].kind, f[0].rst_code()), (kind::RST_STREAM, ErrorCode::Cancel));
    p.headers(1, TRAILERS, true).window_update(1, 1);
    feed(&mut c, &mut p);
    assert_silent(&mut c);
    assert!(take_events(&mut c).is_empty());
    // Ignored DATA still counts against the connection window and its credit is returned
    // (batched: once half the 1 MiB window is due).
    for _ in 0..40 {
        p.data(1, &[0; 16_000], false);
    }
    feed(&mut c, &mut p);
    assert!(take_events(&mut c).is_empty());
    let f = take_frames(&mut c);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!((f[0].kind, f[0].stream), (kind::WINDOW_UPDATE, 0));
    assert!(f[0].window_increment() >= 1 << 19);
}

#[test]
fn trailers_on_a_stream_we_reset_still_update_hpack() {
    let (mut p, mut c) = setup();
    p.headers(1, REQ, false);
    feed(&mut c, &mut p);
    c.send_reset(1, ErrorCode::Cancel).unwrap();
    c.clear_output();
    c.clear_events();
    // These trailers insert into the peer's dynamic table; the next request refers to it.
    p.headers(1, &[("x-custom-trailer", "v1")], true);
    p.headers(
        3,
        &[(":method", "GET"), (":scheme", "http"), (":path", "/"), ("x-custom-trailer", "v1")],
        true,
    );
    feed(&mut c, &mut p);
    let ev = take_events(&mut c);
    let Event::Headers { fields, .. } = &ev[0] else { panic!("{ev:?}") };
    assert_eq!(fields[3].name, b"x-custom-trailer");
    assert_eq!(fields[3].value, b"v1");
}

// ----- identifiers -----

#[test]
fn even_stream_id_from_client_is_protocol_error() {
    let (mut p, mut c) = setup();
    p.headers(2, REQ, true);
    feed(&mut c, &mut p);
    assert_goaway(&mut c, ErrorCode::ProtocolError);
}

#[test]
fn decreasing_stream_id_is_protocol_error() {
    let (mut p, mut c) = setup();
    p.headers(5, REQ, true).headers(3, REQ, true);
    feed(&mut c, &mut p);
    assert_eq!(assert_goaway(&mut c, ErrorCode::ProtocolError), 5);
}

#[test]
fn skipped_ids_are_closed() {
    let (mut p, mut c) = setup();
    p.headers(7, REQ, false);
    feed(&mut c, &mut p);
    // Stream 3 was implicitly closed by opening 7 (§5.1.1).
    p.data(3, b"x", false);
    feed(&mut c, &mut p);
    assert_rst(&mut c, 3, ErrorCode::StreamClosed);
}

#[test]
fn client_allocates_increasing_odd_ids() {
    let mut c = client();
    let mut p = Peer::new();
    p.settings(&[]);
    feed(&mut c, &mut p);
    let req: Vec<(&[u8], &[u8], bool)> =
        REQ.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes(), false)).collect();
    assert_eq!(c.send_headers(0, req.clone(), true).unwrap(), 1);
    assert_eq!(c.send_headers(0, req.clone(), true).unwrap(), 3);
    assert_eq!(c.send_headers(0, req, false).unwrap(), 5);
    assert_eq!(c.stream_state(5), Some(State::Open));
    assert_eq!(c.stream_state(1), Some(State::HalfClosedLocal));
}

#[test]
fn client_rejects_server_initiated_streams_and_push() {
    let mut c = client();
    let mut p = Peer::new();
    p.settings(&[]).headers(2, RESP, true);
    feed(&mut c, &mut p);
    assert_goaway(&mut c, ErrorCode::ProtocolError);

    let mut c = client();
    p.settings(&[]).raw(kind::PUSH_PROMISE, 4, 1, &[0, 0, 0, 2, 0x82]);
    feed(&mut c, &mut p);
    assert_goaway(&mut c, ErrorCode::ProtocolError);
}

#[test]
fn server_rejects_push_promise() {
    let (mut p, mut c) = setup();
    p.raw(kind::PUSH_PROMISE, 4, 1, &[0, 0, 0, 2, 0x82]);
    feed(&mut c, &mut p);
    assert_goaway(&mut c, ErrorCode::ProtocolError);
}

#[test]
fn client_response_on_unopened_stream_is_protocol_error() {
    let mut c = client();
    let mut p = Peer::new();
    p.settings(&[]).headers(1, RESP, true);
    feed(&mut c, &mut p);
    assert_goaway(&mut c, ErrorCode::ProtocolError);
}

// ----- concurrency -----

#[test]
fn streams_beyond_max_concurrent_are_refused() {
    let mut p = Peer::new();
    let mut c = server_with(Config { max_concurrent_streams: 2, ..Config::default() }, &mut p);
    p.headers(1, REQ, false).headers(3, REQ, false).headers(5, REQ, false);
    feed(&mut c, &mut p);
    let f = take_frames(&mut c);
    assert_eq!(f.len(), 1);
    assert_eq!((f[0].stream, f[0].rst_code()), (5, ErrorCode::RefusedStream));
    let ev = take_events(&mut c);
    assert!(ev.contains(&Event::Limit { limit: 1, stream_id: 5 }));
    // Its DATA in flight is ignored; after a stream ends, a new one is accepted.
    p.data(5, b"late", true).rst(1, ErrorCode::Cancel).headers(7, REQ, true);
    feed(&mut c, &mut p);
    assert_silent(&mut c);
    assert_eq!(c.stream_state(7), Some(State::HalfClosedRemote));
}

#[test]
fn client_respects_peer_max_concurrent_streams() {
    let mut c = client();
    let mut p = Peer::new();
    p.settings(&[Setting::MaxConcurrentStreams(1)]);
    feed(&mut c, &mut p);
    let req: Vec<(&[u8], &[u8], bool)> =
        REQ.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes(), false)).collect();
    assert_eq!(c.send_headers(0, req.clone(), true), Ok(1));
    assert_eq!(c.send_headers(0, req, true), Err(h2native_codec::conn::SendError::Blocked));
}

// ----- §5.3.1 and §5.4 -----

#[test]
fn self_dependency_is_a_stream_error() {
    let (mut p, mut c) = setup();
    p.priority(1, 1);
    feed(&mut c, &mut p);
    assert_rst(&mut c, 1, ErrorCode::ProtocolError);

    let (mut p, mut c) = setup();
    let b = p.block(REQ);
    let mut payload = vec![0, 0, 0, 3, 16];
    payload.extend_from_slice(&b);
    p.raw(kind::HEADERS, 0x4 | 0x20 | 0x1, 3, &payload);
    // The block was decoded anyway: a follow-up request indexing it works.
    p.headers(5, REQ, true);
    feed(&mut c, &mut p);
    let ev = take_events(&mut c);
    assert!(ev
        .iter()
        .any(|e| matches!(e, Event::StreamError { stream_id: 3, code: ErrorCode::ProtocolError, .. })));
    assert!(ev.iter().any(|e| matches!(e, Event::Headers { stream_id: 5, .. })));
}

#[test]
fn stream_error_keeps_the_connection() {
    let (mut p, mut c) = setup();
    p.headers(1, &[(":method", "GET")], true).headers(3, REQ, true);
    feed(&mut c, &mut p);
    assert!(!c.is_closed());
    assert_eq!(c.stream_state(3), Some(State::HalfClosedRemote));
}

#[test]
fn connection_error_goaway_carries_last_processed_stream() {
    let (mut p, mut c) = setup();
    p.headers(1, REQ, false).headers(3, REQ, false).raw(kind::SETTINGS, 0, 1, &[]);
    feed(&mut c, &mut p);
    assert_eq!(assert_goaway(&mut c, ErrorCode::ProtocolError), 3);
}

#[test]
fn unknown_error_codes_are_accepted() {
    let (mut p, mut c) = setup();
    p.headers(1, REQ, false).rst(1, ErrorCode::Other(0xff)).goaway(0, ErrorCode::Other(0xabc));
    feed(&mut c, &mut p);
    assert_silent(&mut c);
    let ev = take_events(&mut c);
    assert!(ev.contains(&Event::Reset { stream_id: 1, code: ErrorCode::Other(0xff), by_goaway: false }));
}
