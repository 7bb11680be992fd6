//! The frame-level cases of h2spec's `http2/` suite, with the octets h2spec sends, and the
//! answer this layer gives. Cases that need stream or connection state (CONTINUATION
//! sequencing, idle streams, flow-control windows) are the state machine's; for those we
//! only check that every frame involved parses, so the state machine gets to see it.

use h2native_codec::error::{ErrorCode, H2Error};
use h2native_codec::frame::*;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// Parses; the connection goes on.
    Ok,
    Conn(ErrorCode),
    Stream(u32, ErrorCode),
}

fn frame(kind: u8, flags: u8, stream_id: u32, payload: &[u8]) -> Vec<u8> {
    let mut v = (payload.len() as u32).to_be_bytes()[1..].to_vec();
    v.extend_from_slice(&[kind, flags]);
    v.extend_from_slice(&stream_id.to_be_bytes());
    v.extend_from_slice(payload);
    v
}

fn cat(a: &[u8], b: &[u8]) -> Vec<u8> {
    [a, b].concat()
}

/// A stand-in HPACK block (`:method GET`, `:path /`); its content does not matter here.
const BLOCK: &[u8] = b"\x82\x84\x86\x41\x0blocalhost";

fn check(case: &str, buf: &[u8], max_frame_size: u32, expect: Expect) {
    let got = match parse_frame(buf, max_frame_size) {
        Ok(Some((_, n))) => {
            assert_eq!(n, buf.len(), "{case}: consumed");
            Expect::Ok
        }
        Ok(None) => panic!("{case}: incomplete"),
        Err(H2Error::Connection { code, .. }) => Expect::Conn(code),
        Err(H2Error::Stream {
            stream_id, code, ..
        }) => Expect::Stream(stream_id, code),
    };
    assert_eq!(got, expect, "h2spec {case}");
}

use ErrorCode::{FlowControlError as FLOW, FrameSizeError as SIZE, ProtocolError as PROTO};
use Expect::{Conn, Ok as Fine, Stream};

#[test]
fn h2spec_frame_level_cases() {
    let max = DEFAULT_MAX_FRAME_SIZE;
    let settings = |id: u16, v: u32| {
        frame(
            kind::SETTINGS,
            0,
            0,
            &cat(&id.to_be_bytes(), &v.to_be_bytes()),
        )
    };
    let prio_self = b"\0\0\0\x01\xff";
    let cases: Vec<(&str, Vec<u8>, u32, Expect)> = vec![
        // 4.1 Frame Format
        (
            "4.1/1 unknown type",
            cat(b"\x00\x00\x08\x16\x00\x00\x00\x00\x00", &[0; 8]),
            max,
            Fine,
        ),
        (
            "4.1/2 undefined flag",
            cat(b"\x00\x00\x08\x06\x16\x00\x00\x00\x00", &[0; 8]),
            max,
            Fine,
        ),
        (
            "4.1/3 reserved bit",
            cat(b"\x00\x00\x08\x06\x16\x80\x00\x00\x00", &[0; 8]),
            max,
            Fine,
        ),
        // 4.2 Frame Size
        (
            "4.2/1 DATA of 2^14",
            frame(kind::DATA, 1, 1, &[b'x'; 16_384]),
            max,
            Fine,
        ),
        (
            "4.2/2 DATA over max",
            frame(kind::DATA, 1, 1, &[b'x'; 16_385]),
            max,
            Conn(SIZE),
        ),
        (
            "4.2/3 HEADERS over max",
            frame(kind::HEADERS, 5, 1, &vec![0; 16_385]),
            max,
            Conn(SIZE),
        ),
        // 5.3.1 Stream Dependencies
        (
            "5.3.1/1 HEADERS on itself",
            frame(kind::HEADERS, 0x25, 1, &cat(prio_self, BLOCK)),
            max,
            Stream(1, PROTO),
        ),
        (
            "5.3.1/2 PRIORITY on itself",
            frame(kind::PRIORITY, 0, 1, prio_self),
            max,
            Stream(1, PROTO),
        ),
        // 5.5 Extending HTTP/2
        (
            "5.5/1 unknown extension frame",
            cat(b"\x00\x00\x08\x16\x00\x00\x00\x00\x00", &[0; 8]),
            max,
            Fine,
        ),
        // 6.1 DATA
        (
            "6.1/1 DATA on stream 0",
            frame(kind::DATA, 1, 0, b"test"),
            max,
            Conn(PROTO),
        ),
        (
            "6.1/3 DATA bad pad length",
            cat(b"\x00\x00\x05\x00\x09\x00\x00\x00\x01", b"\x06Test"),
            max,
            Conn(PROTO),
        ),
        // 6.2 HEADERS
        (
            "6.2/3 HEADERS on stream 0",
            frame(kind::HEADERS, 5, 0, BLOCK),
            max,
            Conn(PROTO),
        ),
        (
            "6.2/4 HEADERS bad pad length",
            frame(
                kind::HEADERS,
                0x0d,
                1,
                &cat(&[BLOCK.len() as u8 + 2], BLOCK),
            ),
            max,
            Conn(PROTO),
        ),
        // 6.3 PRIORITY
        (
            "6.3/1 PRIORITY on stream 0",
            frame(kind::PRIORITY, 0, 0, b"\0\0\0\0\xff"),
            max,
            Conn(PROTO),
        ),
        (
            "6.3/2 PRIORITY length 4",
            cat(b"\x00\x00\x04\x02\x00\x00\x00\x00\x01", b"\x80\x00\x00\x01"),
            max,
            Stream(1, SIZE),
        ),
        (
            "6.3/3 PRIORITY on idle stream",
            frame(kind::PRIORITY, 0, 3, b"\0\0\0\0\xff"),
            max,
            Fine,
        ),
        // 6.4 RST_STREAM
        (
            "6.4/1 RST_STREAM on stream 0",
            frame(kind::RST_STREAM, 0, 0, b"\0\0\0\x08"),
            max,
            Conn(PROTO),
        ),
        (
            "6.4/3 RST_STREAM length 3",
            cat(b"\x00\x00\x03\x03\x00\x00\x00\x00\x01", b"\x00\x00\x00"),
            max,
            Conn(SIZE),
        ),
        // 6.5 SETTINGS
        (
            "6.5/1 SETTINGS ACK with payload",
            cat(b"\x00\x00\x01\x04\x01\x00\x00\x00\x00", b"\x00"),
            max,
            Conn(SIZE),
        ),
        (
            "6.5/2 SETTINGS on stream 1",
            cat(
                b"\x00\x00\x06\x04\x00\x00\x00\x00\x01",
                b"\x00\x03\x00\x00\x00\x64",
            ),
            max,
            Conn(PROTO),
        ),
        (
            "6.5/3 SETTINGS length 9",
            cat(
                b"\x00\x00\x09\x04\x00\x00\x00\x00\x00",
                b"\x00\x03\x00\x00\x00\x64\x00\x02\x00",
            ),
            max,
            Conn(SIZE),
        ),
        // 6.5.2 Defined SETTINGS Parameters
        ("6.5.2/1 ENABLE_PUSH 2", settings(2, 2), max, Conn(PROTO)),
        (
            "6.5.2/2 INITIAL_WINDOW_SIZE 2^31",
            settings(4, 1 << 31),
            max,
            Conn(FLOW),
        ),
        (
            "6.5.2/3 MAX_FRAME_SIZE 16383",
            settings(5, 16_383),
            max,
            Conn(PROTO),
        ),
        (
            "6.5.2/4 MAX_FRAME_SIZE 2^24",
            settings(5, 1 << 24),
            max,
            Conn(PROTO),
        ),
        ("6.5.2/5 unknown setting", settings(0xff, 1), max, Fine),
        // 6.7 PING
        (
            "6.7/1 PING",
            frame(kind::PING, 0, 0, b"h2spec\0\0"),
            max,
            Fine,
        ),
        (
            "6.7/2 PING ACK",
            frame(kind::PING, 1, 0, b"invalid\0"),
            max,
            Fine,
        ),
        (
            "6.7/3 PING on stream 1",
            cat(b"\x00\x00\x08\x06\x00\x00\x00\x00\x01", &[0; 8]),
            max,
            Conn(PROTO),
        ),
        (
            "6.7/4 PING length 6 on stream 1",
            cat(b"\x00\x00\x06\x06\x00\x00\x00\x00\x01", &[0; 6]),
            max,
            Conn(PROTO),
        ),
        (
            "6.7/4' PING length 6",
            cat(b"\x00\x00\x06\x06\x00\x00\x00\x00\x00", &[0; 6]),
            max,
            Conn(SIZE),
        ),
        // 6.8 GOAWAY
        (
            "6.8/1 GOAWAY on stream 1",
            cat(b"\x00\x00\x08\x07\x00\x00\x00\x00\x01", &[0; 8]),
            max,
            Conn(PROTO),
        ),
        // 6.9 WINDOW_UPDATE
        (
            "6.9/1 WINDOW_UPDATE 0 on connection",
            frame(kind::WINDOW_UPDATE, 0, 0, &[0; 4]),
            max,
            Conn(PROTO),
        ),
        (
            "6.9/2 WINDOW_UPDATE 0 on stream",
            frame(kind::WINDOW_UPDATE, 0, 1, &[0; 4]),
            max,
            Stream(1, PROTO),
        ),
        (
            "6.9/3 WINDOW_UPDATE length 3",
            cat(b"\x00\x00\x03\x08\x00\x00\x00\x00\x00", b"\x00\x00\x01"),
            max,
            Conn(SIZE),
        ),
        (
            "6.9.1/2 WINDOW_UPDATE 2^31-1",
            frame(kind::WINDOW_UPDATE, 0, 0, b"\x7f\xff\xff\xff"),
            max,
            Fine,
        ),
        // 6.9.2 Initial Flow-Control Window Size
        ("6.9.2/1 INITIAL_WINDOW_SIZE 0", settings(4, 0), max, Fine),
        (
            "6.9.2/3 INITIAL_WINDOW_SIZE 2^31",
            cat(
                b"\x00\x00\x06\x04\x00\x00\x00\x00\x00",
                b"\x00\x04\x80\x00\x00\x00",
            ),
            max,
            Conn(FLOW),
        ),
        // 6.10 CONTINUATION
        (
            "6.10/3 CONTINUATION on stream 0",
            frame(kind::CONTINUATION, 4, 0, BLOCK),
            max,
            Conn(PROTO),
        ),
    ];
    for (case, buf, max, expect) in &cases {
        check(case, buf, *max, *expect);
    }
}

/// Cases whose verdict needs state: each frame must parse cleanly so the state machine can
/// apply the rule (h2spec 5.5/2, 6.2/1, 6.2/2, 6.10/1, 6.10/2, 6.10/4-6, 6.1/2, 6.4/2, 6.9.1).
#[test]
fn h2spec_stateful_cases_parse_frame_by_frame() {
    let sequences: [(&str, Vec<Vec<u8>>); 6] = [
        (
            "5.5/2 unknown frame inside a field block",
            vec![
                frame(kind::HEADERS, 1, 1, BLOCK),
                frame(0x16, 0, 0, &[0; 8]),
            ],
        ),
        (
            "6.2/1 PRIORITY inside a field block",
            vec![
                frame(kind::HEADERS, 0, 1, BLOCK),
                frame(kind::PRIORITY, 0, 1, b"\0\0\0\0\xff"),
                frame(kind::CONTINUATION, 4, 1, BLOCK),
            ],
        ),
        (
            "6.2/2 HEADERS on another stream inside a field block",
            vec![
                frame(kind::HEADERS, 0, 1, BLOCK),
                frame(kind::HEADERS, 5, 3, BLOCK),
            ],
        ),
        (
            "6.10/1 several CONTINUATIONs",
            vec![
                frame(kind::HEADERS, 1, 1, BLOCK),
                frame(kind::CONTINUATION, 0, 1, BLOCK),
                frame(kind::CONTINUATION, 4, 1, BLOCK),
            ],
        ),
        (
            "6.10/2,5 CONTINUATION after END_HEADERS / DATA inside a block",
            vec![
                frame(kind::HEADERS, 5, 1, BLOCK),
                frame(kind::CONTINUATION, 4, 1, BLOCK),
                frame(kind::DATA, 1, 1, b"test"),
            ],
        ),
        (
            "6.4/2, 6.9.1/3 RST_STREAM on idle stream, window overflow",
            vec![
                frame(kind::RST_STREAM, 0, 1, b"\0\0\0\x08"),
                frame(kind::WINDOW_UPDATE, 0, 1, b"\x7f\xff\xff\xff"),
                frame(kind::WINDOW_UPDATE, 0, 1, b"\x7f\xff\xff\xff"),
            ],
        ),
    ];
    for (case, frames) in &sequences {
        let buf = frames.concat();
        let mut rest = &buf[..];
        let mut n_frames = 0;
        while !rest.is_empty() {
            let (_, n) = parse_frame(rest, DEFAULT_MAX_FRAME_SIZE)
                .unwrap_or_else(|e| panic!("{case}: {e}"))
                .unwrap_or_else(|| panic!("{case}: incomplete"));
            rest = &rest[n..];
            n_frames += 1;
        }
        assert_eq!(n_frames, frames.len(), "{case}");
    }
}
