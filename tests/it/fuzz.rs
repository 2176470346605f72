//! A bounded, fixed-seed fuzz of the parsers that read untrusted pull requests: mutated
//! and adversarial YAML (aliases, nesting, duplicate keys, sizes, encodings) fed to request,
//! environment and `check` parsing. Every input must give a value or located errors — no
//! panic, no abort — and the whole run must stay in bounded memory, measured on a run of
//! this test binary as a child process.

use crate::measured::wait_measuring;
use rampart_model::{RequestContext, parse_environment, parse_request};
use std::time::{Duration, Instant};

/// Fixed seed: every run feeds the same inputs.
const SEED: u64 = 0x5eed_2804;
/// Mutated inputs per base text.
const MUTATIONS: usize = 120;
/// Generous bounds, against runaway growth (not a performance assertion).
const MAX_PER_INPUT: Duration = Duration::from_secs(10);
const MAX_RSS: u64 = 400 << 20;

const SHOP: &str = include_str!("../../examples/shop.yaml");
const PROD: &str = include_str!("../../environments/prod.yaml");
const MANIFEST: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\n  labels: {app: web}\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n        - name: web\n          image: registry.example.com/web@sha256:0000000000000000000000000000000000000000000000000000000000000000\n          args: [\"--port\", \"8080\"]\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: shop}\ndata:\n  a: |\n    multi\n    line\n";

/// xorshift64*: small, fast, the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Bytes that mean something to YAML, and some that mean trouble.
const SIGNIFICANT: &[&[u8]] = &[
    b":",
    b": ",
    b"- ",
    b"[",
    b"]",
    b"{",
    b"}",
    b",",
    b"&a ",
    b"*a",
    b"!tag ",
    b"!!binary ",
    b"|",
    b">-",
    b"#",
    b"'",
    b"\"",
    b"\\",
    b"\n",
    b"\n  ",
    b"\t",
    b"? ",
    b"---\n",
    b"...\n",
    b"%YAML 1.2\n",
    b"<<: *a\n",
    b"\r\n",
    b"\0",
    b"\xef\xbb\xbf",
    b"\xe2\x80\xa8",
    b"\xff",
    b"\xc3",
    b"~",
    b"null",
    b"0x1F",
    b"1e400",
    b".inf",
    b"=",
];

/// One mutation of `base`.
fn mutate(base: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut bytes = base.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(6) {
            0 => {
                let piece = SIGNIFICANT[rng.below(SIGNIFICANT.len())];
                bytes.splice(at..at, piece.iter().copied());
            }
            1 if !bytes.is_empty() => {
                let end = (at + rng.below(40)).min(bytes.len());
                bytes.drain(at.min(end)..end);
            }
            2 => {
                // A line repeated: duplicate keys at whatever level it sits.
                let start = bytes[..at]
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |i| i + 1);
                let end = bytes[at..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(bytes.len(), |i| at + i + 1);
                let line = bytes[start..end].to_vec();
                bytes.splice(end..end, line);
            }
            3 if !bytes.is_empty() => {
                let i = at.min(bytes.len() - 1);
                bytes[i] ^= 1 << rng.below(8);
            }
            4 => bytes.truncate(at),
            _ => {
                let end = (at + rng.below(60)).min(bytes.len());
                let span = bytes[at.min(end)..end].to_vec();
                let times = 1 + rng.below(50);
                bytes.splice(at..at, span.repeat(times));
            }
        }
    }
    bytes
}

/// Inputs built to hurt: alias bombs, deep nesting, duplicates, sizes, encodings.
fn adversarial() -> Vec<Vec<u8>> {
    let mut laughs = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..12 {
        let refs = vec![format!("*a{}", i - 1); 9].join(", ");
        laughs.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    let big = "x".repeat(700 << 10);
    let aliases: String = (0..300).map(|i| format!("  k{i}: *big\n")).collect();
    let mut utf16 = vec![0xff, 0xfe];
    utf16.extend(SHOP.encode_utf16().flat_map(u16::to_le_bytes));
    vec![
        laughs.into_bytes(),
        format!("{SHOP}x: &big {big}\nquota:\n{aliases}").into_bytes(),
        format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes(),
        format!("{}1{}", "{a: ".repeat(50_000), "}".repeat(50_000)).into_bytes(),
        (0..200)
            .map(|d| format!("{}a:\n", "  ".repeat(d)))
            .collect::<String>()
            .into_bytes(),
        (0..10_000)
            .map(|d| format!("{}- \n", " ".repeat(d % 300)))
            .collect::<String>()
            .into_bytes(),
        format!("{SHOP}labels: {{a: 1, a: 2}}\n").into_bytes(),
        format!("{SHOP}quota:\n  pods: \"1\"\n  pods: \"2\"\n").into_bytes(),
        format!("{SHOP}description: {}\n", "d".repeat(2 << 20)).into_bytes(),
        format!("description: \"{}\n", "\\u0041".repeat(200_000)).into_bytes(),
        format!("{}\n", "a: b\n---\n".repeat(50_000)).into_bytes(),
        utf16,
        b"\xff\xfe\x00\x00garbage\xc3\x28".to_vec(),
        SHOP.replace('\n', "\r\n").into_bytes(),
        SHOP.replace("  ", "\t").into_bytes(),
        vec![b'\n'; 1 << 20],
        Vec::new(),
    ]
}

/// Feeds `bytes` to every parser; a panic fails the test. Errors must be located in the
/// input (line 1 up to one past its last line).
fn feed(bytes: &[u8], what: &str) {
    let started = Instant::now();
    let lines = 2 + bytes.iter().filter(|&&b| b == b'\n').count();
    let located = |file: &str, d: &rampart_model::Diagnostics| {
        for diagnostic in &d.0 {
            assert!(
                diagnostic.file == file && (1..=lines).contains(&diagnostic.line),
                "{what}: {diagnostic} is not located in the input ({lines} lines)"
            );
        }
    };
    let text = match rampart_model::load::utf8_text("specs/shop.yaml", bytes) {
        Ok(text) => Some(text),
        Err(d) => {
            located("specs/shop.yaml", &d);
            None
        }
    };
    if let Some(text) = text {
        let ctx = RequestContext {
            file_stem: "shop",
            required_labels: &[],
            environments: &[],
            delivery_mode: Default::default(),
        };
        if let Err(d) = parse_request("specs/shop.yaml", text, &ctx) {
            located("specs/shop.yaml", &d);
        }
        if let Err(d) = parse_environment("environments/prod.yaml", text, "prod") {
            located("environments/prod.yaml", &d);
        }
    }
    let (_, errors) = rampart_policy::parse_documents("in.yaml", bytes);
    for error in errors {
        let shown = error.to_string();
        let line: usize = shown
            .split(':')
            .nth(1)
            .and_then(|l| l.parse().ok())
            .unwrap_or_else(|| panic!("{what}: {shown} names no line"));
        assert!(
            (1..=lines).contains(&line),
            "{what}: {shown} is outside the input"
        );
    }
    assert!(
        started.elapsed() < MAX_PER_INPUT,
        "{what}: took {:?}",
        started.elapsed()
    );
}

#[test]
fn parsers_never_panic_on_mutated_and_adversarial_yaml() {
    let mut rng = Rng(SEED);
    for (name, base) in [("shop", SHOP), ("prod", PROD), ("manifest", MANIFEST)] {
        for i in 0..MUTATIONS {
            let input = mutate(base.as_bytes(), &mut rng);
            feed(&input, &format!("{name} mutation {i}"));
        }
    }
    for (i, input) in adversarial().iter().enumerate() {
        feed(input, &format!("adversarial input {i}"));
    }
}

/// The fuzz above, run as a child process of this test binary so that its peak memory is
/// its own: no abort (out of memory ends in SIGABRT) and bounded memory.
#[test]
fn the_fuzz_runs_in_bounded_memory_without_abort() {
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "fuzz::parsers_never_panic_on_mutated_and_adversarial_yaml",
            "--exact",
            "--test-threads",
            "1",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default());
    let (code, max_rss) = wait_measuring(&mut child);
    let stderr = reader.join().unwrap();
    assert_eq!(code, 0, "the fuzz failed or aborted:\n{stderr}");
    assert!(
        max_rss <= MAX_RSS,
        "the fuzz peaked at {} MB (bound {} MB)",
        max_rss >> 20,
        MAX_RSS >> 20
    );
}
