//! The engine's clock for JNI calls that leave the time to the library (`nowMs < 0`).
//!
//! The engine needs milliseconds for per-window limits (30 s windows) and timeouts (seconds),
//! not precision: a coarse monotonic clock (kernel tick, 1-4 ms) is read from the vDSO page
//! without a TSC read, several times cheaper than `System.currentTimeMillis()` per call.

/// Milliseconds of a monotonic clock with an arbitrary origin.
#[cfg(target_os = "linux")]
pub fn now_ms() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_MONOTONIC_COARSE exists on every Linux
    // since 2.6.32 and cannot fail with a valid pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC_COARSE, &mut ts) };
    ts.tv_sec as u64 * 1000 + ts.tv_nsec as u64 / 1_000_000
}

/// Milliseconds of a monotonic clock with an arbitrary origin.
#[cfg(not(target_os = "linux"))]
pub fn now_ms() -> u64 {
    use std::sync::OnceLock;
    use std::time::Instant;
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    ORIGIN.get_or_init(Instant::now).elapsed().as_millis() as u64
}

/// The time a JNI call runs at: the caller's `now_ms`, or the library clock when negative.
pub fn resolve(now_ms: i64) -> u64 {
    if now_ms >= 0 {
        now_ms as u64
    } else {
        self::now_ms()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn library_clock_moves_forward_in_milliseconds() {
        let a = resolve(-1);
        std::thread::sleep(std::time::Duration::from_millis(30));
        let b = resolve(-1);
        // Coarse: one kernel tick (at most 10 ms at HZ=100) of slack either way.
        assert!(b >= a + 20 && b <= a + 1000, "{a} -> {b}");
        assert_eq!(resolve(1234), 1234);
    }
}
