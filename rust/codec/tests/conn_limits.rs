//! Every limit of `Config`: the answer the peer gets, the LIMIT event, and bounded memory.

#[path = "conn_support.rs"]
mod support;

use h2native_codec::abi::ev_flags;
use h2native_codec::abi::testing::Event;
use h2native_codec::abi::Connection;
use h2native_codec::conn::{Config, Limit};
use h2native_codec::error::ErrorCode;
use h2native_codec::frame::{kind, Setting};
use support::*;

fn has_limit(ev: &[Event], l: Limit) -> bool {
    ev.iter().any(|e| matches!(e, Event::Limit { limit, .. } if *limit == l as u32))
}

fn assert_calm(c: &mut Connection, l: Limit) {
    let ev = take_events(c);
    assert!(has_limit(&ev, l), "no {l:?} in {ev:?}");
    let f = take_frames(c);
    let g = f.iter().find(|f| f.kind == kind::GOAWAY).expect("GOAWAY");
    assert_eq!(g.goaway().1, ErrorCode::EnhanceYourCalm);
    assert!(c.is_closed());
}

#[test]
fn header_list_size_opens_stream_flagged_too_large() {
    let mut p = Peer::new();
    let mut c = server_with(Config { max_header_list_size: 200, ..Config::default() }, &mut p);
    let big = "x".repeat(300);
    let mut f = REQ.to_vec();
    f.push(("x-big", &big));
    p.headers(1, &f, true).headers(3, REQ, true);
    feed(&mut c, &mut p);
    let ev = take_events(&mut c);
    assert!(has_limit(&ev, Limit::HeaderListSize));
    assert!(ev.iter().any(|e| matches!(e, Event::Headers { stream_id: 1, flags, fields } if *flags & ev_flags::TOO_LARGE != 0 && fields.is_empty())));
    // HPACK stayed in step: the next request decodes.
    assert!(ev.iter().any(|e| matches!(e, Event::Headers { stream_id: 3, fields, .. } if fields.len() == 4)));
    assert_silent(&mut c);
}

#[test]
fn header_count() {
    let mut p = Peer::new();
    let mut c = server_with(Config { max_header_count: 10, ..Config::default() }, &mut p);
    let mut f = REQ.to_vec();
    for _ in 0..20 {
        f.push(("x", ""));
    }
    p.headers(1, &f, true);
    feed(&mut c, &mut p);
    let ev = take_events(&mut c);
    assert!(has_limit(&ev, Limit::HeaderCount));
}

#[test]
fn continuation_frames_per_block() {
    let mut p = Peer::new();
    let mut c = server(&mut p);
    let b = p.block(REQ);
    p.headers_open(1, &b[..1], true);
    for i in 1..10 {
        p.continuation(1, &b[i..i + 1], false);
    }
    feed(&mut c, &mut p);
    assert_calm(&mut c, Limit::ContinuationFrames);
}

#[test]
fn header_block_size_bounds_the_assembly_buffer() {
    let mut p = Peer::new();
    let mut c = server_with(Config { max_continuation_frames: 1000, ..Config::default() }, &mut p);
    // A never-ending block of literal bytes: refused once 64 KiB would be exceeded.
    p.headers_open(1, &[0; 16_000], true);
    for _ in 0..10 {
        p.continuation(1, &[0; 16_000], false);
    }
    feed(&mut c, &mut p);
    assert_calm(&mut c, Limit::HeaderBlockSize);
    assert!(c.buffer_capacities()[3] <= 2 * 64 * 1024);
}

#[test]
fn zero_length_continuation_flood() {
    let mut p = Peer::new();
    let mut c = server_with(Config { max_continuation_frames: 100_000, ..Config::default() }, &mut p);
    let b = p.block(REQ);
    p.headers_open(1, &b, true);
    for _ in 0..200 {
        p.continuation(1, &[], false);
    }
    feed(&mut c, &mut p);
    assert_calm(&mut c, Limit::EmptyFrames);
}

#[test]
fn empty_data_frames() {
    let mut p = Peer::new();
    let mut c = server(&mut p);
    p.headers(1, REQ, false);
    for _ in 0..101 {
        p.data(1, b"", false);
    }
    feed(&mut c, &mut p);
    assert_calm(&mut c, Limit::EmptyFrames);
}

#[test]
fn empty_frame_window_resets_with_time() {
    let mut p = Peer::new();
    let mut c = server(&mut p);
    c.set_now(1_000);
    p.headers(1, REQ, false);
    for round in 0..5u64 {
        c.set_now(1_000 + round * 30_000);
        for _ in 0..100 {
            p.data(1, b"", false);
        }
        feed(&mut c, &mut p);
        assert!(!c.is_closed(), "round {round}");
    }
}

#[test]
fn settings_entries_per_frame() {
    let mut p = Peer::new();
    let mut c = server(&mut p);
    let s: Vec<Setting> = (0..33).map(|i| Setting::Unknown(0x100 + i, 0)).collect();
    p.settings(&s);
    feed(&mut c, &mut p);
    assert_calm(&mut c, Limit::SettingsEntries);
}

#[test]
fn settings_frames_per_window() {
    let mut p = Peer::new();
    let mut c = server_with(Config { max_queued_control_replies: 10_000, ..Config::default() }, &mut p);
    for _ in 0..101 {
        p.settings(&[Setting::MaxConcurrentStreams(5)]);
    }
    feed(&mut c, &mut p);
    assert_calm(&mut c, Limit::SettingsPerWindow);
}

#[test]
fn queued_control_replies_when_the_caller_does_not_drain() {
    let mut p = Peer::new();
    let mut c = server(&mut p);
    for _ in 0..1001 {
        p.ping(false, [3; 8]);
    }
    feed(&mut c, &mut p);
    let acks = split_frames(c.output()).iter().filter(|f| f.kind == kind::PING).count();
    assert_eq!(acks, 1000, "exactly the limit is answered, then GOAWAY");
    assert_calm(&mut c, Limit::QueuedControlReplies);
    // Output bounded: 1000 acks of 17 octets and the GOAWAY.
    assert!(c.buffer_capacities()[1] < 64 * 1024);

    // A caller that drains may receive any number.
    let mut p = Peer::new();
    let mut c = server(&mut p);
    for _ in 0..5 {
        for _ in 0..900 {
            p.ping(false, [3; 8]);
        }
        feed(&mut c, &mut p);
        assert!(!c.is_closed());
        c.clear_output();
    }
}

#[test]
fn rapid_reset() {
    let mut p = Peer::new();
    let mut c = server(&mut p);
    for i in 0..201u32 {
        p.headers(2 * i + 1, REQ, false).rst(2 * i + 1, ErrorCode::Cancel);
    }
    feed(&mut c, &mut p);
    let ev = take_events(&mut c);
    assert!(has_limit(&ev, Limit::ResetsReceived));
    let f = take_frames(&mut c);
    assert_eq!(f.last().unwrap().goaway(), (401, ErrorCode::EnhanceYourCalm));
    // Memory stayed at the concurrency high-water mark: the events are the only growth.
    assert!(c.buffer_capacities()[1] <= 4096);
}

#[test]
fn rapid_reset_allows_exactly_the_limit() {
    let mut p = Peer::new();
    let mut c = server(&mut p);
    for i in 0..200u32 {
        p.headers(2 * i + 1, REQ, false).rst(2 * i + 1, ErrorCode::Cancel);
    }
    feed(&mut c, &mut p);
    assert!(!has_limit(&take_events(&mut c), Limit::ResetsReceived));
    assert!(!c.is_closed());
    p.headers(401, REQ, false).rst(401, ErrorCode::Cancel);
    feed(&mut c, &mut p);
    assert_calm(&mut c, Limit::ResetsReceived);
}

/// Streams `ids`, each answered (and, with `complete`, ended by both sides) and then reset by
/// the peer.
fn answer_then_reset(c: &mut Connection, p: &mut Peer, ids: impl Iterator<Item = u32>, complete: bool) {
    for id in ids {
        p.headers(id, REQ, complete);
        feed(c, p);
        c.send_headers(id, [(&b":status"[..], &b"200"[..], false)], complete).unwrap();
        p.rst(id, ErrorCode::Cancel);
        feed(c, p);
        c.clear_output();
    }
}

#[test]
fn resets_of_answered_streams_are_not_counted() {
    // A client cancelling streams whose response has started (it read what it needed) is not
    // an attack: a thousand of them in one window leave the connection open.
    let mut p = Peer::new();
    let mut c = server(&mut p);
    answer_then_reset(&mut c, &mut p, (1..2000).step_by(2), false);
    assert!(!has_limit(&take_events(&mut c), Limit::ResetsReceived));
    assert!(!c.is_closed());
    assert_eq!(c.active_streams(), 0);

    // Nor are resets racing a response that completed (both END_STREAMs sent).
    answer_then_reset(&mut c, &mut p, (2001..2600).step_by(2), true);
    assert!(!has_limit(&take_events(&mut c), Limit::ResetsReceived));
    assert!(!c.is_closed());
}

#[test]
fn made_you_reset() {
    // Each WINDOW_UPDATE of 0 provokes a RST_STREAM; the 201st in a window ends it.
    let mut p = Peer::new();
    let mut c = server_with(Config { max_concurrent_streams: 1000, ..Config::default() }, &mut p);
    for i in 0..201u32 {
        p.headers(2 * i + 1, REQ, false).raw(kind::WINDOW_UPDATE, 0, 2 * i + 1, &[0; 4]);
    }
    feed(&mut c, &mut p);
    let resets = split_frames(c.output()).iter().filter(|f| f.kind == kind::RST_STREAM).count();
    assert_eq!(resets, 200, "exactly the limit is sent, then GOAWAY");
    assert_calm(&mut c, Limit::ResetsSent);
}

#[test]
fn refused_streams_count_as_provoked_resets() {
    let mut p = Peer::new();
    let mut c = server_with(Config { max_concurrent_streams: 1, ..Config::default() }, &mut p);
    p.headers(1, REQ, false);
    for i in 1..=201u32 {
        p.headers(2 * i + 1, REQ, false);
    }
    feed(&mut c, &mut p);
    assert_calm(&mut c, Limit::ResetsSent);
}

#[test]
fn idle_timeout() {
    let mut p = Peer::new();
    let mut c = server_with(Config { idle_timeout_ms: 1_000, ..Config::default() }, &mut p);
    c.set_now(10_000);
    p.headers(1, REQ, true);
    feed(&mut c, &mut p);
    c.set_now(20_000);
    assert!(c.output().is_empty(), "a stream is open");
    respond(&mut c, 1, true);
    c.clear_output();
    c.clear_events();
    c.set_now(20_500);
    assert!(c.output().is_empty());
    c.set_now(21_001);
    let f = take_frames(&mut c);
    assert_eq!(f[0].goaway(), (1, ErrorCode::NoError));
    let ev = take_events(&mut c);
    assert!(has_limit(&ev, Limit::IdleTimeout));
    assert!(ev.contains(&Event::Drained));
}

#[test]
fn memory_stays_bounded_under_a_mixed_flood() {
    let mut p = Peer::new();
    let mut c = server(&mut p);
    for round in 0..200u32 {
        c.set_now(u64::from(round) * 31_000);
        for i in 0..50u32 {
            let id = (round * 50 + i) * 2 + 1;
            p.headers(id, REQ, false).data(id, b"x", false).rst(id, ErrorCode::Cancel);
            p.ping(false, [0; 8]);
        }
        feed(&mut c, &mut p);
        assert!(!c.is_closed(), "round {round}");
        c.clear_output();
        c.clear_events();
        c.consumed(0, 50);
    }
    let caps = c.buffer_capacities();
    assert!(caps.iter().all(|&n| n < 64 * 1024), "{caps:?}");
}

/// RFC 7541 literals written by hand, so that the peer's table is exactly what the test says.
fn literal(first: u8, name: &str, value: &[u8], huffman: bool) -> Vec<u8> {
    fn int(v: usize, prefix: u8, first: u8, out: &mut Vec<u8>) {
        let max = (1usize << prefix) - 1;
        if v < max {
            out.push(first | v as u8);
            return;
        }
        out.push(first | max as u8);
        let mut v = v - max;
        while v >= 128 {
            out.push((v & 0x7f) as u8 | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }
    let mut b = vec![first];
    int(name.len(), 7, 0, &mut b);
    b.extend_from_slice(name.as_bytes());
    int(value.len(), 7, if huffman { 0x80 } else { 0 }, &mut b);
    b.extend_from_slice(value);
    b
}

fn plain_request() -> Vec<u8> {
    REQ.iter().flat_map(|(n, v)| literal(0x00, n, v.as_bytes(), false)).collect()
}

#[test]
fn events_per_feed_are_bounded_and_the_rest_is_fed_again() {
    use h2native_codec::conn::limits::MAX_EVENTS_PER_FEED;
    let mut p = Peer::new();
    let mut c = server(&mut p);
    // One 3,000-octet entry in the table, then 99 requests of a few octets that each reference
    // it four times: ~12 KB of events per ~70 octets of input.
    let mut first = plain_request();
    first.extend(literal(0x40, "x-a", &[b'a'; 3000], false));
    p.headers_open(1, &first, false);
    let input_first = p.take();
    let mut input = input_first.clone();
    // HEADERS with END_HEADERS (headers_open writes flags by hand: add END_HEADERS = 0x4)
    input[4] |= 0x4;
    let mut refs = plain_request();
    refs.extend([0xbe; 4]); // indexed 62, four times
    for id in (3..200).step_by(2) {
        p.raw(kind::HEADERS, 0x4, id, &refs);
    }
    input.extend(p.take());
    let mut at = 0;
    let mut headers = 0;
    let mut calls = 0;
    while at < input.len() {
        let n = c.feed(&input[at..]);
        calls += 1;
        assert!(
            c.events().len() <= MAX_EVENTS_PER_FEED + 16_384 + 32 * 256,
            "{} octets of events",
            c.events().len()
        );
        headers += take_events(&mut c).iter().filter(|e| matches!(e, Event::Headers { .. })).count();
        at += n;
        assert!(n > 0, "no progress at {at}");
        assert_eq!(c.input_left(), at < input.len(), "input_left at {at}");
    }
    assert_eq!(headers, 100);
    // ~1.1 MB of events in all: taken in many calls, never all at once
    assert!(calls > 10, "{calls} calls");
    assert!(!c.is_closed());
    c.clear_output();
    let caps = c.buffer_capacities();
    assert!(caps.iter().all(|&n| n <= h2native_codec::conn::limits::KEEP_CAPACITY), "{caps:?}");
}

#[test]
fn buffers_shrink_after_a_burst() {
    use h2native_codec::conn::limits::KEEP_CAPACITY;
    let mut p = Peer::new();
    let mut c = server(&mut p);
    // A HEADERS + 3 CONTINUATION block (under 64 KiB) whose Huffman literal of 60,000 zero
    // octets may decode to as little as 16,000 octets: it is decoded (into room for 96,000),
    // then refused by the 16 KiB list size. The assembly buffer and the decoded storage grow.
    let mut block = plain_request();
    block.extend(literal(0x00, "x-h", &[0u8; 60_000], true));
    let mut chunks = block.chunks(16_000);
    p.headers_open(1, chunks.next().unwrap(), true);
    let rest: Vec<&[u8]> = chunks.collect();
    for (i, ch) in rest.iter().enumerate() {
        p.continuation(1, ch, i == rest.len() - 1);
    }
    feed(&mut c, &mut p);
    let ev = take_events(&mut c);
    assert!(has_limit(&ev, Limit::HeaderListSize), "{ev:?}");
    assert!(!c.is_closed());
    c.clear_output();
    let caps = c.buffer_capacities();
    assert!(caps.iter().all(|&n| n <= KEEP_CAPACITY), "{caps:?}");
    // HPACK is still in step and the connection serves the next request.
    p.headers(3, REQ, true);
    feed(&mut c, &mut p);
    assert!(take_events(&mut c).iter().any(|e| matches!(e, Event::Headers { stream_id: 3, .. })));
}

#[test]
fn a_single_headers_frame_is_bounded_by_the_block_size_too() {
    let mut p = Peer::new();
    let mut c = server_with(
        Config { max_frame_size: 1 << 20, max_header_block_size: 20_000, ..Config::default() },
        &mut p,
    );
    let mut block = plain_request();
    block.extend(literal(0x00, "x-big", &[b'b'; 30_000], false));
    p.raw(kind::HEADERS, 0x5, 1, &block);
    feed(&mut c, &mut p);
    assert_calm(&mut c, Limit::HeaderBlockSize);
}

#[test]
fn streams_per_window() {
    let mut p = Peer::new();
    let mut c = server_with(Config { max_streams_per_window: 3, ..Config::default() }, &mut p);
    for id in [1, 3, 5] {
        p.headers(id, REQ, true);
        feed(&mut c, &mut p);
        respond(&mut c, id, true);
        c.clear_output();
        c.clear_events();
    }
    // a new window allows three more; the fourth in it is refused with the connection
    c.set_now(30_000);
    for id in [7, 9, 11] {
        p.headers(id, REQ, true);
        feed(&mut c, &mut p);
        respond(&mut c, id, true);
        c.clear_output();
        c.clear_events();
    }
    p.headers(13, REQ, true);
    feed(&mut c, &mut p);
    assert_calm(&mut c, Limit::StreamsPerWindow);
}
