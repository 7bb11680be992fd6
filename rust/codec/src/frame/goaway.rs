//! GOAWAY (RFC 9113 §6.8).
//!
//! ```text
//! R (1) | Last-Stream-ID (31) | Error Code (32) | Additional Debug Data (..)
//! ```

use super::head::{frame_len, read_u32, STREAM_ID_MASK};
use super::{kind, require_connection, FrameHeader, FRAME_HEADER_LEN};
use crate::error::{ErrorCode, H2Error};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GoAway<'a> {
    pub last_stream_id: u32,
    pub error_code: ErrorCode,
    /// Opaque diagnostics; no meaning to the protocol.
    pub debug_data: &'a [u8],
}

impl<'a> GoAway<'a> {
    pub fn parse(head: FrameHeader, payload: &'a [u8]) -> Result<Self, H2Error> {
        require_connection(&head, "GOAWAY on a stream")?;
        if payload.len() < 8 {
            return Err(H2Error::connection(
                ErrorCode::FrameSizeError,
                "GOAWAY shorter than 8",
            ));
        }
        Ok(GoAway {
            last_stream_id: read_u32(payload, 0) & STREAM_ID_MASK,
            error_code: ErrorCode::from_u32(read_u32(payload, 4)),
            debug_data: &payload[8..],
        })
    }
}

/// Appends a GOAWAY frame.
pub fn encode(last_stream_id: u32, code: ErrorCode, debug: &[u8], dst: &mut Vec<u8>) {
    let len = 8 + debug.len();
    dst.reserve(FRAME_HEADER_LEN + len);
    FrameHeader::new(kind::GOAWAY, 0, 0, frame_len(len)).encode(dst);
    dst.extend_from_slice(&(last_stream_id & STREAM_ID_MASK).to_be_bytes());
    dst.extend_from_slice(&code.as_u32().to_be_bytes());
    dst.extend_from_slice(debug);
}
