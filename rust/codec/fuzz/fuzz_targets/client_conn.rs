//! A client connection that sent a gRPC request, then fed a server's SETTINGS and fuzzed peer
//! bytes, in chunks, with clock advances and commands in between (input layout:
//! `common/driver.rs`).
#![no_main]

use h2native_codec::abi::Connection;
use h2native_codec::conn::Config;
use libfuzzer_sys::fuzz_target;

#[allow(dead_code)]
#[path = "../common/driver.rs"]
mod driver;

/// An empty SETTINGS frame: the server preface.
const SERVER_SETTINGS: [u8; 9] = [0, 0, 0, 4, 0, 0, 0, 0, 0];

fuzz_target!(|data: &[u8]| {
    let mut d = driver::Driver::new(Connection::client(Config::default()), true);
    d.request();
    d.run(&SERVER_SETTINGS, data);
});
