//! HEADERS (RFC 9113 §6.2).
//!
//! ```text
//! [Pad Length (8)] | [E (1) | Stream Dependency (31) | Weight (8)] | Field Block Fragment (..) | [Padding (..)]
//! ```

use super::head::frame_len;
use super::priority::SPEC_LEN;
use super::{
    continuation, flags, kind, pad, require_stream, FrameHeader, PrioritySpec, FRAME_HEADER_LEN,
};
use crate::error::H2Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Headers<'a> {
    pub stream_id: u32,
    pub end_stream: bool,
    /// Unset: CONTINUATION frames on this stream follow (§6.10).
    pub end_headers: bool,
    /// Present when the PRIORITY flag is set.
    pub priority: Option<PrioritySpec>,
    /// HPACK field block fragment, padding removed.
    pub fragment: &'a [u8],
}

impl<'a> Headers<'a> {
    /// Parses and checks everything but §5.3.1's self-dependency, which is a stream error
    /// ([`Headers::check_dependency`]); [`super::parse_frame`] does both. Kept apart so that
    /// after that stream error the caller can still reach the fragment: the field block must
    /// be decoded regardless, or HPACK state diverges from the peer's (§4.3).
    pub fn parse(head: FrameHeader, payload: &'a [u8]) -> Result<Self, H2Error> {
        require_stream(&head, "HEADERS on stream 0")?;
        let has_priority = head.has(flags::PRIORITY);
        let body = pad::strip(
            &head,
            payload,
            if has_priority { SPEC_LEN } else { 0 },
            "HEADERS too short for its padding and priority fields",
            "HEADERS padding exceeds the remaining payload",
        )?;
        let (priority, fragment) = if has_priority {
            let (spec, fragment) = body.split_at(SPEC_LEN);
            (Some(PrioritySpec::read(spec)), fragment)
        } else {
            (None, body)
        };
        Ok(Headers {
            stream_id: head.stream_id,
            end_stream: head.has(flags::END_STREAM),
            end_headers: head.has(flags::END_HEADERS),
            priority,
            fragment,
        })
    }

    /// §5.3.1: a HEADERS frame depending on its own stream is a stream PROTOCOL_ERROR.
    pub fn check_dependency(&self) -> Result<(), H2Error> {
        match &self.priority {
            Some(spec) => spec.check_not_self(self.stream_id, "HEADERS depends on its own stream"),
            None => Ok(()),
        }
    }
}

#[inline]
fn flags_for(end_stream: bool, end_headers: bool, priority: &Option<PrioritySpec>) -> u8 {
    let mut f = 0;
    if end_stream {
        f |= flags::END_STREAM;
    }
    if end_headers {
        f |= flags::END_HEADERS;
    }
    if priority.is_some() {
        f |= flags::PRIORITY;
    }
    f
}

/// Appends an unpadded HEADERS frame. `fragment` must fit the peer's SETTINGS_MAX_FRAME_SIZE
/// (minus 5 with `priority`); [`encode_block`] does the splitting.
pub fn encode(
    stream_id: u32,
    fragment: &[u8],
    end_stream: bool,
    end_headers: bool,
    priority: Option<PrioritySpec>,
    dst: &mut Vec<u8>,
) {
    let prio_len = if priority.is_some() { SPEC_LEN } else { 0 };
    let len = prio_len + fragment.len();
    let head = FrameHeader::new(
        kind::HEADERS,
        flags_for(end_stream, end_headers, &priority),
        stream_id,
        frame_len(len),
    );
    dst.reserve(FRAME_HEADER_LEN + len);
    head.encode(dst);
    if let Some(spec) = priority {
        dst.extend_from_slice(&spec.to_bytes());
    }
    dst.extend_from_slice(fragment);
}

/// Appends a HEADERS frame with PADDED set and `pad_len` zero octets of padding
/// (`pad_len == 0` still sends the Pad Length octet).
pub fn encode_padded(
    stream_id: u32,
    fragment: &[u8],
    end_stream: bool,
    end_headers: bool,
    priority: Option<PrioritySpec>,
    pad_len: u8,
    dst: &mut Vec<u8>,
) {
    let prio_len = if priority.is_some() { SPEC_LEN } else { 0 };
    let len = 1 + prio_len + fragment.len() + usize::from(pad_len);
    let flags = flags_for(end_stream, end_headers, &priority) | flags::PADDED;
    dst.reserve(FRAME_HEADER_LEN + len);
    FrameHeader::new(kind::HEADERS, flags, stream_id, frame_len(len)).encode(dst);
    dst.push(pad_len);
    if let Some(spec) = priority {
        dst.extend_from_slice(&spec.to_bytes());
    }
    dst.extend_from_slice(fragment);
    pad::write_padding(pad_len, dst);
}

/// Appends a whole field block as one HEADERS frame followed by as many CONTINUATION frames
/// as `max_frame_size` (the peer's SETTINGS_MAX_FRAME_SIZE) requires, END_HEADERS on the last.
/// END_STREAM goes on the HEADERS frame: §8.1 puts it there, never on CONTINUATION.
/// An empty block gives one empty HEADERS frame. Panics if `max_frame_size` is 0.
pub fn encode_block(
    stream_id: u32,
    block: &[u8],
    end_stream: bool,
    max_frame_size: u32,
    dst: &mut Vec<u8>,
) {
    assert!(max_frame_size > 0, "max_frame_size must be positive");
    let max = max_frame_size as usize;
    let frames = block.len().div_ceil(max).max(1);
    dst.reserve(frames * FRAME_HEADER_LEN + block.len());

    let (first, mut rest) = block.split_at(block.len().min(max));
    encode(stream_id, first, end_stream, rest.is_empty(), None, dst);
    while !rest.is_empty() {
        let (chunk, tail) = rest.split_at(rest.len().min(max));
        rest = tail;
        continuation::encode(stream_id, chunk, rest.is_empty(), dst);
    }
}
