//! RFC 9113 §6.10 CONTINUATION and §4.3 field block assembly.

#[path = "conn_support.rs"]
mod support;

use h2native_codec::abi::testing::Event;
use h2native_codec::error::ErrorCode;
use h2native_codec::frame::kind;
use support::*;

fn request_block(p: &mut Peer) -> Vec<u8> {
    let mut f: Vec<(&str, &str)> = REQ.to_vec();
    f.push(("x-long", "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz"));
    p.block(&f)
}

#[test]
fn block_split_over_headers_and_continuations_across_feeds() {
    let mut p = Peer::new();
    let mut c = server(&mut p);
    let b = request_block(&mut p);
    let (a, rest) = b.split_at(10);
    let (m, z) = rest.split_at(30);
    p.headers_open(1, a, true).continuation(1, m, false).continuation(1, z, true);
    let bytes = p.take();
    // Feed in three arbitrary pieces.
    let mut pos = 0;
    for cut in [7, 40, bytes.len()] {
        pos += c.feed(&bytes[pos..cut]);
        if cut < bytes.len() {
            assert!(c.events().is_empty());
        }
    }
    assert_eq!(pos, bytes.len());
    let ev = take_events(&mut c);
    let Event::Headers { stream_id: 1, flags: 1, fields } = &ev[0] else { panic!("{ev:?}") };
    assert_eq!(fields.len(), 5);
    assert_eq!(fields[4].name, b"x-long");
}

#[test]
fn any_frame_between_headers_and_continuation_is_protocol_error() {
    let interlopers: [&dyn Fn(&mut Peer); 6] = [
        &|p| {
            p.priority(1, 0);
        },
        &|p| {
            p.data(3, b"x", false);
        },
        &|p| {
            p.ping(false, [0; 8]);
        },
        &|p| {
            p.settings(&[]);
        },
        &|p| {
            p.raw(0xfa, 0, 0, b"unknown extension");
        },
        &|p| {
            let b = p.block(REQ);
            p.headers_open(3, &b, true);
        },
    ];
    for add in interlopers {
        let mut p = Peer::new();
        let mut c = server(&mut p);
        let b = request_block(&mut p);
        p.headers_open(1, &b[..10], true);
        add(&mut p);
        p.continuation(1, &b[10..], true);
        feed(&mut c, &mut p);
        assert_goaway(&mut c, ErrorCode::ProtocolError);
    }
}

#[test]
fn continuation_on_another_stream_or_stream_zero() {
    for id in [3, 0] {
        let mut p = Peer::new();
        let mut c = server(&mut p);
        let b = request_block(&mut p);
        p.headers_open(1, &b[..10], true).continuation(id, &b[10..], true);
        feed(&mut c, &mut p);
        assert_goaway(&mut c, ErrorCode::ProtocolError);
    }
}

#[test]
fn continuation_after_end_headers_is_protocol_error() {
    let mut p = Peer::new();
    let mut c = server(&mut p);
    p.headers(1, REQ, false);
    let b = p.block(&[("x", "y")]);
    p.continuation(1, &b, true);
    feed(&mut c, &mut p);
    assert_goaway(&mut c, ErrorCode::ProtocolError);
}

#[test]
fn continuation_after_data_is_protocol_error() {
    let mut p = Peer::new();
    let mut c = server(&mut p);
    p.headers(1, REQ, false).data(1, b"x", false);
    let b = p.block(&[("x", "y")]);
    p.continuation(1, &b, true);
    feed(&mut c, &mut p);
    assert_goaway(&mut c, ErrorCode::ProtocolError);
}

#[test]
fn invalid_block_is_compression_error() {
    let mut p = Peer::new();
    let mut c = server(&mut p);
    // Indexed field 0 is invalid (RFC 7541 §6.1); index 70 is beyond both tables.
    p.raw(kind::HEADERS, 0x5, 1, &[0x80]);
    feed(&mut c, &mut p);
    assert_goaway(&mut c, ErrorCode::CompressionError);
    let mut p = Peer::new();
    let mut c = server(&mut p);
    p.raw(kind::HEADERS, 0x5, 1, &[0x82, 0xc6]);
    feed(&mut c, &mut p);
    assert_goaway(&mut c, ErrorCode::CompressionError);
}

#[test]
fn assembly_buffer_is_reused() {
    let mut p = Peer::new();
    let mut c = server(&mut p);
    for i in 0..50u32 {
        let b = request_block(&mut p);
        p.headers_open(2 * i + 1, &b[..5], true).continuation(2 * i + 1, &b[5..], true);
        feed(&mut c, &mut p);
        c.clear_events();
        c.clear_output();
        c.send_reset(2 * i + 1, ErrorCode::Cancel).ok();
        c.clear_output();
    }
    assert!(c.buffer_capacities()[3] < 1024);
}
