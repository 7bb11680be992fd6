//! Header blocks that repeat. A request block that repeats the last one's octets is not
//! decoded again (conn/repeated.rs), and a header list sent before is sent as the block it
//! encoded to (abi/sent_blocks.rs over `conn::ReusableBlock`), while the HPACK state is
//! unchanged. These tests hold those shortcuts to what decoding and encoding give: the same
//! fields, the same checks, the size update where one is due, and no shortcut once a table has
//! moved.

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

/// Sends `fields` (name, value, sensitive) on stream `id` through a command; the result status.
fn respond_status(c: &mut Connection, id: u32, fields: &[(&str, &str, bool)], end_stream: bool) -> u32 {
    let f: Vec<(&[u8], &[u8], bool)> =
        fields.iter().map(|(n, v, s)| (n.as_bytes(), v.as_bytes(), *s)).collect();
    let mut w = CommandWriter::default();
    w.headers(id, &f, end_stream);
    let mut results = Vec::new();
    assert_eq!(apply_commands(c, &w.buf, &mut results).unwrap(), 1);
    u32::from_le_bytes(results[..4].try_into().unwrap())
}

#[test]
fn a_sensitive_field_is_never_sent_as_the_block_of_the_same_list_indexed() {
    let (mut c, _) = server_with_streams(4);
    let mut d = Decoder::default();
    let a = [(":status", "200"), ("x-token", "t")];
    for id in [1, 3] {
        assert_eq!(decode(&mut d, &respond_with(&mut c, id, &a, true)), owned(&a));
    }
    // The same names and values, x-token sensitive: another record, a never-indexed literal.
    assert_eq!(respond_status(&mut c, 5, &[(":status", "200", false), ("x-token", "t", true)], true), 0);
    let block = take_frames(&mut c).remove(0).payload;
    // RFC 7541 §6.2.3: never indexed, the name from the table.
    assert_eq!(block[1] & 0xf0, 0x10, "{block:02x?}");
    let mut out = DecodedHeaders::new();
    d.decode(&block, &Limits::UNLIMITED, &mut out).unwrap();
    assert!(out.fields()[1].never_indexed);
    assert_eq!(out.iter().nth(1).map(|(n, v, _)| (n, v)), Some((&b"x-token"[..], &b"t"[..])));
}

#[test]
fn lists_refused_for_a_gone_stream_leave_the_kept_blocks_right() {
    let (mut c, _) = server_with_streams(30);
    let mut d = Decoder::default();
    let lists: Vec<[(&str, &str); 2]> =
        ["a", "b", "c", "d", "e"].iter().map(|v| [(":status", "200"), ("x-v", *v)]).collect();
    let mut id = 1;
    for _ in 0..2 {
        for l in &lists[..4] {
            assert_eq!(decode(&mut d, &respond_with(&mut c, id, l, true)), owned(l));
            id += 2;
        }
    }
    // Stream 99 was never opened: refused, through every entry in turn.
    let e: Vec<(&str, &str, bool)> = lists[4].iter().map(|(n, v)| (*n, *v, false)).collect();
    for _ in 0..5 {
        assert_eq!(respond_status(&mut c, 99, &e, true), 1, "STREAM_GONE");
        assert!(take_frames(&mut c).is_empty());
    }
    for l in lists.iter().chain(lists.iter()) {
        assert_eq!(decode(&mut d, &respond_with(&mut c, id, l, true)), owned(l));
        id += 2;
    }
}

#[test]
fn a_repeated_head_request_still_expects_no_response_body() {
    let mut c = Connection::client(Config::default());
    let mut server = Connection::server(Config::default());
    let pump = |from: &mut Connection, to: &mut Connection| {
        let out = materialize(from, &|_| Vec::new());
        from.clear_output();
        assert_eq!(to.feed(&out), out.len());
    };
    pump(&mut c, &mut server);
    pump(&mut server, &mut c);
    pump(&mut c, &mut server);
    take_events(&mut c);
    take_events(&mut server);
    let head = [(":method", "HEAD"), (":scheme", "http"), (":path", "/"), (":authority", "a")];
    let head: Vec<(&[u8], &[u8], bool)> =
        head.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes(), false)).collect();
    for round in 0..3 {
        let mut w = CommandWriter::default();
        w.headers(0, &head, true);
        let mut results = Vec::new();
        apply_commands(&mut c, &w.buf, &mut results).unwrap();
        let id = u32::from_le_bytes(results[4..8].try_into().unwrap());
        assert_eq!(id, 1 + 2 * round);
        pump(&mut c, &mut server);
        take_events(&mut server);
        // §8.1.1: a HEAD response declares the length of the body it does not carry.
        server
            .send_headers(
                id,
                [(&b":status"[..], &b"200"[..], false), (b"content-length", b"10", false)],
                true,
            )
            .unwrap();
        pump(&mut server, &mut c);
        let events = take_events(&mut c);
        assert!(
            events.iter().any(|e| matches!(e, Event::Headers { stream_id, .. } if *stream_id == id)),
            "round {round}: {events:?}"
        );
        assert!(!events.iter().any(|e| matches!(e, Event::StreamError { .. })), "round {round}: {events:?}");
    }
}

/// The field set id of stream `id`'s HEADERS event: every entry carries the same one.
fn set_of(c: &mut Connection, id: u32) -> u32 {
    let events = take_events(c);
    let sets: Vec<u32> = events
        .iter()
        .find_map(|e| match e {
            Event::Headers { stream_id, fields, .. } if *stream_id == id => {
                Some(fields.iter().map(|f| f.set).collect())
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("no HEADERS on {id} in {events:?}"));
    assert!(sets.windows(2).all(|w| w[0] == w[1]), "one set per event: {sets:?}");
    sets[0]
}

#[test]
fn field_set_ids_are_shared_by_repeats_and_new_for_each_decode() {
    let mut p = Peer::new();
    let mut c = server(&mut p);
    let req = [REQ, &[("x-trace", "on")]].concat();
    let mut sets = Vec::new();
    for id in (1..=7).step_by(2) {
        p.headers(id, &req, true);
        feed(&mut c, &mut p);
        sets.push(set_of(&mut c, id));
    }
    // 1 inserts, 3 decodes the indexed octets (and is remembered), 5 and 7 repeat them.
    assert!(sets.iter().all(|&s| s != 0), "{sets:?}");
    assert_ne!(sets[0], sets[1], "every decode numbers a new set");
    assert_eq!(sets[1], sets[2], "a repeat carries the remembered decode's set");
    assert_eq!(sets[2], sets[3]);
    let other = [REQ, &[("x-trace", "off")]].concat();
    p.headers(9, &other, true);
    feed(&mut c, &mut p);
    let changed = set_of(&mut c, 9);
    assert_ne!(changed, sets[3], "other fields, another set");
    p.headers(11, &req, true);
    feed(&mut c, &mut p);
    assert_ne!(set_of(&mut c, 11), changed, "decoded again: a new set, never an old one reused");
}

#[test]
fn a_repeat_of_a_refused_request_carries_its_own_set_not_the_last_delivered() {
    // A remembered block whose stream was refused (END_STREAM with a content-length) delivered
    // no event: its repeat must not be reported as the set of the last event delivered.
    let mut p = Peer::new();
    let mut c = server(&mut p);
    let good = [REQ, &[("x-a", "1")]].concat();
    for id in [1, 3] {
        p.headers(id, &good, true);
        feed(&mut c, &mut p);
    }
    let delivered = set_of(&mut c, 3);
    let refused = [REQ, &[("content-length", "5")]].concat();
    p.headers(5, &refused, true);
    feed(&mut c, &mut p);
    assert_rst(&mut c, 5, ErrorCode::ProtocolError);
    p.headers(7, &refused, false).data(7, b"hello", true);
    feed(&mut c, &mut p);
    let events = take_events(&mut c);
    let fields = events
        .iter()
        .find_map(|e| match e {
            Event::Headers { stream_id: 7, fields, .. } => Some(fields.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no HEADERS on 7 in {events:?}"));
    assert!(fields.iter().any(|f| f.name == b"content-length"), "{fields:?}");
    assert_ne!(fields[0].set, delivered);
}

#[test]
fn a_repeat_copied_to_an_earlier_offset_than_its_kept_record_points_into_itself() {
    // The kept record was written after other events; the next feed's buffer starts empty, so
    // the copy lands before the offset it was kept at and every absolute offset moves down.
    let mut p = Peer::new();
    let mut c = server(&mut p);
    let req = [REQ, &[("x-trace", "on")]].concat();
    let want: Vec<(String, String)> = req.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
    p.ping(true, [1; 8]).ping(true, [2; 8]);
    for id in [1, 3, 5] {
        p.headers(id, &req, true);
    }
    feed(&mut c, &mut p);
    take_events(&mut c);
    for id in [7, 9] {
        p.headers(id, &req, true);
        feed(&mut c, &mut p);
        assert_eq!(fields_of(&mut c, id), want, "stream {id}");
    }
}
