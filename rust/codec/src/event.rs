//! The flat binary encoding shared with the JVM: events out of [`Connection::feed`], commands
//! into [`apply_commands`], and the outbound segment list. `ABI.md` is the byte-by-byte
//! reference; this module is its only implementation.
//!
//! All integers are little-endian. Every record starts with an 8-octet header
//! `{u16 kind, u16 flags, u32 record_len}` and `record_len` is a multiple of 8, so the JVM
//! walks a buffer with absolute `getShort/getInt/getLong` reads and no allocation.

use crate::conn::{Connection, SendError};
use crate::error::ErrorCode;
use crate::hpack::{DecodedHeaders, FieldSource};

/// Bumped on any incompatible change of the formats below; the loader refuses a mismatch.
pub const ABI_VERSION: u32 = 1;

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

#[inline]
fn put_u16(b: &mut Vec<u8>, v: u16) {
    b.extend_from_slice(&v.to_le_bytes());
}

#[inline]
fn put_u32(b: &mut Vec<u8>, v: u32) {
    b.extend_from_slice(&v.to_le_bytes());
}

#[inline]
fn set_u32(b: &mut [u8], at: usize, v: u32) {
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
fn begin(b: &mut Vec<u8>, kind: u16, flags: u16) -> usize {
    let start = b.len();
    put_u16(b, kind);
    put_u16(b, flags);
    put_u32(b, 0);
    start
}

/// Pads the record to a multiple of 8 and writes its length.
#[inline]
fn end(b: &mut Vec<u8>, start: usize) {
    let pad = (8 - (b.len() - start) % 8) % 8;
    b.extend_from_slice(&[0u8; 8][..pad]);
    let len = (b.len() - start) as u32;
    set_u32(b, start + 4, len);
}

/// Writers of event records. The connection is their only caller.
pub(crate) mod write {
    use super::*;

    /// HEADERS: `{u32 stream_id, u32 field_count, u32 bytes_off, u32 bytes_len}`, then
    /// `field_count` 32-octet entries, then the name/value bytes. Offsets are absolute in the
    /// event buffer. `set`: the field set id written into every entry (ABI.md).
    pub fn headers(b: &mut Vec<u8>, stream_id: u32, flags: u16, h: Option<&DecodedHeaders>, set: u32) {
        let start = begin(b, super::ev::HEADERS, flags);
        let count = h.map_or(0, |h| h.len());
        let bytes: &[u8] = h.map_or(&[], |h| h.bytes());
        let entries_at = start + HEADERS_FIELDS_OFFSET;
        let bytes_off = entries_at + count * FIELD_ENTRY_LEN;
        put_u32(b, stream_id);
        put_u32(b, count as u32);
        put_u32(b, bytes_off as u32);
        put_u32(b, bytes.len() as u32);
        if let Some(h) = h {
            // One resize, then fixed-size entries written in place: no capacity check per field.
            let entries = b.len();
            b.resize(entries + count * FIELD_ENTRY_LEN, 0);
            for (e, f) in b[entries..].chunks_exact_mut(FIELD_ENTRY_LEN).zip(h.fields()) {
                let (kind, id) = match f.source {
                    FieldSource::Literal => (source::LITERAL, 0),
                    FieldSource::Static(i) => (source::STATIC, u64::from(i)),
                    FieldSource::Dynamic(id) => (source::DYNAMIC, id),
                    FieldSource::StaticName(i) => (source::STATIC_NAME, u64::from(i)),
                    FieldSource::DynamicName(id) => (source::DYNAMIC_NAME, id),
                    FieldSource::Inserted(id) => (source::INSERTED, id),
                };
                e[0] = kind;
                e[1] = u8::from(f.never_indexed);
                set_u32(e, 4, bytes_off as u32 + f.name.0);
                set_u32(e, 8, f.name.1);
                set_u32(e, 12, bytes_off as u32 + f.value.0);
                set_u32(e, 16, f.value.1);
                set_u32(e, 20, set);
                e[24..32].copy_from_slice(&id.to_le_bytes());
            }
        }
        b.extend_from_slice(bytes);
        end(b, start);
    }

    /// A HEADERS record copied from `earlier` (a whole record [`headers`] wrote at offset
    /// `earlier_at` of an event buffer) with a new stream id and flags: its fields are the same,
    /// only their absolute offsets move with the record.
    pub fn headers_again(b: &mut Vec<u8>, stream_id: u32, flags: u16, earlier: &[u8], earlier_at: usize) {
        let start = b.len();
        b.extend_from_slice(earlier);
        let r = &mut b[start..];
        r[2..4].copy_from_slice(&flags.to_le_bytes());
        set_u32(r, 8, stream_id);
        if start != earlier_at {
            let shift = |v: u32| (v as usize - earlier_at + start) as u32;
            set_u32(r, 16, shift(get_u32(r, 16)));
            let count = get_u32(r, 12) as usize;
            for e in r[HEADERS_FIELDS_OFFSET..HEADERS_FIELDS_OFFSET + count * FIELD_ENTRY_LEN]
                .chunks_exact_mut(FIELD_ENTRY_LEN)
            {
                set_u32(e, 4, shift(get_u32(e, 4)));
                set_u32(e, 12, shift(get_u32(e, 12)));
            }
        }
    }

    /// DATA: `{u32 stream_id, u32 offset, u32 length, u32 0}`; offset into the fed input.
    pub fn data(b: &mut Vec<u8>, stream_id: u32, end_stream: bool, offset: usize, len: usize) {
        let start = begin(b, ev::DATA, if end_stream { ev_flags::END_STREAM } else { 0 });
        put_u32(b, stream_id);
        put_u32(b, offset as u32);
        put_u32(b, len as u32);
        put_u32(b, 0);
        end(b, start);
    }

    /// Records of two u32 fields: RESET, WINDOW_OPENED, LIMIT.
    pub fn pair(b: &mut Vec<u8>, kind: u16, flags: u16, a: u32, c: u32) {
        let start = begin(b, kind, flags);
        put_u32(b, a);
        put_u32(b, c);
        end(b, start);
    }

    pub fn empty(b: &mut Vec<u8>, kind: u16) {
        let start = begin(b, kind, 0);
        end(b, start);
    }

    /// GOAWAY: `{u32 last_stream_id, u32 code, u32 debug_off, u32 debug_len}`; debug data
    /// offset into the fed input.
    pub fn goaway(b: &mut Vec<u8>, last: u32, code: ErrorCode, debug_off: usize, debug_len: usize) {
        let start = begin(b, ev::GOAWAY, 0);
        put_u32(b, last);
        put_u32(b, code.as_u32());
        put_u32(b, debug_off as u32);
        put_u32(b, debug_len as u32);
        end(b, start);
    }

    pub fn ping_ack(b: &mut Vec<u8>, payload: [u8; 8]) {
        let start = begin(b, ev::PING_ACK, 0);
        b.extend_from_slice(&payload);
        end(b, start);
    }

    /// SETTINGS: the peer's values after applying a SETTINGS frame.
    pub fn settings(b: &mut Vec<u8>, s: &crate::conn::PeerSettings) {
        let flags = if s.enable_connect_protocol { ev_flags::CONNECT_PROTOCOL } else { 0 };
        let start = begin(b, ev::SETTINGS, flags);
        put_u32(b, s.max_frame_size);
        put_u32(b, s.max_concurrent_streams);
        put_u32(b, s.initial_window_size);
        put_u32(b, s.max_header_list_size);
        put_u32(b, s.header_table_size);
        put_u32(b, 0);
        end(b, start);
    }

    /// CONNECTION_ERROR / STREAM_ERROR: `{u32 id, u32 code, u32 reason_len, u32 0}` then the
    /// reason (UTF-8). `id` is the GOAWAY's last stream id, or the reset stream.
    pub fn error(b: &mut Vec<u8>, kind: u16, id: u32, code: ErrorCode, reason: &str) {
        let start = begin(b, kind, 0);
        put_u32(b, id);
        put_u32(b, code.as_u32());
        put_u32(b, reason.len() as u32);
        put_u32(b, 0);
        b.extend_from_slice(reason.as_bytes());
        end(b, start);
    }

    /// Segment: `{u32 out_pos, u32 tag, u32 payload_off, u32 len}`.
    pub fn segment(b: &mut Vec<u8>, out_pos: usize, tag: u32, payload_off: u32, len: u32) {
        put_u32(b, out_pos as u32);
        put_u32(b, tag);
        put_u32(b, payload_off);
        put_u32(b, len);
    }
}

/// Size of one outbound segment record.
pub const SEGMENT_LEN: usize = 16;

/// One payload insertion point of the output: at `out_pos` of the output bytes, the caller
/// writes `len` octets of the payload it tagged `tag`, starting at `payload_off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    pub out_pos: u32,
    pub tag: u32,
    pub payload_off: u32,
    pub len: u32,
}

/// Decodes a segment list (see [`Connection::segments`]).
pub fn segments(buf: &[u8]) -> impl Iterator<Item = Segment> + '_ {
    buf.chunks_exact(SEGMENT_LEN).map(|c| Segment {
        out_pos: get_u32(c, 0),
        tag: get_u32(c, 4),
        payload_off: get_u32(c, 8),
        len: get_u32(c, 12),
    })
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

/// A command buffer that cannot be decoded: truncated record, bad length or unknown opcode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("malformed command record at offset {offset}: {reason}")]
pub struct AbiError {
    pub offset: usize,
    pub reason: &'static str,
}

/// Maximum fields in one HEADERS command.
const MAX_COMMAND_FIELDS: usize = 1 << 16;

/// Applies a buffer of command records in order. For each record, `results` (cleared first)
/// receives 8 octets `{u32 status, u32 value}`: for HEADERS the stream id (allocated for a new
/// client request), for DATA the octets accepted. Stops at the first malformed record.
pub fn apply_commands(conn: &mut Connection, cmds: &[u8], results: &mut Vec<u8>) -> Result<usize, AbiError> {
    results.clear();
    let mut pos = 0;
    let mut n = 0;
    while pos < cmds.len() {
        let bad = |reason| AbiError { offset: pos, reason };
        if cmds.len() - pos < RECORD_HEADER_LEN {
            return Err(bad("truncated record header"));
        }
        let op = get_u16(cmds, pos);
        let flags = get_u16(cmds, pos + 2);
        let len = get_u32(cmds, pos + 4) as usize;
        if len < RECORD_HEADER_LEN || len % 8 != 0 || len > cmds.len() - pos {
            return Err(bad("bad record length"));
        }
        let rec = &cmds[pos..pos + len];
        let need = |n: usize| if len < n { Err(bad("record too short")) } else { Ok(()) };
        let end_stream = flags & cmd_flags::END_STREAM != 0;
        let r = match op {
            cmd::HEADERS => {
                need(16)?;
                let stream_id = get_u32(rec, 8);
                let count = get_u32(rec, 12) as usize;
                if count > MAX_COMMAND_FIELDS {
                    return Err(bad("too many fields"));
                }
                let entries_end = 16 + count * 8;
                need(entries_end)?;
                let mut total = 0usize;
                for i in 0..count {
                    let e = 16 + i * 8;
                    total +=
                        get_u32(rec, e) as usize + (get_u32(rec, e + 4) & !cmd_flags::SENSITIVE) as usize;
                }
                need(entries_end + total)?;
                let fields = HeaderFields { rec, entry: 16, data: entries_end, left: count };
                // The entries and octets determine the list: they key its encoded block.
                let key = &rec[12..entries_end + total];
                conn.send_headers_keyed(stream_id, Some(key), fields, end_stream)
            }
            cmd::DATA => {
                need(24)?;
                let (id, n, tag) = (get_u32(rec, 8), get_u32(rec, 12), get_u32(rec, 16));
                conn.send_data(id, n, end_stream, tag)
            }
            cmd::RESET => {
                need(16)?;
                let code = ErrorCode::from_u32(get_u32(rec, 12));
                conn.send_reset(get_u32(rec, 8), code).map(|()| 0)
            }
            cmd::PING => {
                need(16)?;
                let mut p = [0u8; 8];
                p.copy_from_slice(&rec[8..16]);
                conn.send_ping(p).map(|()| 0)
            }
            cmd::GOAWAY => {
                need(16)?;
                let debug_len = get_u32(rec, 12) as usize;
                need(16 + debug_len)?;
                if flags & cmd_flags::GRACEFUL != 0 {
                    conn.goaway_graceful();
                } else {
                    conn.goaway(ErrorCode::from_u32(get_u32(rec, 8)), &rec[16..16 + debug_len]);
                }
                Ok(0)
            }
            cmd::CONSUMED => {
                need(16)?;
                conn.consumed(get_u32(rec, 8), get_u32(rec, 12));
                Ok(0)
            }
            _ => return Err(bad("unknown opcode")),
        };
        let (st, value) = match r {
            Ok(v) => (status::OK, v),
            Err(e) => (e.status(), 0),
        };
        put_u32(results, st);
        put_u32(results, value);
        pos += len;
        n += 1;
    }
    Ok(n)
}

impl SendError {
    /// The result status word of this error.
    pub fn status(self) -> u32 {
        match self {
            SendError::StreamGone => status::STREAM_GONE,
            SendError::Blocked => status::BLOCKED,
            SendError::Invalid(_) => status::INVALID,
            SendError::Closed => status::CLOSED,
        }
    }
}

/// Iterates the fields of a HEADERS command record without copying.
struct HeaderFields<'a> {
    rec: &'a [u8],
    entry: usize,
    data: usize,
    left: usize,
}

impl<'a> Iterator for HeaderFields<'a> {
    type Item = (&'a [u8], &'a [u8], bool);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let nl = get_u32(self.rec, self.entry) as usize;
        let raw = get_u32(self.rec, self.entry + 4);
        let vl = (raw & !cmd_flags::SENSITIVE) as usize;
        self.entry += 8;
        let name = &self.rec[self.data..self.data + nl];
        let value = &self.rec[self.data + nl..self.data + nl + vl];
        self.data += nl + vl;
        Some((name, value, raw & cmd_flags::SENSITIVE != 0))
    }
}

/// Builds command buffers: what the JVM does, for Rust tests, benches and the C ABI.
#[derive(Debug, Default, Clone)]
pub struct CommandWriter {
    pub buf: Vec<u8>,
}

impl CommandWriter {
    pub fn clear(&mut self) {
        self.buf.clear();
    }

    pub fn headers<'a>(&mut self, stream_id: u32, fields: &[(&'a [u8], &'a [u8], bool)], end_stream: bool) {
        let b = &mut self.buf;
        let start = begin(b, cmd::HEADERS, if end_stream { cmd_flags::END_STREAM } else { 0 });
        put_u32(b, stream_id);
        put_u32(b, fields.len() as u32);
        for (n, v, s) in fields {
            put_u32(b, n.len() as u32);
            put_u32(b, v.len() as u32 | if *s { cmd_flags::SENSITIVE } else { 0 });
        }
        for (n, v, _) in fields {
            b.extend_from_slice(n);
            b.extend_from_slice(v);
        }
        end(b, start);
    }

    pub fn data(&mut self, stream_id: u32, len: u32, end_stream: bool, tag: u32) {
        let b = &mut self.buf;
        let start = begin(b, cmd::DATA, if end_stream { cmd_flags::END_STREAM } else { 0 });
        put_u32(b, stream_id);
        put_u32(b, len);
        put_u32(b, tag);
        put_u32(b, 0);
        end(b, start);
    }

    pub fn reset(&mut self, stream_id: u32, code: ErrorCode) {
        let start = begin(&mut self.buf, cmd::RESET, 0);
        put_u32(&mut self.buf, stream_id);
        put_u32(&mut self.buf, code.as_u32());
        end(&mut self.buf, start);
    }

    pub fn ping(&mut self, payload: [u8; 8]) {
        let start = begin(&mut self.buf, cmd::PING, 0);
        self.buf.extend_from_slice(&payload);
        end(&mut self.buf, start);
    }

    pub fn goaway(&mut self, graceful: bool, code: ErrorCode, debug: &[u8]) {
        let b = &mut self.buf;
        let start = begin(b, cmd::GOAWAY, if graceful { cmd_flags::GRACEFUL } else { 0 });
        put_u32(b, code.as_u32());
        put_u32(b, debug.len() as u32);
        b.extend_from_slice(debug);
        end(b, start);
    }

    pub fn consumed(&mut self, stream_id: u32, n: u32) {
        let start = begin(&mut self.buf, cmd::CONSUMED, 0);
        put_u32(&mut self.buf, stream_id);
        put_u32(&mut self.buf, n);
        end(&mut self.buf, start);
    }
}

/// A decoded event record (for Rust callers and tests; the JVM reads the bytes directly).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event<'a> {
    Headers {
        stream_id: u32,
        flags: u16,
        fields: Vec<DecodedField<'a>>,
    },
    Data {
        stream_id: u32,
        end_stream: bool,
        offset: u32,
        len: u32,
    },
    Reset {
        stream_id: u32,
        code: ErrorCode,
        by_goaway: bool,
    },
    WindowOpened {
        stream_id: u32,
        available: u32,
    },
    GoAway {
        last_stream_id: u32,
        code: ErrorCode,
        debug_off: u32,
        debug_len: u32,
    },
    PingAck {
        payload: [u8; 8],
    },
    Settings {
        max_frame_size: u32,
        max_concurrent_streams: u32,
        initial_window_size: u32,
        max_header_list_size: u32,
        header_table_size: u32,
        connect_protocol: bool,
    },
    SettingsAcked,
    ConnectionError {
        last_stream_id: u32,
        code: ErrorCode,
        reason: &'a str,
    },
    StreamError {
        stream_id: u32,
        code: ErrorCode,
        reason: &'a str,
    },
    Http1Detected,
    Limit {
        limit: u32,
        stream_id: u32,
    },
    Drained,
    Unknown {
        kind: u16,
    },
}

/// One field of a decoded HEADERS event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedField<'a> {
    pub name: &'a [u8],
    pub value: &'a [u8],
    pub source: u8,
    pub never_indexed: bool,
    pub id: u64,
    /// The field set id (ABI.md): equal in two events only for the same decoded fields; 0: none.
    pub set: u32,
}

/// Iterates the event records of `buf` (see [`Connection::events`]). Allocates per HEADERS
/// event (the field list): for tests and tools, not the hot path.
pub fn events(buf: &[u8]) -> impl Iterator<Item = Event<'_>> + '_ {
    let mut pos = 0;
    std::iter::from_fn(move || {
        if pos + RECORD_HEADER_LEN > buf.len() {
            return None;
        }
        let kind = get_u16(buf, pos);
        let flags = get_u16(buf, pos + 2);
        let len = get_u32(buf, pos + 4) as usize;
        let at = pos;
        pos += len.max(RECORD_HEADER_LEN);
        let u = |o: usize| get_u32(buf, at + o);
        let reason = |o: usize| std::str::from_utf8(&buf[at + 24..at + 24 + u(o) as usize]).unwrap_or("");
        Some(match kind {
            ev::HEADERS => {
                let count = u(12) as usize;
                let fields = (0..count)
                    .map(|i| {
                        let e = at + HEADERS_FIELDS_OFFSET + i * FIELD_ENTRY_LEN;
                        let g = |o: usize| get_u32(buf, e + o) as usize;
                        DecodedField {
                            source: buf[e],
                            never_indexed: buf[e + 1] != 0,
                            name: &buf[g(4)..g(4) + g(8)],
                            value: &buf[g(12)..g(12) + g(16)],
                            id: get_u64(buf, e + 24),
                            set: get_u32(buf, e + 20),
                        }
                    })
                    .collect();
                Event::Headers { stream_id: u(8), flags, fields }
            }
            ev::DATA => Event::Data {
                stream_id: u(8),
                end_stream: flags & ev_flags::END_STREAM != 0,
                offset: u(12),
                len: u(16),
            },
            ev::RESET => Event::Reset {
                stream_id: u(8),
                code: ErrorCode::from_u32(u(12)),
                by_goaway: flags & ev_flags::BY_GOAWAY != 0,
            },
            ev::WINDOW_OPENED => Event::WindowOpened { stream_id: u(8), available: u(12) },
            ev::GOAWAY => Event::GoAway {
                last_stream_id: u(8),
                code: ErrorCode::from_u32(u(12)),
                debug_off: u(16),
                debug_len: u(20),
            },
            ev::PING_ACK => {
                let mut payload = [0u8; 8];
                payload.copy_from_slice(&buf[at + 8..at + 16]);
                Event::PingAck { payload }
            }
            ev::SETTINGS => Event::Settings {
                max_frame_size: u(8),
                max_concurrent_streams: u(12),
                initial_window_size: u(16),
                max_header_list_size: u(20),
                header_table_size: u(24),
                connect_protocol: flags & ev_flags::CONNECT_PROTOCOL != 0,
            },
            ev::SETTINGS_ACKED => Event::SettingsAcked,
            ev::CONNECTION_ERROR => Event::ConnectionError {
                last_stream_id: u(8),
                code: ErrorCode::from_u32(u(12)),
                reason: reason(16),
            },
            ev::STREAM_ERROR => {
                Event::StreamError { stream_id: u(8), code: ErrorCode::from_u32(u(12)), reason: reason(16) }
            }
            ev::HTTP1_DETECTED => Event::Http1Detected,
            ev::LIMIT => Event::Limit { limit: u(8), stream_id: u(12) },
            ev::DRAINED => Event::Drained,
            kind => Event::Unknown { kind },
        })
    })
}
