//! PING (RFC 9113 §6.7): `Opaque Data (64)`.

use super::head::encode_small;
use super::{flags, kind, require_connection, FrameHeader};
use crate::error::{ErrorCode, H2Error};

pub const PAYLOAD_LEN: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ping {
    /// Set on a response; a PING with ACK must not be answered.
    pub ack: bool,
    pub payload: [u8; PAYLOAD_LEN],
}

impl Ping {
    pub fn parse(head: FrameHeader, payload: &[u8]) -> Result<Self, H2Error> {
        // Stream check first: h2spec 6.7 sends a 6-octet PING on stream 1 and expects
        // PROTOCOL_ERROR.
        require_connection(&head, "PING on a stream")?;
        let Ok(payload) = payload.try_into() else {
            return Err(H2Error::connection(
                ErrorCode::FrameSizeError,
                "PING length is not 8",
            ));
        };
        Ok(Ping {
            ack: head.has(flags::ACK),
            payload,
        })
    }
}

/// Appends a PING frame; a response echoes the received payload with `ack` set.
pub fn encode(ack: bool, payload: [u8; PAYLOAD_LEN], dst: &mut Vec<u8>) {
    let flags = if ack { flags::ACK } else { 0 };
    encode_small(kind::PING, flags, 0, payload, dst);
}
