//! What the connection reports to its caller, as typed calls on a sink it owns. The state
//! machine knows no byte layout: the ABI writer (`crate::abi::EventWriter`) is one sink, and
//! the connection is generic over it, so the calls are monomorphised and allocate nothing.

use super::{Limit, PeerSettings};
use crate::error::ErrorCode;
use crate::hpack::DecodedHeaders;

/// Flags of a HEADERS event.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HeadersFlags {
    /// The peer ended the stream with this block.
    pub end_stream: bool,
    /// The block is trailers.
    pub trailers: bool,
    /// The block exceeded a header limit: no fields are delivered (answer 431).
    pub too_large: bool,
    /// Client: a 1xx informational response; the final one follows.
    pub informational: bool,
}

/// The events of a connection, in the order they happened.
pub trait Events {
    /// Octets of events written since the caller last took them: `feed` stops taking frames
    /// once one call has written `limits::MAX_EVENTS_PER_FEED`.
    fn written(&self) -> usize;

    /// A header block on `stream_id`: `fields` as decoded (`None` when `flags.too_large`).
    /// `decode` numbers the decoding that produced them: calls with the same number carry the
    /// same fields (a request block that repeats the last one is not decoded again,
    /// conn/repeated.rs), so a sink may reuse what it made of them.
    fn headers(&mut self, stream_id: u32, flags: HeadersFlags, fields: Option<&DecodedHeaders>, decode: u64);

    /// DATA on `stream_id`: `len` octets at `offset` of the input of the current `feed`.
    fn data(&mut self, stream_id: u32, end_stream: bool, offset: usize, len: usize);

    /// The peer reset `stream_id`, or (`by_goaway`) its GOAWAY left it unprocessed.
    fn reset(&mut self, stream_id: u32, code: ErrorCode, by_goaway: bool);

    /// DATA may be sent again: `available` octets on `stream_id` (0: the connection window).
    fn window_opened(&mut self, stream_id: u32, available: u32);

    /// The peer's GOAWAY; its debug data at `debug_off` of the current input.
    fn goaway(&mut self, last_stream_id: u32, code: ErrorCode, debug_off: usize, debug_len: usize);

    /// The ACK of a PING we sent.
    fn ping_ack(&mut self, payload: [u8; 8]);

    /// The peer's SETTINGS were applied (and acknowledged).
    fn settings(&mut self, peer: &PeerSettings);

    /// The peer acknowledged our SETTINGS.
    fn settings_acked(&mut self);

    /// A connection error: GOAWAY with `code` went out; the connection is closed.
    fn connection_error(&mut self, last_stream_id: u32, code: ErrorCode, reason: &str);

    /// A stream error: RST_STREAM with `code` went out on `stream_id`.
    fn stream_error(&mut self, stream_id: u32, code: ErrorCode, reason: &str);

    /// The first octets were an HTTP/1.x request line: answer it as HTTP/1.1 and close.
    fn http1_detected(&mut self);

    /// A limit of `Config` was hit (on `stream_id`, or 0).
    fn limit(&mut self, limit: Limit, stream_id: u32);

    /// GOAWAY went either way and no stream is left.
    fn drained(&mut self);
}
