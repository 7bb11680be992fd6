//! SETTINGS (RFC 9113 §6.5): the peer's values as applied, ours as sent and acknowledged.

use super::limits::{Config, DEFAULT_WINDOW};
use crate::frame::settings as frame_settings;
use crate::frame::{Setting, DEFAULT_MAX_FRAME_SIZE};

/// The peer's settings as currently in force (§6.5.2 initial values until its first SETTINGS).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerSettings {
    pub header_table_size: u32,
    pub enable_push: bool,
    /// `u32::MAX` while the peer sets no limit.
    pub max_concurrent_streams: u32,
    pub initial_window_size: u32,
    pub max_frame_size: u32,
    /// `u32::MAX` while the peer sets no limit.
    pub max_header_list_size: u32,
    pub enable_connect_protocol: bool,
}

impl Default for PeerSettings {
    fn default() -> Self {
        PeerSettings {
            header_table_size: 4_096,
            enable_push: true,
            max_concurrent_streams: u32::MAX,
            initial_window_size: DEFAULT_WINDOW,
            max_frame_size: DEFAULT_MAX_FRAME_SIZE,
            max_header_list_size: u32::MAX,
            enable_connect_protocol: false,
        }
    }
}

/// Our settings: sent once at the start; they take effect for the receive side when the
/// peer acknowledges them (§6.5.3), until then the protocol's initial values hold.
#[derive(Debug, Clone, Copy)]
pub struct LocalSettings {
    /// Receive window of new streams in force now.
    pub initial_window_size: u32,
    /// Our SETTINGS awaits its ACK since this time (caller's ms).
    pub ack_pending_since: Option<u64>,
}

impl LocalSettings {
    pub fn new() -> LocalSettings {
        LocalSettings { initial_window_size: DEFAULT_WINDOW, ack_pending_since: None }
    }

    /// Writes our initial SETTINGS frame. Only values that differ from the protocol's
    /// initial ones are sent, except MAX_CONCURRENT_STREAMS whose default is "unlimited".
    pub fn write_initial(&mut self, cfg: &Config, client: bool, now: u64, out: &mut Vec<u8>) {
        let mut s = [Setting::Unknown(0, 0); 6];
        let mut n = 0;
        let mut add = |v| {
            s[n] = v;
            n += 1;
        };
        if cfg.header_table_size != 4_096 {
            add(Setting::HeaderTableSize(cfg.header_table_size));
        }
        if client {
            // §8.4: we never accept pushes.
            add(Setting::EnablePush(false));
        }
        add(Setting::MaxConcurrentStreams(cfg.max_concurrent_streams));
        if cfg.initial_stream_window != DEFAULT_WINDOW {
            add(Setting::InitialWindowSize(cfg.initial_stream_window));
        }
        if cfg.max_frame_size != DEFAULT_MAX_FRAME_SIZE {
            add(Setting::MaxFrameSize(cfg.max_frame_size));
        }
        add(Setting::MaxHeaderListSize(cfg.max_header_list_size));
        frame_settings::encode(&s[..n], out);
        self.ack_pending_since = Some(now);
    }
}
