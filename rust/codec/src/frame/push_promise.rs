//! PUSH_PROMISE (RFC 9113 §6.6).
//!
//! ```text
//! [Pad Length (8)] | R (1) | Promised Stream ID (31) | Field Block Fragment (..) | [Padding (..)]
//! ```
//!
//! Whether the peer may push at all (only servers, only with SETTINGS_ENABLE_PUSH=1) and
//! whether the promised id is the next valid one are for the state machine to check.

use super::head::{frame_len, read_u32, STREAM_ID_MASK};
use super::{flags, kind, pad, require_stream, FrameHeader, FRAME_HEADER_LEN};
use crate::error::{ErrorCode, H2Error};

const PROMISED_ID_LEN: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PushPromise<'a> {
    /// The stream the promise is made on (the client's request).
    pub stream_id: u32,
    pub end_headers: bool,
    pub promised_stream_id: u32,
    /// HPACK field block fragment, padding removed.
    pub fragment: &'a [u8],
}

impl<'a> PushPromise<'a> {
    pub fn parse(head: FrameHeader, payload: &'a [u8]) -> Result<Self, H2Error> {
        require_stream(&head, "PUSH_PROMISE on stream 0")?;
        let body = pad::strip(
            &head,
            payload,
            PROMISED_ID_LEN,
            "PUSH_PROMISE too short for its padding and promised stream id",
            "PUSH_PROMISE padding exceeds the remaining payload",
        )?;
        let promised_stream_id = read_u32(body, 0) & STREAM_ID_MASK;
        // §6.6: promising an illegal stream id is a connection PROTOCOL_ERROR. Stream 0 is
        // illegal whatever the state, so it is caught here; the rest needs stream state.
        if promised_stream_id == 0 {
            return Err(H2Error::connection(
                ErrorCode::ProtocolError,
                "PUSH_PROMISE promises stream 0",
            ));
        }
        Ok(PushPromise {
            stream_id: head.stream_id,
            end_headers: head.has(flags::END_HEADERS),
            promised_stream_id,
            fragment: &body[PROMISED_ID_LEN..],
        })
    }
}

#[inline]
fn flags_for(end_headers: bool) -> u8 {
    if end_headers {
        flags::END_HEADERS
    } else {
        0
    }
}

/// Appends an unpadded PUSH_PROMISE frame; the rest of the block, if any, goes in
/// [`super::continuation::encode`] frames.
pub fn encode(
    stream_id: u32,
    promised_stream_id: u32,
    fragment: &[u8],
    end_headers: bool,
    dst: &mut Vec<u8>,
) {
    let len = PROMISED_ID_LEN + fragment.len();
    dst.reserve(FRAME_HEADER_LEN + len);
    FrameHeader::new(
        kind::PUSH_PROMISE,
        flags_for(end_headers),
        stream_id,
        frame_len(len),
    )
    .encode(dst);
    dst.extend_from_slice(&(promised_stream_id & STREAM_ID_MASK).to_be_bytes());
    dst.extend_from_slice(fragment);
}

/// Appends a PUSH_PROMISE frame with PADDED set and `pad_len` zero octets of padding
/// (`pad_len == 0` still sends the Pad Length octet).
pub fn encode_padded(
    stream_id: u32,
    promised_stream_id: u32,
    fragment: &[u8],
    end_headers: bool,
    pad_len: u8,
    dst: &mut Vec<u8>,
) {
    let len = 1 + PROMISED_ID_LEN + fragment.len() + usize::from(pad_len);
    let flags = flags_for(end_headers) | flags::PADDED;
    dst.reserve(FRAME_HEADER_LEN + len);
    FrameHeader::new(kind::PUSH_PROMISE, flags, stream_id, frame_len(len)).encode(dst);
    dst.push(pad_len);
    dst.extend_from_slice(&(promised_stream_id & STREAM_ID_MASK).to_be_bytes());
    dst.extend_from_slice(fragment);
    pad::write_padding(pad_len, dst);
}
