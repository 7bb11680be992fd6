//! Test tooling (feature `testing`): command buffers built the way the JVM builds them, and
//! event records decoded back into values. Allocates freely; never on a production path.

use super::layout::*;
use super::{
    begin, cmd, cmd_flags, end, ev, ev_flags, get_u16, get_u32, get_u64, put_u32, FIELD_ENTRY_LEN,
    HEADERS_FIELDS_OFFSET, RECORD_HEADER_LEN, SEGMENT_LEN,
};
use crate::conn::Segment;
use crate::error::ErrorCode;

/// Builds command buffers: what the JVM does, for Rust tests, benches and tools.
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
    /// The field set id (ABI.md).
    pub set: u32,
}

/// Iterates the event records of `buf` (see [`super::Connection::events`]). Allocates per HEADERS
/// event (the field list): for tests and tools, not the hot path.
pub fn events(buf: &[u8]) -> impl Iterator<Item = Event<'_>> + '_ {
    let mut pos = 0;
    std::iter::from_fn(move || {
        if pos + RECORD_HEADER_LEN > buf.len() {
            return None;
        }
        let kind = get_u16(buf, pos + RECORD_KIND);
        let flags = get_u16(buf, pos + RECORD_FLAGS);
        let len = get_u32(buf, pos + RECORD_LENGTH) as usize;
        let at = pos;
        pos += len.max(RECORD_HEADER_LEN);
        let u = |o: usize| get_u32(buf, at + o);
        let reason = |o: usize| {
            std::str::from_utf8(&buf[at + ERROR_REASON..at + ERROR_REASON + u(o) as usize]).unwrap_or("")
        };
        Some(match kind {
            ev::HEADERS => {
                let count = u(HEADERS_FIELD_COUNT) as usize;
                let fields = (0..count)
                    .map(|i| {
                        let e = at + HEADERS_FIELDS_OFFSET + i * FIELD_ENTRY_LEN;
                        let g = |o: usize| get_u32(buf, e + o) as usize;
                        DecodedField {
                            source: buf[e + FIELD_SOURCE],
                            never_indexed: buf[e + FIELD_FLAGS] != 0,
                            name: &buf[g(FIELD_NAME_OFFSET)..g(FIELD_NAME_OFFSET) + g(FIELD_NAME_LENGTH)],
                            value: &buf[g(FIELD_VALUE_OFFSET)..g(FIELD_VALUE_OFFSET) + g(FIELD_VALUE_LENGTH)],
                            id: get_u64(buf, e + FIELD_ID),
                            set: get_u32(buf, e + FIELD_SET),
                        }
                    })
                    .collect();
                Event::Headers { stream_id: u(HEADERS_STREAM_ID), flags, fields }
            }
            ev::DATA => Event::Data {
                stream_id: u(DATA_STREAM_ID),
                end_stream: flags & ev_flags::END_STREAM != 0,
                offset: u(DATA_OFFSET),
                len: u(DATA_LENGTH),
            },
            ev::RESET => Event::Reset {
                stream_id: u(PAIR_FIRST),
                code: ErrorCode::from_u32(u(PAIR_SECOND)),
                by_goaway: flags & ev_flags::BY_GOAWAY != 0,
            },
            ev::WINDOW_OPENED => Event::WindowOpened { stream_id: u(PAIR_FIRST), available: u(PAIR_SECOND) },
            ev::GOAWAY => Event::GoAway {
                last_stream_id: u(GOAWAY_LAST_STREAM_ID),
                code: ErrorCode::from_u32(u(GOAWAY_CODE)),
                debug_off: u(GOAWAY_DEBUG_OFFSET),
                debug_len: u(GOAWAY_DEBUG_LENGTH),
            },
            ev::PING_ACK => {
                let mut payload = [0u8; 8];
                payload.copy_from_slice(&buf[at + PING_PAYLOAD..at + PING_PAYLOAD + 8]);
                Event::PingAck { payload }
            }
            ev::SETTINGS => Event::Settings {
                max_frame_size: u(SETTINGS_MAX_FRAME_SIZE),
                max_concurrent_streams: u(SETTINGS_MAX_CONCURRENT_STREAMS),
                initial_window_size: u(SETTINGS_INITIAL_WINDOW_SIZE),
                max_header_list_size: u(SETTINGS_MAX_HEADER_LIST_SIZE),
                header_table_size: u(SETTINGS_HEADER_TABLE_SIZE),
                connect_protocol: flags & ev_flags::CONNECT_PROTOCOL != 0,
            },
            ev::SETTINGS_ACKED => Event::SettingsAcked,
            ev::CONNECTION_ERROR => Event::ConnectionError {
                last_stream_id: u(ERROR_ID),
                code: ErrorCode::from_u32(u(ERROR_CODE)),
                reason: reason(ERROR_REASON_LENGTH),
            },
            ev::STREAM_ERROR => Event::StreamError {
                stream_id: u(ERROR_ID),
                code: ErrorCode::from_u32(u(ERROR_CODE)),
                reason: reason(ERROR_REASON_LENGTH),
            },
            ev::HTTP1_DETECTED => Event::Http1Detected,
            ev::LIMIT => Event::Limit { limit: u(PAIR_FIRST), stream_id: u(PAIR_SECOND) },
            ev::DRAINED => Event::Drained,
            kind => Event::Unknown { kind },
        })
    })
}

/// Decodes segment records (16 octets each, as [`super::write_segments`] writes them).
pub fn segments(buf: &[u8]) -> impl Iterator<Item = Segment> + '_ {
    buf.chunks_exact(SEGMENT_LEN).map(|c| Segment {
        out_pos: get_u32(c, SEGMENT_OUT_POS),
        tag: get_u32(c, SEGMENT_TAG),
        payload_off: get_u32(c, SEGMENT_PAYLOAD_OFFSET),
        len: get_u32(c, SEGMENT_LENGTH),
    })
}
