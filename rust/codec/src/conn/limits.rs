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

/// Declares [`Config`], its [`Default`] and [`CONFIG_FIELDS`] from one list: a field's type,
/// default, external name (the key under `h2native.server.http2` in the JVM's reference.conf
/// and the name `h2native_config_set` takes in C) and unit are written once, here.
macro_rules! config {
    ($($(#[doc = $doc:literal])* $field:ident: $ty:ty = $default:expr, $name:literal, $unit:ident;)*) => {
        /// Configuration of one connection. Every field has a default through [`Default`], and
        /// is reachable by its external name through [`CONFIG_FIELDS`].
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct Config {
            $($(#[doc = $doc])* pub $field: $ty,)*
        }

        impl Default for Config {
            fn default() -> Self {
                Config { $($field: $default,)* }
            }
        }

        /// Every field of [`Config`], in declaration order: its position is its id in the JVM's
        /// config record (`rust/ffi/JNI.md`); new fields are added at the end.
        pub const CONFIG_FIELDS: &[ConfigField] = &[$(ConfigField {
            name: $name,
            unit: Unit::$unit,
            default: $default as u64,
            max: <$ty>::MAX as u64,
            get: |c| c.$field as u64,
            set: |c, v| c.$field = v as $ty,
        },)*];
    };
}

/// How a [`ConfigField`]'s value is read from a configuration file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A plain number.
    Count,
    /// A size in octets (`16 KiB` in HOCON).
    Octets,
    /// A duration, in milliseconds (`30 s` in HOCON).
    Millis,
}

/// One field of [`Config`], by name.
#[derive(Clone, Copy)]
pub struct ConfigField {
    pub name: &'static str,
    pub unit: Unit,
    pub default: u64,
    /// The largest value the field holds.
    pub max: u64,
    get: fn(&Config) -> u64,
    set: fn(&mut Config, u64),
}

impl std::fmt::Debug for ConfigField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfigField").field("name", &self.name).field("unit", &self.unit).finish()
    }
}

/// A value a [`Config`] field cannot take, or a name it does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("unknown configuration field '{0}'")]
    Unknown(String),
    #[error("configuration field '{name}' = {value} is out of range (0..={max})")]
    OutOfRange { name: &'static str, value: u64, max: u64 },
}

impl ConfigField {
    pub fn get(&self, c: &Config) -> u64 {
        (self.get)(c)
    }

    /// Sets the field; a value the field cannot hold is refused, not truncated.
    pub fn set(&self, c: &mut Config, value: u64) -> Result<(), ConfigError> {
        if value > self.max {
            return Err(ConfigError::OutOfRange { name: self.name, value, max: self.max });
        }
        (self.set)(c, value);
        Ok(())
    }

    /// The field named `name`.
    pub fn by_name(name: &str) -> Result<&'static ConfigField, ConfigError> {
        CONFIG_FIELDS.iter().find(|f| f.name == name).ok_or_else(|| ConfigError::Unknown(name.to_string()))
    }
}

config! {
    /// SETTINGS_MAX_CONCURRENT_STREAMS we advertise; streams the peer opens beyond it get
    /// RST_STREAM(REFUSED_STREAM) (§5.1.2). 100: RFC 9113 §6.5.2 recommends no less, and it is
    /// nghttp2's and Netty's (grpc-java) usual server value; hyper uses 200.
    max_concurrent_streams: u32 = 100, "max-concurrent-streams", Count;
    /// SETTINGS_INITIAL_WINDOW_SIZE we advertise (receive window of each stream). 1 MiB, as
    /// grpc-java; h2 keeps the protocol's 65,535, which throttles a single large message.
    initial_stream_window: u32 = 1 << 20, "incoming-stream-level-buffer-size", Octets;
    /// Receive window of the connection, raised from 65,535 by a WINDOW_UPDATE right after our
    /// SETTINGS. 1 MiB, as grpc-java's default.
    initial_connection_window: u32 = 1 << 20, "incoming-connection-level-buffer-size", Octets;
    /// SETTINGS_MAX_FRAME_SIZE we advertise: the largest frame we accept. 16,384, the protocol
    /// default (h2, nghttp2, Netty): larger frames only raise per-frame buffering.
    max_frame_size: u32 = DEFAULT_MAX_FRAME_SIZE, "max-frame-size", Octets;
    /// SETTINGS_HEADER_TABLE_SIZE we advertise: our HPACK decoder's dynamic table. 4,096, the
    /// protocol default everyone keeps.
    header_table_size: u32 = 4_096, "header-table-size", Octets;
    /// Upper bound of the HPACK encoder's dynamic table, whatever larger value the peer allows.
    /// 4,096 like h2 and Netty: bigger tables buy little for repetitive gRPC headers.
    max_encoder_table_size: u32 = 4_096, "max-encoder-table-size", Octets;
    /// SETTINGS_MAX_HEADER_LIST_SIZE we advertise and enforce (§6.5.2 size: name + value + 32
    /// per field). 16 KiB as hyper (h2 16 MiB, Netty 8 KiB, nghttp2 64 KiB). Exceeding it on a
    /// request: the stream still opens, flagged, so the application can answer 431 (§10.5.1).
    max_header_list_size: u32 = 16 << 10, "max-header-list-size", Octets;
    /// Fields per header block. 0-length fields cost 32 octets of list size but real memory and
    /// CPU per entry; 256 caps that flood. (Netty and h2 have no such limit; pekko-http 64.)
    max_header_count: u32 = 256, "max-header-count", Count;
    /// Octets of compressed field block assembled from HEADERS + CONTINUATION. Bounds the
    /// assembly buffer (CVE-2024-27316 and the CONTINUATION flood family). 64 KiB: nghttp2's
    /// NGHTTP2_MAX_HEADERSLEN; well above `max_header_list_size` since compression shrinks.
    max_header_block_size: u32 = 64 << 10, "max-header-block-size", Octets;
    /// CONTINUATION frames after one HEADERS. 8, nghttp2's `max_continuations` default
    /// (CVE-2024-28182). Exceeding: GOAWAY(ENHANCE_YOUR_CALM).
    max_continuation_frames: u32 = 8, "max-continuation-frames", Count;
    /// Entries in one SETTINGS frame. 32, nghttp2's `max_settings` default (CVE-2023-44487's
    /// sibling: each entry costs work, the frame may be up to 16 MiB).
    max_settings_entries: u32 = 32, "max-settings-entries", Count;
    /// Non-ACK SETTINGS frames per window (each forces an ACK and possibly a window walk over
    /// every stream). 100 per window.
    max_settings_per_window: u32 = 100, "max-settings-per-window", Count;
    /// PING/SETTINGS ACKs and RST_STREAMs we owe the peer but the caller has not drained from
    /// the output yet (counted until [`crate::conn::Connection::clear_output`]): one input
    /// cannot grow our output without bound. A caller that clears the output after every call
    /// (the ffi layer does) bounds what it has not written yet itself: the JVM stage stops
    /// reading while 1 MiB of output is queued. 1,000, nghttp2's
    /// NGHTTP2_DEFAULT_MAX_OBQ_FLOOD_ITEM (Netty: 10,000).
    max_queued_control_replies: u32 = 1_000, "max-queued-control-replies", Count;
    /// RST_STREAM frames received per window (Rapid Reset, CVE-2023-44487) for streams we had
    /// not started to answer; resets after our response headers are not counted. 200 per 30 s,
    /// Netty's `decoderEnforceMaxRstFramesPerWindow` (h2 bounds pending-accept resets at 20).
    /// As in Netty, this many are allowed: the next one in the window gets
    /// GOAWAY(ENHANCE_YOUR_CALM). The same holds for every "per window" and queue limit here.
    max_resets_received_per_window: u32 = 200, "max-resets-received-per-window", Count;
    /// RST_STREAM frames the peer provokes us to send (stream errors and refusals) per window
    /// (MadeYouReset, CVE-2025-8671). 200 per 30 s like Netty's encoder limit (h2: 1,024 for the
    /// connection's lifetime).
    max_resets_sent_per_window: u32 = 200, "max-resets-sent-per-window", Count;
    /// DATA frames with no payload and no END_STREAM, and HEADERS/CONTINUATION frames with an
    /// empty fragment, per window: frames that cost work and carry nothing. 100 per window
    /// (Netty allows 2 consecutive empty DATA frames; we count all kinds in a window).
    max_empty_frames_per_window: u32 = 100, "max-empty-frames-per-window", Count;
    /// Length of a limit window, in the caller's milliseconds. 30 s, Netty's.
    limit_window_ms: u64 = 30_000, "limit-window", Millis;
    /// Closed streams remembered to tell "closed after our RST_STREAM" (ignore its in-flight
    /// frames) from "closed normally" (STREAM_CLOSED, §5.1). Fixed ring, allocated once.
    /// 128: h2 keeps 10 locally reset streams for 30 s; we remember both kinds.
    closed_streams_remembered: u32 = 128, "closed-streams-remembered", Count;
    /// Milliseconds to wait for the ACK of our SETTINGS before GOAWAY(SETTINGS_TIMEOUT)
    /// (§6.5.3). 10 s; 0 disables. Checked in `set_now`.
    settings_timeout_ms: u64 = 10_000, "settings-timeout", Millis;
    /// Milliseconds without open streams and without received frames after which the
    /// connection is closed gracefully (GOAWAY NO_ERROR). 0 (default) disables: the JVM side
    /// owns the idle policy (pekko-http's `idle-timeout`), this is for callers without one.
    idle_timeout_ms: u64 = 0, "idle-timeout", Millis;
    /// Streams the peer opens per window; 0 (default): no limit beyond `max_concurrent_streams`.
    /// A peer that opens and finishes streams faster than any client would (each one a request
    /// for the application to serve) gets GOAWAY(ENHANCE_YOUR_CALM).
    max_streams_per_window: u32 = 0, "max-streams-per-window", Count;
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
    StreamsPerWindow = 14,
}

impl Limit {
    /// Every limit, by number.
    pub const ALL: [Limit; 14] = [
        Limit::MaxConcurrentStreams,
        Limit::HeaderListSize,
        Limit::HeaderCount,
        Limit::ContinuationFrames,
        Limit::HeaderBlockSize,
        Limit::SettingsEntries,
        Limit::SettingsPerWindow,
        Limit::QueuedControlReplies,
        Limit::ResetsReceived,
        Limit::ResetsSent,
        Limit::EmptyFrames,
        Limit::SettingsTimeout,
        Limit::IdleTimeout,
        Limit::StreamsPerWindow,
    ];

    /// The [`CONFIG_FIELDS`] name of the setting that sets it.
    pub const fn name(self) -> &'static str {
        match self {
            Limit::MaxConcurrentStreams => "max-concurrent-streams",
            Limit::HeaderListSize => "max-header-list-size",
            Limit::HeaderCount => "max-header-count",
            Limit::ContinuationFrames => "max-continuation-frames",
            Limit::HeaderBlockSize => "max-header-block-size",
            Limit::SettingsEntries => "max-settings-entries",
            Limit::SettingsPerWindow => "max-settings-per-window",
            Limit::QueuedControlReplies => "max-queued-control-replies",
            Limit::ResetsReceived => "max-resets-received-per-window",
            Limit::ResetsSent => "max-resets-sent-per-window",
            Limit::EmptyFrames => "max-empty-frames-per-window",
            Limit::SettingsTimeout => "settings-timeout",
            Limit::IdleTimeout => "idle-timeout",
            Limit::StreamsPerWindow => "max-streams-per-window",
        }
    }

    /// Hitting it answers one stream (431, RST_STREAM(REFUSED_STREAM)) and the connection goes
    /// on; the others end the connection.
    pub const fn per_stream(self) -> bool {
        matches!(self, Limit::MaxConcurrentStreams | Limit::HeaderListSize | Limit::HeaderCount)
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_is_reachable_by_name_with_its_default() {
        let defaults = Config::default();
        let mut c = Config::default();
        for f in CONFIG_FIELDS {
            assert_eq!(ConfigField::by_name(f.name).unwrap().name, f.name);
            assert_eq!(f.get(&defaults), f.default, "{}", f.name);
            f.set(&mut c, f.default + 1).unwrap();
            assert_eq!(f.get(&c), f.default + 1, "{}", f.name);
        }
        assert_ne!(c, defaults);
        let names: std::collections::HashSet<_> = CONFIG_FIELDS.iter().map(|f| f.name).collect();
        assert_eq!(names.len(), CONFIG_FIELDS.len(), "names are unique");
    }

    #[test]
    fn out_of_range_values_and_unknown_names_are_refused() {
        let mut c = Config::default();
        let f = ConfigField::by_name("max-concurrent-streams").unwrap();
        assert_eq!(
            f.set(&mut c, 1 << 32),
            Err(ConfigError::OutOfRange {
                name: "max-concurrent-streams",
                value: 1 << 32,
                max: u32::MAX as u64
            })
        );
        assert_eq!(c.max_concurrent_streams, 100);
        assert!(matches!(ConfigField::by_name("max-concurent-streams"), Err(ConfigError::Unknown(_))));
    }

    #[test]
    fn every_limit_is_named_after_a_setting() {
        for (i, l) in Limit::ALL.iter().enumerate() {
            assert_eq!(*l as usize, i + 1, "numbers follow ALL");
            assert!(ConfigField::by_name(l.name()).is_ok(), "{l:?}: {}", l.name());
        }
    }
}
