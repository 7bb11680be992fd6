//! Encoders: exact octets for each frame type, appending to the caller's Vec, and the
//! HEADERS + CONTINUATION splitting of a field block.

use h2native_codec::error::ErrorCode;
use h2native_codec::frame::*;

fn enc(f: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut v = Vec::new();
    f(&mut v);
    v
}

/// Header octets: length, type, flags, stream id.
fn head(len: u32, kind: u8, flags: u8, stream_id: u32) -> Vec<u8> {
    let mut v = len.to_be_bytes()[1..].to_vec();
    v.extend_from_slice(&[kind, flags]);
    v.extend_from_slice(&stream_id.to_be_bytes());
    v
}

fn cat(a: Vec<u8>, b: &[u8]) -> Vec<u8> {
    let mut a = a;
    a.extend_from_slice(b);
    a
}

#[test]
fn data() {
    assert_eq!(
        enc(|d| data::encode(1, b"abc", false, d)),
        cat(head(3, 0, 0, 1), b"abc")
    );
    assert_eq!(enc(|d| data::encode(3, b"", true, d)), head(0, 0, 1, 3));
}

#[test]
fn data_header_alone_then_payload_equals_whole_frame() {
    let mut split = enc(|d| data::encode_header(5, 4, true, d));
    assert_eq!(split, head(4, 0, flags::END_STREAM, 5));
    split.extend_from_slice(b"body");
    assert_eq!(split, enc(|d| data::encode(5, b"body", true, d)));
}

#[test]
fn data_padded() {
    assert_eq!(
        enc(|d| data::encode_padded(1, b"ab", true, 3, d)),
        cat(
            head(6, 0, flags::PADDED | flags::END_STREAM, 1),
            b"\x03ab\0\0\0"
        )
    );
    // pad_len 0 still carries the Pad Length octet.
    assert_eq!(
        enc(|d| data::encode_padded(1, b"", false, 0, d)),
        cat(head(1, 0, flags::PADDED, 1), b"\0")
    );
}

#[test]
fn headers() {
    assert_eq!(
        enc(|d| headers::encode(1, b"\x82", true, true, None, d)),
        cat(
            head(1, 1, flags::END_STREAM | flags::END_HEADERS, 1),
            b"\x82"
        )
    );
    let spec = PrioritySpec {
        dependency: 3,
        exclusive: true,
        weight: 200,
    };
    assert_eq!(
        enc(|d| headers::encode(5, b"\x82", false, false, Some(spec), d)),
        cat(head(6, 1, flags::PRIORITY, 5), b"\x80\0\0\x03\xc8\x82")
    );
}

#[test]
fn headers_padded() {
    let spec = PrioritySpec {
        dependency: 0,
        exclusive: false,
        weight: 15,
    };
    assert_eq!(
        enc(|d| headers::encode_padded(7, b"\x82\x84", false, true, Some(spec), 2, d)),
        cat(
            head(
                10,
                1,
                flags::PADDED | flags::PRIORITY | flags::END_HEADERS,
                7
            ),
            b"\x02\0\0\0\0\x0f\x82\x84\0\0"
        )
    );
    assert_eq!(
        enc(|d| headers::encode_padded(7, b"", true, false, None, 0, d)),
        cat(head(1, 1, flags::PADDED | flags::END_STREAM, 7), b"\0")
    );
}

#[test]
fn priority() {
    let spec = PrioritySpec {
        dependency: 0x7fff_ffff,
        exclusive: false,
        weight: 0,
    };
    assert_eq!(
        enc(|d| priority::encode(9, spec, d)),
        cat(head(5, 2, 0, 9), b"\x7f\xff\xff\xff\0")
    );
    // The dependency's top bit is the E flag's place: it is masked, not leaked.
    let spec = PrioritySpec {
        dependency: 0x8000_0001,
        exclusive: false,
        weight: 1,
    };
    assert_eq!(
        enc(|d| priority::encode(9, spec, d)),
        cat(head(5, 2, 0, 9), b"\0\0\0\x01\x01")
    );
}

#[test]
fn rst_stream() {
    assert_eq!(
        enc(|d| rst_stream::encode(3, ErrorCode::RefusedStream, d)),
        cat(head(4, 3, 0, 3), b"\0\0\0\x07")
    );
    assert_eq!(
        enc(|d| rst_stream::encode(3, ErrorCode::Other(0x1234), d)),
        cat(head(4, 3, 0, 3), b"\0\0\x12\x34")
    );
}

#[test]
fn settings() {
    let s = [
        Setting::HeaderTableSize(0),
        Setting::EnablePush(false),
        Setting::MaxConcurrentStreams(100),
        Setting::InitialWindowSize(MAX_WINDOW_SIZE),
        Setting::MaxFrameSize(MAX_MAX_FRAME_SIZE),
        Setting::MaxHeaderListSize(8192),
        Setting::EnableConnectProtocol(true),
        Setting::Unknown(0xabcd, 0x0102_0304),
    ];
    let expected = cat(
        head(48, 4, 0, 0),
        b"\0\x01\0\0\0\0\
          \0\x02\0\0\0\0\
          \0\x03\0\0\0\x64\
          \0\x04\x7f\xff\xff\xff\
          \0\x05\0\xff\xff\xff\
          \0\x06\0\0\x20\0\
          \0\x08\0\0\0\x01\
          \xab\xcd\x01\x02\x03\x04",
    );
    assert_eq!(enc(|d| settings::encode(&s, d)), expected);
    assert_eq!(enc(|d| settings::encode(&[], d)), head(0, 4, 0, 0));
    assert_eq!(enc(settings::encode_ack), head(0, 4, flags::ACK, 0));
}

#[test]
fn push_promise() {
    assert_eq!(
        enc(|d| push_promise::encode(1, 2, b"\x82", true, d)),
        cat(head(5, 5, flags::END_HEADERS, 1), b"\0\0\0\x02\x82")
    );
    assert_eq!(
        enc(|d| push_promise::encode_padded(1, 4, b"\x82", false, 1, d)),
        cat(head(7, 5, flags::PADDED, 1), b"\x01\0\0\0\x04\x82\0")
    );
}

#[test]
fn ping() {
    assert_eq!(
        enc(|d| ping::encode(false, *b"abcdefgh", d)),
        cat(head(8, 6, 0, 0), b"abcdefgh")
    );
    assert_eq!(
        enc(|d| ping::encode(true, [0; 8], d)),
        cat(head(8, 6, flags::ACK, 0), &[0; 8])
    );
}

#[test]
fn goaway() {
    assert_eq!(
        enc(|d| goaway::encode(0x8000_0007, ErrorCode::EnhanceYourCalm, b"calm", d)),
        cat(head(12, 7, 0, 0), b"\0\0\0\x07\0\0\0\x0bcalm")
    );
    assert_eq!(
        enc(|d| goaway::encode(0, ErrorCode::NoError, b"", d)),
        cat(head(8, 7, 0, 0), &[0; 8])
    );
}

#[test]
fn window_update() {
    assert_eq!(
        enc(|d| window_update::encode(0, 65_535, d)),
        cat(head(4, 8, 0, 0), b"\0\0\xff\xff")
    );
    assert_eq!(
        enc(|d| window_update::encode(1, MAX_WINDOW_SIZE, d)),
        cat(head(4, 8, 0, 1), b"\x7f\xff\xff\xff")
    );
}

#[test]
fn continuation() {
    assert_eq!(
        enc(|d| continuation::encode(1, b"\x84", true, d)),
        cat(head(1, 9, flags::END_HEADERS, 1), b"\x84")
    );
    assert_eq!(
        enc(|d| continuation::encode(1, b"", false, d)),
        head(0, 9, 0, 1)
    );
}

#[test]
fn encoders_append_after_existing_content() {
    let mut v = b"keep".to_vec();
    ping::encode(false, [1; 8], &mut v);
    window_update::encode(1, 1, &mut v);
    assert_eq!(&v[..4], b"keep");
    assert_eq!(v.len(), 4 + 17 + 13);
}

#[test]
#[should_panic(expected = "24 bits")]
fn payload_too_large_for_a_frame_panics() {
    data::encode(1, &vec![0; 1 << 24], false, &mut Vec::new());
}

// ---- encode_block ---------------------------------------------------------------------

/// Parses `buf` as frames and returns (kind, flags, stream_id, payload) per frame.
fn frames(buf: &[u8]) -> Vec<(u8, u8, u32, Vec<u8>)> {
    let mut out = Vec::new();
    let mut rest = buf;
    while !rest.is_empty() {
        let h = FrameHeader::parse(rest).unwrap();
        let end = FRAME_HEADER_LEN + h.length as usize;
        out.push((
            h.kind,
            h.flags,
            h.stream_id,
            rest[FRAME_HEADER_LEN..end].to_vec(),
        ));
        rest = &rest[end..];
    }
    out
}

#[test]
fn block_that_fits_is_one_headers_frame() {
    let b = enc(|d| headers::encode_block(1, b"0123456789", true, 10, d));
    assert_eq!(
        frames(&b),
        [(
            kind::HEADERS,
            flags::END_HEADERS | flags::END_STREAM,
            1,
            b"0123456789".to_vec()
        )]
    );
}

#[test]
fn empty_block_is_one_empty_headers_frame() {
    let b = enc(|d| headers::encode_block(3, b"", false, 16_384, d));
    assert_eq!(frames(&b), [(kind::HEADERS, flags::END_HEADERS, 3, vec![])]);
}

#[test]
fn large_block_is_split_into_continuations() {
    let block: Vec<u8> = (0..40).collect();
    let b = enc(|d| headers::encode_block(5, &block, true, 16, d));
    assert_eq!(
        frames(&b),
        [
            (kind::HEADERS, flags::END_STREAM, 5, block[..16].to_vec()),
            (kind::CONTINUATION, 0, 5, block[16..32].to_vec()),
            (
                kind::CONTINUATION,
                flags::END_HEADERS,
                5,
                block[32..].to_vec()
            ),
        ]
    );
}

#[test]
fn block_of_exact_multiple_has_no_empty_trailing_frame() {
    let block = [9u8; 32];
    let b = enc(|d| headers::encode_block(5, &block, false, 16, d));
    assert_eq!(
        frames(&b),
        [
            (kind::HEADERS, 0, 5, block[..16].to_vec()),
            (
                kind::CONTINUATION,
                flags::END_HEADERS,
                5,
                block[16..].to_vec()
            ),
        ]
    );
}

#[test]
fn block_frames_parse_back() {
    let block: Vec<u8> = (0..=255).cycle().take(40_000).collect();
    let b = enc(|d| headers::encode_block(1, &block, false, DEFAULT_MAX_FRAME_SIZE, d));
    let mut rest = &b[..];
    let mut got = Vec::new();
    let mut last_end_headers = false;
    while let Some((f, n)) = parse_frame(rest, DEFAULT_MAX_FRAME_SIZE).unwrap() {
        match f {
            Frame::Headers(h) => {
                assert!(got.is_empty());
                got.extend_from_slice(h.fragment);
                last_end_headers = h.end_headers;
            }
            Frame::Continuation(c) => {
                assert!(!got.is_empty() && !last_end_headers);
                got.extend_from_slice(c.fragment);
                last_end_headers = c.end_headers;
            }
            f => panic!("{f:?}"),
        }
        rest = &rest[n..];
    }
    assert!(rest.is_empty() && last_end_headers);
    assert_eq!(got, block);
}
