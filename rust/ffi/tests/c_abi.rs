//! The C ABI seen from C: compiles `c/roundtrip.c` against `include/h2native.h` and the cdylib
//! cargo built for this test run, runs it, then runs it again under valgrind.
//!
//! Needs `gcc` and `valgrind` (`apt-get install gcc valgrind`): a missing tool fails the test,
//! it is never skipped silently.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

const SUCCESS_LINE: &str = "roundtrip: OK";

/// The directory holding `libh2native.so`: cargo builds the library (all its crate types,
/// the cdylib included) before the integration tests, next to `target/<profile>/deps/`, where
/// this test executable lives. Works for any `CARGO_TARGET_DIR` and profile. The program runs
/// with `LD_LIBRARY_PATH` pointing there too: cargo's own `LD_LIBRARY_PATH` lists
/// `target/<profile>/` first, where a `cargo build` may have left an older copy.
fn cdylib_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let deps = exe.parent().expect("test executable has a directory");
    let name = format!("{}h2native{}", std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX);
    for dir in [deps, deps.parent().unwrap_or(deps)] {
        if dir.join(&name).is_file() {
            return dir.to_path_buf();
        }
    }
    panic!("{name} not found next to {} (run `cargo build -p h2native-ffi` first)", exe.display());
}

fn run(cmd: &mut Command, what: &str, install_hint: &str) -> Output {
    match cmd.output() {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            panic!("{what} is not installed: {install_hint}")
        }
        Err(e) => panic!("cannot run {what}: {e}"),
    }
}

fn show(o: &Output) -> String {
    format!(
        "status: {}\n--- stdout\n{}--- stderr\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Compiles `c/roundtrip.c` once per test process; returns the executable.
fn roundtrip_exe() -> &'static Path {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    EXE.get_or_init(|| {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        let lib_dir = cdylib_dir();
        let exe = Path::new(env!("CARGO_TARGET_TMPDIR")).join("h2native_roundtrip");
        let o = run(
            Command::new("gcc")
                .args(["-std=c11", "-g", "-O1", "-Wall", "-Wextra", "-Werror"])
                .arg("-I")
                .arg(manifest.join("include"))
                .arg(manifest.join("c/roundtrip.c"))
                .arg("-L")
                .arg(&lib_dir)
                .arg("-lh2native")
                .arg(format!("-Wl,-rpath,{}", lib_dir.display()))
                .arg("-o")
                .arg(&exe),
            "gcc",
            "apt-get install gcc",
        );
        assert!(o.status.success(), "gcc failed on c/roundtrip.c\n{}", show(&o));
        exe
    })
}

#[test]
fn c_roundtrip_succeeds() {
    let o = run(Command::new(roundtrip_exe()).env("LD_LIBRARY_PATH", cdylib_dir()), "roundtrip", "");
    assert!(o.status.success(), "c/roundtrip.c failed\n{}", show(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains(SUCCESS_LINE), "no success line\n{}", show(&o));
}

#[test]
fn c_roundtrip_is_clean_under_valgrind() {
    let exe = roundtrip_exe();
    let o = run(
        Command::new("valgrind")
            .args(["--error-exitcode=1", "--leak-check=full", "--errors-for-leak-kinds=definite,indirect"])
            .arg(exe)
            .env("LD_LIBRARY_PATH", cdylib_dir()),
        "valgrind",
        "apt-get install valgrind (this test does not skip without it)",
    );
    assert!(o.status.success(), "valgrind reported errors or leaks (or roundtrip failed)\n{}", show(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains(SUCCESS_LINE), "no success line\n{}", show(&o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("ERROR SUMMARY: 0 errors"), "valgrind found errors\n{}", show(&o));
    assert!(
        stderr.contains("definitely lost: 0 bytes") || stderr.contains("All heap blocks were freed"),
        "{stderr}"
    );
}
