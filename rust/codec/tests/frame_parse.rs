//! Parsing and validation of every frame type, section by section of RFC 9113.
//! Every error case asserts the exact variant (connection/stream), code and stream id.

use h2native_codec::error::{ErrorCode, H2Error};
use h2native_codec::frame::*;

/// A frame as raw octets; the length field is taken from `payload`.
fn raw(kind: u8, flags: u8, stream_id: u32, payload: &[u8]) -> Vec<u8> {
    let mut v = (payload.len() as u32).to_be_bytes()[1..].to_vec();
    v.extend_from_slice(&[kind, flags]);
    v.extend_from_slice(&stream_id.to_be_bytes());
    v.extend_from_slice(payload);
    v
}

/// Parses a buffer holding exactly one complete frame.
fn parse(buf: &[u8]) -> Result<Frame<'_>, H2Error> {
    parse_frame(buf, DEFAULT_MAX_FRAME_SIZE).map(|r| {
        let (frame, consumed) = r.expect("frame is complete");
        assert_eq!(consumed, buf.len());
        frame
    })
}

#[track_caller]
fn assert_conn(r: Result<Frame<'_>, H2Error>, code: ErrorCode) {
    match r {
        Err(H2Error::Connection { code: c, .. }) => assert_eq!(c, code),
        other => panic!("expected connection error {code:?}, got {other:?}"),
    }
}

#[track_caller]
fn assert_stream(r: Result<Frame<'_>, H2Error>, stream_id: u32, code: ErrorCode) {
    match r {
        Err(H2Error::Stream {
            stream_id: s,
            code: c,
            ..
        }) => {
            assert_eq!((s, c), (stream_id, code))
        }
        other => panic!("expected stream {stream_id} error {code:?}, got {other:?}"),
    }
}

const PROTOCOL: ErrorCode = ErrorCode::ProtocolError;
const FRAME_SIZE: ErrorCode = ErrorCode::FrameSizeError;

// ---- §4.1 Frame Format ----------------------------------------------------------------

#[test]
fn s4_1_header_fields() {
    let b = [0x01, 0x02, 0x03, 0x09, 0xa5, 0x12, 0x34, 0x56, 0x78, 0xff];
    let h = FrameHeader::parse(&b).unwrap();
    assert_eq!(
        h,
        FrameHeader {
            length: 0x010203,
            kind: 9,
            flags: 0xa5,
            stream_id: 0x1234_5678
        }
    );
}

#[test]
fn s4_1_header_needs_nine_octets() {
    let b = raw(kind::PING, 0, 0, &[0; 8]);
    for n in 0..FRAME_HEADER_LEN {
        assert_eq!(FrameHeader::parse(&b[..n]), None);
        assert_eq!(parse_frame(&b[..n], DEFAULT_MAX_FRAME_SIZE), Ok(None));
    }
}

#[test]
fn s4_1_reserved_bit_is_stripped_on_parse_and_cleared_on_encode() {
    let b = [0, 0, 0, 0, 0, 0x80, 0, 0, 0x05];
    assert_eq!(FrameHeader::parse(&b).unwrap().stream_id, 5);

    let mut out = Vec::new();
    FrameHeader::new(kind::DATA, 0, 0x8000_0005, 0).encode(&mut out);
    assert_eq!(out, [0, 0, 0, 0, 0, 0, 0, 0, 5]);
}

#[test]
fn s4_1_header_encode_is_inverse_of_parse() {
    let h = FrameHeader::new(0xab, 0xcd, 0x7fff_ffff, MAX_MAX_FRAME_SIZE);
    let mut out = vec![0xee]; // encoders append, never overwrite
    h.encode(&mut out);
    assert_eq!(
        out,
        [0xee, 0xff, 0xff, 0xff, 0xab, 0xcd, 0x7f, 0xff, 0xff, 0xff]
    );
    assert_eq!(FrameHeader::parse(&out[1..]), Some(h));
    assert_eq!(h.to_bytes(), out[1..]);
}

#[test]
#[should_panic(expected = "24 bits")]
fn s4_1_header_length_over_24_bits_panics() {
    FrameHeader::new(kind::DATA, 0, 1, 1 << 24).encode(&mut Vec::new());
}

#[test]
fn s4_1_undefined_flags_are_ignored() {
    // PING with every flag bit but ACK: not an ACK.
    let b = raw(kind::PING, 0xfe, 0, &[1; 8]);
    assert_eq!(
        parse(&b),
        Ok(Frame::Ping(Ping {
            ack: false,
            payload: [1; 8]
        }))
    );
    // DATA with all flags except PADDED: END_STREAM read, the rest ignored.
    let b = raw(kind::DATA, !flags::PADDED, 1, b"hi");
    assert_eq!(
        parse(&b),
        Ok(Frame::Data(Data {
            stream_id: 1,
            end_stream: true,
            data: b"hi",
            flow_len: 2
        }))
    );
    // CONTINUATION has no PADDED or PRIORITY: the payload is all fragment.
    let b = raw(kind::CONTINUATION, 0xff, 1, &[3, 0, 0, 0, 0, 0]);
    let Ok(Frame::Continuation(c)) = parse(&b) else {
        panic!()
    };
    assert_eq!(c.fragment, &[3, 0, 0, 0, 0, 0]);
    assert!(c.end_headers);
}

#[test]
fn s4_1_unknown_frame_type_is_parsed_to_be_ignored() {
    for (kind, flags, stream_id) in [(0x0a, 0, 0), (0x16, 0xff, 0), (0xff, 0x01, 7)] {
        let b = raw(kind, flags, stream_id, &[0; 8]);
        let head = FrameHeader {
            length: 8,
            kind,
            flags,
            stream_id,
        };
        let f = parse(&b).unwrap();
        assert_eq!(f, Frame::Unknown(head));
        assert_eq!((f.kind(), f.stream_id()), (kind, stream_id));
    }
}

// ---- §4.2 Frame Size ------------------------------------------------------------------

#[test]
fn s4_2_frames_up_to_max_frame_size_are_accepted() {
    let payload = vec![7; DEFAULT_MAX_FRAME_SIZE as usize];
    let b = raw(kind::DATA, 0, 1, &payload);
    let Ok(Frame::Data(d)) = parse(&b) else {
        panic!()
    };
    assert_eq!(d.data.len(), DEFAULT_MAX_FRAME_SIZE as usize);
    assert_eq!(d.flow_len, DEFAULT_MAX_FRAME_SIZE);
}

#[test]
fn s4_2_oversized_frame_is_rejected_from_the_header_alone() {
    let b = raw(
        kind::DATA,
        0,
        1,
        &vec![0; DEFAULT_MAX_FRAME_SIZE as usize + 1],
    );
    for buf in [&b[..FRAME_HEADER_LEN], &b[..]] {
        let r = parse_frame(buf, DEFAULT_MAX_FRAME_SIZE);
        assert!(
            matches!(
                r,
                Err(H2Error::Connection {
                    code: FRAME_SIZE,
                    ..
                })
            ),
            "{r:?}"
        );
    }
}

#[test]
fn s4_2_limit_is_the_callers_advertised_value() {
    let b = raw(kind::DATA, 0, 1, &vec![0; 20_000]);
    assert!(matches!(
        parse_frame(&b, 20_000),
        Ok(Some((Frame::Data(_), 20_009)))
    ));
    assert!(parse_frame(&b, 19_999).is_err());
    // HEADERS and unknown types obey it too.
    for kind in [kind::HEADERS, 0x42] {
        let b = raw(kind, 0, 1, &vec![0; 17_000]);
        let r = parse_frame(&b[..FRAME_HEADER_LEN], DEFAULT_MAX_FRAME_SIZE);
        assert!(matches!(
            r,
            Err(H2Error::Connection {
                code: FRAME_SIZE,
                ..
            })
        ));
    }
}

#[test]
fn s4_2_incomplete_payload_needs_more() {
    let b = raw(kind::GOAWAY, 0, 0, &[0; 12]);
    for n in 0..b.len() {
        assert_eq!(
            parse_frame(&b[..n], DEFAULT_MAX_FRAME_SIZE),
            Ok(None),
            "prefix {n}"
        );
    }
}

#[test]
fn s4_2_only_the_first_frame_is_consumed() {
    let mut b = raw(kind::PING, 0, 0, &[1; 8]);
    b.extend(raw(kind::PING, flags::ACK, 0, &[2; 8]));
    let (f, n) = parse_frame(&b, DEFAULT_MAX_FRAME_SIZE).unwrap().unwrap();
    assert_eq!(
        (f, n),
        (
            Frame::Ping(Ping {
                ack: false,
                payload: [1; 8]
            }),
            17
        )
    );
    let (f, n) = parse_frame(&b[n..], DEFAULT_MAX_FRAME_SIZE)
        .unwrap()
        .unwrap();
    assert_eq!(
        (f, n),
        (
            Frame::Ping(Ping {
                ack: true,
                payload: [2; 8]
            }),
            17
        )
    );
}

// ---- §6.1 DATA ------------------------------------------------------------------------

#[test]
fn s6_1_data() {
    let b = raw(kind::DATA, 0, 3, b"hello");
    assert_eq!(
        parse(&b),
        Ok(Frame::Data(Data {
            stream_id: 3,
            end_stream: false,
            data: b"hello",
            flow_len: 5
        }))
    );
    let b = raw(kind::DATA, flags::END_STREAM, 3, b"");
    assert_eq!(
        parse(&b),
        Ok(Frame::Data(Data {
            stream_id: 3,
            end_stream: true,
            data: b"",
            flow_len: 0
        }))
    );
}

#[test]
fn s6_1_data_padding_is_stripped_but_counts_for_flow_control() {
    let b = raw(
        kind::DATA,
        flags::PADDED | flags::END_STREAM,
        1,
        b"\x03abc\0\0\0",
    );
    assert_eq!(
        parse(&b),
        Ok(Frame::Data(Data {
            stream_id: 1,
            end_stream: true,
            data: b"abc",
            flow_len: 7
        }))
    );
    // Padding may leave no data at all: pad length = payload length - 1.
    let b = raw(kind::DATA, flags::PADDED, 1, b"\x04\0\0\0\0");
    let Ok(Frame::Data(d)) = parse(&b) else {
        panic!()
    };
    assert_eq!((d.data, d.flow_len), (&b""[..], 5));
    // A lone Pad Length of 0.
    let b = raw(kind::DATA, flags::PADDED, 1, b"\0");
    let Ok(Frame::Data(d)) = parse(&b) else {
        panic!()
    };
    assert_eq!((d.data, d.flow_len), (&b""[..], 1));
}

#[test]
fn s6_1_data_on_stream_0_is_a_connection_protocol_error() {
    assert_conn(parse(&raw(kind::DATA, 0, 0, b"test")), PROTOCOL);
}

#[test]
fn s6_1_data_padding_not_shorter_than_payload_is_a_connection_protocol_error() {
    assert_conn(
        parse(&raw(kind::DATA, flags::PADDED, 1, b"\x05\0\0\0\0")),
        PROTOCOL,
    );
    assert_conn(parse(&raw(kind::DATA, flags::PADDED, 1, b"\xff")), PROTOCOL);
}

#[test]
fn s6_1_padded_data_without_pad_length_is_a_connection_frame_size_error() {
    // §4.2: "too small to contain mandatory frame data".
    assert_conn(parse(&raw(kind::DATA, flags::PADDED, 1, b"")), FRAME_SIZE);
}

// ---- §6.2 HEADERS ---------------------------------------------------------------------

#[test]
fn s6_2_headers() {
    let b = raw(kind::HEADERS, flags::END_HEADERS, 1, b"\x82\x86");
    assert_eq!(
        parse(&b),
        Ok(Frame::Headers(Headers {
            stream_id: 1,
            end_stream: false,
            end_headers: true,
            priority: None,
            fragment: b"\x82\x86",
        }))
    );
    let b = raw(kind::HEADERS, flags::END_STREAM, 5, b"");
    let Ok(Frame::Headers(h)) = parse(&b) else {
        panic!()
    };
    assert!(h.end_stream && !h.end_headers && h.fragment.is_empty());
}

#[test]
fn s6_2_headers_with_priority() {
    let b = raw(kind::HEADERS, flags::PRIORITY, 3, b"\x80\0\0\x01\x0f\x82");
    let Ok(Frame::Headers(h)) = parse(&b) else {
        panic!()
    };
    assert_eq!(
        h.priority,
        Some(PrioritySpec {
            dependency: 1,
            exclusive: true,
            weight: 15
        })
    );
    assert_eq!(h.fragment, b"\x82");
}

#[test]
fn s6_2_headers_padded_with_priority() {
    let b = raw(
        kind::HEADERS,
        flags::PADDED | flags::PRIORITY,
        3,
        b"\x02\0\0\0\x07\xff\x82\0\0",
    );
    let Ok(Frame::Headers(h)) = parse(&b) else {
        panic!()
    };
    assert_eq!(
        h.priority,
        Some(PrioritySpec {
            dependency: 7,
            exclusive: false,
            weight: 255
        })
    );
    assert_eq!(h.fragment, b"\x82");
    // Padding may take all that is left after the priority fields.
    let b = raw(
        kind::HEADERS,
        flags::PADDED | flags::PRIORITY,
        3,
        b"\x01\0\0\0\x07\xff\0",
    );
    let Ok(Frame::Headers(h)) = parse(&b) else {
        panic!()
    };
    assert!(h.fragment.is_empty());
}

#[test]
fn s6_2_headers_on_stream_0_is_a_connection_protocol_error() {
    assert_conn(
        parse(&raw(kind::HEADERS, flags::END_HEADERS, 0, b"\x82")),
        PROTOCOL,
    );
}

#[test]
fn s6_2_headers_padding_exceeding_the_fragment_is_a_connection_protocol_error() {
    assert_conn(
        parse(&raw(kind::HEADERS, flags::PADDED, 1, b"\x02\x82")),
        PROTOCOL,
    );
    // With priority, the 5 priority octets are not available to padding.
    let b = raw(
        kind::HEADERS,
        flags::PADDED | flags::PRIORITY,
        1,
        b"\x01\0\0\0\0\0",
    );
    assert_conn(parse(&b), PROTOCOL);
}

#[test]
fn s6_2_headers_too_short_for_priority_is_a_connection_frame_size_error() {
    assert_conn(
        parse(&raw(kind::HEADERS, flags::PRIORITY, 1, b"\0\0\0\0")),
        FRAME_SIZE,
    );
    let b = raw(
        kind::HEADERS,
        flags::PRIORITY | flags::PADDED,
        1,
        b"\0\0\0\0\0",
    );
    assert_conn(parse(&b), FRAME_SIZE);
    assert_conn(
        parse(&raw(kind::HEADERS, flags::PADDED, 1, b"")),
        FRAME_SIZE,
    );
}

#[test]
fn s5_3_1_headers_depending_on_itself_is_a_stream_protocol_error() {
    let payload = b"\0\0\0\x03\x10\x82";
    let b = raw(
        kind::HEADERS,
        flags::PRIORITY | flags::END_HEADERS,
        3,
        payload,
    );
    assert_stream(parse(&b), 3, PROTOCOL);
    // The frame is still fully in hand: the caller skips it and, to keep HPACK state in
    // step (§4.3), can still get at the fragment.
    let head = FrameHeader::parse(&b).unwrap();
    let h = Headers::parse(head, &b[FRAME_HEADER_LEN..]).unwrap();
    assert_eq!((h.fragment, h.end_headers), (&b"\x82"[..], true));
    assert!(h.check_dependency().is_err());
}

// ---- §6.3 PRIORITY --------------------------------------------------------------------

#[test]
fn s6_3_priority() {
    let b = raw(kind::PRIORITY, 0, 5, b"\x80\0\0\x03\x20");
    let spec = PrioritySpec {
        dependency: 3,
        exclusive: true,
        weight: 0x20,
    };
    assert_eq!(
        parse(&b),
        Ok(Frame::Priority(Priority { stream_id: 5, spec }))
    );
    let b = raw(kind::PRIORITY, 0xff, 5, b"\x7f\xff\xff\xff\0");
    let spec = PrioritySpec {
        dependency: MAX_WINDOW_SIZE,
        exclusive: false,
        weight: 0,
    };
    assert_eq!(
        parse(&b),
        Ok(Frame::Priority(Priority { stream_id: 5, spec }))
    );
}

#[test]
fn s6_3_priority_on_stream_0_is_a_connection_protocol_error() {
    assert_conn(
        parse(&raw(kind::PRIORITY, 0, 0, b"\0\0\0\x01\xff")),
        PROTOCOL,
    );
}

#[test]
fn s6_3_priority_of_wrong_length_is_a_stream_frame_size_error() {
    assert_stream(
        parse(&raw(kind::PRIORITY, 0, 1, b"\x80\0\0\x01")),
        1,
        FRAME_SIZE,
    );
    assert_stream(
        parse(&raw(kind::PRIORITY, 0, 9, b"\0\0\0\x01\0\0")),
        9,
        FRAME_SIZE,
    );
    assert_stream(parse(&raw(kind::PRIORITY, 0, 9, b"")), 9, FRAME_SIZE);
}

#[test]
fn s5_3_1_priority_depending_on_itself_is_a_stream_protocol_error() {
    assert_stream(
        parse(&raw(kind::PRIORITY, 0, 1, b"\0\0\0\x01\xff")),
        1,
        PROTOCOL,
    );
    // The exclusive bit is not part of the dependency.
    assert_stream(
        parse(&raw(kind::PRIORITY, 0, 1, b"\x80\0\0\x01\xff")),
        1,
        PROTOCOL,
    );
}

// ---- §6.4 RST_STREAM ------------------------------------------------------------------

#[test]
fn s6_4_rst_stream() {
    let b = raw(kind::RST_STREAM, 0, 1, b"\0\0\0\x08");
    assert_eq!(
        parse(&b),
        Ok(Frame::RstStream(RstStream {
            stream_id: 1,
            error_code: ErrorCode::Cancel
        }))
    );
    // §7: unknown codes are kept, not rejected.
    let b = raw(kind::RST_STREAM, 0, 1, b"\xde\xad\xbe\xef");
    let Ok(Frame::RstStream(r)) = parse(&b) else {
        panic!()
    };
    assert_eq!(r.error_code, ErrorCode::Other(0xdead_beef));
}

#[test]
fn s6_4_rst_stream_on_stream_0_is_a_connection_protocol_error() {
    assert_conn(parse(&raw(kind::RST_STREAM, 0, 0, b"\0\0\0\x08")), PROTOCOL);
}

#[test]
fn s6_4_rst_stream_of_wrong_length_is_a_connection_frame_size_error() {
    assert_conn(parse(&raw(kind::RST_STREAM, 0, 1, b"\0\0\0")), FRAME_SIZE);
    assert_conn(
        parse(&raw(kind::RST_STREAM, 0, 1, b"\0\0\0\0\0")),
        FRAME_SIZE,
    );
}

// ---- §6.5 SETTINGS --------------------------------------------------------------------

fn settings_payload(entries: &[(u16, u32)]) -> Vec<u8> {
    let mut p = Vec::new();
    for (id, v) in entries {
        p.extend_from_slice(&id.to_be_bytes());
        p.extend_from_slice(&v.to_be_bytes());
    }
    p
}

fn parse_settings(entries: &[(u16, u32)]) -> Result<Vec<Setting>, H2Error> {
    let b = raw(kind::SETTINGS, 0, 0, &settings_payload(entries));
    match parse(&b)? {
        Frame::Settings(s) => {
            assert!(!s.ack);
            assert_eq!(s.len(), entries.len());
            assert_eq!(s.iter().len(), entries.len());
            Ok(s.iter().collect())
        }
        f => panic!("{f:?}"),
    }
}

#[test]
fn s6_5_settings_all_defined_parameters() {
    let got = parse_settings(&[
        (1, 4096),
        (2, 0),
        (3, 100),
        (4, 65_535),
        (5, 16_384),
        (6, u32::MAX),
        (8, 1),
        (0xff, 1),
        (2, 1), // repeated: kept in order, §6.5.3 applies them in turn
    ])
    .unwrap();
    assert_eq!(
        got,
        [
            Setting::HeaderTableSize(4096),
            Setting::EnablePush(false),
            Setting::MaxConcurrentStreams(100),
            Setting::InitialWindowSize(65_535),
            Setting::MaxFrameSize(16_384),
            Setting::MaxHeaderListSize(u32::MAX),
            Setting::EnableConnectProtocol(true),
            Setting::Unknown(0xff, 1),
            Setting::EnablePush(true),
        ]
    );
}

#[test]
fn s6_5_settings_empty_and_ack() {
    assert_eq!(parse_settings(&[]), Ok(vec![]));
    let b = raw(kind::SETTINGS, flags::ACK, 0, b"");
    let Ok(Frame::Settings(s)) = parse(&b) else {
        panic!()
    };
    assert!(s.ack && s.is_empty() && s.iter().next().is_none());
}

#[test]
fn s6_5_settings_ack_with_payload_is_a_connection_frame_size_error() {
    assert_conn(
        parse(&raw(kind::SETTINGS, flags::ACK, 0, b"\0")),
        FRAME_SIZE,
    );
    assert_conn(
        parse(&raw(
            kind::SETTINGS,
            flags::ACK,
            0,
            &settings_payload(&[(3, 1)]),
        )),
        FRAME_SIZE,
    );
}

#[test]
fn s6_5_settings_on_a_stream_is_a_connection_protocol_error() {
    assert_conn(
        parse(&raw(kind::SETTINGS, 0, 1, &settings_payload(&[(3, 100)]))),
        PROTOCOL,
    );
    assert_conn(parse(&raw(kind::SETTINGS, flags::ACK, 1, b"")), PROTOCOL);
}

#[test]
fn s6_5_settings_length_not_multiple_of_6_is_a_connection_frame_size_error() {
    assert_conn(
        parse(&raw(kind::SETTINGS, 0, 0, b"\0\x03\0\0\0\x64\0\x02")),
        FRAME_SIZE,
    );
    assert_conn(parse(&raw(kind::SETTINGS, 0, 0, b"\0")), FRAME_SIZE);
}

#[track_caller]
fn assert_settings_err(entries: &[(u16, u32)], code: ErrorCode) {
    match parse_settings(entries) {
        Err(H2Error::Connection { code: c, .. }) => assert_eq!(c, code),
        other => panic!("expected connection error {code:?}, got {other:?}"),
    }
}

#[test]
fn s6_5_2_enable_push_other_than_0_or_1_is_a_protocol_error() {
    assert_settings_err(&[(2, 2)], PROTOCOL);
    assert_settings_err(&[(3, 100), (2, u32::MAX)], PROTOCOL);
}

#[test]
fn s6_5_2_initial_window_size_above_max_is_a_flow_control_error() {
    assert_settings_err(&[(4, 1 << 31)], ErrorCode::FlowControlError);
    assert_settings_err(&[(4, u32::MAX)], ErrorCode::FlowControlError);
    assert_eq!(
        parse_settings(&[(4, MAX_WINDOW_SIZE)]),
        Ok(vec![Setting::InitialWindowSize(MAX_WINDOW_SIZE)])
    );
    assert_eq!(
        parse_settings(&[(4, 0)]),
        Ok(vec![Setting::InitialWindowSize(0)])
    );
}

#[test]
fn s6_5_2_max_frame_size_out_of_range_is_a_protocol_error() {
    assert_settings_err(&[(5, 16_383)], PROTOCOL);
    assert_settings_err(&[(5, 0)], PROTOCOL);
    assert_settings_err(&[(5, 1 << 24)], PROTOCOL);
    assert_eq!(
        parse_settings(&[(5, 16_384), (5, MAX_MAX_FRAME_SIZE)]),
        Ok(vec![
            Setting::MaxFrameSize(16_384),
            Setting::MaxFrameSize(MAX_MAX_FRAME_SIZE)
        ])
    );
}

#[test]
fn rfc8441_enable_connect_protocol_other_than_0_or_1_is_a_protocol_error() {
    assert_settings_err(&[(8, 2)], PROTOCOL);
    assert_eq!(
        parse_settings(&[(8, 0)]),
        Ok(vec![Setting::EnableConnectProtocol(false)])
    );
}

#[test]
fn s6_5_2_unknown_settings_are_passed_through_to_be_ignored() {
    // 0x7 and 0x9 are not ours to interpret; any value goes.
    assert_eq!(
        parse_settings(&[(0, 5), (7, 9), (9, 2), (0xffff, u32::MAX)]),
        Ok(vec![
            Setting::Unknown(0, 5),
            Setting::Unknown(7, 9),
            Setting::Unknown(9, 2),
            Setting::Unknown(0xffff, u32::MAX),
        ])
    );
}

#[test]
fn setting_raw_conversions() {
    for s in [
        Setting::HeaderTableSize(1),
        Setting::EnablePush(true),
        Setting::MaxConcurrentStreams(2),
        Setting::InitialWindowSize(3),
        Setting::MaxFrameSize(16_385),
        Setting::MaxHeaderListSize(4),
        Setting::EnableConnectProtocol(false),
        Setting::Unknown(0x42, 5),
    ] {
        assert_eq!(Setting::from_raw(s.id(), s.value()), Ok(s));
    }
    // A hand-built frame with an invalid value still iterates, yielding it as Unknown.
    let s = Settings {
        ack: false,
        payload: b"\0\x02\0\0\0\x07",
    };
    assert_eq!(s.iter().collect::<Vec<_>>(), [Setting::Unknown(2, 7)]);
    assert_eq!((&s).into_iter().count(), 1);
}

// ---- §6.6 PUSH_PROMISE ----------------------------------------------------------------

#[test]
fn s6_6_push_promise() {
    let b = raw(
        kind::PUSH_PROMISE,
        flags::END_HEADERS,
        1,
        b"\0\0\0\x02\x82\x84",
    );
    assert_eq!(
        parse(&b),
        Ok(Frame::PushPromise(PushPromise {
            stream_id: 1,
            end_headers: true,
            promised_stream_id: 2,
            fragment: b"\x82\x84",
        }))
    );
    // R bit of the promised id is ignored; fragment may be empty.
    let b = raw(kind::PUSH_PROMISE, 0, 1, b"\x80\0\0\x04");
    let Ok(Frame::PushPromise(p)) = parse(&b) else {
        panic!()
    };
    assert_eq!(
        (p.promised_stream_id, p.fragment, p.end_headers),
        (4, &b""[..], false)
    );
}

#[test]
fn s6_6_push_promise_padded() {
    let b = raw(
        kind::PUSH_PROMISE,
        flags::PADDED,
        3,
        b"\x02\0\0\0\x06\x82\0\0",
    );
    let Ok(Frame::PushPromise(p)) = parse(&b) else {
        panic!()
    };
    assert_eq!(
        (p.stream_id, p.promised_stream_id, p.fragment),
        (3, 6, &b"\x82"[..])
    );
}

#[test]
fn s6_6_push_promise_on_stream_0_is_a_connection_protocol_error() {
    assert_conn(
        parse(&raw(kind::PUSH_PROMISE, 0, 0, b"\0\0\0\x02")),
        PROTOCOL,
    );
}

#[test]
fn s6_6_push_promise_promising_stream_0_is_a_connection_protocol_error() {
    assert_conn(
        parse(&raw(kind::PUSH_PROMISE, 0, 1, b"\0\0\0\0\x82")),
        PROTOCOL,
    );
    assert_conn(
        parse(&raw(kind::PUSH_PROMISE, 0, 1, b"\x80\0\0\0")),
        PROTOCOL,
    );
}

#[test]
fn s6_6_push_promise_too_short_is_a_connection_frame_size_error() {
    assert_conn(
        parse(&raw(kind::PUSH_PROMISE, 0, 1, b"\0\0\x02")),
        FRAME_SIZE,
    );
    assert_conn(
        parse(&raw(kind::PUSH_PROMISE, flags::PADDED, 1, b"\0\0\0\x02")),
        FRAME_SIZE,
    );
}

#[test]
fn s6_6_push_promise_padding_too_long_is_a_connection_protocol_error() {
    assert_conn(
        parse(&raw(
            kind::PUSH_PROMISE,
            flags::PADDED,
            1,
            b"\x02\0\0\0\x02\x82",
        )),
        PROTOCOL,
    );
}

// ---- §6.7 PING ------------------------------------------------------------------------

#[test]
fn s6_7_ping() {
    let b = raw(kind::PING, 0, 0, b"h2spec\0\0");
    assert_eq!(
        parse(&b),
        Ok(Frame::Ping(Ping {
            ack: false,
            payload: *b"h2spec\0\0"
        }))
    );
    let b = raw(kind::PING, flags::ACK, 0, b"12345678");
    assert_eq!(
        parse(&b),
        Ok(Frame::Ping(Ping {
            ack: true,
            payload: *b"12345678"
        }))
    );
}

#[test]
fn s6_7_ping_on_a_stream_is_a_connection_protocol_error() {
    assert_conn(parse(&raw(kind::PING, 0, 1, &[0; 8])), PROTOCOL);
    // Checked before the length (h2spec 6.7 sends a 6-octet PING on stream 1).
    assert_conn(parse(&raw(kind::PING, 0, 1, &[0; 6])), PROTOCOL);
}

#[test]
fn s6_7_ping_of_wrong_length_is_a_connection_frame_size_error() {
    assert_conn(parse(&raw(kind::PING, 0, 0, &[0; 7])), FRAME_SIZE);
    assert_conn(parse(&raw(kind::PING, flags::ACK, 0, &[0; 9])), FRAME_SIZE);
    assert_conn(parse(&raw(kind::PING, 0, 0, &[])), FRAME_SIZE);
}

// ---- §6.8 GOAWAY ----------------------------------------------------------------------

#[test]
fn s6_8_goaway() {
    let b = raw(kind::GOAWAY, 0, 0, b"\x80\0\0\x07\0\0\0\x01oops");
    assert_eq!(
        parse(&b),
        Ok(Frame::GoAway(GoAway {
            last_stream_id: 7,
            error_code: ErrorCode::ProtocolError,
            debug_data: b"oops",
        }))
    );
    let b = raw(kind::GOAWAY, 0, 0, b"\0\0\0\0\0\0\0\0");
    let Ok(Frame::GoAway(g)) = parse(&b) else {
        panic!()
    };
    assert_eq!(
        (g.last_stream_id, g.error_code, g.debug_data),
        (0, ErrorCode::NoError, &b""[..])
    );
}

#[test]
fn s6_8_goaway_on_a_stream_is_a_connection_protocol_error() {
    assert_conn(parse(&raw(kind::GOAWAY, 0, 1, &[0; 8])), PROTOCOL);
}

#[test]
fn s6_8_goaway_shorter_than_8_is_a_connection_frame_size_error() {
    assert_conn(parse(&raw(kind::GOAWAY, 0, 0, &[0; 7])), FRAME_SIZE);
    assert_conn(parse(&raw(kind::GOAWAY, 0, 0, &[])), FRAME_SIZE);
}

// ---- §6.9 WINDOW_UPDATE ---------------------------------------------------------------

#[test]
fn s6_9_window_update() {
    let b = raw(kind::WINDOW_UPDATE, 0, 0, b"\0\0\x10\0");
    assert_eq!(
        parse(&b),
        Ok(Frame::WindowUpdate(WindowUpdate {
            stream_id: 0,
            increment: 4096
        }))
    );
    // R bit ignored; 2^31-1 is the largest increment.
    let b = raw(kind::WINDOW_UPDATE, 0, 3, b"\xff\xff\xff\xff");
    assert_eq!(
        parse(&b),
        Ok(Frame::WindowUpdate(WindowUpdate {
            stream_id: 3,
            increment: MAX_WINDOW_SIZE
        }))
    );
}

#[test]
fn s6_9_window_update_of_0_on_the_connection_is_a_connection_protocol_error() {
    assert_conn(
        parse(&raw(kind::WINDOW_UPDATE, 0, 0, b"\0\0\0\0")),
        PROTOCOL,
    );
    assert_conn(
        parse(&raw(kind::WINDOW_UPDATE, 0, 0, b"\x80\0\0\0")),
        PROTOCOL,
    );
}

#[test]
fn s6_9_window_update_of_0_on_a_stream_is_a_stream_protocol_error() {
    assert_stream(
        parse(&raw(kind::WINDOW_UPDATE, 0, 1, b"\0\0\0\0")),
        1,
        PROTOCOL,
    );
    assert_stream(
        parse(&raw(kind::WINDOW_UPDATE, 0, 77, b"\x80\0\0\0")),
        77,
        PROTOCOL,
    );
}

#[test]
fn s6_9_window_update_of_wrong_length_is_a_connection_frame_size_error() {
    assert_conn(
        parse(&raw(kind::WINDOW_UPDATE, 0, 0, b"\0\0\x01")),
        FRAME_SIZE,
    );
    // Even on a stream: §6.9 makes it a connection error.
    assert_conn(
        parse(&raw(kind::WINDOW_UPDATE, 0, 1, b"\0\0\0\x01\0")),
        FRAME_SIZE,
    );
}

// ---- §6.10 CONTINUATION ---------------------------------------------------------------

#[test]
fn s6_10_continuation() {
    let b = raw(kind::CONTINUATION, flags::END_HEADERS, 1, b"\x84");
    assert_eq!(
        parse(&b),
        Ok(Frame::Continuation(Continuation {
            stream_id: 1,
            end_headers: true,
            fragment: b"\x84"
        }))
    );
    let b = raw(kind::CONTINUATION, 0, 1, b"");
    let Ok(Frame::Continuation(c)) = parse(&b) else {
        panic!()
    };
    assert!(!c.end_headers && c.fragment.is_empty());
}

#[test]
fn s6_10_continuation_on_stream_0_is_a_connection_protocol_error() {
    assert_conn(
        parse(&raw(kind::CONTINUATION, flags::END_HEADERS, 0, b"\x84")),
        PROTOCOL,
    );
}

// ---- Frame helpers --------------------------------------------------------------------

#[test]
fn frame_kind_and_stream_id() {
    let cases: [(Vec<u8>, u8, u32); 10] = [
        (raw(kind::DATA, 0, 1, b""), kind::DATA, 1),
        (raw(kind::HEADERS, 0, 3, b""), kind::HEADERS, 3),
        (raw(kind::PRIORITY, 0, 5, b"\0\0\0\0\0"), kind::PRIORITY, 5),
        (
            raw(kind::RST_STREAM, 0, 7, b"\0\0\0\0"),
            kind::RST_STREAM,
            7,
        ),
        (raw(kind::SETTINGS, 0, 0, b""), kind::SETTINGS, 0),
        (
            raw(kind::PUSH_PROMISE, 0, 9, b"\0\0\0\x02"),
            kind::PUSH_PROMISE,
            9,
        ),
        (raw(kind::PING, 0, 0, &[0; 8]), kind::PING, 0),
        (raw(kind::GOAWAY, 0, 0, &[0; 8]), kind::GOAWAY, 0),
        (
            raw(kind::WINDOW_UPDATE, 0, 11, b"\0\0\0\x01"),
            kind::WINDOW_UPDATE,
            11,
        ),
        (raw(kind::CONTINUATION, 0, 13, b""), kind::CONTINUATION, 13),
    ];
    for (b, k, s) in &cases {
        let f = parse(b).unwrap();
        assert_eq!((f.kind(), f.stream_id()), (*k, *s), "{f:?}");
    }
}

#[test]
fn errors_carry_a_reason() {
    let Err(e) = parse(&raw(kind::PING, 0, 0, &[0; 7])) else {
        panic!()
    };
    assert_eq!(e.code(), FRAME_SIZE);
    assert!(e.to_string().contains("PING"), "{e}");
}
