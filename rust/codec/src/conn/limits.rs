//! Every limit a connection enforces, its default, and why.
//!
//! Defaults follow what the established stacks ship (hyperium/h2, nghttp2, Netty), leaning to
//! the stricter one where they differ, since a gRPC peer never comes near any of them.
//!
//! "Per window" limits count events in a fixed time window. The codec has no clock: the caller
//! passes milliseconds of a monotonic clock with [`crate::conn::Connection::set_now`] (the ffi
//! layer does so before each native call, from the JVM's value or `CLOCK_MONOTONIC_COARSE`). A caller that never sets the time gets one window for the whole
//! connection: the limits still bound an attack, they just never reset.

use crate::frame::{DEFAULT_MAX_FRAME_SIZE, MAX_WINDOW_SIZE};

/// §6.9.2: the initial window of every stream and of the connection before any SETTINGS.
pub const DEFAULT_WINDOW: u32 = 65_535;

/// Event octets one [`crate::conn::Connection::feed`] call appends before it stops taking
/// frames. A HEADERS event is about the size of the decoded list (up to `max_header_list_size`
/// plus 32 per field), so a few octets of input that reference a large dynamic-table entry
/// cost kilobytes of events: without this bound one chunk of input could fill megabytes.
/// The rest is left unconsumed and [`crate::conn::Connection::input_left`] says so; the caller
/// reads the events and feeds the rest again. One event may cross the bound: the buffer holds
/// at most this plus one event. 32 KiB is about 80 gRPC requests' events: a large read of
/// well-behaved traffic takes a few calls, each far cheaper than the requests it carries.
pub const MAX_EVENTS_PER_FEED: usize = 32 << 10;

/// Graceful shutdown: the final GOAWAY (with the last stream processed) follows the ACK of our
/// PING, or this many milliseconds without it, so that a peer that does not answer PINGs cannot
/// keep a draining connection accepting streams. The caller must call the connection (any call
/// sets the time) while it drains: the JVM stage ticks it every half second. 2 s: many round
/// trips (grpc-java waits 10 s, well beyond the deadlines servers shut down with).
pub const GRACEFUL_PING_TIMEOUT_MS: u64 = 2_000;

/// Reusable buffers (events, output, segments, block assembly, decoded fields, HPACK scratch)
/// whose capacity grew past this are shrunk once they are empty again, so that one large burst
/// from a peer does not stay allocated for the connection's life.
pub const KEEP_CAPACITY: usize = 16 << 10;

/// Configuration of one connection. Every field has a default through [`Default`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// SETTINGS_MAX_CONCURRENT_STREAMS we advertise; streams the peer opens beyond it get
    /// RST_STREAM(REFUSED_STREAM) (§5.1.2). 100: RFC 9113 §6.5.2 recommends no less, and it is
    /// nghttp2's and Netty's (grpc-java) usual server value; hyper uses 200.
    pub max_concurrent_streams: u32,
    /// SETTINGS_INITIAL_WINDOW_SIZE we advertise (receive window of each stream). 1 MiB, as
    /// grpc-java; h2 keeps the protocol's 65,535, which throttles a single large message.
    pub initial_stream_window: u32,
    /// Receive window of the connection, raised from 65,535 by a WINDOW_UPDATE right after our
    /// SETTINGS. 1 MiB, as grpc-java's default.
    pub initial_connection_window: u32,
    /// SETTINGS_MAX_FRAME_SIZE we advertise: the largest frame we accept. 16,384, the protocol
    /// default (h2, nghttp2, Netty): larger frames only raise per-frame buffering.
    pub max_frame_size: u32,
    /// SETTINGS_HEADER_TABLE_SIZE we advertise: our HPACK decoder's dynamic table. 4,096, the
    /// protocol default everyone keeps.
    pub header_table_size: u32,
    /// Upper bound of the HPACK encoder's dynamic table, whatever larger value the peer allows.
    /// 4,096 like h2 and Netty: bigger tables buy little for repetitive gRPC headers.
    pub max_encoder_table_size: u32,
    /// SETTINGS_MAX_HEADER_LIST_SIZE we advertise and enforce (§6.5.2 size: name + value + 32
    /// per field). 16 KiB as hyper (h2 16 MiB, Netty 8 KiB, nghttp2 64 KiB). Exceeding it on a
    /// request: the stream still opens, flagged, so the application can answer 431 (§10.5.1).
    pub max_header_list_size: u32,
    /// Fields per header block. 0-length fields cost 32 octets of list size but real memory and
    /// CPU per entry; 256 caps that flood. (Netty and h2 have no such limit; pekko-http 64.)
    pub max_header_count: u32,
    /// Octets of compressed field block assembled from HEADERS + CONTINUATION. Bounds the
    /// assembly buffer (CVE-2024-27316 and the CONTINUATION flood family). 64 KiB: nghttp2's
    /// NGHTTP2_MAX_HEADERSLEN; well above `max_header_list_size` since compression shrinks.
    pub max_header_block_size: u32,
    /// CONTINUATION frames after one HEADERS. 8, nghttp2's `max_continuations` default
    /// (CVE-2024-28182). Exceeding: GOAWAY(ENHANCE_YOUR_CALM).
    pub max_continuation_frames: u32,
    /// Entries in one SETTINGS frame. 32, nghttp2's `max_settings` default (CVE-2023-44487's
    /// sibling: each entry costs work, the frame may be up to 16 MiB).
    pub max_settings_entries: u32,
    /// Non-ACK SETTINGS frames per window (each forces an ACK and possibly a window walk over
    /// every stream). 100 per window.
    pub max_settings_per_window: u32,
    /// PING/SETTINGS ACKs and RST_STREAMs we owe the peer but the caller has not drained from
    /// the output yet (counted until [`crate::conn::Connection::clear_output`]): one input
    /// cannot grow our output without bound. A caller that clears the output after every call
    /// (the ffi layer does) bounds what it has not written yet itself: the JVM stage stops
    /// reading while 1 MiB of output is queued. 1,000, nghttp2's
    /// NGHTTP2_DEFAULT_MAX_OBQ_FLOOD_ITEM (Netty: 10,000).
    pub max_queued_control_replies: u32,
    /// RST_STREAM frames received per window (Rapid Reset, CVE-2023-44487) for streams we had
    /// not started to answer; resets after our response headers are not counted. 200 per 30 s,
    /// Netty's `decoderEnforceMaxRstFramesPerWindow` (h2 bounds pending-accept resets at 20).
    /// As in Netty, this many are allowed: the next one in the window gets
    /// GOAWAY(ENHANCE_YOUR_CALM). The same holds for every "per window" and queue limit here.
    pub max_resets_received_per_window: u32,
    /// RST_STREAM frames the peer provokes us to send (stream errors and refusals) per window
    /// (MadeYouReset, CVE-2025-8671). 200 per 30 s like Netty's encoder limit (h2: 1,024 for the
    /// connection's lifetime).
    pub max_resets_sent_per_window: u32,
    /// DATA frames with no payload and no END_STREAM, and HEADERS/CONTINUATION frames with an
    /// empty fragment, per window: frames that cost work and carry nothing. 100 per window
    /// (Netty allows 2 consecutive empty DATA frames; we count all kinds in a window).
    pub max_empty_frames_per_window: u32,
    /// Length of a limit window, in the caller's milliseconds. 30 s, Netty's.
    pub limit_window_ms: u64,
    /// Closed streams remembered to tell "closed after our RST_STREAM" (ignore its in-flight
    /// frames) from "closed normally" (STREAM_CLOSED, §5.1). Fixed ring, allocated once.
    /// 128: h2 keeps 10 locally reset streams for 30 s; we remember both kinds.
    pub closed_streams_remembered: u32,
    /// Milliseconds to wait for the ACK of our SETTINGS before GOAWAY(SETTINGS_TIMEOUT)
    /// (§6.5.3). 10 s; 0 disables. Checked in `set_now`.
    pub settings_timeout_ms: u64,
    /// Milliseconds without open streams and without received frames after which the
    /// connection is closed gracefully (GOAWAY NO_ERROR). 0 (default) disables: the JVM side
    /// owns the idle policy (pekko-http's `idle-timeout`), this is for callers without one.
    pub idle_timeout_ms: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_concurrent_streams: 100,
            initial_stream_window: 1 << 20,
            initial_connection_window: 1 << 20,
            max_frame_size: DEFAULT_MAX_FRAME_SIZE,
            header_table_size: 4_096,
            max_encoder_table_size: 4_096,
            max_header_list_size: 16 << 10,
            max_header_count: 256,
            max_header_block_size: 64 << 10,
            max_continuation_frames: 8,
            max_settings_entries: 32,
            max_settings_per_window: 100,
            max_queued_control_replies: 1_000,
            max_resets_received_per_window: 200,
            max_resets_sent_per_window: 200,
            max_empty_frames_per_window: 100,
            limit_window_ms: 30_000,
            closed_streams_remembered: 128,
            settings_timeout_ms: 10_000,
            idle_timeout_ms: 0,
        }
    }
}

impl Config {
    /// Clamps values into the ranges the protocol allows, so a bad configuration degrades to
    /// the nearest legal one instead of producing invalid SETTINGS.
    pub(crate) fn normalized(mut self) -> Self {
        self.initial_stream_window = self.initial_stream_window.min(MAX_WINDOW_SIZE);
        self.initial_connection_window =
            self.initial_connection_window.clamp(DEFAULT_WINDOW, MAX_WINDOW_SIZE);
        self.max_frame_size = self.max_frame_size.clamp(DEFAULT_MAX_FRAME_SIZE, (1 << 24) - 1);
        self.closed_streams_remembered = self.closed_streams_remembered.max(1);
        self
    }
}

/// A limit that was hit, as reported in the LIMIT event (values are part of the ABI).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum Limit {
    MaxConcurrentStreams = 1,
    HeaderListSize = 2,
    HeaderCount = 3,
    ContinuationFrames = 4,
    HeaderBlockSize = 5,
    SettingsEntries = 6,
    SettingsPerWindow = 7,
    QueuedControlReplies = 8,
    ResetsReceived = 9,
    ResetsSent = 10,
    EmptyFrames = 11,
    SettingsTimeout = 12,
    IdleTimeout = 13,
}

/// Counts events in fixed windows of the caller's clock.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RateCounter {
    window_start: u64,
    count: u32,
}

impl RateCounter {
    /// Counts one event at `now`; true when the count in the current window exceeds `max`.
    #[inline]
    pub(crate) fn hit(&mut self, now: u64, window_ms: u64, max: u32) -> bool {
        if now.saturating_sub(self.window_start) >= window_ms {
            self.window_start = now;
            self.count = 0;
        }
        self.count = self.count.saturating_add(1);
        self.count > max
    }
}
