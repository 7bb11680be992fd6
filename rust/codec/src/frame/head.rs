//! The 9-octet frame header (RFC 9113 §4.1).
//!
//! ```text
//! +-----------------------------------------------+
//! |                 Length (24)                   |
//! +---------------+---------------+---------------+
//! |   Type (8)    |   Flags (8)   |
//! +-+-------------+---------------+-------------------------------+
//! |R|                 Stream Identifier (31)                      |
//! +=+=============================================================+
//! ```

use super::{FRAME_HEADER_LEN, MAX_MAX_FRAME_SIZE};

/// Mask of a 31-bit stream identifier (or window increment): drops the reserved high bit.
pub(crate) const STREAM_ID_MASK: u32 = (1 << 31) - 1;

/// A parsed frame header. `stream_id` has the reserved R bit stripped: §4.1 says it
/// "MUST be ignored when receiving".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// Payload length, not counting these 9 octets.
    pub length: u32,
    /// Frame type; see [`super::kind`]. Unknown values are kept, not rejected (§4.1).
    pub kind: u8,
    /// Raw flags; each frame type reads only the bits it defines (§4.1).
    pub flags: u8,
    pub stream_id: u32,
}

impl FrameHeader {
    pub const fn new(kind: u8, flags: u8, stream_id: u32, length: u32) -> Self {
        Self {
            length,
            kind,
            flags,
            stream_id,
        }
    }

    /// Reads a header from the front of `buf`; `None` if fewer than 9 octets are there.
    #[inline]
    pub fn parse(buf: &[u8]) -> Option<FrameHeader> {
        let b: &[u8; FRAME_HEADER_LEN] = buf.get(..FRAME_HEADER_LEN)?.try_into().ok()?;
        Some(FrameHeader {
            length: u32::from_be_bytes([0, b[0], b[1], b[2]]),
            kind: b[3],
            flags: b[4],
            stream_id: u32::from_be_bytes([b[5], b[6], b[7], b[8]]) & STREAM_ID_MASK,
        })
    }

    /// Appends the 9 octets to `dst`.
    ///
    /// Panics if `length` does not fit in 24 bits: a truncated length would desynchronise the
    /// peer's framing, which is far worse than a caught panic. The R bit is always sent as 0.
    #[inline]
    pub fn encode(&self, dst: &mut Vec<u8>) {
        dst.extend_from_slice(&self.to_bytes());
    }

    /// The 9 octets of this header.
    #[inline]
    pub fn to_bytes(&self) -> [u8; FRAME_HEADER_LEN] {
        assert!(
            self.length <= MAX_MAX_FRAME_SIZE,
            "frame length does not fit in 24 bits"
        );
        let l = self.length.to_be_bytes();
        let s = (self.stream_id & STREAM_ID_MASK).to_be_bytes();
        [
            l[1], l[2], l[3], self.kind, self.flags, s[0], s[1], s[2], s[3],
        ]
    }

    #[inline]
    pub(crate) const fn has(&self, flag: u8) -> bool {
        self.flags & flag == flag
    }
}

/// Appends a frame whose payload is in one piece: header, then payload.
#[inline]
pub(crate) fn encode_frame(kind: u8, flags: u8, stream_id: u32, payload: &[u8], dst: &mut Vec<u8>) {
    let head = FrameHeader::new(kind, flags, stream_id, frame_len(payload.len()));
    dst.reserve(FRAME_HEADER_LEN + payload.len());
    head.encode(dst);
    dst.extend_from_slice(payload);
}

/// [`encode_frame`] for the fixed-size frames (PING, RST_STREAM, WINDOW_UPDATE, PRIORITY):
/// assembling the frame on the stack makes it a single append, which shows on small frames.
#[inline]
pub(crate) fn encode_small<const N: usize>(
    kind: u8,
    flags: u8,
    stream_id: u32,
    payload: [u8; N],
    dst: &mut Vec<u8>,
) {
    const MAX: usize = 8;
    debug_assert!(N <= MAX);
    let mut f = [0; FRAME_HEADER_LEN + MAX];
    f[..FRAME_HEADER_LEN]
        .copy_from_slice(&FrameHeader::new(kind, flags, stream_id, N as u32).to_bytes());
    f[FRAME_HEADER_LEN..FRAME_HEADER_LEN + N].copy_from_slice(&payload);
    dst.extend_from_slice(&f[..FRAME_HEADER_LEN + N]);
}

/// Big-endian u32 at `b[at..at + 4]`; callers have already checked the length.
#[inline]
pub(crate) fn read_u32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Converts a payload length for the header; panics past 24 bits (see [`FrameHeader::encode`]).
#[inline]
pub(crate) fn frame_len(len: usize) -> u32 {
    match u32::try_from(len) {
        Ok(l) if l <= MAX_MAX_FRAME_SIZE => l,
        _ => panic!("frame payload of {len} octets does not fit in 24 bits"),
    }
}
