//! The HTTP/2 connection state machine (RFC 9113), both roles, with flow control and limits.
//!
//! A [`Connection`] is fed received bytes and driven by commands; it never does I/O and never
//! reads a clock. It owns three reusable buffers the caller drains:
//!
//! - **events** ([`Connection::events`]): flat records (see [`crate::event`] and `ABI.md`)
//!   appended by [`Connection::feed`] and by commands. DATA events carry offset and length
//!   into the `input` slice of the `feed` call that produced them, so the caller reads and
//!   clears events after each `feed` ([`Connection::clear_events`]).
//! - **output** ([`Connection::output`]): frames to write to the peer, and
//! - **segments** ([`Connection::segments`]): where DATA payloads go in that output. Payloads
//!   are never copied here: a segment says "at this position of the output, write `len`
//!   octets of the payload you tagged `tag`, from `payload_off`". The caller writes the
//!   output and the payloads interleaved, then calls [`Connection::clear_output`].
//!
//! Partial input: `feed` consumes whole frames only and returns how many octets it used; the
//! caller keeps the rest and feeds it again with more bytes appended. A field block split over
//! HEADERS + CONTINUATION frames is assembled internally (one reused buffer, bounded by
//! [`Config::max_header_block_size`]), so such a block may span any number of `feed` calls.
//!
//! Received DATA must be acknowledged with [`Connection::consumed`] once the application has
//! used (or dropped) it, including data of streams that were reset afterwards: that is what
//! returns flow-control credit to the peer.

mod counts;
mod events;
mod flow;
mod http;
pub mod limits;
mod recv;
mod repeated;
mod send;
mod settings;
mod store;
mod stream;

pub use self::counts::{FrameCounts, FRAME_KINDS, FRAME_KIND_NAMES};
pub use self::events::{Events, HeadersFlags};
pub use self::limits::{Config, ConfigError, ConfigField, Limit, Unit, CONFIG_FIELDS};
pub(crate) use self::send::ReusableBlock;
pub use self::settings::PeerSettings;
pub use self::stream::State;

use self::flow::{RecvWindow, SendWindow};
use self::limits::{
    RateCounter, DEFAULT_WINDOW, GRACEFUL_PING_TIMEOUT_MS, KEEP_CAPACITY, MAX_EVENTS_PER_FEED,
};
use self::settings::LocalSettings;
use self::store::{Cause, ClosedRing, Store};
use crate::error::{ErrorCode, H2Error};
use crate::frame::{self, FrameHeader, FRAME_HEADER_LEN};
use crate::hpack;

/// The client connection preface (§3.4).
pub const PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
/// Largest stream identifier (§5.1.1).
pub const MAX_STREAM_ID: u32 = (1 << 31) - 1;
/// Payload of the PING between the two GOAWAYs of a graceful shutdown.
pub const GRACEFUL_PING: [u8; 8] = *b"h2n-shut";

/// Initial capacities of the reusable buffers, and what `trim` shrinks them back to.
const OUT_CAPACITY: usize = 4096;
const SEGS_CAPACITY: usize = 16;

/// Shrinks an empty buffer that grew past `KEEP_CAPACITY` octets back to `initial` elements.
#[inline]
fn trim<T>(buf: &mut Vec<T>, initial: usize) {
    if buf.capacity() * std::mem::size_of::<T>() > KEEP_CAPACITY && buf.is_empty() {
        *buf = Vec::with_capacity(initial);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Server,
    Client,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Server: waiting for the 24-octet client preface.
    Preface,
    /// Waiting for the peer's first frame, which must be SETTINGS (§3.4).
    FirstSettings,
    Open,
    /// A connection error was sent (or the peer speaks HTTP/1): input is ignored.
    Closed,
}

/// Our side of GOAWAY (§6.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GoAwaySent {
    No,
    /// Graceful shutdown step 1: GOAWAY(2^31-1) and a PING are out (at this time); streams
    /// still accepted until the PING's ACK or `GRACEFUL_PING_TIMEOUT_MS`.
    Announced(u64),
    /// GOAWAY with this last stream id is out: higher peer streams are ignored.
    Final(u32),
}

/// A HEADERS frame whose CONTINUATIONs are still expected.
#[derive(Debug, Clone, Copy)]
struct PendingBlock {
    stream_id: u32,
    end_stream: bool,
    self_dependent: bool,
    continuations: u32,
}

/// Why a command was not carried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The stream is closed, reset or unknown; a normal race with the peer.
    #[error("stream closed or unknown")]
    StreamGone,
    /// A new stream cannot be opened now: the peer's concurrency limit is reached, or a
    /// GOAWAY was received or sent.
    #[error("cannot open a stream now")]
    Blocked,
    /// The command is not valid in the stream's state.
    #[error("invalid command: {0}")]
    Invalid(&'static str),
    /// The connection is closed.
    #[error("connection closed")]
    Closed,
}

/// One outbound DATA payload to splice into the output: at `out_pos` of [`Connection::output`]
/// the caller writes `len` octets of the payload it tagged `tag`, from `payload_off` on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
pub struct Segment {
    pub out_pos: u32,
    pub tag: u32,
    pub payload_off: u32,
    pub len: u32,
}

/// One HTTP/2 connection, server or client. `E` receives its events ([`Events`]); the ABI's
/// writer is `crate::abi::EventWriter` (`crate::abi::Connection`).
pub struct Connection<E: Events> {
    role: Role,
    cfg: Config,
    phase: Phase,
    now: u64,
    clock_set: bool,
    last_active_at: u64,

    local: LocalSettings,
    peer: PeerSettings,

    streams: Store,
    closed: ClosedRing,
    /// Streams in the store opened by the peer / by us.
    peer_active: u32,
    local_active: u32,
    /// Highest stream id the peer opened (or tried to).
    max_peer_id: u32,
    next_local_id: u32,

    decoder: hpack::Decoder,
    encoder: hpack::Encoder,
    decoded: hpack::DecodedHeaders,
    /// Numbers the decodes that filled `decoded` (`Events::headers`).
    decodes: u64,
    /// The last request block, while `decoded` still holds its fields (conn/repeated.rs).
    repeated: repeated::RepeatedBlock,
    /// Dynamic entries already found valid (§8.2.1), so indexed fields are not scanned again.
    known_valid: http::KnownValid,
    hpack_limits: hpack::Limits,
    /// HEADERS + CONTINUATION assembly; reused, bounded by `max_header_block_size`.
    block: Vec<u8>,
    pending: Option<PendingBlock>,
    /// HPACK encoder output before framing.
    scratch: Vec<u8>,
    ids: Vec<u32>,

    conn_send: SendWindow,
    conn_send_blocked: bool,
    conn_recv: RecvWindow,

    goaway_sent: GoAwaySent,
    goaway_received: Option<u32>,
    drained_reported: bool,

    counts: FrameCounts,
    /// The client preface is at the front of `out` until the first `clear_output` (not a frame).
    preface_in_out: bool,
    events: E,
    /// The last `feed` stopped at `MAX_EVENTS_PER_FEED` with whole frames left.
    input_left: bool,
    out: Vec<u8>,
    segs: Vec<Segment>,
    /// ACKs and RST_STREAMs in `out` since the caller last drained it.
    queued_replies: u32,
    resets_received: RateCounter,
    resets_sent: RateCounter,
    empty_frames: RateCounter,
    settings_frames: RateCounter,
    streams_opened: RateCounter,
}

impl<E: Events> Connection<E> {
    /// A server connection reporting to `events`. Its SETTINGS (and connection WINDOW_UPDATE)
    /// are in the output right away: §3.4 lets the server preface go before the client's arrives.
    pub fn server_with(config: Config, events: E) -> Self {
        Self::new(Role::Server, config, events)
    }

    /// A client connection reporting to `events`: the output holds the preface, SETTINGS and
    /// WINDOW_UPDATE.
    pub fn client_with(config: Config, events: E) -> Self {
        Self::new(Role::Client, config, events)
    }

    fn new(role: Role, config: Config, events: E) -> Self {
        let cfg = config.normalized();
        let n = cfg.max_concurrent_streams.min(1024) as usize;
        let mut c = Connection {
            role,
            phase: if role == Role::Server { Phase::Preface } else { Phase::FirstSettings },
            now: 0,
            clock_set: false,
            last_active_at: 0,
            local: LocalSettings::new(),
            peer: PeerSettings::default(),
            streams: Store::with_capacity(n),
            closed: ClosedRing::new(cfg.closed_streams_remembered as usize),
            peer_active: 0,
            local_active: 0,
            max_peer_id: 0,
            next_local_id: if role == Role::Client { 1 } else { 2 },
            decoder: hpack::Decoder::new(cfg.header_table_size as usize),
            encoder: hpack::Encoder::new(),
            decoded: hpack::DecodedHeaders::default(),
            decodes: 0,
            repeated: repeated::RepeatedBlock::default(),
            known_valid: http::KnownValid::default(),
            hpack_limits: hpack::Limits {
                max_header_list_size: cfg.max_header_list_size as usize,
                max_header_count: cfg.max_header_count as usize,
            },
            block: Vec::new(),
            pending: None,
            scratch: Vec::with_capacity(256),
            ids: Vec::with_capacity(n),
            conn_send: SendWindow::new(DEFAULT_WINDOW),
            conn_send_blocked: false,
            conn_recv: RecvWindow::new(DEFAULT_WINDOW, cfg.initial_connection_window),
            goaway_sent: GoAwaySent::No,
            goaway_received: None,
            drained_reported: false,
            counts: FrameCounts::default(),
            preface_in_out: role == Role::Client,
            events,
            input_left: false,
            out: Vec::with_capacity(OUT_CAPACITY),
            segs: Vec::with_capacity(SEGS_CAPACITY),
            queued_replies: 0,
            resets_received: RateCounter::default(),
            resets_sent: RateCounter::default(),
            empty_frames: RateCounter::default(),
            settings_frames: RateCounter::default(),
            streams_opened: RateCounter::default(),
            cfg,
        };
        if role == Role::Client {
            c.out.extend_from_slice(PREFACE);
        }
        c.local.write_initial(&c.cfg, role == Role::Client, 0, &mut c.out);
        if let Some(inc) = c.conn_recv.grow_to_target() {
            frame::window_update::encode(0, inc, &mut c.out);
        }
        c
    }

    // ----- buffers -----

    /// The sink the events go to.
    #[inline]
    pub fn event_sink(&self) -> &E {
        &self.events
    }

    /// The sink the events go to: the caller takes the events from it.
    #[inline]
    pub fn event_sink_mut(&mut self) -> &mut E {
        &mut self.events
    }

    /// The last [`Connection::feed`] stopped after `MAX_EVENTS_PER_FEED` octets of events with
    /// whole frames still in its input: read the events, then feed the unconsumed rest again
    /// (without waiting for more bytes).
    #[inline]
    pub fn input_left(&self) -> bool {
        self.input_left
    }

    /// Octets to write to the peer, with DATA payloads inserted per [`Connection::segments`].
    #[inline]
    pub fn output(&self) -> &[u8] {
        &self.out
    }

    /// Where DATA payloads go into the output, in output order.
    #[inline]
    pub fn segments(&self) -> &[Segment] {
        &self.segs
    }

    /// The caller wrote the output: forget it (capacity is kept).
    #[inline]
    pub fn clear_output(&mut self) {
        let start = if std::mem::take(&mut self.preface_in_out) { PREFACE.len() } else { 0 };
        self.counts.count_sent(self.out.get(start..).unwrap_or_default());
        self.out.clear();
        self.segs.clear();
        self.queued_replies = 0;
        trim(&mut self.out, OUT_CAPACITY);
        trim(&mut self.segs, SEGS_CAPACITY);
        trim(&mut self.scratch, 0);
    }

    // ----- state -----

    /// Frames received, and sent up to the last [`Connection::clear_output`], by type.
    pub fn frame_counts(&self) -> &FrameCounts {
        &self.counts
    }

    pub fn role(&self) -> Role {
        self.role
    }

    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// A connection error was sent or received HTTP/1 was detected: write the output and
    /// close the socket.
    pub fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }

    /// GOAWAY went either way and no stream is left: write the output and close.
    pub fn is_drained(&self) -> bool {
        self.drained_reported || self.is_closed()
    }

    pub fn peer_settings(&self) -> &PeerSettings {
        &self.peer
    }

    /// Streams currently open or half-closed.
    pub fn active_streams(&self) -> usize {
        self.streams.len()
    }

    pub fn stream_state(&self, id: u32) -> Option<State> {
        self.streams.get(id).map(|s| s.state)
    }

    /// Octets of DATA that [`Connection::send_data`] would accept on `id` now.
    pub fn send_capacity(&self, id: u32) -> u32 {
        match self.streams.get(id) {
            Some(s) if s.state.can_send() => s.send.available().min(self.conn_send.available()),
            _ => 0,
        }
    }

    /// The connection-level send window (may be inspected by tests; never above 2^31-1).
    pub fn connection_send_window(&self) -> i64 {
        self.conn_send.get()
    }

    /// The connection-level receive window: what the peer may still send.
    pub fn connection_recv_window(&self) -> i64 {
        self.conn_recv.window()
    }

    /// A stream's (send, receive) windows.
    pub fn stream_windows(&self, id: u32) -> Option<(i64, i64)> {
        self.streams.get(id).map(|s| (s.send.get(), s.recv.window()))
    }

    /// Capacity of the reusable buffers (events, output, segments, header block), to check
    /// that memory stays bounded.
    pub fn buffer_capacities(&self) -> [usize; 6] {
        [
            self.out.capacity(),
            self.segs.capacity() * std::mem::size_of::<Segment>(),
            self.block.capacity(),
            self.decoded.capacity(),
            self.decoder.scratch_capacity(),
            self.scratch.capacity(),
        ]
    }

    // ----- clock -----

    /// Tells the connection the caller's time in milliseconds (any monotonic origin). Drives
    /// the per-window limits and the SETTINGS and idle timeouts, which are checked here.
    pub fn set_now(&mut self, now_ms: u64) {
        if !self.clock_set {
            // Rebase everything stamped before the caller's clock was known.
            self.clock_set = true;
            self.last_active_at = now_ms;
            if self.local.ack_pending_since.is_some() {
                self.local.ack_pending_since = Some(now_ms);
            }
        }
        self.now = now_ms;
        if self.phase == Phase::Closed {
            return;
        }
        if let Some(since) = self.local.ack_pending_since {
            let t = self.cfg.settings_timeout_ms;
            if t > 0 && now_ms.saturating_sub(since) > t {
                self.limit(Limit::SettingsTimeout, 0);
                self.connection_error(ErrorCode::SettingsTimeout, "SETTINGS not acknowledged in time");
                return;
            }
        }
        if let GoAwaySent::Announced(at) = self.goaway_sent {
            if now_ms.saturating_sub(at) >= GRACEFUL_PING_TIMEOUT_MS {
                // A peer that does not answer our PING: announce the real last stream now.
                self.goaway(ErrorCode::NoError, b"");
            }
        }
        let idle = self.cfg.idle_timeout_ms;
        if idle > 0
            && self.streams.is_empty()
            && self.goaway_sent == GoAwaySent::No
            && now_ms.saturating_sub(self.last_active_at) > idle
        {
            self.limit(Limit::IdleTimeout, 0);
            self.goaway(ErrorCode::NoError, b"idle timeout");
        }
    }

    // ----- input -----

    /// Processes every complete frame at the front of `input`; returns the octets consumed.
    /// The unconsumed tail (a partial frame) must be fed again with more bytes appended.
    /// Once the connection is closed, all input is consumed and ignored.
    pub fn feed(&mut self, input: &[u8]) -> usize {
        let mut pos = 0;
        if self.phase == Phase::Preface {
            match self.read_preface(input) {
                Some(n) => pos = n,
                None => return if self.phase == Phase::Closed { input.len() } else { 0 },
            }
        }
        let events_at_start = self.events.written();
        self.input_left = false;
        while self.phase != Phase::Closed {
            let buf = &input[pos..];
            let Some(head) = FrameHeader::parse(buf) else { break };
            if self.events.written() - events_at_start >= MAX_EVENTS_PER_FEED {
                // The rest waits for the caller to take these events (limits.rs).
                self.input_left = true;
                break;
            }
            if head.length > self.cfg.max_frame_size {
                // §4.2; reported from the header alone so we never buffer an oversize frame.
                self.connection_error(ErrorCode::FrameSizeError, "frame larger than SETTINGS_MAX_FRAME_SIZE");
                break;
            }
            let end = FRAME_HEADER_LEN + head.length as usize;
            let Some(payload) = buf.get(FRAME_HEADER_LEN..end) else { break };
            pos += end;
            self.last_active_at = self.now;
            self.counts.count_received(head.kind);
            if let Err(e) = self.recv_frame(head, payload, input) {
                self.on_error(e);
            }
        }
        self.trim_decode_buffers();
        if self.phase == Phase::Closed {
            self.input_left = false;
            input.len()
        } else {
            pos
        }
    }

    /// After a burst, gives back what the field-block buffers grew to (limits.rs,
    /// `KEEP_CAPACITY`); a block still being assembled keeps its buffer.
    fn trim_decode_buffers(&mut self) {
        if self.pending.is_none() {
            trim(&mut self.block, 0);
        }
        self.decoded.trim(KEEP_CAPACITY);
        self.decoder.trim_scratch(KEEP_CAPACITY);
    }

    /// Server: checks the client preface. `Some(24)` once it is all in and correct, `None`
    /// when more bytes are needed or the connection was closed.
    fn read_preface(&mut self, input: &[u8]) -> Option<usize> {
        let n = input.len().min(PREFACE.len());
        if input[..n] == PREFACE[..n] {
            if n < PREFACE.len() {
                return None;
            }
            self.phase = Phase::FirstSettings;
            return Some(PREFACE.len());
        }
        match looks_like_http1(input) {
            None => None,
            Some(true) => {
                self.events.http1_detected();
                self.phase = Phase::Closed;
                None
            }
            Some(false) => {
                self.connection_error(ErrorCode::ProtocolError, "invalid connection preface");
                None
            }
        }
    }

    // ----- errors and bookkeeping shared by recv and send -----

    fn on_error(&mut self, e: H2Error) {
        match e {
            H2Error::Connection { code, reason } => self.connection_error(code, reason),
            H2Error::Stream { stream_id, code, reason } => self.stream_error(stream_id, code, reason),
        }
    }

    /// §5.4.1: GOAWAY with the last peer stream we processed, then nothing more.
    fn connection_error(&mut self, code: ErrorCode, reason: &'static str) {
        if self.phase == Phase::Closed {
            return;
        }
        let last = self.last_processed();
        frame::goaway::encode(last, code, reason.as_bytes(), &mut self.out);
        self.events.connection_error(last, code, reason);
        self.phase = Phase::Closed;
        self.pending = None;
    }

    /// §5.4.2: RST_STREAM provoked by the peer. Counted against MadeYouReset.
    /// The limits are counted before the RST_STREAM is written: the one over a limit is not
    /// sent, the GOAWAY is.
    fn stream_error(&mut self, id: u32, code: ErrorCode, reason: &'static str) {
        if self.resets_sent.hit(self.now, self.cfg.limit_window_ms, self.cfg.max_resets_sent_per_window) {
            self.limit(Limit::ResetsSent, id);
            self.connection_error(ErrorCode::EnhanceYourCalm, "too many stream errors provoked");
            return;
        }
        if !self.reply_allowed() {
            return;
        }
        frame::rst_stream::encode(id, code, &mut self.out);
        self.events.stream_error(id, code, reason);
        if !self.close_stream(id, Cause::LocalReset) {
            self.closed.push(id, Cause::LocalReset);
        }
    }

    /// Counts one more ACK or RST_STREAM about to wait in the output; over the limit, ends the
    /// connection instead (GOAWAY) and returns false: the caller writes nothing.
    fn reply_allowed(&mut self) -> bool {
        self.queued_replies += 1;
        if self.queued_replies > self.cfg.max_queued_control_replies {
            self.limit(Limit::QueuedControlReplies, 0);
            self.connection_error(ErrorCode::EnhanceYourCalm, "too many control frames queued");
            return false;
        }
        true
    }

    fn limit(&mut self, limit: Limit, stream_id: u32) {
        self.events.limit(limit, stream_id);
    }

    /// The last stream id to put in a GOAWAY we send.
    fn last_processed(&self) -> u32 {
        match self.goaway_sent {
            GoAwaySent::Final(last) => last.min(self.max_peer_id),
            _ => self.max_peer_id,
        }
    }

    /// Is `id` of a stream we initiate?
    #[inline]
    fn is_local(&self, id: u32) -> bool {
        (id & 1 == 1) == (self.role == Role::Client)
    }

    /// §5.1.1: ids above every one used by their initiator are idle.
    #[inline]
    fn is_idle(&self, id: u32) -> bool {
        if self.is_local(id) {
            id >= self.next_local_id
        } else {
            id > self.max_peer_id
        }
    }

    /// Peer streams above the last id of our final GOAWAY are ignored (§6.8).
    #[inline]
    fn ignored_by_goaway(&self, id: u32) -> bool {
        matches!(self.goaway_sent, GoAwaySent::Final(last) if id > last && !self.is_local(id))
    }

    /// Removes a stored stream; false if it was not stored.
    fn close_stream(&mut self, id: u32, cause: Cause) -> bool {
        if self.streams.remove(id).is_none() {
            return false;
        }
        if self.is_local(id) {
            self.local_active -= 1;
        } else {
            self.peer_active -= 1;
        }
        self.closed.push(id, cause);
        // Idle time counts from the last stream's end, not its last frame.
        self.last_active_at = self.now;
        self.check_drained();
        true
    }

    fn check_drained(&mut self) {
        let going_away = matches!(self.goaway_sent, GoAwaySent::Final(_)) || self.goaway_received.is_some();
        if going_away && self.streams.is_empty() && !self.drained_reported && self.phase != Phase::Closed {
            self.drained_reported = true;
            self.events.drained();
        }
    }

    /// Returns connection-level credit for `n` received octets that were consumed or dropped.
    fn release_connection(&mut self, n: u32) {
        if let Some(inc) = self.conn_recv.release(n) {
            frame::window_update::encode(0, inc, &mut self.out);
        }
    }
}

/// `Some(true)`: the bytes start like an HTTP/1.x request line (a standard method, RFC 9110
/// §9, then SP); `Some(false)`: they do not; `None`: too few bytes to tell. Other garbage is a
/// damaged preface, answered with GOAWAY (h2spec 3.5 sends "INVALID CONNECTION PREFACE").
fn looks_like_http1(input: &[u8]) -> Option<bool> {
    const METHODS: [&[u8]; 9] =
        [b"GET ", b"HEAD ", b"POST ", b"PUT ", b"DELETE ", b"CONNECT ", b"OPTIONS ", b"TRACE ", b"PATCH "];
    if METHODS.iter().any(|m| input.starts_with(m)) {
        Some(true)
    } else if METHODS.iter().any(|m| m.starts_with(input)) {
        None
    } else {
        Some(false)
    }
}
