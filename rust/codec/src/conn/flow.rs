//! Flow-control windows (RFC 9113 §6.9).
//!
//! Windows are kept in `i64`: a window is at most 2^31-1 but SETTINGS_INITIAL_WINDOW_SIZE
//! changes can push a send window below zero (§6.9.2), and the arithmetic must detect, not
//! wrap on, a peer's attempt to exceed 2^31-1.

use crate::frame::MAX_WINDOW_SIZE;

const MAX: i64 = MAX_WINDOW_SIZE as i64;

/// What we may still send on a stream or the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendWindow(i64);

impl SendWindow {
    pub fn new(initial: u32) -> Self {
        SendWindow(i64::from(initial))
    }

    /// Octets that may be sent now (0 while the window is negative).
    #[inline]
    pub fn available(self) -> u32 {
        self.0.clamp(0, MAX) as u32
    }

    /// The signed window, for assertions and tests.
    #[inline]
    pub fn get(self) -> i64 {
        self.0
    }

    /// WINDOW_UPDATE. False, and no change, when the window would exceed 2^31-1 (§6.9.1:
    /// FLOW_CONTROL_ERROR).
    #[inline]
    #[must_use]
    pub fn increase(&mut self, inc: u32) -> bool {
        let v = self.0 + i64::from(inc);
        if v > MAX {
            return false;
        }
        self.0 = v;
        true
    }

    /// SETTINGS_INITIAL_WINDOW_SIZE changed by `delta` (§6.9.2). False when the result
    /// exceeds 2^31-1 (a connection FLOW_CONTROL_ERROR).
    #[inline]
    #[must_use]
    pub fn apply_delta(&mut self, delta: i64) -> bool {
        let v = self.0 + delta;
        if v > MAX {
            return false;
        }
        self.0 = v;
        true
    }

    /// Octets sent. The caller never sends more than [`SendWindow::available`].
    #[inline]
    pub fn consume(&mut self, n: u32) {
        debug_assert!(i64::from(n) <= self.0.max(0));
        self.0 -= i64::from(n);
    }
}

/// What the peer may still send us, and what the application has consumed but we have not yet
/// returned with WINDOW_UPDATE.
///
/// Invariant: `window + held + unreleased == target`. Updates are batched: a WINDOW_UPDATE
/// goes out once half the target has been consumed (h2 and Netty's 0.5 ratio), not per frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecvWindow {
    window: i64,
    target: i64,
    /// Received and not yet consumed by the application.
    held: u32,
    /// Consumed by the application, not yet announced.
    unreleased: u32,
}

impl RecvWindow {
    /// `advertised` is what the peer believes now; `target` what we want it to become (the
    /// caller sends the difference as a WINDOW_UPDATE, see [`RecvWindow::grow_to_target`]).
    pub fn new(advertised: u32, target: u32) -> Self {
        RecvWindow { window: i64::from(advertised), target: i64::from(target), held: 0, unreleased: 0 }
    }

    #[inline]
    pub fn window(&self) -> i64 {
        self.window
    }

    /// A flow-controlled frame of `n` octets arrived. False when it exceeds the window (§6.9.1:
    /// FLOW_CONTROL_ERROR); then nothing is counted.
    #[inline]
    #[must_use]
    pub fn recv(&mut self, n: u32) -> bool {
        if i64::from(n) > self.window {
            return false;
        }
        self.window -= i64::from(n);
        self.held += n;
        true
    }

    /// The application consumed `n` octets (clamped to what was received). Returns the
    /// WINDOW_UPDATE increment to send, if the batch threshold is reached.
    #[inline]
    pub fn release(&mut self, n: u32) -> Option<u32> {
        let n = n.min(self.held);
        self.held -= n;
        self.unreleased += n;
        self.take_update()
    }

    #[inline]
    fn take_update(&mut self) -> Option<u32> {
        if self.unreleased == 0 || i64::from(self.unreleased) * 2 < self.target {
            return None;
        }
        let inc = self.unreleased;
        self.unreleased = 0;
        self.window += i64::from(inc);
        Some(inc)
    }

    /// Increment that brings the window from what the peer believes up to the target (used
    /// once at start for the connection window).
    pub fn grow_to_target(&mut self) -> Option<u32> {
        let missing = self.target - self.window - i64::from(self.held) - i64::from(self.unreleased);
        if missing <= 0 {
            return None;
        }
        self.window += missing;
        Some(missing as u32)
    }

    /// Our SETTINGS_INITIAL_WINDOW_SIZE took effect (ACKed): every stream's window moves by the
    /// difference (§6.9.2), possibly below zero.
    pub fn set_target(&mut self, target: u32) {
        let delta = i64::from(target) - self.target;
        self.target = i64::from(target);
        self.window += delta;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_window_overflow_and_negative() {
        let mut w = SendWindow::new(MAX_WINDOW_SIZE);
        assert!(!w.increase(1));
        assert_eq!(w.available(), MAX_WINDOW_SIZE);
        assert!(w.apply_delta(-(MAX + 10)));
        assert_eq!(w.available(), 0);
        assert_eq!(w.get(), -10);
        assert!(w.increase(15));
        assert_eq!(w.available(), 5);
    }

    #[test]
    fn recv_window_batches_updates() {
        let mut w = RecvWindow::new(100, 100);
        assert!(w.recv(60));
        assert!(!w.recv(41));
        assert_eq!(w.release(30), None);
        assert_eq!(w.release(30), Some(60));
        assert_eq!(w.window(), 100);
        // Releasing more than received is clamped.
        assert_eq!(w.release(1000), None);
        assert_eq!(w.window(), 100);
    }

    #[test]
    fn recv_window_grows_to_target() {
        let mut w = RecvWindow::new(65_535, 1 << 20);
        assert_eq!(w.grow_to_target(), Some((1 << 20) - 65_535));
        assert_eq!(w.grow_to_target(), None);
        assert_eq!(w.window(), 1 << 20);
    }
}
