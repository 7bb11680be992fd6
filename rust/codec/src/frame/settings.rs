//! SETTINGS (RFC 9113 §6.5): a list of `Identifier (16) | Value (32)` entries.
//!
//! Values are validated once, in [`Settings::parse`], so iterating is infallible and the
//! frame keeps borrowing the input instead of being copied into a list.

use super::head::{frame_len, read_u32};
use super::{
    flags, kind, require_connection, FrameHeader, DEFAULT_MAX_FRAME_SIZE, FRAME_HEADER_LEN,
    MAX_MAX_FRAME_SIZE, MAX_WINDOW_SIZE,
};
use crate::error::{ErrorCode, H2Error};

/// Length of one entry.
pub const ENTRY_LEN: usize = 6;

/// Setting identifiers: §6.5.2, and RFC 8441 §3 for ENABLE_CONNECT_PROTOCOL.
pub mod id {
    pub const HEADER_TABLE_SIZE: u16 = 0x1;
    pub const ENABLE_PUSH: u16 = 0x2;
    pub const MAX_CONCURRENT_STREAMS: u16 = 0x3;
    pub const INITIAL_WINDOW_SIZE: u16 = 0x4;
    pub const MAX_FRAME_SIZE: u16 = 0x5;
    pub const MAX_HEADER_LIST_SIZE: u16 = 0x6;
    pub const ENABLE_CONNECT_PROTOCOL: u16 = 0x8;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Setting {
    HeaderTableSize(u32),
    EnablePush(bool),
    MaxConcurrentStreams(u32),
    /// At most 2^31-1.
    InitialWindowSize(u32),
    /// In 2^14..=2^24-1.
    MaxFrameSize(u32),
    MaxHeaderListSize(u32),
    EnableConnectProtocol(bool),
    /// An identifier this layer does not know: §6.5.2 says to ignore it. It is still
    /// reported, in order, so a caller that does know it can act.
    Unknown(u16, u32),
}

impl Setting {
    /// Decodes and validates one entry (§6.5.2).
    pub fn from_raw(id: u16, value: u32) -> Result<Setting, H2Error> {
        let flag = |reason| match value {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(H2Error::connection(ErrorCode::ProtocolError, reason)),
        };
        Ok(match id {
            id::HEADER_TABLE_SIZE => Setting::HeaderTableSize(value),
            id::ENABLE_PUSH => Setting::EnablePush(flag("SETTINGS_ENABLE_PUSH not 0 or 1")?),
            id::MAX_CONCURRENT_STREAMS => Setting::MaxConcurrentStreams(value),
            id::INITIAL_WINDOW_SIZE if value > MAX_WINDOW_SIZE => {
                return Err(H2Error::connection(
                    ErrorCode::FlowControlError,
                    "SETTINGS_INITIAL_WINDOW_SIZE above 2^31-1",
                ))
            }
            id::INITIAL_WINDOW_SIZE => Setting::InitialWindowSize(value),
            id::MAX_FRAME_SIZE
                if !(DEFAULT_MAX_FRAME_SIZE..=MAX_MAX_FRAME_SIZE).contains(&value) =>
            {
                return Err(H2Error::connection(
                    ErrorCode::ProtocolError,
                    "SETTINGS_MAX_FRAME_SIZE outside 2^14..=2^24-1",
                ))
            }
            id::MAX_FRAME_SIZE => Setting::MaxFrameSize(value),
            id::MAX_HEADER_LIST_SIZE => Setting::MaxHeaderListSize(value),
            // RFC 8441 §3: "a value other than 0 or 1 MUST be treated as a connection error
            // of type PROTOCOL_ERROR".
            id::ENABLE_CONNECT_PROTOCOL => {
                Setting::EnableConnectProtocol(flag("SETTINGS_ENABLE_CONNECT_PROTOCOL not 0 or 1")?)
            }
            _ => Setting::Unknown(id, value),
        })
    }

    pub fn id(self) -> u16 {
        match self {
            Setting::HeaderTableSize(_) => id::HEADER_TABLE_SIZE,
            Setting::EnablePush(_) => id::ENABLE_PUSH,
            Setting::MaxConcurrentStreams(_) => id::MAX_CONCURRENT_STREAMS,
            Setting::InitialWindowSize(_) => id::INITIAL_WINDOW_SIZE,
            Setting::MaxFrameSize(_) => id::MAX_FRAME_SIZE,
            Setting::MaxHeaderListSize(_) => id::MAX_HEADER_LIST_SIZE,
            Setting::EnableConnectProtocol(_) => id::ENABLE_CONNECT_PROTOCOL,
            Setting::Unknown(id, _) => id,
        }
    }

    /// The value as sent on the wire.
    pub fn value(self) -> u32 {
        match self {
            Setting::HeaderTableSize(v)
            | Setting::MaxConcurrentStreams(v)
            | Setting::InitialWindowSize(v)
            | Setting::MaxFrameSize(v)
            | Setting::MaxHeaderListSize(v)
            | Setting::Unknown(_, v) => v,
            Setting::EnablePush(b) | Setting::EnableConnectProtocol(b) => u32::from(b),
        }
    }

    #[inline]
    fn to_bytes(self) -> [u8; ENTRY_LEN] {
        let i = self.id().to_be_bytes();
        let v = self.value().to_be_bytes();
        [i[0], i[1], v[0], v[1], v[2], v[3]]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings<'a> {
    /// An acknowledgement carries no entries.
    pub ack: bool,
    /// The raw entries, `ENTRY_LEN` octets each, already validated by [`Settings::parse`].
    pub payload: &'a [u8],
}

impl<'a> Settings<'a> {
    pub fn parse(head: FrameHeader, payload: &'a [u8]) -> Result<Self, H2Error> {
        require_connection(&head, "SETTINGS on a stream")?;
        let ack = head.has(flags::ACK);
        if ack && !payload.is_empty() {
            return Err(H2Error::connection(
                ErrorCode::FrameSizeError,
                "SETTINGS ACK with a payload",
            ));
        }
        if payload.len() % ENTRY_LEN != 0 {
            return Err(H2Error::connection(
                ErrorCode::FrameSizeError,
                "SETTINGS length not a multiple of 6",
            ));
        }
        for e in payload.chunks_exact(ENTRY_LEN) {
            Setting::from_raw(u16::from_be_bytes([e[0], e[1]]), read_u32(e, 2))?;
        }
        Ok(Settings { ack, payload })
    }

    /// The entries in order; §6.5.3 says to apply them in that order.
    pub fn iter(&self) -> SettingsIter<'a> {
        SettingsIter {
            entries: self.payload.chunks_exact(ENTRY_LEN),
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.payload.len() / ENTRY_LEN
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<'a> IntoIterator for &Settings<'a> {
    type Item = Setting;
    type IntoIter = SettingsIter<'a>;
    fn into_iter(self) -> SettingsIter<'a> {
        self.iter()
    }
}

/// Iterator over the entries of a [`Settings`] frame.
#[derive(Debug, Clone)]
pub struct SettingsIter<'a> {
    entries: std::slice::ChunksExact<'a, u8>,
}

impl Iterator for SettingsIter<'_> {
    type Item = Setting;

    #[inline]
    fn next(&mut self) -> Option<Setting> {
        let e = self.entries.next()?;
        let (id, value) = (u16::from_be_bytes([e[0], e[1]]), read_u32(e, 2));
        // Parsed frames are valid; a hand-built `Settings` with an out-of-range value yields
        // it as `Unknown` rather than making iteration fallible.
        Some(Setting::from_raw(id, value).unwrap_or(Setting::Unknown(id, value)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.entries.size_hint()
    }
}

impl ExactSizeIterator for SettingsIter<'_> {}

/// Appends a SETTINGS frame with `settings` in order.
pub fn encode(settings: &[Setting], dst: &mut Vec<u8>) {
    let len = settings.len() * ENTRY_LEN;
    dst.reserve(FRAME_HEADER_LEN + len);
    FrameHeader::new(kind::SETTINGS, 0, 0, frame_len(len)).encode(dst);
    for s in settings {
        dst.extend_from_slice(&s.to_bytes());
    }
}

/// Appends an empty SETTINGS frame with ACK (§6.5.3).
pub fn encode_ack(dst: &mut Vec<u8>) {
    FrameHeader::new(kind::SETTINGS, flags::ACK, 0, 0).encode(dst);
}
