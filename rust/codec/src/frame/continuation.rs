//! CONTINUATION (RFC 9113 §6.10): the rest of a field block, no padding, no priority.
//!
//! Whether a CONTINUATION may come at all (right after HEADERS/PUSH_PROMISE/CONTINUATION
//! without END_HEADERS, on the same stream) is for the state machine to check.

use super::head::encode_frame;
use super::{flags, kind, require_stream, FrameHeader};
use crate::error::H2Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Continuation<'a> {
    pub stream_id: u32,
    pub end_headers: bool,
    pub fragment: &'a [u8],
}

impl<'a> Continuation<'a> {
    pub fn parse(head: FrameHeader, payload: &'a [u8]) -> Result<Self, H2Error> {
        require_stream(&head, "CONTINUATION on stream 0")?;
        Ok(Continuation {
            stream_id: head.stream_id,
            end_headers: head.has(flags::END_HEADERS),
            fragment: payload,
        })
    }
}

/// Appends a CONTINUATION frame.
pub fn encode(stream_id: u32, fragment: &[u8], end_headers: bool, dst: &mut Vec<u8>) {
    let flags = if end_headers { flags::END_HEADERS } else { 0 };
    encode_frame(kind::CONTINUATION, flags, stream_id, fragment, dst);
}
