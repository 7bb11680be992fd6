//! The flat binary encoding shared with the JVM and C callers: events out of
//! [`Connection::feed`] and commands, commands into [`apply_commands`], outbound segments.
//! `ABI.md` is the byte-by-byte reference; this module is its only implementation, and the only
//! place that knows a byte layout. The state machine (`conn`) knows none: it reports typed
//! events to a sink ([`crate::conn::Events`]), and [`EventWriter`] is the sink that writes them.
//!
//! All integers are little-endian. Every record starts with an 8-octet header
//! `{u16 kind, u16 flags, u32 record_len}` and `record_len` is a multiple of 8, so the JVM
//! walks a buffer with absolute `getShort/getInt/getLong` reads and no allocation.

mod commands;
mod config;
mod events;
mod sent_blocks;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use self::commands::{apply_commands, AbiError};
pub use self::config::{config_from_record, CONFIG_RECORD_VERSION};
pub use self::events::EventWriter;

use crate::conn::{self, Config};
use std::ops::{Deref, DerefMut};

/// A connection whose events are written in the ABI's layout, with what the ABI keeps per
/// connection (the header lists sent recently, `sent_blocks.rs`): what the ffi layer and the
/// tests drive. Everything else is the engine connection's, through `Deref`.
pub struct Connection {
    conn: conn::Connection<EventWriter>,
    sent: sent_blocks::SentBlocks,
}

impl Connection {
    /// A server connection: its SETTINGS (and connection WINDOW_UPDATE) are in the output
    /// right away (§3.4 lets the server preface go before the client's arrives).
    pub fn server(config: Config) -> Connection {
        Self::of(conn::Connection::server_with(config, EventWriter::default()))
    }

    /// A client connection: the output holds the preface, SETTINGS and WINDOW_UPDATE.
    pub fn client(config: Config) -> Connection {
        Self::of(conn::Connection::client_with(config, EventWriter::default()))
    }

    fn of(conn: conn::Connection<EventWriter>) -> Connection {
        Connection { conn, sent: sent_blocks::SentBlocks::default() }
    }

    /// Event records appended since the last [`Connection::clear_events`].
    #[inline]
    pub fn events(&self) -> &[u8] {
        self.conn.event_sink().records()
    }

    /// Forgets the events; after a burst the buffer goes back to its initial capacity.
    #[inline]
    pub fn clear_events(&mut self) {
        self.conn.event_sink_mut().clear();
    }
}

impl Deref for Connection {
    type Target = conn::Connection<EventWriter>;

    #[inline]
    fn deref(&self) -> &Self::Target {
        &self.conn
    }
}

impl DerefMut for Connection {
    #[inline]
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.conn
    }
}

/// Bumped on any incompatible change of the formats below; the loader refuses a mismatch.
/// 2: HEADERS field entries no longer carry a field set id (octets 20..24 are reserved, 0).
/// 3: they carry it again (octets 20..24).
pub const ABI_VERSION: u32 = 3;

/// Size of every record header.
pub const RECORD_HEADER_LEN: usize = 8;

/// Event kinds (`kind` of an event record).
pub mod ev {
    pub const HEADERS: u16 = 1;
    pub const DATA: u16 = 2;
    pub const RESET: u16 = 3;
    pub const WINDOW_OPENED: u16 = 4;
    pub const GOAWAY: u16 = 5;
    pub const PING_ACK: u16 = 6;
    pub const SETTINGS: u16 = 7;
    pub const SETTINGS_ACKED: u16 = 8;
    pub const CONNECTION_ERROR: u16 = 9;
    pub const STREAM_ERROR: u16 = 10;
    pub const HTTP1_DETECTED: u16 = 11;
    pub const LIMIT: u16 = 12;
    pub const DRAINED: u16 = 13;
}

/// Event flags, per kind.
pub mod ev_flags {
    /// HEADERS, DATA: the peer ended the stream.
    pub const END_STREAM: u16 = 0x1;
    /// HEADERS: this block is trailers.
    pub const TRAILERS: u16 = 0x2;
    /// HEADERS: the block exceeded a header limit; no fields are carried (answer 431).
    pub const TOO_LARGE: u16 = 0x4;
    /// HEADERS (client): a 1xx informational response; the final one follows.
    pub const INFORMATIONAL: u16 = 0x8;
    /// RESET: not received but implied by the peer's GOAWAY (stream above its last id).
    pub const BY_GOAWAY: u16 = 0x1;
    /// SETTINGS: the peer enabled RFC 8441 extended CONNECT.
    pub const CONNECT_PROTOCOL: u16 = 0x1;
}

/// Size of one field entry in a HEADERS event.
pub const FIELD_ENTRY_LEN: usize = 32;
/// Offset of the first field entry in a HEADERS event.
pub const HEADERS_FIELDS_OFFSET: usize = 24;

/// `source` octet of a HEADERS field entry.
pub mod source {
    pub const LITERAL: u8 = 0;
    pub const STATIC: u8 = 1;
    pub const DYNAMIC: u8 = 2;
    pub const STATIC_NAME: u8 = 3;
    pub const DYNAMIC_NAME: u8 = 4;
    pub const INSERTED: u8 = 5;
}

/// Size of one outbound segment record: `{u32 out_pos, u32 tag, u32 payload_off, u32 len}`.
pub const SEGMENT_LEN: usize = 16;

/// Size of one command result: `{u32 status, u32 value}`.
pub const RESULT_LEN: usize = 8;

/// Offsets of the fields of each record (ABI.md), from the start of the record or entry. The
/// writer lays them out in this order; `testing::events` reads them back by these names, so a
/// test fails if the two disagree; the JVM reads them from its generated `Abi` class.
pub mod layout {
    pub const RECORD_KIND: usize = 0;
    pub const RECORD_FLAGS: usize = 2;
    pub const RECORD_LENGTH: usize = 4;
    pub const HEADERS_STREAM_ID: usize = 8;
    pub const HEADERS_FIELD_COUNT: usize = 12;
    pub const HEADERS_BYTES_OFFSET: usize = 16;
    pub const HEADERS_BYTES_LENGTH: usize = 20;
    /// Commands: the stream id of HEADERS, DATA, RESET; then a HEADERS command's field count.
    pub const CMD_STREAM_ID: usize = 8;
    pub const CMD_HEADERS_FIELD_COUNT: usize = 12;
    pub const FIELD_SOURCE: usize = 0;
    pub const FIELD_FLAGS: usize = 1;
    pub const FIELD_NAME_OFFSET: usize = 4;
    pub const FIELD_NAME_LENGTH: usize = 8;
    pub const FIELD_VALUE_OFFSET: usize = 12;
    pub const FIELD_VALUE_LENGTH: usize = 16;
    /// The field set id (ABI.md): equal nonzero ids in one connection, equal fields.
    pub const FIELD_SET: usize = 20;
    pub const FIELD_ID: usize = 24;
    pub const DATA_STREAM_ID: usize = 8;
    pub const DATA_OFFSET: usize = 12;
    pub const DATA_LENGTH: usize = 16;
    /// RESET, WINDOW_OPENED, LIMIT: two u32 fields.
    pub const PAIR_FIRST: usize = 8;
    pub const PAIR_SECOND: usize = 12;
    pub const GOAWAY_LAST_STREAM_ID: usize = 8;
    pub const GOAWAY_CODE: usize = 12;
    pub const GOAWAY_DEBUG_OFFSET: usize = 16;
    pub const GOAWAY_DEBUG_LENGTH: usize = 20;
    pub const PING_PAYLOAD: usize = 8;
    pub const SETTINGS_MAX_FRAME_SIZE: usize = 8;
    pub const SETTINGS_MAX_CONCURRENT_STREAMS: usize = 12;
    pub const SETTINGS_INITIAL_WINDOW_SIZE: usize = 16;
    pub const SETTINGS_MAX_HEADER_LIST_SIZE: usize = 20;
    pub const SETTINGS_HEADER_TABLE_SIZE: usize = 24;
    /// CONNECTION_ERROR, STREAM_ERROR.
    pub const ERROR_ID: usize = 8;
    pub const ERROR_CODE: usize = 12;
    pub const ERROR_REASON_LENGTH: usize = 16;
    pub const ERROR_REASON: usize = 24;
    pub const SEGMENT_OUT_POS: usize = 0;
    pub const SEGMENT_TAG: usize = 4;
    pub const SEGMENT_PAYLOAD_OFFSET: usize = 8;
    pub const SEGMENT_LENGTH: usize = 12;
}

/// Command opcodes (`kind` of a command record).
pub mod cmd {
    pub const HEADERS: u16 = 1;
    pub const DATA: u16 = 2;
    pub const RESET: u16 = 3;
    pub const PING: u16 = 4;
    pub const GOAWAY: u16 = 5;
    pub const CONSUMED: u16 = 6;
}

/// Command flags.
pub mod cmd_flags {
    /// HEADERS, DATA: end the stream.
    pub const END_STREAM: u16 = 0x1;
    /// GOAWAY: graceful shutdown (two-step GOAWAY with a PING in between); code ignored.
    pub const GRACEFUL: u16 = 0x1;
    /// Bit 31 of a HEADERS field entry's `value_len`: never index this field (RFC 7541 §7.1.3).
    pub const SENSITIVE: u32 = 1 << 31;
}

/// Status word of a command result.
pub mod status {
    pub const OK: u32 = 0;
    /// The stream is closed, reset or unknown (a normal race with the peer): nothing was sent.
    pub const STREAM_GONE: u32 = 1;
    /// A new stream cannot be opened now (peer's concurrency limit, or GOAWAY received).
    pub const BLOCKED: u32 = 2;
    /// The command is not valid in the stream's state (e.g. DATA before HEADERS).
    pub const INVALID: u32 = 3;
    /// The connection is closed.
    pub const CLOSED: u32 = 4;
}

/// Appends the segment records of `segments` (16 octets each) to `dst`.
pub fn write_segments(segments: &[conn::Segment], dst: &mut Vec<u8>) {
    for s in segments {
        put_u32(dst, s.out_pos);
        put_u32(dst, s.tag);
        put_u32(dst, s.payload_off);
        put_u32(dst, s.len);
    }
}

#[inline]
pub(crate) fn put_u16(b: &mut Vec<u8>, v: u16) {
    b.extend_from_slice(&v.to_le_bytes());
}

#[inline]
pub(crate) fn put_u32(b: &mut Vec<u8>, v: u32) {
    b.extend_from_slice(&v.to_le_bytes());
}

#[inline]
pub(crate) fn set_u32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

#[inline]
pub fn get_u16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

#[inline]
pub fn get_u32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

#[inline]
pub fn get_u64(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

/// Starts a record; returns its offset for [`end`].
#[inline]
pub(crate) fn begin(b: &mut Vec<u8>, kind: u16, flags: u16) -> usize {
    let start = b.len();
    put_u16(b, kind);
    put_u16(b, flags);
    put_u32(b, 0);
    start
}

/// Pads the record to a multiple of 8 and writes its length.
#[inline]
pub(crate) fn end(b: &mut Vec<u8>, start: usize) {
    let pad = (8 - (b.len() - start) % 8) % 8;
    b.extend_from_slice(&[0u8; 8][..pad]);
    let len = (b.len() - start) as u32;
    set_u32(b, start + 4, len);
}
