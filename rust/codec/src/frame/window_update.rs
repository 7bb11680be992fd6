//! WINDOW_UPDATE (RFC 9113 §6.9): `R (1) | Window Size Increment (31)`.

use super::head::{encode_small, read_u32, STREAM_ID_MASK};
use super::{kind, FrameHeader, MAX_WINDOW_SIZE};
use crate::error::{ErrorCode, H2Error};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowUpdate {
    /// 0 for the connection window.
    pub stream_id: u32,
    /// 1..=2^31-1.
    pub increment: u32,
}

impl WindowUpdate {
    pub fn parse(head: FrameHeader, payload: &[u8]) -> Result<Self, H2Error> {
        if payload.len() != 4 {
            return Err(H2Error::connection(
                ErrorCode::FrameSizeError,
                "WINDOW_UPDATE length is not 4",
            ));
        }
        let increment = read_u32(payload, 0) & STREAM_ID_MASK;
        if increment == 0 {
            // §6.9: a stream error, unless it is about the connection window.
            return Err(if head.stream_id == 0 {
                H2Error::connection(
                    ErrorCode::ProtocolError,
                    "WINDOW_UPDATE of 0 on the connection",
                )
            } else {
                H2Error::stream(
                    head.stream_id,
                    ErrorCode::ProtocolError,
                    "WINDOW_UPDATE of 0",
                )
            });
        }
        Ok(WindowUpdate {
            stream_id: head.stream_id,
            increment,
        })
    }
}

/// Appends a WINDOW_UPDATE frame. `increment` must be in 1..=2^31-1 (checked in debug
/// builds only: a bad value makes the peer fail, it does not break framing).
pub fn encode(stream_id: u32, increment: u32, dst: &mut Vec<u8>) {
    debug_assert!(
        (1..=MAX_WINDOW_SIZE).contains(&increment),
        "bad WINDOW_UPDATE increment"
    );
    let payload = (increment & STREAM_ID_MASK).to_be_bytes();
    encode_small(kind::WINDOW_UPDATE, 0, stream_id, payload, dst);
}
