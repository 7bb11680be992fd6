//! h2native-codec: the HTTP/2 engine of h2native.
//!
//! Pure, safe Rust: no JNI, no I/O, no threads. `conn` is the state machine (typed events and
//! commands, no byte layout); `abi` is the one serializer of the flat encoding the ffi crate
//! hands to the JVM and to C. Dependencies point one way: `abi` -> `conn` -> `frame`, `hpack`.
#![forbid(unsafe_code)]

pub mod abi;
pub mod conn;
pub mod error;
pub mod frame;
pub mod hpack;
