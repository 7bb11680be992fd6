//! The event writer: the connection's [`Events`] sink that writes each event as an ABI record.

use super::layout::{
    FIELD_FLAGS, FIELD_ID, FIELD_NAME_LENGTH, FIELD_NAME_OFFSET, FIELD_SET, FIELD_SOURCE, FIELD_VALUE_LENGTH,
    FIELD_VALUE_OFFSET, HEADERS_BYTES_OFFSET, HEADERS_FIELD_COUNT, HEADERS_STREAM_ID, RECORD_FLAGS,
};
use super::{
    begin, end, ev, ev_flags, get_u32, put_u32, set_u32, source, FIELD_ENTRY_LEN, HEADERS_FIELDS_OFFSET,
};
use crate::conn::limits::KEEP_CAPACITY;
use crate::conn::{Events, HeadersFlags, Limit, PeerSettings};
use crate::error::ErrorCode;
use crate::hpack::{DecodedHeaders, FieldSource};

/// Initial capacity of the record buffer, and what it shrinks back to after a burst.
const INITIAL_CAPACITY: usize = 4096;

/// Largest HEADERS record kept for repeats: a short block can index large table entries.
const MAX_KEPT_RECORD: usize = 4096;

/// Event records, appended in the order things happened; read and cleared by the caller after
/// each call (`rust/ffi` copies them into the JVM's IO block).
#[derive(Debug)]
pub struct EventWriter {
    buf: Vec<u8>,
    /// The decode number of the last HEADERS record with fields.
    last_decode: u64,
    /// From a decode's second HEADERS record on: a copy of that record, the offset it was
    /// written at, and its decode number (0: none). Later records of the decode copy it.
    kept: Vec<u8>,
    kept_at: usize,
    kept_decode: u64,
}

impl Default for EventWriter {
    fn default() -> Self {
        EventWriter {
            buf: Vec::with_capacity(INITIAL_CAPACITY),
            last_decode: 0,
            kept: Vec::new(),
            kept_at: 0,
            kept_decode: 0,
        }
    }
}

impl EventWriter {
    /// The records written since the last [`EventWriter::clear`].
    #[inline]
    pub fn records(&self) -> &[u8] {
        &self.buf
    }

    /// Forgets the records; a buffer grown past `KEEP_CAPACITY` by a burst is given back.
    #[inline]
    pub fn clear(&mut self) {
        self.buf.clear();
        if self.buf.capacity() > KEEP_CAPACITY {
            self.buf = Vec::with_capacity(INITIAL_CAPACITY);
        }
    }

    /// Octets allocated for records (and the record kept for repeats).
    pub fn capacity(&self) -> usize {
        self.buf.capacity() + self.kept.capacity()
    }

    /// A HEADERS record copied from the kept one with a new stream id and flags: its fields are
    /// the same, only their absolute offsets move with the record.
    fn headers_again(&mut self, stream_id: u32, flags: u16) {
        let start = self.buf.len();
        self.buf.extend_from_slice(&self.kept);
        let r = &mut self.buf[start..];
        r[RECORD_FLAGS..RECORD_FLAGS + 2].copy_from_slice(&flags.to_le_bytes());
        set_u32(r, HEADERS_STREAM_ID, stream_id);
        if start != self.kept_at {
            let shift = |v: u32| (v as usize - self.kept_at + start) as u32;
            set_u32(r, HEADERS_BYTES_OFFSET, shift(get_u32(r, HEADERS_BYTES_OFFSET)));
            let count = get_u32(r, HEADERS_FIELD_COUNT) as usize;
            for e in r[HEADERS_FIELDS_OFFSET..HEADERS_FIELDS_OFFSET + count * FIELD_ENTRY_LEN]
                .chunks_exact_mut(FIELD_ENTRY_LEN)
            {
                set_u32(e, FIELD_NAME_OFFSET, shift(get_u32(e, FIELD_NAME_OFFSET)));
                set_u32(e, FIELD_VALUE_OFFSET, shift(get_u32(e, FIELD_VALUE_OFFSET)));
            }
        }
    }

    /// Records of two u32 fields: RESET, WINDOW_OPENED, LIMIT.
    fn pair(&mut self, kind: u16, flags: u16, a: u32, c: u32) {
        let b = &mut self.buf;
        let start = begin(b, kind, flags);
        put_u32(b, a);
        put_u32(b, c);
        end(b, start);
    }

    fn empty(&mut self, kind: u16) {
        let start = begin(&mut self.buf, kind, 0);
        end(&mut self.buf, start);
    }

    /// CONNECTION_ERROR / STREAM_ERROR: `{u32 id, u32 code, u32 reason_len, u32 0}` then the
    /// reason (UTF-8). `id` is the GOAWAY's last stream id, or the reset stream.
    fn error(&mut self, kind: u16, id: u32, code: ErrorCode, reason: &str) {
        let b = &mut self.buf;
        let start = begin(b, kind, 0);
        put_u32(b, id);
        put_u32(b, code.as_u32());
        put_u32(b, reason.len() as u32);
        put_u32(b, 0);
        b.extend_from_slice(reason.as_bytes());
        end(b, start);
    }
}

impl Events for EventWriter {
    #[inline]
    fn written(&self) -> usize {
        self.buf.len()
    }

    /// HEADERS: `{u32 stream_id, u32 field_count, u32 bytes_off, u32 bytes_len}`, then
    /// `field_count` 32-octet entries, then the name/value bytes. Offsets are absolute in the
    /// event buffer. Every entry carries the field set id: the decode number while it fits in
    /// 32 bits, then 0 ("no id"), so an id never names two different sets (ABI.md). A decode's
    /// third and later records are copies of its second.
    fn headers(&mut self, stream_id: u32, flags: HeadersFlags, fields: Option<&DecodedHeaders>, decode: u64) {
        let mut f = 0;
        for (set, bit) in [
            (flags.end_stream, ev_flags::END_STREAM),
            (flags.trailers, ev_flags::TRAILERS),
            (flags.too_large, ev_flags::TOO_LARGE),
            (flags.informational, ev_flags::INFORMATIONAL),
        ] {
            if set {
                f |= bit;
            }
        }
        if fields.is_some() && decode == self.kept_decode && decode != 0 {
            return self.headers_again(stream_id, f);
        }
        let set = u32::try_from(decode).unwrap_or(0);
        let b = &mut self.buf;
        let start = begin(b, ev::HEADERS, f);
        let count = fields.map_or(0, |h| h.len());
        let bytes: &[u8] = fields.map_or(&[], |h| h.bytes());
        let entries_at = start + HEADERS_FIELDS_OFFSET;
        let bytes_off = entries_at + count * FIELD_ENTRY_LEN;
        put_u32(b, stream_id);
        put_u32(b, count as u32);
        put_u32(b, bytes_off as u32);
        put_u32(b, bytes.len() as u32);
        if let Some(h) = fields {
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
                e[FIELD_SOURCE] = kind;
                e[FIELD_FLAGS] = u8::from(f.never_indexed);
                set_u32(e, FIELD_NAME_OFFSET, bytes_off as u32 + f.name.0);
                set_u32(e, FIELD_NAME_LENGTH, f.name.1);
                set_u32(e, FIELD_VALUE_OFFSET, bytes_off as u32 + f.value.0);
                set_u32(e, FIELD_VALUE_LENGTH, f.value.1);
                set_u32(e, FIELD_SET, set);
                e[FIELD_ID..FIELD_ID + 8].copy_from_slice(&id.to_le_bytes());
            }
        }
        b.extend_from_slice(bytes);
        end(b, start);
        if fields.is_some() {
            if decode == self.last_decode && b.len() - start <= MAX_KEPT_RECORD {
                self.kept.clear();
                self.kept.extend_from_slice(&b[start..]);
                self.kept_at = start;
                self.kept_decode = decode;
            }
            self.last_decode = decode;
        }
    }

    /// DATA: `{u32 stream_id, u32 offset, u32 length, u32 0}`; offset into the fed input.
    fn data(&mut self, stream_id: u32, end_stream: bool, offset: usize, len: usize) {
        let b = &mut self.buf;
        let start = begin(b, ev::DATA, if end_stream { ev_flags::END_STREAM } else { 0 });
        put_u32(b, stream_id);
        put_u32(b, offset as u32);
        put_u32(b, len as u32);
        put_u32(b, 0);
        end(b, start);
    }

    fn reset(&mut self, stream_id: u32, code: ErrorCode, by_goaway: bool) {
        let flags = if by_goaway { ev_flags::BY_GOAWAY } else { 0 };
        self.pair(ev::RESET, flags, stream_id, code.as_u32());
    }

    fn window_opened(&mut self, stream_id: u32, available: u32) {
        self.pair(ev::WINDOW_OPENED, 0, stream_id, available);
    }

    /// GOAWAY: `{u32 last_stream_id, u32 code, u32 debug_off, u32 debug_len}`; debug data
    /// offset into the fed input.
    fn goaway(&mut self, last_stream_id: u32, code: ErrorCode, debug_off: usize, debug_len: usize) {
        let b = &mut self.buf;
        let start = begin(b, ev::GOAWAY, 0);
        put_u32(b, last_stream_id);
        put_u32(b, code.as_u32());
        put_u32(b, debug_off as u32);
        put_u32(b, debug_len as u32);
        end(b, start);
    }

    fn ping_ack(&mut self, payload: [u8; 8]) {
        let start = begin(&mut self.buf, ev::PING_ACK, 0);
        self.buf.extend_from_slice(&payload);
        end(&mut self.buf, start);
    }

    /// SETTINGS: the peer's values after applying a SETTINGS frame.
    fn settings(&mut self, s: &PeerSettings) {
        let flags = if s.enable_connect_protocol { ev_flags::CONNECT_PROTOCOL } else { 0 };
        let b = &mut self.buf;
        let start = begin(b, ev::SETTINGS, flags);
        put_u32(b, s.max_frame_size);
        put_u32(b, s.max_concurrent_streams);
        put_u32(b, s.initial_window_size);
        put_u32(b, s.max_header_list_size);
        put_u32(b, s.header_table_size);
        put_u32(b, 0);
        end(b, start);
    }

    fn settings_acked(&mut self) {
        self.empty(ev::SETTINGS_ACKED);
    }

    fn connection_error(&mut self, last_stream_id: u32, code: ErrorCode, reason: &str) {
        self.error(ev::CONNECTION_ERROR, last_stream_id, code, reason);
    }

    fn stream_error(&mut self, stream_id: u32, code: ErrorCode, reason: &str) {
        self.error(ev::STREAM_ERROR, stream_id, code, reason);
    }

    fn http1_detected(&mut self) {
        self.empty(ev::HTTP1_DETECTED);
    }

    fn limit(&mut self, limit: Limit, stream_id: u32) {
        self.pair(ev::LIMIT, 0, limit as u32, stream_id);
    }

    fn drained(&mut self) {
        self.empty(ev::DRAINED);
    }
}
