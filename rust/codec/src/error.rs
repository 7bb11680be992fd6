//! Error codes of RFC 9113 section 7 and the two kinds of protocol error (section 5.4).

use thiserror::Error;

/// RFC 9113 section 7 error codes. Unknown codes received from a peer are kept as `Other`
/// (section 7: "Unknown or unsupported error codes MUST NOT trigger any special behavior").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    NoError,
    ProtocolError,
    InternalError,
    FlowControlError,
    SettingsTimeout,
    StreamClosed,
    FrameSizeError,
    RefusedStream,
    Cancel,
    CompressionError,
    ConnectError,
    EnhanceYourCalm,
    InadequateSecurity,
    Http11Required,
    Other(u32),
}

impl ErrorCode {
    /// The names of RFC 9113 section 7, by code (0x0..=0xd).
    pub const NAMES: [&'static str; 14] = [
        "NO_ERROR",
        "PROTOCOL_ERROR",
        "INTERNAL_ERROR",
        "FLOW_CONTROL_ERROR",
        "SETTINGS_TIMEOUT",
        "STREAM_CLOSED",
        "FRAME_SIZE_ERROR",
        "REFUSED_STREAM",
        "CANCEL",
        "COMPRESSION_ERROR",
        "CONNECT_ERROR",
        "ENHANCE_YOUR_CALM",
        "INADEQUATE_SECURITY",
        "HTTP_1_1_REQUIRED",
    ];

    pub const fn from_u32(v: u32) -> Self {
        match v {
            0x0 => Self::NoError,
            0x1 => Self::ProtocolError,
            0x2 => Self::InternalError,
            0x3 => Self::FlowControlError,
            0x4 => Self::SettingsTimeout,
            0x5 => Self::StreamClosed,
            0x6 => Self::FrameSizeError,
            0x7 => Self::RefusedStream,
            0x8 => Self::Cancel,
            0x9 => Self::CompressionError,
            0xa => Self::ConnectError,
            0xb => Self::EnhanceYourCalm,
            0xc => Self::InadequateSecurity,
            0xd => Self::Http11Required,
            other => Self::Other(other),
        }
    }

    pub const fn as_u32(self) -> u32 {
        match self {
            Self::NoError => 0x0,
            Self::ProtocolError => 0x1,
            Self::InternalError => 0x2,
            Self::FlowControlError => 0x3,
            Self::SettingsTimeout => 0x4,
            Self::StreamClosed => 0x5,
            Self::FrameSizeError => 0x6,
            Self::RefusedStream => 0x7,
            Self::Cancel => 0x8,
            Self::CompressionError => 0x9,
            Self::ConnectError => 0xa,
            Self::EnhanceYourCalm => 0xb,
            Self::InadequateSecurity => 0xc,
            Self::Http11Required => 0xd,
            Self::Other(v) => v,
        }
    }
}

/// A protocol error detected while processing input (RFC 9113 section 5.4).
///
/// `reason` is a static string so that raising an error never allocates; it ends up in the
/// GOAWAY debug data and the server's log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum H2Error {
    /// Section 5.4.1: the whole connection is unusable; answer with GOAWAY(code).
    #[error("connection error {code:?}: {reason}")]
    Connection { code: ErrorCode, reason: &'static str },
    /// Section 5.4.2: only `stream_id` is affected; answer with RST_STREAM(code).
    #[error("stream {stream_id} error {code:?}: {reason}")]
    Stream { stream_id: u32, code: ErrorCode, reason: &'static str },
}

impl H2Error {
    pub const fn connection(code: ErrorCode, reason: &'static str) -> Self {
        Self::Connection { code, reason }
    }

    pub const fn stream(stream_id: u32, code: ErrorCode, reason: &'static str) -> Self {
        Self::Stream { stream_id, code, reason }
    }

    pub const fn code(&self) -> ErrorCode {
        match self {
            Self::Connection { code, .. } | Self::Stream { code, .. } => *code,
        }
    }
}
