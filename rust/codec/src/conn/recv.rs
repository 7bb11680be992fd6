//! Received frames: the state-dependent rules of RFC 9113 (frame-local validation is done by
//! the frame layer).

use super::http;
use super::stream::{State, Stream, NO_CONTENT_LENGTH};
use super::{
    Cause, Connection, Events, GoAwaySent, HeadersFlags, Limit, PendingBlock, Phase, Role, GRACEFUL_PING,
};
use crate::error::{ErrorCode, H2Error};
use crate::frame::{
    self, flags, kind, Continuation, Data, Frame, FrameHeader, GoAway, Headers, Ping, RstStream, Setting,
    Settings, WindowUpdate,
};
use crate::hpack::DecoderError;

type Result = std::result::Result<(), H2Error>;

#[inline]
fn conn_err(code: ErrorCode, reason: &'static str) -> Result {
    Err(H2Error::connection(code, reason))
}

#[inline]
fn stream_err(id: u32, code: ErrorCode, reason: &'static str) -> Result {
    Err(H2Error::stream(id, code, reason))
}

/// The fields of a block that opens a stream.
#[derive(Clone, Copy)]
enum Fields<'b> {
    /// Over a header list limit: none are delivered.
    TooLarge(Limit),
    /// In `decoded`, from `block`, still to be checked; `unchanged`: decoding left the HPACK
    /// decoder as it was.
    Decoded { block: &'b [u8], unchanged: bool },
    /// In `decoded` and checked before (with this content-length): the block repeated the
    /// last one (conn/repeated.rs).
    Checked(u64),
}

/// Where a field block lands.
enum Target {
    /// A stream the peer opens with this block.
    New,
    /// A stored stream (slot index).
    Existing(usize),
    /// A closed stream.
    Closed,
}

impl<E: Events> Connection<E> {
    pub(super) fn recv_frame(&mut self, head: FrameHeader, payload: &[u8], input: &[u8]) -> Result {
        if self.phase == Phase::FirstSettings {
            // §3.4: the preface's SETTINGS comes first.
            if head.kind != kind::SETTINGS || head.flags & flags::ACK != 0 {
                return conn_err(ErrorCode::ProtocolError, "first frame is not SETTINGS");
            }
            self.phase = Phase::Open;
        }
        if let Some(p) = &self.pending {
            // §6.10 / §4.3: a field block is contiguous; anything else in between, including
            // unknown frame types (§5.5), is a connection PROTOCOL_ERROR.
            if head.kind != kind::CONTINUATION || head.stream_id != p.stream_id {
                return conn_err(ErrorCode::ProtocolError, "frame interleaved in a field block");
            }
        }
        if head.kind == kind::HEADERS {
            // Not `Frame::parse`: a self-dependency is a stream error raised only after the
            // block is decoded, to keep HPACK in step (§4.3).
            return self.recv_headers(Headers::parse(head, payload)?);
        }
        match Frame::parse(head, payload)? {
            Frame::Data(d) => self.recv_data(d, input),
            Frame::Headers(h) => self.recv_headers(h), // not reached: handled above
            // §5.3.2: priority signals are ignored; self-dependency was checked by parse.
            Frame::Priority(_) => Ok(()),
            Frame::RstStream(r) => self.recv_reset(r),
            Frame::Settings(s) => self.recv_settings(s),
            Frame::PushPromise(_) => {
                // §8.4: a client never pushes; as a client we sent ENABLE_PUSH = 0 (§6.5.2).
                conn_err(ErrorCode::ProtocolError, "PUSH_PROMISE not allowed")
            }
            Frame::Ping(p) => self.recv_ping(p),
            Frame::GoAway(g) => self.recv_goaway(g, input),
            Frame::WindowUpdate(w) => self.recv_window_update(w),
            Frame::Continuation(c) => self.recv_continuation(c),
            // §4.1, §5.5: unknown types are ignored.
            Frame::Unknown(_) => Ok(()),
        }
    }

    fn empty_frame(&mut self) -> Result {
        let c = &self.cfg;
        if self.empty_frames.hit(self.now, c.limit_window_ms, c.max_empty_frames_per_window) {
            self.limit(Limit::EmptyFrames, 0);
            return conn_err(ErrorCode::EnhanceYourCalm, "too many empty frames");
        }
        Ok(())
    }

    // ----- DATA -----

    fn recv_data(&mut self, d: Data<'_>, input: &[u8]) -> Result {
        let id = d.stream_id;
        if self.is_idle(id) && !self.ignored_by_goaway(id) {
            return conn_err(ErrorCode::ProtocolError, "DATA on idle stream");
        }
        if d.data.is_empty() && !d.end_stream {
            // Netty's empty-DATA rule: padding does not make a frame useful.
            self.empty_frame()?;
        }
        // §6.9: every DATA frame counts against the connection window, whatever its stream.
        if !self.conn_recv.recv(d.flow_len) {
            return conn_err(ErrorCode::FlowControlError, "connection flow-control window exceeded");
        }
        let Some(idx) = self.streams.index_of(id) else {
            self.release_connection(d.flow_len);
            return self.closed_stream_frame(id, kind::DATA);
        };
        let len = d.data.len() as u32;
        let s = self.streams.at(idx);
        let check = if !s.state.can_recv() {
            Err((ErrorCode::StreamClosed, "DATA on a stream the peer ended"))
        } else if !s.recv.recv(d.flow_len) {
            // §6.9.1 allows a stream error here.
            Err((ErrorCode::FlowControlError, "stream flow-control window exceeded"))
        } else if !s.headers_received {
            Err((ErrorCode::ProtocolError, "DATA before response headers"))
        } else if s.remaining_content != NO_CONTENT_LENGTH
            && (u64::from(len) > s.remaining_content
                || (d.end_stream && u64::from(len) != s.remaining_content))
        {
            // §8.1.1: malformed.
            Err((ErrorCode::ProtocolError, "DATA length does not match content-length"))
        } else {
            Ok(())
        };
        if let Err((code, reason)) = check {
            // Nothing is delivered: the connection credit comes back now.
            self.release_connection(d.flow_len);
            return stream_err(id, code, reason);
        }
        if s.remaining_content != NO_CONTENT_LENGTH {
            s.remaining_content -= u64::from(len);
        }
        let pad = d.flow_len - len;
        if pad > 0 {
            // Padding never reaches the application: return its credit at once.
            let inc = s.recv.release(pad);
            if let (Some(inc), false) = (inc, d.end_stream) {
                frame::window_update::encode(id, inc, &mut self.out);
            }
            self.release_connection(pad);
        }
        if len > 0 || d.end_stream {
            let offset = d.data.as_ptr() as usize - input.as_ptr() as usize;
            self.events.data(id, d.end_stream, offset, d.data.len());
        }
        if d.end_stream {
            self.recv_end_stream(idx, id);
        }
        Ok(())
    }

    fn recv_end_stream(&mut self, idx: usize, id: u32) {
        let s = self.streams.at(idx);
        s.state = s.state.recv_end_stream();
        if s.state == State::Closed {
            self.close_stream(id, Cause::EndStream);
        }
    }

    /// A DATA, HEADERS (after decoding) or other frame on a stream that is not stored and not
    /// idle: §5.1 "closed".
    fn closed_stream_frame(&mut self, id: u32, frame_kind: u8) -> Result {
        if self.ignored_by_goaway(id) {
            return Ok(());
        }
        match self.closed.get(id) {
            // We reset it: the peer may not have seen our RST_STREAM yet.
            Some(Cause::LocalReset) => Ok(()),
            Some(Cause::RemoteReset) => stream_err(id, ErrorCode::StreamClosed, "frame after RST_STREAM"),
            Some(Cause::EndStream) => conn_err(ErrorCode::StreamClosed, "frame on closed stream"),
            // Forgotten, or skipped when a higher id was opened (§5.1.1). A HEADERS there
            // would reopen a stream id: not increasing.
            None if frame_kind == kind::HEADERS && !self.is_local(id) => {
                conn_err(ErrorCode::ProtocolError, "stream id not greater than previous ones")
            }
            None => stream_err(id, ErrorCode::StreamClosed, "frame on closed stream"),
        }
    }

    // ----- HEADERS / CONTINUATION -----

    fn recv_headers(&mut self, h: Headers<'_>) -> Result {
        if h.fragment.is_empty() {
            self.empty_frame()?;
        }
        let self_dependent = h.priority.is_some_and(|p| p.dependency == h.stream_id);
        // Whole or in pieces, a block is bounded alike (a configured max frame size may exceed it).
        if h.fragment.len() > self.cfg.max_header_block_size as usize {
            self.limit(Limit::HeaderBlockSize, h.stream_id);
            return conn_err(ErrorCode::EnhanceYourCalm, "field block too large");
        }
        if h.end_headers {
            // The common case: decode straight from the input, no copy.
            return self.header_block(h.stream_id, h.end_stream, self_dependent, h.fragment);
        }
        self.block.clear();
        self.block.extend_from_slice(h.fragment);
        self.pending = Some(PendingBlock {
            stream_id: h.stream_id,
            end_stream: h.end_stream,
            self_dependent,
            continuations: 0,
        });
        Ok(())
    }

    fn recv_continuation(&mut self, c: Continuation<'_>) -> Result {
        let Some(p) = self.pending.as_mut() else {
            return conn_err(ErrorCode::ProtocolError, "CONTINUATION without HEADERS");
        };
        p.continuations += 1;
        if p.continuations > self.cfg.max_continuation_frames {
            self.limit(Limit::ContinuationFrames, c.stream_id);
            return conn_err(ErrorCode::EnhanceYourCalm, "too many CONTINUATION frames");
        }
        if c.fragment.is_empty() && !c.end_headers {
            self.empty_frame()?;
        }
        if self.block.len() + c.fragment.len() > self.cfg.max_header_block_size as usize {
            self.limit(Limit::HeaderBlockSize, c.stream_id);
            return conn_err(ErrorCode::EnhanceYourCalm, "field block too large");
        }
        self.block.extend_from_slice(c.fragment);
        if !c.end_headers {
            return Ok(());
        }
        let p = self.pending.take().expect("pending block");
        let mut block = std::mem::take(&mut self.block);
        let r = self.header_block(p.stream_id, p.end_stream, p.self_dependent, &block);
        block.clear();
        self.block = block;
        r
    }

    /// A complete field block for stream `id`.
    fn header_block(&mut self, id: u32, end_stream: bool, self_dependent: bool, block: &[u8]) -> Result {
        let target = if let Some(idx) = self.streams.index_of(id) {
            Target::Existing(idx)
        } else if self.is_idle(id) {
            if self.is_local(id) {
                // Even ids from a client (§5.1.1), or a response on a stream we never opened.
                return conn_err(ErrorCode::ProtocolError, "HEADERS on a stream id the peer may not open");
            }
            Target::New
        } else {
            Target::Closed
        };
        let changes = self.decoder.changes();
        if matches!(target, Target::New) {
            if let Some(content_length) = self.repeated.content_length_if_same(block, changes) {
                // `decoded` holds this block's fields, already checked (conn/repeated.rs).
                return self.open_peer_stream(
                    id,
                    end_stream,
                    self_dependent,
                    Fields::Checked(content_length),
                );
            }
        }
        // Otherwise always decode: the peer's encoder has already updated its table (§4.3).
        self.repeated.forget();
        self.decoded.clear();
        self.decodes += 1;
        let too_large = match self.decoder.decode(block, &self.hpack_limits, &mut self.decoded) {
            Ok(()) => None,
            Err(DecoderError::HeaderListTooLarge) => Some(Limit::HeaderListSize),
            Err(DecoderError::TooManyHeaders) => Some(Limit::HeaderCount),
            Err(_) => return conn_err(ErrorCode::CompressionError, "field block decoding failed"),
        };
        match target {
            Target::Closed => self.closed_stream_frame(id, kind::HEADERS),
            Target::New => {
                let fields = match too_large {
                    Some(limit) => Fields::TooLarge(limit),
                    None => Fields::Decoded { block, unchanged: self.decoder.changes() == changes },
                };
                self.open_peer_stream(id, end_stream, self_dependent, fields)
            }
            Target::Existing(idx) => self.headers_on_stream(idx, id, end_stream, self_dependent, too_large),
        }
    }

    /// A block opening stream `id`.
    fn open_peer_stream(
        &mut self,
        id: u32,
        end_stream: bool,
        self_dependent: bool,
        fields: Fields<'_>,
    ) -> Result {
        if self.role == Role::Client {
            // §8.4: servers open streams only by PUSH_PROMISE, which we disabled.
            return conn_err(ErrorCode::ProtocolError, "server-initiated stream");
        }
        self.max_peer_id = id;
        if self.ignored_by_goaway(id) {
            return Ok(());
        }
        if self_dependent {
            return stream_err(id, ErrorCode::ProtocolError, "stream depends on itself");
        }
        let per_window = self.cfg.max_streams_per_window;
        if per_window > 0 && self.streams_opened.hit(self.now, self.cfg.limit_window_ms, per_window) {
            self.limit(Limit::StreamsPerWindow, id);
            return conn_err(ErrorCode::EnhanceYourCalm, "too many streams opened");
        }
        if self.peer_active >= self.cfg.max_concurrent_streams {
            self.limit(Limit::MaxConcurrentStreams, id);
            return stream_err(id, ErrorCode::RefusedStream, "SETTINGS_MAX_CONCURRENT_STREAMS exceeded");
        }
        let too_large = matches!(fields, Fields::TooLarge(_));
        let flags = HeadersFlags { end_stream, too_large, ..HeadersFlags::default() };
        let content_length = match fields {
            Fields::TooLarge(l) => {
                // §10.5.1: the stream opens so the application can answer 431.
                self.limit(l, id);
                NO_CONTENT_LENGTH
            }
            Fields::Checked(content_length) => content_length,
            Fields::Decoded { block, unchanged } => {
                let known = &self.known_valid;
                let fields = self.decoded.iter().map(|(n, v, f)| (n, v, known.knows(f.source)));
                let m = match http::check_request(fields, false) {
                    Ok(m) => m,
                    Err(r) => return stream_err(id, ErrorCode::ProtocolError, r),
                };
                self.known_valid.learn(&self.decoded);
                if unchanged {
                    self.repeated.remember(block, self.decoder.changes(), m.content_length);
                }
                m.content_length
            }
        };
        if end_stream && content_length != NO_CONTENT_LENGTH && content_length != 0 {
            return stream_err(id, ErrorCode::ProtocolError, "content-length with no DATA");
        }
        let mut s = Stream::new(
            id,
            State::opened(false, end_stream),
            self.peer.initial_window_size,
            self.local.initial_window_size,
        );
        s.headers_received = true;
        s.remaining_content = content_length;
        self.streams.insert(s);
        self.peer_active += 1;
        let fields = if too_large { None } else { Some(&self.decoded) };
        self.events.headers(id, flags, fields, self.decodes);
        Ok(())
    }

    fn headers_on_stream(
        &mut self,
        idx: usize,
        id: u32,
        end_stream: bool,
        self_dependent: bool,
        too_large: Option<Limit>,
    ) -> Result {
        let s = self.streams.at(idx);
        if !s.state.can_recv() {
            return stream_err(id, ErrorCode::StreamClosed, "HEADERS on a stream the peer ended");
        }
        if self_dependent {
            return stream_err(id, ErrorCode::ProtocolError, "stream depends on itself");
        }
        let mut flags = HeadersFlags { end_stream, ..HeadersFlags::default() };
        let known = &self.known_valid;
        let fields = || self.decoded.iter().map(|(n, v, f)| (n, v, known.knows(f.source)));
        if s.headers_received {
            // §8.1: trailers end the stream and carry no pseudo-header fields.
            if !end_stream {
                return stream_err(id, ErrorCode::ProtocolError, "trailers without END_STREAM");
            }
            if too_large.is_none() {
                if let Err(r) = http::check_trailers(fields()) {
                    return stream_err(id, ErrorCode::ProtocolError, r);
                }
            }
            if s.remaining_content != NO_CONTENT_LENGTH && s.remaining_content != 0 {
                return stream_err(id, ErrorCode::ProtocolError, "DATA length does not match content-length");
            }
            flags.trailers = true;
        } else if too_large.is_none() {
            // Client: the response (§8.3.2).
            let m = match http::check_response(fields()) {
                Ok(m) => m,
                Err(r) => return stream_err(id, ErrorCode::ProtocolError, r),
            };
            if m.status < 200 {
                if end_stream {
                    return stream_err(id, ErrorCode::ProtocolError, "1xx response with END_STREAM");
                }
                flags.informational = true;
            } else {
                s.headers_received = true;
                // §8.1.1: HEAD responses and 204/304 declare a length but carry no body.
                let bodiless = s.head_request || m.status == 204 || m.status == 304;
                s.remaining_content = if bodiless { NO_CONTENT_LENGTH } else { m.content_length };
                if end_stream && s.remaining_content != NO_CONTENT_LENGTH && s.remaining_content != 0 {
                    return stream_err(id, ErrorCode::ProtocolError, "content-length with no DATA");
                }
            }
        } else {
            s.headers_received = true;
        }
        if let Some(l) = too_large {
            self.limit(l, id);
            flags.too_large = true;
        }
        let h = if too_large.is_some() { None } else { Some(&self.decoded) };
        self.events.headers(id, flags, h, self.decodes);
        if end_stream {
            self.recv_end_stream(idx, id);
        }
        Ok(())
    }

    // ----- RST_STREAM, WINDOW_UPDATE -----

    fn recv_reset(&mut self, r: RstStream) -> Result {
        let id = r.stream_id;
        if self.is_idle(id) {
            return conn_err(ErrorCode::ProtocolError, "RST_STREAM on idle stream");
        }
        // Rapid Reset costs the server the work it started for a request nobody waits for. A
        // reset of a stream whose response is already under way or complete (a client cancelling
        // a stream it has read enough of) ends an exchange that was served: not counted.
        let answered = match self.streams.get(id) {
            Some(s) => s.headers_sent,
            None => self.closed.get(id) == Some(Cause::EndStream),
        };
        let c = &self.cfg;
        if !answered
            && self.resets_received.hit(self.now, c.limit_window_ms, c.max_resets_received_per_window)
        {
            self.limit(Limit::ResetsReceived, id);
            return conn_err(ErrorCode::EnhanceYourCalm, "too many RST_STREAM frames");
        }
        if self.close_stream(id, Cause::RemoteReset) {
            self.events.reset(id, r.error_code, false);
        }
        Ok(())
    }

    fn recv_window_update(&mut self, w: WindowUpdate) -> Result {
        let id = w.stream_id;
        if id == 0 {
            if !self.conn_send.increase(w.increment) {
                return conn_err(ErrorCode::FlowControlError, "connection window above 2^31-1");
            }
            if self.conn_send_blocked && self.conn_send.available() > 0 {
                self.conn_send_blocked = false;
                self.events.window_opened(0, self.conn_send.available());
            }
            return Ok(());
        }
        if self.is_idle(id) {
            return conn_err(ErrorCode::ProtocolError, "WINDOW_UPDATE on idle stream");
        }
        let conn_available = self.conn_send.available();
        // Closed streams: §5.1 allows WINDOW_UPDATE for a while after we ended; ignored.
        if let Some(s) = self.streams.get_mut(id) {
            if !s.send.increase(w.increment) {
                return stream_err(id, ErrorCode::FlowControlError, "stream window above 2^31-1");
            }
            if s.send_blocked && s.state.can_send() && s.send.available() > 0 {
                s.send_blocked = false;
                let available = s.send.available().min(conn_available);
                self.events.window_opened(id, available);
            }
        }
        Ok(())
    }

    // ----- SETTINGS, PING, GOAWAY -----

    fn recv_settings(&mut self, s: Settings<'_>) -> Result {
        if s.ack {
            if self.local.ack_pending_since.take().is_some() {
                self.apply_local_settings();
                self.events.settings_acked();
            }
            return Ok(());
        }
        let c = &self.cfg;
        if self.settings_frames.hit(self.now, c.limit_window_ms, c.max_settings_per_window) {
            self.limit(Limit::SettingsPerWindow, 0);
            return conn_err(ErrorCode::EnhanceYourCalm, "too many SETTINGS frames");
        }
        if s.len() > c.max_settings_entries as usize {
            self.limit(Limit::SettingsEntries, 0);
            return conn_err(ErrorCode::EnhanceYourCalm, "too many SETTINGS entries");
        }
        for setting in s.iter() {
            match setting {
                Setting::HeaderTableSize(v) => {
                    self.peer.header_table_size = v;
                    self.encoder.set_max_table_size(v.min(self.cfg.max_encoder_table_size) as usize);
                }
                Setting::EnablePush(b) => {
                    if b && self.role == Role::Client {
                        // §6.5.2: only a client may enable push.
                        return conn_err(ErrorCode::ProtocolError, "server sent SETTINGS_ENABLE_PUSH = 1");
                    }
                    self.peer.enable_push = b;
                }
                Setting::MaxConcurrentStreams(v) => self.peer.max_concurrent_streams = v,
                Setting::InitialWindowSize(v) => self.peer_initial_window(v)?,
                Setting::MaxFrameSize(v) => self.peer.max_frame_size = v,
                Setting::MaxHeaderListSize(v) => self.peer.max_header_list_size = v,
                Setting::EnableConnectProtocol(b) => self.peer.enable_connect_protocol = b,
                Setting::Unknown(..) => {}
            }
        }
        if self.reply_allowed() {
            frame::settings::encode_ack(&mut self.out);
            self.events.settings(&self.peer);
        }
        Ok(())
    }

    /// §6.9.2: a new SETTINGS_INITIAL_WINDOW_SIZE moves every stream's send window by the
    /// difference; a window pushed above 2^31-1 is a connection FLOW_CONTROL_ERROR.
    fn peer_initial_window(&mut self, v: u32) -> Result {
        let delta = i64::from(v) - i64::from(self.peer.initial_window_size);
        self.peer.initial_window_size = v;
        if delta == 0 {
            return Ok(());
        }
        let conn_available = self.conn_send.available();
        let events = &mut self.events;
        self.streams.try_for_each(|s| {
            if !s.send.apply_delta(delta) {
                return conn_err(
                    ErrorCode::FlowControlError,
                    "SETTINGS_INITIAL_WINDOW_SIZE overflows a window",
                );
            }
            if delta > 0 && s.send_blocked && s.state.can_send() && s.send.available() > 0 {
                s.send_blocked = false;
                events.window_opened(s.id, s.send.available().min(conn_available));
            }
            Ok(())
        })
    }

    /// The peer acknowledged our SETTINGS: our receive-side values take effect.
    fn apply_local_settings(&mut self) {
        self.decoder.set_max_table_size(self.cfg.header_table_size as usize);
        let target = self.cfg.initial_stream_window;
        if target != self.local.initial_window_size {
            self.local.initial_window_size = target;
            let _ = self.streams.try_for_each(|s| {
                s.recv.set_target(target);
                Ok::<(), ()>(())
            });
        }
    }

    fn recv_ping(&mut self, p: Ping) -> Result {
        if !p.ack {
            if self.reply_allowed() {
                frame::ping::encode(true, p.payload, &mut self.out);
            }
            return Ok(());
        }
        if p.payload == GRACEFUL_PING && matches!(self.goaway_sent, GoAwaySent::Announced(_)) {
            // Graceful shutdown step 2: every stream the peer sent before our first GOAWAY
            // has now arrived; announce the real last stream id.
            self.goaway(ErrorCode::NoError, b"");
            return Ok(());
        }
        self.events.ping_ack(p.payload);
        Ok(())
    }

    fn recv_goaway(&mut self, g: GoAway<'_>, input: &[u8]) -> Result {
        let last = g.last_stream_id;
        // §6.8: a later GOAWAY may only lower the last stream id.
        self.goaway_received = Some(self.goaway_received.map_or(last, |l| l.min(last)));
        let debug_off = if g.debug_data.is_empty() {
            0
        } else {
            g.debug_data.as_ptr() as usize - input.as_ptr() as usize
        };
        self.events.goaway(last, g.error_code, debug_off, g.debug_data.len());
        // Our streams above `last` were never processed: fail them so they can be retried.
        let mut ids = std::mem::take(&mut self.ids);
        self.streams.ids_into(&mut ids);
        for &id in &ids {
            if self.is_local(id) && id > last && self.close_stream(id, Cause::LocalReset) {
                self.events.reset(id, ErrorCode::RefusedStream, true);
            }
        }
        self.ids = ids;
        self.check_drained();
        Ok(())
    }
}
