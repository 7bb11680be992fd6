//! One stream's state (RFC 9113 §5.1) and windows.
//!
//! Only non-idle, non-closed streams are stored: "idle" is implied by a stream identifier
//! above the highest one used (§5.1.1), "closed" by its absence from the store (plus the
//! short memory of [`super::store::ClosedRing`]). The reserved states never occur: we never
//! send PUSH_PROMISE, and as a client we advertise SETTINGS_ENABLE_PUSH = 0, so a
//! PUSH_PROMISE from the peer is a connection error before any stream is reserved.

use super::flow::{RecvWindow, SendWindow};

/// §5.1 states a stored stream can be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Open,
    /// We sent END_STREAM; the peer may still send.
    HalfClosedLocal,
    /// The peer sent END_STREAM; we may still send.
    HalfClosedRemote,
    Closed,
}

impl State {
    /// The state right after HEADERS opened the stream (either side's).
    pub fn opened(end_stream_local: bool, end_stream_remote: bool) -> State {
        match (end_stream_local, end_stream_remote) {
            (false, false) => State::Open,
            (true, false) => State::HalfClosedLocal,
            (false, true) => State::HalfClosedRemote,
            (true, true) => State::Closed,
        }
    }

    /// May the peer still send DATA or HEADERS on this stream?
    #[inline]
    pub fn can_recv(self) -> bool {
        matches!(self, State::Open | State::HalfClosedLocal)
    }

    /// May we still send DATA or HEADERS on this stream?
    #[inline]
    pub fn can_send(self) -> bool {
        matches!(self, State::Open | State::HalfClosedRemote)
    }

    /// The peer's END_STREAM arrived.
    #[inline]
    pub fn recv_end_stream(self) -> State {
        match self {
            State::Open => State::HalfClosedRemote,
            State::HalfClosedLocal => State::Closed,
            s => s,
        }
    }

    /// We sent END_STREAM.
    #[inline]
    pub fn send_end_stream(self) -> State {
        match self {
            State::Open => State::HalfClosedLocal,
            State::HalfClosedRemote => State::Closed,
            s => s,
        }
    }
}

/// No `content-length` was declared.
pub const NO_CONTENT_LENGTH: u64 = u64::MAX;

#[derive(Debug, Clone, Copy)]
pub struct Stream {
    pub id: u32,
    pub state: State,
    pub send: SendWindow,
    pub recv: RecvWindow,
    /// DATA octets still expected by the received `content-length` (§8.1.1), or
    /// [`NO_CONTENT_LENGTH`].
    pub remaining_content: u64,
    /// The peer's first (non-informational) header block arrived: the next one is trailers.
    pub headers_received: bool,
    /// We sent a final (non-1xx) header block: the next one is trailers.
    pub headers_sent: bool,
    /// A send was cut short by a window: tell the caller when it opens.
    pub send_blocked: bool,
    /// Client: the request was HEAD, so the response's content-length describes no body.
    pub head_request: bool,
}

impl Stream {
    pub fn new(id: u32, state: State, send_window: u32, recv_window: u32) -> Stream {
        Stream {
            id,
            state,
            send: SendWindow::new(send_window),
            recv: RecvWindow::new(recv_window, recv_window),
            remaining_content: NO_CONTENT_LENGTH,
            headers_received: false,
            headers_sent: false,
            send_blocked: false,
            head_request: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::State::*;

    #[test]
    fn transitions() {
        assert_eq!(super::State::opened(false, false), Open);
        assert_eq!(super::State::opened(false, true), HalfClosedRemote);
        assert_eq!(super::State::opened(true, false), HalfClosedLocal);
        assert_eq!(super::State::opened(true, true), Closed);
        assert_eq!(Open.recv_end_stream(), HalfClosedRemote);
        assert_eq!(Open.send_end_stream(), HalfClosedLocal);
        assert_eq!(HalfClosedRemote.send_end_stream(), Closed);
        assert_eq!(HalfClosedLocal.recv_end_stream(), Closed);
        assert!(Open.can_recv() && Open.can_send());
        assert!(!HalfClosedRemote.can_recv() && HalfClosedRemote.can_send());
        assert!(HalfClosedLocal.can_recv() && !HalfClosedLocal.can_send());
        assert!(!Closed.can_recv() && !Closed.can_send());
    }
}
