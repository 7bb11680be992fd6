//! h2native-codec: the HTTP/2 engine of h2native.
//!
//! Pure, safe Rust: no JNI, no I/O, no threads. The ffi crate drives it; the JVM never sees
//! these types directly, only the flat event/command encoding of [`event`].
#![forbid(unsafe_code)]

pub mod conn;
pub mod error;
pub mod event;
pub mod frame;
pub mod hpack;
