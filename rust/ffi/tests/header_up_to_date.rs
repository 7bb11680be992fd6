//! `include/h2native.h` must be what cbindgen generates from `src/c_abi.rs` today.
//!
//! Regenerate with `H2NATIVE_BLESS=1 cargo test -p h2native-ffi --test header_up_to_date`.

use std::path::Path;

fn generate(dir: &Path) -> String {
    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("read cbindgen.toml");
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(dir.join("src/c_abi.rs"))
        .generate()
        .expect("cbindgen failed on src/c_abi.rs");
    let mut out = Vec::new();
    bindings.write(&mut out);
    String::from_utf8(out).expect("cbindgen wrote UTF-8")
}

#[test]
fn header_is_up_to_date() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let header = dir.join("include/h2native.h");
    let fresh = generate(dir);
    if std::env::var_os("H2NATIVE_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&header, &fresh).expect("write include/h2native.h");
        return;
    }
    let committed = std::fs::read_to_string(&header).unwrap_or_default();
    if committed != fresh {
        let first = committed.lines().zip(fresh.lines()).position(|(a, b)| a != b);
        panic!(
            "rust/ffi/include/h2native.h is out of date with src/c_abi.rs (first differing line: {}).\n\
             Regenerate it with:\n    H2NATIVE_BLESS=1 cargo test -p h2native-ffi --test header_up_to_date\n\
             and commit the result.",
            first.map_or_else(|| "at the end".to_string(), |i| (i + 1).to_string())
        );
    }
}
