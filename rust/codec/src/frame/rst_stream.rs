//! RST_STREAM (RFC 9113 §6.4): `Error Code (32)`.

use super::head::{encode_small, read_u32};
use super::{kind, require_stream, FrameHeader};
use crate::error::{ErrorCode, H2Error};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RstStream {
    pub stream_id: u32,
    /// Unknown codes are kept as [`ErrorCode::Other`] (§7).
    pub error_code: ErrorCode,
}

impl RstStream {
    pub fn parse(head: FrameHeader, payload: &[u8]) -> Result<Self, H2Error> {
        require_stream(&head, "RST_STREAM on stream 0")?;
        if payload.len() != 4 {
            return Err(H2Error::connection(
                ErrorCode::FrameSizeError,
                "RST_STREAM length is not 4",
            ));
        }
        Ok(RstStream {
            stream_id: head.stream_id,
            error_code: ErrorCode::from_u32(read_u32(payload, 0)),
        })
    }
}

/// Appends a RST_STREAM frame.
pub fn encode(stream_id: u32, code: ErrorCode, dst: &mut Vec<u8>) {
    encode_small(
        kind::RST_STREAM,
        0,
        stream_id,
        code.as_u32().to_be_bytes(),
        dst,
    );
}
