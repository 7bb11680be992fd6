//! Every story of hpack-test-case (except raw-data) decodes to exactly its header lists, with
//! one decoder per story, as the encoders that produced them had one per connection.

use std::path::{Path, PathBuf};

use h2native_codec::hpack::{DecodedHeaders, Decoder, Limits};
use serde_json::Value;

fn data_dir() -> PathBuf {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/hpack-test-case"));
    assert!(
        dir.is_dir(),
        "hpack-test-case not found at {} (shared/ must sit beside the repo)",
        dir.display()
    );
    dir
}

fn hex(s: &str) -> Vec<u8> {
    assert!(s.len() % 2 == 0);
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn stories(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_str().unwrap();
            name.starts_with("story_") && name.ends_with(".json")
        })
        .collect();
    v.sort();
    v
}

/// Decodes one story; returns the number of cases, or a description of the first mismatch.
fn check_story(path: &Path) -> Result<usize, String> {
    let json: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = json["cases"].as_array().unwrap();
    let mut decoder = Decoder::new(4096);
    let mut out = DecodedHeaders::new();
    for (i, case) in cases.iter().enumerate() {
        if let Some(size) = case.get("header_table_size").and_then(Value::as_u64) {
            decoder.set_max_table_size(size as usize);
        }
        out.clear();
        decoder
            .decode(&hex(case["wire"].as_str().unwrap()), &Limits::UNLIMITED, &mut out)
            .map_err(|e| format!("case {i}: {e}"))?;
        let expected: Vec<(Vec<u8>, Vec<u8>)> = case["headers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                let (k, v) = h.as_object().unwrap().iter().next().unwrap();
                (k.as_bytes().to_vec(), v.as_str().unwrap().as_bytes().to_vec())
            })
            .collect();
        let got: Vec<(Vec<u8>, Vec<u8>)> = out.iter().map(|(n, v, _)| (n.to_vec(), v.to_vec())).collect();
        if got != expected {
            return Err(format!("case {i}: headers differ"));
        }
        let list_size: usize = expected.iter().map(|(n, v)| n.len() + v.len() + 32).sum();
        if out.list_size() != list_size {
            return Err(format!("case {i}: list_size {} != {list_size}", out.list_size()));
        }
    }
    Ok(cases.len())
}

#[test]
fn all_stories_decode() {
    let root = data_dir();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir() && p.file_name().unwrap() != "raw-data")
        .collect();
    dirs.sort();
    let (mut n_stories, mut n_cases, mut failures) = (0, 0, Vec::new());
    for dir in &dirs {
        for story in stories(dir) {
            n_stories += 1;
            match check_story(&story) {
                Ok(cases) => n_cases += cases,
                Err(e) => failures.push(format!("{}: {e}", story.display())),
            }
        }
    }
    println!("hpack-test-case: {n_stories} stories, {n_cases} cases in {} folders checked", dirs.len());
    assert!(failures.is_empty(), "{} stories failed:\n{}", failures.len(), failures.join("\n"));
    assert!(dirs.len() >= 6 && n_stories >= 180 && n_cases > 10_000, "test data incomplete");
}
