//! Frames received and sent, by type, for the embedder's metrics. Plain counters in the
//! connection: no allocation, a few instructions per frame.

use crate::frame::{kind, FRAME_HEADER_LEN};

/// Slots per direction: one per frame type of RFC 9113 (0 DATA ..= 9 CONTINUATION), then one
/// for every unknown type (ignored on receipt, never sent).
pub const FRAME_KINDS: usize = 11;

/// The name of each slot.
pub const FRAME_KIND_NAMES: [&str; FRAME_KINDS] = [
    "DATA",
    "HEADERS",
    "PRIORITY",
    "RST_STREAM",
    "SETTINGS",
    "PUSH_PROMISE",
    "PING",
    "GOAWAY",
    "WINDOW_UPDATE",
    "CONTINUATION",
    "unknown",
];

/// Frames received and sent on one connection, indexed by frame type (see [`FRAME_KINDS`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FrameCounts {
    pub received: [u64; FRAME_KINDS],
    pub sent: [u64; FRAME_KINDS],
}

fn slot(frame_kind: u8) -> usize {
    (frame_kind as usize).min(FRAME_KINDS - 1)
}

impl FrameCounts {
    pub(super) fn count_received(&mut self, frame_kind: u8) {
        self.received[slot(frame_kind)] += 1;
    }

    /// Counts the frames in `out` (the connection's output, with DATA payloads left out: they
    /// are spliced in by the caller per segment, so a DATA header is followed by the next frame).
    /// Reads only the type and length octets: this runs on every write, for a handful of frames.
    pub(super) fn count_sent(&mut self, out: &[u8]) {
        let mut pos = 0;
        while let Some(h) = out.get(pos..pos + FRAME_HEADER_LEN) {
            self.sent[slot(h[3])] += 1;
            let payload = if h[3] == kind::DATA {
                0
            } else {
                usize::from(h[0]) << 16 | usize::from(h[1]) << 8 | usize::from(h[2])
            };
            pos += FRAME_HEADER_LEN + payload;
        }
    }
}
