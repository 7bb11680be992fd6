//! Arbitrary bytes through `frame::parse_frame`, frame after frame, with a max frame size
//! picked by the first bytes. Every parsed frame is re-encoded with the public encoders and
//! parsed again: it must come back equal (padding and undefined flag bits are not part of
//! the parsed value, so they need not survive).
//!
//! Input: `[size selector] [3 octets of size] [frames...]`.
#![no_main]

use h2native_codec::error::H2Error;
use h2native_codec::frame::{self, Frame, FRAME_HEADER_LEN, MAX_MAX_FRAME_SIZE};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    let raw = u32::from_be_bytes([0, data[1], data[2], data[3]]);
    let max_frame_size = match data[0] % 4 {
        0 => frame::DEFAULT_MAX_FRAME_SIZE,
        1 => MAX_MAX_FRAME_SIZE,
        2 => raw & 0xffff, // may be below the protocol minimum: parse_frame must not care
        _ => raw,
    };
    let mut buf = &data[4..];
    let mut reencoded = Vec::new();
    loop {
        match frame::parse_frame(buf, max_frame_size) {
            Ok(None) => {
                // Need more: either the header or the payload is incomplete.
                if let Some(head) = frame::FrameHeader::parse(buf) {
                    assert!(head.length <= max_frame_size);
                    assert!(buf.len() < FRAME_HEADER_LEN + head.length as usize);
                } else {
                    assert!(buf.len() < FRAME_HEADER_LEN);
                }
                break;
            }
            Ok(Some((f, consumed))) => {
                let head = frame::FrameHeader::parse(buf).expect("parsed frame without a header");
                assert_eq!(consumed, FRAME_HEADER_LEN + head.length as usize);
                assert!(consumed <= buf.len());
                assert_eq!(f.kind(), head.kind);
                assert_eq!(f.stream_id(), head.stream_id);
                reencoded.clear();
                if encode(&f, &mut reencoded) {
                    let back = frame::parse_frame(&reencoded, MAX_MAX_FRAME_SIZE)
                        .unwrap_or_else(|e| panic!("re-encoded {f:?} does not parse: {e}"))
                        .unwrap_or_else(|| panic!("re-encoded {f:?} is incomplete"));
                    assert_eq!(back.1, reencoded.len(), "re-encoded {f:?}: trailing octets");
                    assert_eq!(back.0, f, "encode-then-parse changed the frame");
                }
                buf = &buf[consumed..];
            }
            Err(H2Error::Stream { stream_id, .. }) => {
                // A stream error only once the whole frame is in: the caller skips it.
                let head = frame::FrameHeader::parse(buf).expect("stream error without a header");
                assert_eq!(stream_id, head.stream_id);
                let end = FRAME_HEADER_LEN + head.length as usize;
                assert!(end <= buf.len(), "stream error before the whole frame was in");
                buf = &buf[end..];
            }
            Err(H2Error::Connection { .. }) => break,
        }
    }
});

/// Re-encodes `f` into `dst` with the public encoders; false for frames we do not re-encode.
fn encode(f: &Frame<'_>, dst: &mut Vec<u8>) -> bool {
    use h2native_codec::frame::*;
    match *f {
        Frame::Data(d) => {
            // flow_len is part of the value: re-create the same padding length.
            let pad = d.flow_len as usize - d.data.len();
            if pad == 0 {
                data::encode(d.stream_id, d.data, d.end_stream, dst);
            } else {
                data::encode_padded(d.stream_id, d.data, d.end_stream, (pad - 1) as u8, dst);
            }
        }
        Frame::Headers(h) => {
            headers::encode(h.stream_id, h.fragment, h.end_stream, h.end_headers, h.priority, dst)
        }
        Frame::Priority(p) => priority::encode(p.stream_id, p.spec, dst),
        Frame::RstStream(r) => rst_stream::encode(r.stream_id, r.error_code, dst),
        Frame::Settings(s) if s.ack => settings::encode_ack(dst),
        Frame::Settings(s) => settings::encode(&s.iter().collect::<Vec<_>>(), dst),
        Frame::PushPromise(p) => {
            push_promise::encode(p.stream_id, p.promised_stream_id, p.fragment, p.end_headers, dst)
        }
        Frame::Ping(p) => ping::encode(p.ack, p.payload, dst),
        Frame::GoAway(g) => goaway::encode(g.last_stream_id, g.error_code, g.debug_data, dst),
        Frame::WindowUpdate(w) => window_update::encode(w.stream_id, w.increment, dst),
        Frame::Continuation(c) => continuation::encode(c.stream_id, c.fragment, c.end_headers, dst),
        Frame::Unknown(_) => return false,
    }
    true
}
