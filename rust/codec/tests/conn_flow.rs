//! RFC 9113 §6.9 flow control, both directions, and §6.9.2 SETTINGS_INITIAL_WINDOW_SIZE.

#[path = "conn_support.rs"]
mod support;

use h2native_codec::abi::testing::Event;
use h2native_codec::abi::Connection;
use h2native_codec::conn::Config;
use h2native_codec::error::ErrorCode;
use h2native_codec::frame::{kind, Setting};
use support::*;

fn small_windows() -> Config {
    Config { initial_stream_window: 65_535, initial_connection_window: 65_535, ..Config::default() }
}

/// Server with a request open on stream 1 and response headers sent.
fn responding(settings: &[Setting]) -> (Peer, Connection) {
    let mut p = Peer::new();
    let mut c = server(&mut p);
    p.settings(settings).headers(1, REQ, false);
    feed(&mut c, &mut p);
    respond(&mut c, 1, false);
    c.clear_output();
    c.clear_events();
    (p, c)
}

#[test]
fn send_is_bounded_by_stream_window_and_resumes_on_update() {
    let (mut p, mut c) = responding(&[Setting::InitialWindowSize(100)]);
    assert_eq!(c.send_capacity(1), 100);
    assert_eq!(c.send_data(1, 250, true, 1).unwrap(), 100);
    // No END_STREAM: not everything was accepted.
    let f = split_frames(&materialize(&c, &|_| vec![0; 250]));
    assert_eq!((f[0].payload.len(), f[0].flags), (100, 0));
    c.clear_output();
    assert_eq!(c.send_data(1, 150, true, 2).unwrap(), 0);
    assert!(c.output().is_empty());
    p.window_update(1, 1000);
    feed(&mut c, &mut p);
    assert_eq!(take_events(&mut c), vec![Event::WindowOpened { stream_id: 1, available: 1000 }]);
    assert_eq!(c.send_data(1, 150, true, 2).unwrap(), 150);
    assert_eq!(c.stream_state(1), Some(h2native_codec::conn::State::HalfClosedLocal));
}

#[test]
fn send_is_bounded_by_connection_window() {
    let (mut p, mut c) = responding(&[Setting::InitialWindowSize(1 << 20)]);
    assert_eq!(c.send_data(1, 70_000, false, 0).unwrap(), 65_535);
    assert_eq!(c.connection_send_window(), 0);
    p.window_update(0, 10);
    feed(&mut c, &mut p);
    assert_eq!(take_events(&mut c), vec![Event::WindowOpened { stream_id: 0, available: 10 }]);
    // An update while not blocked says nothing.
    c.send_data(1, 10, false, 0).unwrap();
    p.window_update(1, 10);
    feed(&mut c, &mut p);
    assert!(take_events(&mut c).is_empty());
}

#[test]
fn initial_window_size_change_applies_to_open_streams_and_can_go_negative() {
    let (mut p, mut c) = responding(&[]);
    c.send_data(1, 60_000, false, 0).unwrap();
    assert_eq!(c.stream_windows(1).unwrap().0, 5_535);
    p.settings(&[Setting::InitialWindowSize(1_000)]);
    feed(&mut c, &mut p);
    assert_eq!(c.stream_windows(1).unwrap().0, 1_000 - 60_000);
    assert_eq!(c.send_capacity(1), 0);
    assert_eq!(c.send_data(1, 5, false, 0).unwrap(), 0);
    // Raising it again opens the window and tells the caller.
    c.clear_events();
    p.settings(&[Setting::InitialWindowSize(100_000)]);
    feed(&mut c, &mut p);
    assert_eq!(c.stream_windows(1).unwrap().0, 40_000);
    assert!(take_events(&mut c).iter().any(|e| matches!(e, Event::WindowOpened { stream_id: 1, .. })));
}

#[test]
fn initial_window_size_overflowing_a_stream_is_flow_control_error() {
    let (mut p, mut c) = responding(&[]);
    p.window_update(1, (1 << 31) - 1 - 65_535);
    p.settings(&[Setting::InitialWindowSize(65_536)]);
    feed(&mut c, &mut p);
    assert_goaway(&mut c, ErrorCode::FlowControlError);
}

#[test]
fn window_update_overflow() {
    let (mut p, mut c) = responding(&[]);
    p.window_update(1, (1 << 31) - 1 - 65_535).window_update(1, 1);
    feed(&mut c, &mut p);
    assert_rst(&mut c, 1, ErrorCode::FlowControlError);

    let (mut p, mut c) = responding(&[]);
    p.window_update(0, (1 << 31) - 1 - 65_535).window_update(0, 1);
    feed(&mut c, &mut p);
    assert_goaway(&mut c, ErrorCode::FlowControlError);
}

#[test]
fn zero_increment() {
    let (mut p, mut c) = responding(&[]);
    p.raw(kind::WINDOW_UPDATE, 0, 1, &[0; 4]);
    feed(&mut c, &mut p);
    assert_rst(&mut c, 1, ErrorCode::ProtocolError);
    let (mut p, mut c) = responding(&[]);
    p.raw(kind::WINDOW_UPDATE, 0, 0, &[0; 4]);
    feed(&mut c, &mut p);
    assert_goaway(&mut c, ErrorCode::ProtocolError);
}

#[test]
fn receiving_beyond_stream_window_is_stream_error_beyond_connection_window_connection_error() {
    let mut p = Peer::new();
    let mut c = server_with(Config { initial_stream_window: 65_535, ..Config::default() }, &mut p);
    p.headers(1, REQ, false);
    for _ in 0..4 {
        p.data(1, &[0; 16_384], false);
    }
    feed(&mut c, &mut p);
    assert_rst(&mut c, 1, ErrorCode::FlowControlError);

    let mut p = Peer::new();
    let mut c = server_with(small_windows(), &mut p);
    p.headers(1, REQ, false).headers(3, REQ, false);
    for _ in 0..2 {
        p.data(1, &[0; 16_384], false).data(3, &[0; 16_384], false);
    }
    feed(&mut c, &mut p);
    assert_goaway(&mut c, ErrorCode::FlowControlError);
}

#[test]
fn consumed_batches_window_updates_at_half_window() {
    let mut p = Peer::new();
    let mut c = server_with(small_windows(), &mut p);
    p.headers(1, REQ, false);
    for _ in 0..3 {
        p.data(1, &[0; 16_000], false);
    }
    feed(&mut c, &mut p);
    assert_eq!(c.connection_recv_window(), 65_535 - 48_000);
    c.consumed(1, 16_000);
    c.consumed(1, 16_000);
    assert!(c.output().is_empty(), "32,000 is below half the window");
    c.consumed(1, 16_000);
    let f = take_frames(&mut c);
    assert_eq!(f.len(), 2);
    assert_eq!((f[0].stream, f[0].window_increment()), (0, 48_000));
    assert_eq!((f[1].stream, f[1].window_increment()), (1, 48_000));
    assert_eq!(c.stream_windows(1).unwrap().1, 65_535);
    assert_eq!(c.connection_recv_window(), 65_535);
    // Consuming more than was received is clamped: no window above its target.
    c.consumed(1, 1_000_000);
    assert!(c.output().is_empty());
}

#[test]
fn padding_is_returned_immediately() {
    let mut p = Peer::new();
    let mut c = server_with(small_windows(), &mut p);
    p.headers(1, REQ, false);
    for _ in 0..200 {
        p.data_padded(1, &[1], false, 200);
    }
    feed(&mut c, &mut p);
    // Only the 200 data octets are held; the padding came back by WINDOW_UPDATEs.
    let held = 65_535 - c.connection_recv_window();
    assert!(held <= 200 + 65_535 / 2, "held {held}");
    assert!(take_frames(&mut c).iter().any(|f| f.kind == kind::WINDOW_UPDATE && f.stream == 0));
}

#[test]
fn no_stream_update_after_end_stream() {
    let mut p = Peer::new();
    let mut c = server_with(small_windows(), &mut p);
    p.headers(1, REQ, false).data(1, &[0; 40_000], true);
    // One 40,000-octet frame exceeds 16,384: send as three.
    p.buf.clear();
    p.headers(1, REQ, false).data(1, &[0; 16_000], false).data(1, &[0; 16_000], false).data(
        1,
        &[0; 8_000],
        true,
    );
    feed(&mut c, &mut p);
    c.consumed(1, 40_000);
    let f = take_frames(&mut c);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].stream, 0);
}

#[test]
fn consumed_after_stream_reset_returns_connection_credit() {
    let mut p = Peer::new();
    let mut c = server_with(small_windows(), &mut p);
    p.headers(1, REQ, false);
    for _ in 0..3 {
        p.data(1, &[0; 16_000], false);
    }
    p.rst(1, ErrorCode::Cancel);
    feed(&mut c, &mut p);
    c.consumed(1, 48_000);
    let f = take_frames(&mut c);
    assert_eq!((f[0].stream, f[0].window_increment()), (0, 48_000));
}

#[test]
fn client_flow_both_ways() {
    let mut c = Connection::client(small_windows());
    c.clear_output();
    let mut p = Peer::new();
    p.settings(&[Setting::InitialWindowSize(10)]);
    feed(&mut c, &mut p);
    let req: Vec<(&[u8], &[u8], bool)> =
        REQ.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes(), false)).collect();
    let id = c.send_headers(0, req, false).unwrap();
    assert_eq!(c.send_data(id, 100, true, 0).unwrap(), 10);
    c.clear_output();
    p.headers(id, RESP, false).data(id, &[5; 40_000][..16_000], false);
    feed(&mut c, &mut p);
    let ev = take_events(&mut c);
    assert!(matches!(ev.last(), Some(Event::Data { len: 16_000, .. })));
}
