//! # census-bench: how fast Census is, measured
//!
//! One binary per area (`core`, and later `replica`, `sync`, ...), run in release mode:
//! `cargo run --release -p census-bench --bin <area> -- [options]`. Each prints what it is doing,
//! then its figures as one JSON object on its last line, so scripts and notes can quote them.
//! Speed is measured here and never asserted in tests.

pub mod base;
pub mod manager_replica;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use census_core::{Answer, QuestionId};

/// Reads `--name value` from the command line, or `default` when it is absent.
pub fn option<T: std::str::FromStr>(name: &str, default: T) -> Result<T, String> {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|a| a == name) {
        None => Ok(default),
        Some(i) => {
            let value = args.get(i + 1).ok_or_else(|| format!("{name} needs a value"))?;
            value.parse().map_err(|_| format!("{name} {value}: not a valid value"))
        }
    }
}

/// Runs `work` once for each of `items` and returns the mean time per item in microseconds.
pub fn mean_us<I, T>(items: I, mut work: impl FnMut(I::Item) -> T) -> (f64, Vec<T>)
where
    I: ExactSizeIterator,
{
    let n = items.len().max(1);
    let started = Instant::now();
    let results: Vec<T> = items.map(&mut work).collect();
    (micros(started.elapsed()) / n as f64, results)
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Rounds to two decimals for printing.
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The `p`th percentile (0–100) of `times`, by nearest rank; 0 when there are none.
pub fn percentile_ms(times: &[f64], p: f64) -> f64 {
    let mut sorted = times.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => 0.0,
        n => sorted[((p / 100.0 * n as f64).ceil() as usize).clamp(1, n) - 1],
    }
}

/// The most memory this process has held at once (`VmHWM`), in megabytes; 0 where the system
/// does not say (only Linux does, through `/proc`).
pub fn peak_rss_mb() -> f64 {
    peak_rss_mb_of("self")
}

/// [`peak_rss_mb`] of another process, by its id.
pub fn peak_rss_mb_of(pid: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// The answers of a typical census visit (eight questions of the common types), varied by `n`.
pub fn census_answers(n: usize) -> BTreeMap<QuestionId, Answer> {
    [
        ("shop_size", Answer::Integer((n % 300) as i64 + 1)),
        ("shop_type", Answer::SelectOne("grocery".into())),
        ("brands", Answer::SelectMany(vec!["alpha".into(), "beta".into()])),
        ("owner_present", Answer::SelectOne("yes".into())),
        ("opened", Answer::Date("2019-05-01".into())),
        ("turnover", Answer::Decimal(12.5)),
        ("comment", Answer::Text("Открыт с 9 до 21, просили перезвонить".into())),
        ("phone", Answer::Phone("+7 912 345 67 89".into())),
    ]
    .into_iter()
    .map(|(id, answer)| (QuestionId::new(id).expect("a valid question id"), answer))
    .collect()
}
