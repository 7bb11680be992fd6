//! libh2native: the JNI and C boundary over h2native-codec.
//!
//! This crate makes no protocol decisions: it moves primitives and buffer addresses across the
//! boundary, catches panics (a panic unwinding across `extern` would abort the JVM) and turns
//! errors into Java exceptions or C error codes.

#![deny(clippy::undocumented_unsafe_blocks)]

pub mod alloc;
pub mod c_abi;
pub mod clock;
pub mod jni;
pub mod session;

/// The version of the flat binary format shared with the JVM (defined once, by the codec that
/// implements it). The JVM loader refuses a library whose version differs from the one it was
/// built for (`h2native.impl.NativeLibrary.AbiVersion`).
pub use h2native_codec::abi::ABI_VERSION;

/// FNV-1a (64 bit) of a byte slice: the probe the loader's round-trip test computes on both
/// sides of the boundary to prove that bytes cross intact.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a64_matches_reference_vectors() {
        // Vectors from the FNV reference (draft-eastlake-fnv).
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    /// Runs every other unit test of this crate (the C ABI with its garbage handles, double
    /// frees and contained panics; the session's block overflow; the allocator) again, in a
    /// child process under valgrind: the unsafe code must be clean, not merely pass.
    /// A missing valgrind fails the test (`apt-get install valgrind`); it never skips.
    #[test]
    fn unit_tests_are_clean_under_valgrind() {
        use std::process::Command;
        const CHILD: &str = "H2NATIVE_UNDER_VALGRIND";
        if std::env::var_os(CHILD).is_some() {
            return; // the child run: this test itself has nothing to check
        }
        let exe = std::env::current_exe().expect("current_exe");
        let o = Command::new("valgrind")
            .args(["--error-exitcode=1", "--leak-check=full", "--errors-for-leak-kinds=definite,indirect"])
            .arg(&exe)
            .args(["--test-threads=1", "--skip", "unit_tests_are_clean_under_valgrind"])
            .env(CHILD, "1")
            .env("RUST_BACKTRACE", "0")
            .output()
            .unwrap_or_else(|e| panic!("cannot run valgrind ({e}): apt-get install valgrind"));
        let stdout = String::from_utf8_lossy(&o.stdout);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "valgrind or a test failed\n--- stdout\n{stdout}--- stderr\n{stderr}");
        assert!(stdout.contains("test result: ok."), "{stdout}");
        assert!(stderr.contains("ERROR SUMMARY: 0 errors"), "{stderr}");
    }
}
