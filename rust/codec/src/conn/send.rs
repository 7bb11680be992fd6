//! Commands: what the application sends. Each appends frames to the output; DATA payloads are
//! referenced by segments, never copied.

use super::http;
use super::stream::{State, Stream};
use super::{
    Cause, Connection, Events, GoAwaySent, Phase, Role, Segment, SendError, GRACEFUL_PING, MAX_STREAM_ID,
};
use crate::error::ErrorCode;
use crate::frame;

/// A header block this connection encoded without changing its HPACK encoder. HPACK encoding
/// is a function of the list and the encoder's state, so while the encoder does not change
/// ([`crate::hpack::Encoder::changes`]) and no size update is pending, the same list encodes to
/// these octets again and they may be sent as they are. Only the connection fills one, and it
/// checks the encoder state on every use; a caller decides which lists to keep (the ABI keeps
/// the last few by their command record, `abi/sent_blocks.rs`). Invariant tests:
/// `tests/conn_repeated.rs`.
#[derive(Debug, Default)]
pub(crate) struct ReusableBlock {
    block: Vec<u8>,
    encoder_changes: u64,
    /// What `send_headers` learned from the fields: a 1xx `:status`, `:method HEAD`.
    informational: bool,
    head: bool,
    valid: bool,
}

impl ReusableBlock {
    /// Longer blocks are not kept: a response's indexed headers are a few octets.
    pub(crate) const MAX_LEN: usize = 512;

    /// Holds a block that may be sent again.
    pub(crate) fn is_kept(&self) -> bool {
        self.valid
    }

    pub(crate) fn forget(&mut self) {
        self.valid = false;
    }
}

impl<E: Events> Connection<E> {
    /// Sends a header block: a request on a new stream (client, `stream_id` 0: the next odd id
    /// is allocated and returned), a response, or trailers (a second block, which must end the
    /// stream). `fields` are `(name, value, sensitive)`; sensitive fields are never indexed.
    /// 1xx responses may precede the final one. The block is split into HEADERS +
    /// CONTINUATION by the peer's SETTINGS_MAX_FRAME_SIZE.
    pub fn send_headers<'a, I>(
        &mut self,
        stream_id: u32,
        fields: I,
        end_stream: bool,
    ) -> Result<u32, SendError>
    where
        I: IntoIterator<Item = (&'a [u8], &'a [u8], bool)>,
    {
        self.send_headers_keeping(stream_id, fields, end_stream, None)
    }

    /// [`send_headers`](Self::send_headers), and if `keep` is given and the block left the
    /// encoder unchanged, a copy of it in `keep` (else `keep` is emptied).
    pub(crate) fn send_headers_keeping<'a, I>(
        &mut self,
        stream_id: u32,
        fields: I,
        end_stream: bool,
        keep: Option<&mut ReusableBlock>,
    ) -> Result<u32, SendError>
    where
        I: IntoIterator<Item = (&'a [u8], &'a [u8], bool)>,
    {
        let idx = self.headers_stream(stream_id, end_stream)?;
        let (mut informational, mut head) = (false, false);
        // §8.2.2: connection-specific fields (and `te` other than "trailers") never go out: they
        // are removed, as an HTTP/1.x-to-HTTP/2 translation must remove them.
        let fields =
            fields.into_iter().filter(|&(n, v, _)| !http::connection_specific(n, v)).inspect(|&(n, v, _)| {
                match n {
                    b":status" => informational = v.first() == Some(&b'1'),
                    b":method" => head = v == b"HEAD",
                    _ => {}
                }
            });
        let before = (!self.encoder.update_pending()).then(|| self.encoder.changes());
        self.scratch.clear();
        self.encoder.encode(fields, &mut self.scratch);
        if let Some(keep) = keep {
            keep.valid = false;
            if before == Some(self.encoder.changes()) && self.scratch.len() <= ReusableBlock::MAX_LEN {
                keep.block.clear();
                keep.block.extend_from_slice(&self.scratch);
                keep.encoder_changes = self.encoder.changes();
                keep.informational = informational;
                keep.head = head;
                keep.valid = true;
            }
        }
        let block = std::mem::take(&mut self.scratch);
        let id = self.write_headers(idx, &block, informational, head, end_stream);
        self.scratch = block;
        Ok(id)
    }

    /// Sends `block` (kept by [`send_headers_keeping`](Self::send_headers_keeping) on this
    /// connection) as the header block of `stream_id`, if the encoder is still in the state
    /// that encoded it: the list it came from would encode to the same octets (see
    /// [`ReusableBlock`]). `Ok(None)` when it is not: encode the list again.
    pub(crate) fn send_headers_again(
        &mut self,
        stream_id: u32,
        block: &ReusableBlock,
        end_stream: bool,
    ) -> Result<Option<u32>, SendError> {
        if !block.valid || self.encoder.update_pending() || self.encoder.changes() != block.encoder_changes {
            return Ok(None);
        }
        let idx = self.headers_stream(stream_id, end_stream)?;
        Ok(Some(self.write_headers(idx, &block.block, block.informational, block.head, end_stream)))
    }

    /// The stream a header block goes on (allocated for a client's new request), if it may.
    fn headers_stream(&mut self, stream_id: u32, end_stream: bool) -> Result<usize, SendError> {
        if self.phase == Phase::Closed {
            return Err(SendError::Closed);
        }
        if stream_id == 0 {
            return self.open_local_stream();
        }
        let idx = self.streams.index_of(stream_id).ok_or(SendError::StreamGone)?;
        let s = self.streams.at(idx);
        if !s.state.can_send() {
            return Err(SendError::Invalid("stream already ended by us"));
        }
        if s.headers_sent && !end_stream {
            return Err(SendError::Invalid("trailers must end the stream"));
        }
        Ok(idx)
    }

    /// Frames `block` as stream `idx`'s HEADERS (+ CONTINUATION) and updates its state.
    fn write_headers(
        &mut self,
        idx: usize,
        block: &[u8],
        informational: bool,
        head: bool,
        end_stream: bool,
    ) -> u32 {
        let s = self.streams.at(idx);
        let id = s.id;
        if !informational {
            s.headers_sent = true;
        }
        s.head_request |= head;
        frame::headers::encode_block(id, block, end_stream, self.peer.max_frame_size, &mut self.out);
        if end_stream {
            self.send_end_stream(idx, id);
        }
        id
    }

    /// Client: allocates the next stream id.
    fn open_local_stream(&mut self) -> Result<usize, SendError> {
        if self.role != Role::Client {
            return Err(SendError::Invalid("stream id 0"));
        }
        if self.goaway_received.is_some()
            || self.goaway_sent != GoAwaySent::No
            || self.local_active >= self.peer.max_concurrent_streams
            || self.next_local_id > MAX_STREAM_ID
        {
            return Err(SendError::Blocked);
        }
        let id = self.next_local_id;
        self.next_local_id += 2;
        let s = Stream::new(id, State::Open, self.peer.initial_window_size, self.local.initial_window_size);
        self.local_active += 1;
        Ok(self.streams.insert(s))
    }

    fn send_end_stream(&mut self, idx: usize, id: u32) {
        let s = self.streams.at(idx);
        s.state = s.state.send_end_stream();
        if s.state == State::Closed {
            self.close_stream(id, Cause::EndStream);
        }
    }

    /// Sends up to `len` octets of DATA on `stream_id`, as much as both windows allow now;
    /// returns the octets accepted. The payload is not copied: segments tagged `tag` tell the
    /// caller where its bytes `[0, accepted)` go in the output. END_STREAM is set only if all
    /// `len` octets were accepted. When less was accepted, a WINDOW_OPENED event will say when
    /// to send the rest (with a new command for the remaining bytes).
    pub fn send_data(
        &mut self,
        stream_id: u32,
        len: u32,
        end_stream: bool,
        tag: u32,
    ) -> Result<u32, SendError> {
        if self.phase == Phase::Closed {
            return Err(SendError::Closed);
        }
        let idx = self.streams.index_of(stream_id).ok_or(SendError::StreamGone)?;
        let s = self.streams.at(idx);
        if !s.state.can_send() {
            return Err(SendError::Invalid("stream already ended by us"));
        }
        if !s.headers_sent {
            return Err(SendError::Invalid("DATA before HEADERS"));
        }
        let (stream_avail, conn_avail) = (s.send.available(), self.conn_send.available());
        let n = len.min(stream_avail).min(conn_avail);
        if n < len {
            s.send_blocked |= stream_avail < len;
            self.conn_send_blocked |= conn_avail < len;
        }
        let fin = end_stream && n == len;
        if n == 0 && !fin {
            return Ok(0);
        }
        s.send.consume(n);
        self.conn_send.consume(n);
        let max = self.peer.max_frame_size;
        let mut off = 0;
        loop {
            let chunk = (n - off).min(max);
            let last = off + chunk == n;
            frame::data::encode_header(stream_id, chunk, fin && last, &mut self.out);
            if chunk > 0 {
                self.segs.push(Segment { out_pos: self.out.len() as u32, tag, payload_off: off, len: chunk });
            }
            off += chunk;
            if last {
                break;
            }
        }
        if fin {
            self.send_end_stream(idx, stream_id);
        }
        Ok(n)
    }

    /// Resets a stream (RST_STREAM). Frames the peer already sent on it are ignored.
    pub fn send_reset(&mut self, stream_id: u32, code: ErrorCode) -> Result<(), SendError> {
        if self.phase == Phase::Closed {
            return Err(SendError::Closed);
        }
        if !self.close_stream(stream_id, Cause::LocalReset) {
            return Err(SendError::StreamGone);
        }
        frame::rst_stream::encode(stream_id, code, &mut self.out);
        Ok(())
    }

    /// Sends a PING; its ACK comes back as a PING_ACK event (RTT, keepalive).
    pub fn send_ping(&mut self, payload: [u8; 8]) -> Result<(), SendError> {
        if self.phase == Phase::Closed {
            return Err(SendError::Closed);
        }
        frame::ping::encode(false, payload, &mut self.out);
        Ok(())
    }

    /// Graceful shutdown. Server: GOAWAY(2^31-1, NO_ERROR) and a PING now; when the PING is
    /// acknowledged, GOAWAY with the real last stream id (so requests in flight during the
    /// first step are not lost), then a DRAINED event once every stream has finished. Client:
    /// GOAWAY(NO_ERROR) at once.
    pub fn goaway_graceful(&mut self) {
        if self.phase == Phase::Closed || self.goaway_sent != GoAwaySent::No {
            return;
        }
        if self.role == Role::Client {
            self.goaway(ErrorCode::NoError, b"");
            return;
        }
        frame::goaway::encode(MAX_STREAM_ID, ErrorCode::NoError, b"", &mut self.out);
        frame::ping::encode(false, GRACEFUL_PING, &mut self.out);
        self.goaway_sent = GoAwaySent::Announced(self.now);
    }

    /// Immediate GOAWAY with the last peer stream processed. With NO_ERROR, streams up to it
    /// finish (DRAINED event when done); with an error code the connection is closed now.
    pub fn goaway(&mut self, code: ErrorCode, debug: &[u8]) {
        if self.phase == Phase::Closed {
            return;
        }
        let last = self.last_processed();
        frame::goaway::encode(last, code, debug, &mut self.out);
        if code != ErrorCode::NoError {
            self.phase = Phase::Closed;
            self.pending = None;
            return;
        }
        self.goaway_sent = GoAwaySent::Final(last);
        self.check_drained();
    }

    /// The application consumed (or dropped) `n` octets of DATA received on `stream_id`:
    /// returns flow-control credit, batched (a WINDOW_UPDATE once half a window is due).
    /// Works for streams closed or reset since; their connection credit still comes back.
    pub fn consumed(&mut self, stream_id: u32, n: u32) {
        if self.phase == Phase::Closed {
            return;
        }
        self.release_connection(n);
        if let Some(s) = self.streams.get_mut(stream_id) {
            let inc = s.recv.release(n);
            // No update for a stream the peer has ended: it sends nothing more.
            if let (Some(inc), true) = (inc, s.state.can_recv()) {
                frame::window_update::encode(stream_id, inc, &mut self.out);
            }
        }
    }
}
