//! The command decoder: applies a buffer of command records to a connection.

use super::{cmd, cmd_flags, get_u16, get_u32, layout, put_u32, status, Connection, RECORD_HEADER_LEN};
use crate::conn::SendError;
use crate::error::ErrorCode;

/// A command buffer that cannot be decoded: truncated record, bad length or unknown opcode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("malformed command record at offset {offset}: {reason}")]
pub struct AbiError {
    pub offset: usize,
    pub reason: &'static str,
}

/// Maximum fields in one HEADERS command.
const MAX_COMMAND_FIELDS: usize = 1 << 16;

/// The result status word of an error.
fn status_of(e: SendError) -> u32 {
    match e {
        SendError::StreamGone => status::STREAM_GONE,
        SendError::Blocked => status::BLOCKED,
        SendError::Invalid(_) => status::INVALID,
        SendError::Closed => status::CLOSED,
    }
}

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
                let stream_id = get_u32(rec, layout::CMD_STREAM_ID);
                let count = get_u32(rec, layout::CMD_HEADERS_FIELD_COUNT) as usize;
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
                // The record after the stream id determines the list (sent_blocks.rs).
                let key = &rec[layout::CMD_HEADERS_FIELD_COUNT..];
                let again = match conn.sent.find(key) {
                    Some(block) => conn.conn.send_headers_again(stream_id, block, end_stream),
                    None => Ok(None),
                };
                match again {
                    Ok(Some(id)) => Ok(id),
                    Ok(None) => {
                        let c = &mut conn.conn;
                        conn.sent
                            .keeping(key, |keep| c.send_headers_keeping(stream_id, fields, end_stream, keep))
                    }
                    Err(e) => Err(e),
                }
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
            Err(e) => (status_of(e), 0),
        };
        put_u32(results, st);
        put_u32(results, value);
        pos += len;
        n += 1;
    }
    Ok(n)
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
