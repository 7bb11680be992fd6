//! PRIORITY (RFC 9113 §6.3) and the priority fields it shares with HEADERS (§6.2).
//!
//! ```text
//! E (1) | Stream Dependency (31) | Weight (8)
//! ```
//!
//! RFC 9113 deprecates this scheme (§5.3.2) but the frames must still be parsed and checked.

use super::head::{encode_small, read_u32, STREAM_ID_MASK};
use super::{kind, require_stream, FrameHeader};
use crate::error::{ErrorCode, H2Error};

/// Length of the priority fields.
pub const SPEC_LEN: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PrioritySpec {
    /// Stream this one depends on (31 bits).
    pub dependency: u32,
    pub exclusive: bool,
    /// The weight octet as sent: the weight minus one, so 0..=255 means 1..=256.
    pub weight: u8,
}

impl PrioritySpec {
    /// Reads the 5 priority octets; `b` must hold at least that many.
    #[inline]
    pub(crate) fn read(b: &[u8]) -> Self {
        let dep = read_u32(b, 0);
        PrioritySpec {
            dependency: dep & STREAM_ID_MASK,
            exclusive: dep & !STREAM_ID_MASK != 0,
            weight: b[4],
        }
    }

    #[inline]
    pub(crate) fn to_bytes(self) -> [u8; SPEC_LEN] {
        let e = if self.exclusive { !STREAM_ID_MASK } else { 0 };
        let d = ((self.dependency & STREAM_ID_MASK) | e).to_be_bytes();
        [d[0], d[1], d[2], d[3], self.weight]
    }

    /// §5.3.1: "A stream cannot depend on itself", a stream error.
    #[inline]
    pub(crate) fn check_not_self(
        &self,
        stream_id: u32,
        reason: &'static str,
    ) -> Result<(), H2Error> {
        if self.dependency == stream_id {
            Err(H2Error::stream(stream_id, ErrorCode::ProtocolError, reason))
        } else {
            Ok(())
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Priority {
    pub stream_id: u32,
    pub spec: PrioritySpec,
}

impl Priority {
    pub fn parse(head: FrameHeader, payload: &[u8]) -> Result<Self, H2Error> {
        require_stream(&head, "PRIORITY on stream 0")?;
        // §6.3: a wrong length is a *stream* error here, unlike other fixed-size frames:
        // PRIORITY changes no connection state.
        if payload.len() != SPEC_LEN {
            return Err(H2Error::stream(
                head.stream_id,
                ErrorCode::FrameSizeError,
                "PRIORITY length is not 5",
            ));
        }
        let spec = PrioritySpec::read(payload);
        spec.check_not_self(head.stream_id, "PRIORITY depends on its own stream")?;
        Ok(Priority {
            stream_id: head.stream_id,
            spec,
        })
    }
}

/// Appends a PRIORITY frame.
pub fn encode(stream_id: u32, spec: PrioritySpec, dst: &mut Vec<u8>) {
    encode_small(kind::PRIORITY, 0, stream_id, spec.to_bytes(), dst);
}
