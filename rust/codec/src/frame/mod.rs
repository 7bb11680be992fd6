//! HTTP/2 frame layer (RFC 9113 §4 and §6): parsing and encoding, nothing else.
//!
//! Parsing borrows from the input and never allocates; encoders only append to a
//! caller-provided `Vec<u8>`. Every check that depends on one frame alone lives here;
//! checks that need stream or connection state (idle streams, CONTINUATION sequencing,
//! flow-control windows, who may push) belong to the connection state machine.
//!
//! Errors follow §5.4: a [`H2Error::Connection`] ends the connection (GOAWAY); after a
//! [`H2Error::Stream`] the connection goes on. A stream error is only ever returned once the
//! whole frame is in the buffer, so the caller skips `FRAME_HEADER_LEN + header.length`
//! octets and resets the stream. The stream errors this layer raises are: PRIORITY of the
//! wrong length or depending on itself, WINDOW_UPDATE of 0 on a stream, and HEADERS depending
//! on itself. For that last one the field block must still be decoded to keep HPACK state in
//! step (§4.3): [`Headers::parse`] returns the frame without the dependency check.
//!
//! Encoders are free functions in each frame's module (`data::encode`, `settings::encode_ack`,
//! `headers::encode_block`, ...). Padding is opt-in through separate `encode_padded`
//! functions (DATA, HEADERS, PUSH_PROMISE) so the common path has no extra parameter.
//! Encoders trust their caller on protocol semantics (stream ids, fragment sizes) but panic
//! rather than emit a length that does not fit in 24 bits, which would corrupt the framing.

pub mod continuation;
pub mod data;
pub mod goaway;
mod head;
pub mod headers;
mod pad;
pub mod ping;
pub mod priority;
pub mod push_promise;
pub mod rst_stream;
pub mod settings;
pub mod window_update;

pub use self::continuation::Continuation;
pub use self::data::Data;
pub use self::goaway::GoAway;
pub use self::head::FrameHeader;
pub use self::headers::Headers;
pub use self::ping::Ping;
pub use self::priority::{Priority, PrioritySpec};
pub use self::push_promise::PushPromise;
pub use self::rst_stream::RstStream;
pub use self::settings::{Setting, Settings, SettingsIter};
pub use self::window_update::WindowUpdate;

use crate::error::{ErrorCode, H2Error};

pub const FRAME_HEADER_LEN: usize = 9;
/// §6.5.2: initial SETTINGS_MAX_FRAME_SIZE, and the smallest value allowed.
pub const DEFAULT_MAX_FRAME_SIZE: u32 = 16_384;
/// §6.5.2: largest SETTINGS_MAX_FRAME_SIZE, the most a 24-bit length can say.
pub const MAX_MAX_FRAME_SIZE: u32 = (1 << 24) - 1;
/// §6.9.1: largest flow-control window.
pub const MAX_WINDOW_SIZE: u32 = (1 << 31) - 1;

/// Frame types (§6, IANA "HTTP/2 Frame Type").
pub mod kind {
    pub const DATA: u8 = 0x0;
    pub const HEADERS: u8 = 0x1;
    pub const PRIORITY: u8 = 0x2;
    pub const RST_STREAM: u8 = 0x3;
    pub const SETTINGS: u8 = 0x4;
    pub const PUSH_PROMISE: u8 = 0x5;
    pub const PING: u8 = 0x6;
    pub const GOAWAY: u8 = 0x7;
    pub const WINDOW_UPDATE: u8 = 0x8;
    pub const CONTINUATION: u8 = 0x9;
}

/// Frame flags. Their meaning depends on the frame type; undefined bits are ignored (§4.1).
pub mod flags {
    /// DATA, HEADERS.
    pub const END_STREAM: u8 = 0x1;
    /// SETTINGS, PING.
    pub const ACK: u8 = 0x1;
    /// HEADERS, PUSH_PROMISE, CONTINUATION.
    pub const END_HEADERS: u8 = 0x4;
    /// DATA, HEADERS, PUSH_PROMISE.
    pub const PADDED: u8 = 0x8;
    /// HEADERS.
    pub const PRIORITY: u8 = 0x20;
}

/// One parsed frame, borrowing its payload from the input buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame<'a> {
    Data(Data<'a>),
    Headers(Headers<'a>),
    Priority(Priority),
    RstStream(RstStream),
    Settings(Settings<'a>),
    PushPromise(PushPromise<'a>),
    Ping(Ping),
    GoAway(GoAway<'a>),
    WindowUpdate(WindowUpdate),
    Continuation(Continuation<'a>),
    /// A frame type this layer does not know: §4.1 and §5.5 say to ignore and discard it
    /// (except inside a field block, which the state machine checks).
    Unknown(FrameHeader),
}

impl<'a> Frame<'a> {
    /// Parses a complete payload whose header is `head`; `payload.len()` must equal
    /// `head.length`. Does not check the length against SETTINGS_MAX_FRAME_SIZE.
    pub fn parse(head: FrameHeader, payload: &'a [u8]) -> Result<Frame<'a>, H2Error> {
        debug_assert_eq!(payload.len(), head.length as usize);
        Ok(match head.kind {
            kind::DATA => Frame::Data(Data::parse(head, payload)?),
            kind::HEADERS => {
                let h = Headers::parse(head, payload)?;
                h.check_dependency()?;
                Frame::Headers(h)
            }
            kind::PRIORITY => Frame::Priority(Priority::parse(head, payload)?),
            kind::RST_STREAM => Frame::RstStream(RstStream::parse(head, payload)?),
            kind::SETTINGS => Frame::Settings(Settings::parse(head, payload)?),
            kind::PUSH_PROMISE => Frame::PushPromise(PushPromise::parse(head, payload)?),
            kind::PING => Frame::Ping(Ping::parse(head, payload)?),
            kind::GOAWAY => Frame::GoAway(GoAway::parse(head, payload)?),
            kind::WINDOW_UPDATE => Frame::WindowUpdate(WindowUpdate::parse(head, payload)?),
            kind::CONTINUATION => Frame::Continuation(Continuation::parse(head, payload)?),
            _ => Frame::Unknown(head),
        })
    }

    /// The frame's stream identifier (0 for connection-level frames).
    pub fn stream_id(&self) -> u32 {
        match self {
            Frame::Data(f) => f.stream_id,
            Frame::Headers(f) => f.stream_id,
            Frame::Priority(f) => f.stream_id,
            Frame::RstStream(f) => f.stream_id,
            Frame::PushPromise(f) => f.stream_id,
            Frame::WindowUpdate(f) => f.stream_id,
            Frame::Continuation(f) => f.stream_id,
            Frame::Settings(_) | Frame::Ping(_) | Frame::GoAway(_) => 0,
            Frame::Unknown(h) => h.stream_id,
        }
    }

    /// The frame type octet.
    pub fn kind(&self) -> u8 {
        match self {
            Frame::Data(_) => kind::DATA,
            Frame::Headers(_) => kind::HEADERS,
            Frame::Priority(_) => kind::PRIORITY,
            Frame::RstStream(_) => kind::RST_STREAM,
            Frame::Settings(_) => kind::SETTINGS,
            Frame::PushPromise(_) => kind::PUSH_PROMISE,
            Frame::Ping(_) => kind::PING,
            Frame::GoAway(_) => kind::GOAWAY,
            Frame::WindowUpdate(_) => kind::WINDOW_UPDATE,
            Frame::Continuation(_) => kind::CONTINUATION,
            Frame::Unknown(h) => h.kind,
        }
    }
}

/// Parse one frame from the front of `buf`.
///
/// `Ok(None)`: the header or the payload is not complete yet; read more and call again.
/// `Ok(Some((frame, consumed)))`: `consumed == FRAME_HEADER_LEN + length`.
///
/// A length above `max_frame_size` (the SETTINGS_MAX_FRAME_SIZE we advertised) is a
/// connection FRAME_SIZE_ERROR (§4.2), reported as soon as the header is in: waiting for a
/// payload we refuse to buffer would let a peer make us hold up to 16 MiB.
#[inline]
pub fn parse_frame(buf: &[u8], max_frame_size: u32) -> Result<Option<(Frame<'_>, usize)>, H2Error> {
    let Some(head) = FrameHeader::parse(buf) else {
        return Ok(None);
    };
    if head.length > max_frame_size {
        return Err(H2Error::connection(
            ErrorCode::FrameSizeError,
            "frame larger than SETTINGS_MAX_FRAME_SIZE",
        ));
    }
    let end = FRAME_HEADER_LEN + head.length as usize;
    let Some(payload) = buf.get(FRAME_HEADER_LEN..end) else {
        return Ok(None);
    };
    Ok(Some((Frame::parse(head, payload)?, end)))
}

/// §5.4.1 error raised when a stream-bound frame arrives on stream 0.
#[inline]
pub(crate) fn require_stream(head: &FrameHeader, reason: &'static str) -> Result<(), H2Error> {
    if head.stream_id == 0 {
        Err(H2Error::connection(ErrorCode::ProtocolError, reason))
    } else {
        Ok(())
    }
}

/// §5.4.1 error raised when a connection-level frame arrives on a stream.
#[inline]
pub(crate) fn require_connection(head: &FrameHeader, reason: &'static str) -> Result<(), H2Error> {
    if head.stream_id != 0 {
        Err(H2Error::connection(ErrorCode::ProtocolError, reason))
    } else {
        Ok(())
    }
}
