//! Every limit of `Config`: the answer the peer gets, the LIMIT event, and bounded memory.

#[path = "conn_support.rs"]
mod support;

use h2native_codec::conn::{Config, Connection, Limit};
use h2native_codec::error::ErrorCode;
use h2native_codec::event::{ev_flags, Event};
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
