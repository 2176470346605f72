//! Prints the connectivity of a directory of Kubernetes manifests.
//!
//! ```text
//! cargo run -p rampart-network --example netmap -- [--pairs] [--peers] <dir-or-file>
//! ```
//!
//! Default: every allowed flow (`shop/api → shop/db 5432/TCP`, outside addresses as
//! CIDRs). `--pairs`: one comparison line per flow (`shop/api => shop/db : TCP 5432`,
//! `shop/api => 10.0.0.0/16 : TCP 443`), as `scripts/compare-nca.sh` reads them. `--peers`:
//! add representative pods for the peers the policies name first.

mod load;

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let (mut pairs, mut peers, mut path) = (false, false, None);
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--pairs" => pairs = true,
            "--peers" => peers = true,
            _ if path.is_none() && !arg.starts_with('-') => path = Some(PathBuf::from(arg)),
            _ => {
                return Err(format!(
                    "unexpected argument `{arg}`; usage: netmap [--pairs] [--peers] <dir-or-file>"
                ));
            }
        }
    }
    let path = path.ok_or("usage: netmap [--pairs] [--peers] <dir-or-file>")?;
    let mut net = load::load(&path)?;
    if peers {
        net.add_policy_peers();
    }
    let lines: Vec<String> = if pairs {
        load::comparison_lines(&net)
    } else {
        net.flows()
            .flows()
            .iter()
            .map(ToString::to_string)
            .collect()
    };
    for line in lines {
        println!("{line}");
    }
    Ok(())
}
