//! DATA (RFC 9113 §6.1).
//!
//! ```text
//! [Pad Length (8)] | Data (..) | [Padding (..)]
//! ```

use super::head::{encode_frame, frame_len};
use super::{flags, kind, pad, require_stream, FrameHeader};
use crate::error::H2Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Data<'a> {
    pub stream_id: u32,
    pub end_stream: bool,
    /// Application data, padding removed.
    pub data: &'a [u8],
    /// The whole payload length, Pad Length octet and padding included: what flow control
    /// counts (§6.1 "The entire DATA frame payload is included in flow control").
    pub flow_len: u32,
}

impl<'a> Data<'a> {
    pub fn parse(head: FrameHeader, payload: &'a [u8]) -> Result<Self, H2Error> {
        require_stream(&head, "DATA on stream 0")?;
        let data = pad::strip(
            &head,
            payload,
            0,
            "DATA too short for its Pad Length",
            "DATA padding not shorter than payload",
        )?;
        Ok(Data {
            stream_id: head.stream_id,
            end_stream: head.has(flags::END_STREAM),
            data,
            flow_len: head.length,
        })
    }
}

#[inline]
fn flags_for(end_stream: bool) -> u8 {
    if end_stream {
        flags::END_STREAM
    } else {
        0
    }
}

/// Writes only the 9-octet header of an unpadded DATA frame carrying `len` octets, so the
/// payload can be sent from where it already is (the JVM appends its own bytes).
#[inline]
pub fn encode_header(stream_id: u32, len: u32, end_stream: bool, dst: &mut Vec<u8>) {
    FrameHeader::new(kind::DATA, flags_for(end_stream), stream_id, len).encode(dst);
}

/// Appends an unpadded DATA frame.
#[inline]
pub fn encode(stream_id: u32, payload: &[u8], end_stream: bool, dst: &mut Vec<u8>) {
    encode_frame(kind::DATA, flags_for(end_stream), stream_id, payload, dst);
}

/// Appends a DATA frame with PADDED set and `pad_len` zero octets of padding. `pad_len == 0`
/// still sends the Pad Length octet; the frame then costs one octet more than unpadded.
/// All `1 + payload.len() + pad_len` octets count against flow control.
pub fn encode_padded(
    stream_id: u32,
    payload: &[u8],
    end_stream: bool,
    pad_len: u8,
    dst: &mut Vec<u8>,
) {
    let len = 1 + payload.len() + usize::from(pad_len);
    let head = FrameHeader::new(
        kind::DATA,
        flags_for(end_stream) | flags::PADDED,
        stream_id,
        frame_len(len),
    );
    dst.reserve(super::FRAME_HEADER_LEN + len);
    head.encode(dst);
    dst.push(pad_len);
    dst.extend_from_slice(payload);
    pad::write_padding(pad_len, dst);
}
