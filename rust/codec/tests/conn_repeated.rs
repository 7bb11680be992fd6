//! Header blocks that repeat: the same request octets again, the same header list sent again,
//! before and after the HPACK tables move. Every repeat gives what decoding and encoding give:
//! the same fields, the same checks, the size update where one is due. (These guarded a
//! repeated-block shortcut until 2026-12-03; it bought nothing measurable end to end and was
//! removed, the tests stay.)

#[path = "conn_support.rs"]
mod support;

use h2native_codec::abi::testing::{CommandWriter, Event};
use h2native_codec::abi::Connection;
use h2native_codec::abi::{apply_commands, ev_flags};
use h2native_codec::conn::{Config, PREFACE};
use h2native_codec::error::ErrorCode;
use h2native_codec::frame::{self, Setting};
use h2native_codec::hpack::{DecodedHeaders, Decoder, Limits};
use support::*;

/// `:method POST`, `:scheme http`, `:path /` from the static table (RFC 7541 Appendix A).
const STATIC_PART: [u8; 3] = [0x83, 0x86, 0x84];

/// A block: the static part, then `x-a: value` as a literal with incremental indexing.
fn inserting(value: &str) -> Vec<u8> {
    let mut b = STATIC_PART.to_vec();
    b.extend_from_slice(&[0x40, 3]);
    b.extend_from_slice(b"x-a");
    b.push(value.len() as u8);
    b.extend_from_slice(value.as_bytes());
    b
}

/// A block: the static part, then dynamic index 62 (the newest entry).
fn newest_entry() -> Vec<u8> {
    let mut b = STATIC_PART.to_vec();
    b.push(0x80 | 62);
    b
}

fn send_block(c: &mut Connection, id: u32, block: &[u8]) {
    let mut b = Vec::new();
    frame::headers::encode_block(id, block, true, 16_384, &mut b);
    assert_eq!(c.feed(&b), b.len());
}

/// The fields of the HEADERS event of stream `id`, as (name, value) strings.
fn fields_of(c: &mut Connection, id: u32) -> Vec<(String, String)> {
    let events = take_events(c);
    let fields = events.iter().find_map(|e| match e {
        Event::Headers { stream_id, fields, .. } if *stream_id == id => Some(fields),
        _ => None,
    });
    let fields = fields.unwrap_or_else(|| panic!("no HEADERS on {id} in {events:?}"));
    fields
        .iter()
        .map(|f| {
            (String::from_utf8_lossy(f.name).into_owned(), String::from_utf8_lossy(f.value).into_owned())
        })
        .collect()
}

fn x_a(c: &mut Connection, id: u32) -> String {
    let fields = fields_of(c, id);
    fields.iter().find(|(n, _)| n == "x-a").map(|(_, v)| v.clone()).expect("x-a")
}

#[test]
fn a_repeated_block_delivers_the_fields_decoding_gives() {
    let mut p = Peer::new();
    let mut c = server(&mut p);
    let req = [REQ, &[("x-trace", "on"), ("content-type", "application/grpc")]].concat();
    // The first request inserts its fields; every later one is the same indexed octets.
    let mut first = None;
    for id in (1..=9).step_by(2) {
        p.headers(id, &req, true);
        feed(&mut c, &mut p);
        let got = fields_of(&mut c, id);
        let want: Vec<(String, String)> = req.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
        assert_eq!(got, want, "stream {id}");
        first.get_or_insert(got);
    }
}

#[test]
fn repeats_in_one_input_carry_their_own_stream_flags_and_fields() {
    // The event of a repeat is a copy of an earlier record: here at other offsets of the event
    // buffer, with other stream ids and END_STREAM flags.
    let mut p = Peer::new();
    let mut c = server(&mut p);
    let req = [REQ, &[("x-trace", "on")]].concat();
    let want: Vec<(String, String)> = req.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
    // 1 inserts, 3 is remembered, 5 repeats it: its record is kept, at the buffer's start.
    for id in [1, 3, 5] {
        p.headers(id, &req, true);
        feed(&mut c, &mut p);
        assert_eq!(fields_of(&mut c, id), want);
    }
    // Another event first: the repeats' records start later than the one they copy.
    p.ping(true, [7; 8]);
    for id in (7..=17).step_by(2) {
        let end_stream = id % 4 == 3;
        p.headers(id, &req, end_stream);
        if !end_stream {
            p.data(id, b"x", true);
        }
    }
    feed(&mut c, &mut p);
    let events = take_events(&mut c);
    for id in (7..=17).step_by(2) {
        let (flags, fields) = events
            .iter()
            .find_map(|e| match e {
                Event::Headers { stream_id, flags, fields } if *stream_id == id => Some((*flags, fields)),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no HEADERS on {id} in {events:?}"));
        assert_eq!(flags & ev_flags::END_STREAM != 0, id % 4 == 3, "stream {id}");
        let got: Vec<(String, String)> = fields
            .iter()
            .map(|f| {
                (String::from_utf8_lossy(f.name).into_owned(), String::from_utf8_lossy(f.value).into_owned())
            })
            .collect();
        assert_eq!(got, want, "stream {id}");
    }
}

#[test]
fn a_repeated_block_is_decoded_again_after_the_table_changed() {
    let mut p = Peer::new();
    let mut c = server(&mut p);
    send_block(&mut c, 1, &inserting("1"));
    assert_eq!(x_a(&mut c, 1), "1");
    // The same octets twice: index 62 is x-a: 1.
    send_block(&mut c, 3, &newest_entry());
    assert_eq!(x_a(&mut c, 3), "1");
    send_block(&mut c, 5, &newest_entry());
    assert_eq!(x_a(&mut c, 5), "1");
    // An insertion moves index 62 to the new entry: the same octets now mean x-a: 2.
    send_block(&mut c, 7, &inserting("2"));
    assert_eq!(x_a(&mut c, 7), "2");
    send_block(&mut c, 9, &newest_entry());
    assert_eq!(x_a(&mut c, 9), "2");
}

#[test]
fn a_repeated_block_without_a_required_size_update_is_a_compression_error() {
    // Our SETTINGS lowers the table to 100 octets; until the peer acknowledges it, its encoder
    // may still use 4096 (RFC 9113 §6.5.2). After the ACK, the next block must start with a
    // size update (RFC 7541 §4.2), even one whose octets were accepted a moment before.
    let mut c = Connection::server(Config { header_table_size: 100, ..Config::default() });
    let mut b = PREFACE.to_vec();
    frame::settings::encode(&[], &mut b);
    assert_eq!(c.feed(&b), b.len());
    c.clear_output();
    send_block(&mut c, 1, &inserting("1"));
    send_block(&mut c, 3, &newest_entry());
    send_block(&mut c, 5, &newest_entry());
    assert_eq!(x_a(&mut c, 5), "1");
    let mut ack = Vec::new();
    frame::settings::encode_ack(&mut ack);
    assert_eq!(c.feed(&ack), ack.len());
    send_block(&mut c, 7, &newest_entry());
    assert_goaway(&mut c, ErrorCode::CompressionError);
}

#[test]
fn content_length_rules_hold_for_a_repeated_block() {
    // content-length is never indexed: the block is the same literal octets every time and
    // leaves the table unchanged, so it is remembered.
    let mut p = Peer::new();
    let mut c = server(&mut p);
    let req = [REQ, &[("content-length", "5")]].concat();
    for id in [1, 3] {
        p.headers(id, &req, false).data(id, b"hello", true);
        feed(&mut c, &mut p);
        assert_silent(&mut c);
        assert!(take_events(&mut c)
            .iter()
            .any(|e| matches!(e, Event::Data { stream_id, len: 5, .. } if *stream_id == id)));
    }
    // Too little DATA for the declared length: malformed (RFC 9113 §8.1.1).
    p.headers(5, &req, false).data(5, b"hel", true);
    feed(&mut c, &mut p);
    assert_rst(&mut c, 5, ErrorCode::ProtocolError);
    // END_STREAM on the HEADERS with a non-zero content-length: malformed, every time.
    for id in [7, 9] {
        p.headers(id, &req, true);
        feed(&mut c, &mut p);
        assert_rst(&mut c, id, ErrorCode::ProtocolError);
    }
}

// ----- sent lists -----

/// Sends `fields` on stream `id` through a command batch (the path that remembers blocks),
/// returns the HEADERS payload written.
fn respond_with(c: &mut Connection, id: u32, fields: &[(&str, &str)], end_stream: bool) -> Vec<u8> {
    let f: Vec<(&[u8], &[u8], bool)> =
        fields.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes(), false)).collect();
    let mut w = CommandWriter::default();
    w.headers(id, &f, end_stream);
    let mut results = Vec::new();
    assert_eq!(apply_commands(c, &w.buf, &mut results).unwrap(), 1);
    let frames = take_frames(c);
    assert_eq!(frames.len(), 1, "{frames:?}");
    frames[0].payload.clone()
}

/// Decodes `block` with the peer's decoder (in step with the server's encoder).
fn decode(d: &mut Decoder, block: &[u8]) -> Vec<(String, String)> {
    let mut out = DecodedHeaders::new();
    d.decode(block, &Limits::UNLIMITED, &mut out).expect("server block decodes");
    out.iter()
        .map(|(n, v, _)| (String::from_utf8_lossy(n).into_owned(), String::from_utf8_lossy(v).into_owned()))
        .collect()
}

fn owned(fields: &[(&str, &str)]) -> Vec<(String, String)> {
    fields.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
}

/// Opens streams 1, 3, ... `n` of them, on a server in step with `d`.
fn server_with_streams(n: u32) -> (Connection, Peer) {
    let mut p = Peer::new();
    let mut c = server(&mut p);
    for i in 0..n {
        p.headers(1 + 2 * i, REQ, false);
    }
    feed(&mut c, &mut p);
    take_events(&mut c);
    (c, p)
}

#[test]
fn a_repeated_list_is_sent_as_the_block_encoding_gives() {
    let (mut c, _) = server_with_streams(6);
    let mut d = Decoder::default();
    let headers = [(":status", "200"), ("content-type", "application/grpc")];
    let trailers = [("grpc-status", "0")];
    let mut blocks = Vec::new();
    for id in [1, 3, 5] {
        let h = respond_with(&mut c, id, &headers, false);
        assert_eq!(decode(&mut d, &h), owned(&headers));
        let t = respond_with(&mut c, id, &trailers, true);
        assert_eq!(decode(&mut d, &t), owned(&trailers));
        blocks.push((h, t));
    }
    // Warm: indexed, the same octets every time.
    assert_eq!(blocks[1], blocks[2]);
    assert!(blocks[2].0.len() < blocks[0].0.len());
}

#[test]
fn a_repeated_list_is_encoded_again_after_the_table_changed() {
    let (mut c, _) = server_with_streams(5);
    let mut d = Decoder::default();
    let a = [(":status", "200"), ("x-a", "1")];
    let b = [(":status", "200"), ("x-b", "2")];
    // x-a is inserted, then sent by index 62 (remembered).
    for id in [1, 3] {
        assert_eq!(decode(&mut d, &respond_with(&mut c, id, &a, true)), owned(&a));
    }
    // x-b takes index 62: the remembered block of `a` would now mean x-b.
    assert_eq!(decode(&mut d, &respond_with(&mut c, 5, &b, true)), owned(&b));
    assert_eq!(decode(&mut d, &respond_with(&mut c, 7, &a, true)), owned(&a));
    assert_eq!(decode(&mut d, &respond_with(&mut c, 9, &b, true)), owned(&b));
}

#[test]
fn a_repeated_list_after_a_table_size_change_starts_with_the_size_update() {
    let (mut c, mut p) = server_with_streams(3);
    let mut d = Decoder::default();
    let a = [(":status", "200"), ("x-a", "1")];
    for id in [1, 3] {
        assert_eq!(decode(&mut d, &respond_with(&mut c, id, &a, true)), owned(&a));
    }
    // The peer shrinks our encoder's table (RFC 7541 §4.2): the next block must say so first.
    p.settings(&[Setting::HeaderTableSize(0)]);
    feed(&mut c, &mut p);
    take_frames(&mut c);
    take_events(&mut c);
    let block = respond_with(&mut c, 5, &a, true);
    assert_eq!(block[0] & 0xe0, 0x20, "size update first: {block:02x?}");
    d.set_max_table_size(4096);
    assert_eq!(decode(&mut d, &block), owned(&a));
    assert_eq!(d.table_len(), 0);
}
