//! A server connection fed the client preface and then fuzzed peer bytes, in chunks, with
//! clock advances and commands in between (input layout: `common/driver.rs`).
#![no_main]

use h2native_codec::abi::Connection;
use h2native_codec::conn::{Config, PREFACE};
use libfuzzer_sys::fuzz_target;

#[allow(dead_code)]
#[path = "../common/driver.rs"]
mod driver;

fuzz_target!(|data: &[u8]| {
    let mut d = driver::Driver::new(Connection::server(Config::default()), false);
    d.run(PREFACE, data);
});
