//! Decodes every `story_*.json` of the hpack-test-case folders given on the command line.
//!
//! `cargo run --example hpack_stories -- DIR...` prints one line per failing story and ends
//! with `N passed, M failed` (stories); the exit code is non-zero on any failure.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use h2native_codec::hpack::{DecodedHeaders, Decoder, Limits};
use serde_json::Value;

fn hex(s: &str) -> Result<Vec<u8>, String> {
    if s.len() % 2 != 0 {
        return Err("odd-length wire hex".into());
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(|e| e.to_string())).collect()
}

/// Runs one story through one decoder; `Ok(cases)` or the first problem.
fn check_story(path: &Path) -> Result<usize, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let json: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let cases = json["cases"].as_array().ok_or("no cases")?;
    let mut decoder = Decoder::new(4096);
    let mut out = DecodedHeaders::new();
    for (i, case) in cases.iter().enumerate() {
        if let Some(size) = case.get("header_table_size").and_then(Value::as_u64) {
            decoder.set_max_table_size(size as usize);
        }
        let wire = hex(case["wire"].as_str().ok_or(format!("case {i}: no wire"))?)?;
        out.clear();
        decoder.decode(&wire, &Limits::UNLIMITED, &mut out).map_err(|e| format!("case {i}: {e}"))?;
        let expected = case["headers"].as_array().ok_or(format!("case {i}: no headers"))?;
        if expected.len() != out.len() {
            return Err(format!("case {i}: {} headers, expected {}", out.len(), expected.len()));
        }
        for (j, (h, (name, value, _))) in expected.iter().zip(out.iter()).enumerate() {
            let (k, v) =
                h.as_object().and_then(|o| o.iter().next()).ok_or(format!("case {i}: bad header {j}"))?;
            if k.as_bytes() != name || v.as_str().map(str::as_bytes) != Some(value) {
                return Err(format!(
                    "case {i} header {j}: got {:?}: {:?}, expected {k:?}: {v}",
                    String::from_utf8_lossy(name),
                    String::from_utf8_lossy(value)
                ));
            }
        }
    }
    Ok(cases.len())
}

fn main() -> ExitCode {
    let dirs: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    if dirs.is_empty() {
        eprintln!("usage: hpack_stories DIR...");
        return ExitCode::from(2);
    }
    let (mut passed, mut failed, mut cases) = (0usize, 0usize, 0usize);
    for dir in &dirs {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => {
                println!("{}: {e}", dir.display());
                failed += 1;
                continue;
            }
        };
        let mut stories: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                name.starts_with("story_") && name.ends_with(".json")
            })
            .collect();
        stories.sort();
        for story in stories {
            match check_story(&story) {
                Ok(n) => {
                    passed += 1;
                    cases += n;
                }
                Err(e) => {
                    println!("FAIL {}: {e}", story.display());
                    failed += 1;
                }
            }
        }
    }
    println!("{cases} cases in passing stories");
    println!("{passed} passed, {failed} failed");
    if failed == 0 && passed > 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
