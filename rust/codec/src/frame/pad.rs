//! Padding of DATA, HEADERS and PUSH_PROMISE (RFC 9113 §6.1, §6.2, §6.6).
//!
//! With PADDED set the payload is `Pad Length (8) | fixed fields | body | Padding`; the
//! fixed fields are HEADERS' priority (5 octets) or PUSH_PROMISE's promised id (4).

use super::{flags, FrameHeader};
use crate::error::{ErrorCode, H2Error};

/// Returns the payload without Pad Length and Padding: `fixed` octets of fixed fields
/// followed by the body (data or field block fragment).
///
/// Order of checks follows nghttp2: first whether the frame can hold its mandatory fields
/// (§4.2, FRAME_SIZE_ERROR), then whether the padding fits in what is left (PROTOCOL_ERROR).
/// Both are connection errors: these frames alter connection state (flow control, HPACK).
#[inline]
pub(crate) fn strip<'a>(
    head: &FrameHeader,
    payload: &'a [u8],
    fixed: usize,
    too_short: &'static str,
    too_much_padding: &'static str,
) -> Result<&'a [u8], H2Error> {
    if !head.has(flags::PADDED) {
        return if payload.len() < fixed {
            Err(H2Error::connection(ErrorCode::FrameSizeError, too_short))
        } else {
            Ok(payload)
        };
    }
    match payload.split_first() {
        Some((&pad_len, rest)) if rest.len() >= fixed => {
            // §6.1: "If the length of the padding is the length of the frame payload or
            // greater" it is an error; an empty body is fine.
            let body_end = (rest.len() - fixed)
                .checked_sub(usize::from(pad_len))
                .ok_or(H2Error::connection(
                    ErrorCode::ProtocolError,
                    too_much_padding,
                ))?;
            Ok(&rest[..fixed + body_end])
        }
        _ => Err(H2Error::connection(ErrorCode::FrameSizeError, too_short)),
    }
}

/// Appends `pad_len` zero octets: §6.1 "Padding octets MUST be set to zero when sending".
#[inline]
pub(crate) fn write_padding(pad_len: u8, dst: &mut Vec<u8>) {
    const ZEROS: [u8; 255] = [0; 255];
    dst.extend_from_slice(&ZEROS[..usize::from(pad_len)]);
}
