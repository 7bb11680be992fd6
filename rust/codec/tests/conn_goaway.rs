//! RFC 9113 §6.8 GOAWAY: graceful shutdown, last-stream-id semantics both ways, draining.

#[path = "conn_support.rs"]
mod support;

use h2native_codec::abi::testing::Event;
use h2native_codec::abi::Connection;
use h2native_codec::conn::{Config, SendError, GRACEFUL_PING, MAX_STREAM_ID};
use h2native_codec::error::ErrorCode;
use h2native_codec::frame::{flags, kind};
use support::*;

#[test]
fn graceful_shutdown_two_goaways_around_a_ping_then_drained() {
    let mut p = Peer::new();
    let mut c = server(&mut p);
    p.headers(1, REQ, true);
    feed(&mut c, &mut p);
    c.goaway_graceful();
    let f = take_frames(&mut c);
    assert_eq!(f[0].goaway(), (MAX_STREAM_ID, ErrorCode::NoError));
    assert_eq!((f[1].kind, f[1].flags, f[1].payload.clone()), (kind::PING, 0, GRACEFUL_PING.to_vec()));
    // Requests in flight before the client saw the first GOAWAY are still served.
    p.headers(3, REQ, true).ping(true, GRACEFUL_PING);
    feed(&mut c, &mut p);
    let f = take_frames(&mut c);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].goaway(), (3, ErrorCode::NoError));
    // The graceful PING's ACK is not reported as an application ping.
    assert!(!take_events(&mut c).iter().any(|e| matches!(e, Event::PingAck { .. })));
    assert_eq!(c.active_streams(), 2);
    // Streams above the last id are ignored, HPACK still decoded.
    p.headers(5, REQ, false).data(5, b"ignored", true);
    feed(&mut c, &mut p);
    assert_silent(&mut c);
    assert_eq!(c.stream_state(5), None);
    c.clear_events();
    respond(&mut c, 1, true);
    assert!(!c.is_drained());
    respond(&mut c, 3, true);
    assert!(c.is_drained());
    assert_eq!(take_events(&mut c), vec![Event::Drained]);
}

#[test]
fn graceful_shutdown_ends_without_the_ping_ack_after_the_timeout() {
    use h2native_codec::conn::limits::GRACEFUL_PING_TIMEOUT_MS;
    let mut p = Peer::new();
    let mut c = server(&mut p);
    c.set_now(1_000);
    p.headers(1, REQ, true);
    feed(&mut c, &mut p);
    c.goaway_graceful();
    take_frames(&mut c);
    // The peer never acknowledges the PING but goes on opening streams: still accepted...
    p.headers(3, REQ, true);
    feed(&mut c, &mut p);
    c.set_now(1_000 + GRACEFUL_PING_TIMEOUT_MS - 1);
    assert!(take_frames(&mut c).is_empty());
    assert_eq!(c.active_streams(), 2);
    // ...until the timeout: the final GOAWAY names the last one, and later streams are ignored.
    c.set_now(1_000 + GRACEFUL_PING_TIMEOUT_MS);
    let f = take_frames(&mut c);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].goaway(), (3, ErrorCode::NoError));
    p.headers(5, REQ, true);
    feed(&mut c, &mut p);
    assert_eq!(c.stream_state(5), None);
    c.clear_events();
    respond(&mut c, 1, true);
    respond(&mut c, 3, true);
    assert!(c.is_drained());
}

#[test]
fn immediate_goaway_with_error_closes() {
    let mut p = Peer::new();
    let mut c = server(&mut p);
    p.headers(1, REQ, false);
    feed(&mut c, &mut p);
    c.goaway(ErrorCode::EnhanceYourCalm, b"bye");
    let f = take_frames(&mut c);
    assert_eq!(f[0].goaway(), (1, ErrorCode::EnhanceYourCalm));
    assert_eq!(&f[0].payload[8..], b"bye");
    assert!(c.is_closed());
    assert_eq!(c.send_data(1, 1, false, 0), Err(SendError::Closed));
}

#[test]
fn goaway_no_error_with_no_streams_drains_at_once() {
    let mut p = Peer::new();
    let mut c = server(&mut p);
    c.goaway(ErrorCode::NoError, b"");
    assert!(c.is_drained());
    assert_eq!(take_events(&mut c), vec![Event::Drained]);
}

#[test]
fn goaway_on_a_stream_is_protocol_error() {
    let mut p = Peer::new();
    let mut c = server(&mut p);
    p.raw(kind::GOAWAY, 0, 1, &[0; 8]);
    feed(&mut c, &mut p);
    assert_goaway(&mut c, ErrorCode::ProtocolError);
}

fn client() -> (Peer, Connection) {
    let mut c = Connection::client(Config::default());
    c.clear_output();
    let mut p = Peer::new();
    p.settings(&[]);
    feed(&mut c, &mut p);
    c.clear_output();
    c.clear_events();
    (p, c)
}

fn request(c: &mut Connection) -> u32 {
    let req: Vec<(&[u8], &[u8], bool)> =
        REQ.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes(), false)).collect();
    c.send_headers(0, req, false).unwrap()
}

#[test]
fn client_receiving_goaway_fails_streams_above_last_and_opens_no_more() {
    let (mut p, mut c) = client();
    let ids: Vec<u32> = (0..3).map(|_| request(&mut c)).collect();
    assert_eq!(ids, vec![1, 3, 5]);
    c.clear_output();
    p.goaway(1, ErrorCode::NoError);
    let b = p.take();
    c.feed(&b);
    let ev = take_events(&mut c);
    let Event::GoAway { last_stream_id: 1, code: ErrorCode::NoError, debug_off, debug_len } = ev[0] else {
        panic!("{ev:?}")
    };
    assert_eq!(&b[debug_off as usize..(debug_off + debug_len) as usize], b"bye");
    assert!(ev.contains(&Event::Reset { stream_id: 3, code: ErrorCode::RefusedStream, by_goaway: true }));
    assert!(ev.contains(&Event::Reset { stream_id: 5, code: ErrorCode::RefusedStream, by_goaway: true }));
    assert_eq!(c.stream_state(1), Some(h2native_codec::conn::State::Open));
    let req: Vec<(&[u8], &[u8], bool)> =
        REQ.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes(), false)).collect();
    assert_eq!(c.send_headers(0, req, true), Err(SendError::Blocked));
    // Stream 1 completes, then the connection is drained.
    p.headers(1, RESP, true);
    feed(&mut c, &mut p);
    assert_eq!(c.send_data(1, 0, true, 0), Ok(0));
    assert!(take_events(&mut c).contains(&Event::Drained));
}

#[test]
fn client_graceful_goaway_is_immediate() {
    let (_p, mut c) = client();
    c.goaway_graceful();
    let f = take_frames(&mut c);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].goaway(), (0, ErrorCode::NoError));
    assert_ne!(f[0].flags, flags::ACK);
}
