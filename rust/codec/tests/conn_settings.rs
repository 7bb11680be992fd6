//! RFC 9113 §6.5 SETTINGS (values, ACK timing, timeout) and §6.7 PING.

#[path = "conn_support.rs"]
mod support;

use h2native_codec::abi::testing::Event;
use h2native_codec::abi::Connection;
use h2native_codec::conn::Config;
use h2native_codec::error::ErrorCode;
use h2native_codec::frame::{flags, kind, Setting};
use support::*;

#[test]
fn settings_are_acked_after_being_applied_in_order() {
    let mut p = Peer::new();
    let mut c = server(&mut p);
    p.settings(&[
        Setting::MaxFrameSize(20_000),
        Setting::MaxConcurrentStreams(7),
        Setting::InitialWindowSize(10),
    ]);
    p.ping(false, [1; 8]);
    feed(&mut c, &mut p);
    let f = take_frames(&mut c);
    assert_eq!((f[0].kind, f[0].flags, f[0].payload.len()), (kind::SETTINGS, flags::ACK, 0));
    assert_eq!(f[1].kind, kind::PING);
    let ev = take_events(&mut c);
    assert!(matches!(
        ev[0],
        Event::Settings { max_frame_size: 20_000, max_concurrent_streams: 7, initial_window_size: 10, .. }
    ));
    assert_eq!(c.peer_settings().max_frame_size, 20_000);
}

#[test]
fn our_settings_take_effect_on_ack() {
    let mut c = Connection::server(Config { initial_stream_window: 100_000, ..Config::default() });
    c.clear_output();
    let mut p = Peer::new();
    p.preface().headers(1, REQ, false);
    feed(&mut c, &mut p);
    // Before the ACK the stream window is the protocol's 65,535.
    assert_eq!(c.stream_windows(1).unwrap().1, 65_535);
    p.settings_ack();
    feed(&mut c, &mut p);
    assert_eq!(c.stream_windows(1).unwrap().1, 100_000);
    assert!(take_events(&mut c).contains(&Event::SettingsAcked));
    // A second, unsolicited ACK is ignored.
    p.settings_ack();
    feed(&mut c, &mut p);
    assert!(take_events(&mut c).is_empty());
}

#[test]
fn settings_timeout() {
    let mut c = Connection::server(Config { settings_timeout_ms: 1_000, ..Config::default() });
    c.set_now(5_000_000);
    c.clear_output();
    let mut p = Peer::new();
    p.preface();
    feed(&mut c, &mut p);
    c.clear_output();
    c.set_now(5_000_900);
    assert!(!c.is_closed());
    c.set_now(5_001_001);
    assert_goaway(&mut c, ErrorCode::SettingsTimeout);
}

#[test]
fn invalid_values_are_connection_errors() {
    let cases: [(&[u8], ErrorCode); 5] = [
        (&[0, 2, 0, 0, 0, 2], ErrorCode::ProtocolError), // ENABLE_PUSH = 2
        (&[0, 4, 0x80, 0, 0, 0], ErrorCode::FlowControlError), // INITIAL_WINDOW_SIZE 2^31
        (&[0, 5, 0, 0, 0x3f, 0xff], ErrorCode::ProtocolError), // MAX_FRAME_SIZE 16383
        (&[0, 5, 0x01, 0, 0, 0], ErrorCode::ProtocolError), // MAX_FRAME_SIZE 2^24
        (&[0, 4, 0, 0, 0], ErrorCode::FrameSizeError),   // length not a multiple of 6
    ];
    for (payload, code) in cases {
        let mut p = Peer::new();
        let mut c = server(&mut p);
        p.raw(kind::SETTINGS, 0, 0, payload);
        feed(&mut c, &mut p);
        assert_goaway(&mut c, code);
    }
    let mut p = Peer::new();
    let mut c = server(&mut p);
    p.raw(kind::SETTINGS, flags::ACK, 0, &[0, 4, 0, 0, 0, 1]);
    feed(&mut c, &mut p);
    assert_goaway(&mut c, ErrorCode::FrameSizeError);
    let mut p = Peer::new();
    let mut c = server(&mut p);
    p.raw(kind::SETTINGS, 0, 1, &[]);
    feed(&mut c, &mut p);
    assert_goaway(&mut c, ErrorCode::ProtocolError);
}

#[test]
fn client_rejects_enable_push_from_server() {
    let mut c = Connection::client(Config::default());
    c.clear_output();
    let mut p = Peer::new();
    p.settings(&[Setting::EnablePush(true)]);
    feed(&mut c, &mut p);
    assert_goaway(&mut c, ErrorCode::ProtocolError);
}

#[test]
fn header_table_size_reaches_the_encoder() {
    let mut p = Peer::new();
    let mut c = server(&mut p);
    p.settings(&[Setting::HeaderTableSize(0)]).headers(1, REQ, false);
    feed(&mut c, &mut p);
    c.clear_output();
    respond(&mut c, 1, false);
    let f = take_frames(&mut c);
    // The block starts with a dynamic table size update to 0 (RFC 7541 §6.3: 001xxxxx).
    assert_eq!(f[0].payload[0], 0x20);
}

#[test]
fn peer_max_frame_size_splits_our_frames() {
    let mut p = Peer::new();
    let mut c = server(&mut p);
    p.settings(&[Setting::MaxFrameSize(20_000), Setting::InitialWindowSize(1 << 20)]).headers(1, REQ, false);
    p.window_update(0, 1 << 20);
    feed(&mut c, &mut p);
    c.clear_output();
    respond(&mut c, 1, false);
    assert_eq!(c.send_data(1, 50_000, true, 9).unwrap(), 50_000);
    let bytes = materialize(&c, &|_| vec![1u8; 50_000]);
    let f = split_frames(&bytes);
    let data: Vec<_> =
        f.iter().filter(|f| f.kind == kind::DATA).map(|f| (f.payload.len(), f.flags)).collect();
    assert_eq!(data, vec![(20_000, 0), (20_000, 0), (10_000, flags::END_STREAM)]);
}

// ----- PING -----

#[test]
fn ping_is_answered_with_same_payload() {
    let mut p = Peer::new();
    let mut c = server(&mut p);
    p.ping(false, *b"abcdefgh");
    feed(&mut c, &mut p);
    let f = take_frames(&mut c);
    assert_eq!((f[0].kind, f[0].flags, f[0].stream), (kind::PING, flags::ACK, 0));
    assert_eq!(f[0].payload, b"abcdefgh");
}

#[test]
fn ping_ack_is_reported_not_answered() {
    let mut p = Peer::new();
    let mut c = server(&mut p);
    c.send_ping(*b"rtt-0001").unwrap();
    c.clear_output();
    p.ping(true, *b"rtt-0001");
    feed(&mut c, &mut p);
    assert_silent(&mut c);
    assert_eq!(take_events(&mut c), vec![Event::PingAck { payload: *b"rtt-0001" }]);
}

#[test]
fn ping_frame_errors() {
    for (id, len, code) in [(1u32, 8usize, ErrorCode::ProtocolError), (0, 7, ErrorCode::FrameSizeError)] {
        let mut p = Peer::new();
        let mut c = server(&mut p);
        p.raw(kind::PING, 0, id, &vec![0; len]);
        feed(&mut c, &mut p);
        assert_goaway(&mut c, code);
    }
}

#[test]
fn large_header_block_is_split_into_continuations() {
    let mut p = Peer::new();
    let mut c = server(&mut p);
    p.headers(1, REQ, false);
    feed(&mut c, &mut p);
    c.clear_output();
    let big = vec![b'v'; 40_000];
    let fields = [(&b":status"[..], &b"200"[..], false), (&b"x-big"[..], &big[..], false)];
    c.send_headers(1, fields, true).unwrap();
    let f = take_frames(&mut c);
    let kinds: Vec<_> = f.iter().map(|f| (f.kind, f.flags, f.payload.len() <= 16_384)).collect();
    assert_eq!(
        kinds,
        vec![
            (kind::HEADERS, flags::END_STREAM, true),
            (kind::CONTINUATION, 0, true),
            (kind::CONTINUATION, flags::END_HEADERS, true)
        ]
    );
}

/// A peer that allows a huge table (SETTINGS_HEADER_TABLE_SIZE 2^32 - 1) gets one of at most
/// `max_encoder_table_size` (4,096): a decoder that keeps only 4,096 octets decodes every block.
#[test]
fn a_huge_peer_table_size_is_capped_for_the_encoder() {
    use h2native_codec::hpack::{DecodedHeaders, Decoder, Limits};
    let mut p = Peer::new();
    let mut c = server(&mut p);
    p.settings(&[Setting::HeaderTableSize(u32::MAX)]);
    for i in 0..40u32 {
        p.headers(2 * i + 1, REQ, true);
    }
    feed(&mut c, &mut p);
    c.clear_output();
    let mut dec = Decoder::new(4096);
    let limits = Limits { max_header_list_size: 1 << 20, max_header_count: 100 };
    for i in 0..40u32 {
        let value = format!("{i:04}").repeat(250); // 1,000 octets, new each time
        let fields = [(&b":status"[..], &b"200"[..], false), (&b"x-v"[..], value.as_bytes(), false)];
        c.send_headers(2 * i + 1, fields, true).unwrap();
        for f in take_frames(&mut c).iter().filter(|f| f.kind == kind::HEADERS) {
            let mut out = DecodedHeaders::new();
            dec.decode(&f.payload, &limits, &mut out).expect("decodes with a 4,096-octet table");
            let got: Vec<_> = out.iter().map(|(n, v, _)| (n.to_vec(), v.to_vec())).collect();
            assert_eq!(got[1], (b"x-v".to_vec(), value.as_bytes().to_vec()), "response {i}");
        }
    }
}
