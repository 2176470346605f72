//! Times the fast path against serde_yaml_ng over every `.yaml`/`.yml` file under a directory:
//! `cargo run --release --example parse_bench -p rampart-yaml -- <dir>`.
//! Lists (up to ten) files the fast path declines and checks that both agree on the rest.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Deserialize;
use serde_json::Value;

// The allocator the rampart binary uses (both parsers spend much of their time allocating).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable directory") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

fn serde_documents(text: &str) -> Vec<Value> {
    serde_yaml_ng::Deserializer::from_str(text)
        .map(Value::deserialize)
        .collect::<Result<_, _>>()
        .unwrap_or_default()
}

/// Best of three runs of `parse` over all texts, in seconds.
fn best_of_three(texts: &[String], parse: impl Fn(&str) -> usize) -> f64 {
    (0..3)
        .map(|_| {
            let start = Instant::now();
            let docs: usize = texts.iter().map(|t| parse(t)).sum();
            std::hint::black_box(docs);
            start.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let dir = std::env::args().nth(1).expect("usage: parse_bench <dir>");
    let mut paths = Vec::new();
    yaml_files(Path::new(&dir), &mut paths);
    paths.sort();
    let texts: Vec<String> = paths
        .iter()
        .map(|p| std::fs::read_to_string(p).expect("UTF-8 file"))
        .collect();
    let bytes: usize = texts.iter().map(String::len).sum();
    let mut declined = 0;
    for (path, text) in paths.iter().zip(&texts) {
        match rampart_yaml::fast_documents(text) {
            Some(fast) => assert_eq!(fast, serde_documents(text), "{}", path.display()),
            None => {
                declined += 1;
                if declined <= 10 {
                    println!("declined: {}", path.display());
                }
            }
        }
    }
    let fast = best_of_three(&texts, |t| {
        rampart_yaml::fast_documents(t).map_or(0, |d| d.len())
    });
    let slow = best_of_three(&texts, |t| serde_documents(t).len());
    let mb = bytes as f64 / 1e6;
    println!(
        "{} files, {mb:.1} MB, {declined} declined by the fast path",
        texts.len()
    );
    println!(
        "fast path: {:.0} ms, {:.0} MB/s; serde_yaml_ng: {:.0} ms, {:.0} MB/s; {:.1}x",
        fast * 1e3,
        mb / fast,
        slow * 1e3,
        mb / slow,
        slow / fast
    );
}
