//! The device replica at scale: fill a replica file with `--prospects` prospects (100,000 by
//! default), each created and given a census visit through the replica's own operations, then
//! measure what a field agent waits for: recording a visit, full-text search, a filtered list page,
//! nearby prospects, and opening the replica; with peak memory and disk use per prospect.

use std::time::Instant;

use census_bench::base::{CATEGORIES, T0, TERRITORIES, id_bytes, new_prospect, questionnaire, visit};
use census_bench::{option, peak_rss_mb, percentile_ms, round2};
use census_core::*;
use census_replica::{ListFilter, Replica, SortBy, VisitOutcome};

const SEARCHES: [&str; 8] = ["ромашка", "аптека 12", "berry", "пушк", "колос мира", "огонёк 7", "fresh point", "912"];

/// Times `work` once per sample and returns the durations in milliseconds.
fn sample_ms<T>(samples: usize, mut work: impl FnMut(usize) -> Result<T, String>) -> Result<Vec<f64>, String> {
    let mut times = Vec::with_capacity(samples);
    for i in 0..samples {
        let started = Instant::now();
        work(i)?;
        times.push(started.elapsed().as_secs_f64() * 1e3);
    }
    Ok(times)
}

fn main() -> Result<(), String> {
    let prospects: usize = option("--prospects", 100_000)?;
    let samples: usize = option("--samples", 1_000)?;
    // `--keep DIR` leaves the replica there for inspection; by default it goes in a temporary folder.
    let kept: String = option("--keep", String::new())?;
    let temporary = tempfile::tempdir().map_err(|e| e.to_string())?;
    let dir = if kept.is_empty() { temporary.path().to_path_buf() } else { std::path::PathBuf::from(kept) };
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let path = dir.join("bench.census");
    let agent = UserId::from_bytes([2; 16]);
    let questionnaire = questionnaire();
    let ctx = |n: usize| EditContext::new(agent, Timestamp::from_unix_millis(T0 + n as i64));
    let fail = |e: census_replica::ReplicaError| e.to_string();
    println!("census-bench replica: {prospects} prospects, each created and visited, in {}", path.display());

    let started = Instant::now();
    {
        let mut replica = Replica::create(&path, DeviceId::from_bytes([1; 16])).map_err(fail)?;
        for n in 0..prospects {
            let id = ProspectId::from_bytes(id_bytes(5, n));
            replica.create_prospect(id, &ctx(n), &new_prospect(n)).map_err(fail)?;
            let outcome = replica.record_visit(id, &ctx(n), &questionnaire, &visit(n, agent, &questionnaire));
            if !matches!(outcome.map_err(fail)?, VisitOutcome::Recorded { .. }) {
                return Err(format!("visit {n} was refused"));
            }
            if (n + 1) % 20_000 == 0 {
                println!("  {} written, {:.1} s", n + 1, started.elapsed().as_secs_f64());
            }
        }
    }
    let fill_s = started.elapsed().as_secs_f64();
    let disk_bytes = std::fs::read_dir(&dir)
        .map_err(|e| e.to_string())?
        .filter_map(|entry| entry.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum::<u64>();

    let started = Instant::now();
    let mut replica = Replica::open(&path).map_err(fail)?;
    let open_ms = started.elapsed().as_secs_f64() * 1e3;

    // Deterministic spread of targets over the whole base.
    let pick = |i: usize| (i * 7_919 + 13) % prospects.max(1);
    let visits = sample_ms(samples, |i| {
        let n = pick(i);
        let mut v = visit(prospects + i, agent, &questionnaire);
        v.at = Timestamp::from_unix_millis(T0 + 10_000_000 + i as i64);
        replica
            .record_visit(ProspectId::from_bytes(id_bytes(5, n)), &ctx(prospects + i), &questionnaire, &v)
            .map_err(fail)
    })?;
    let mut found = 0;
    let searches = sample_ms(samples, |i| {
        let rows = replica.search(SEARCHES[i % SEARCHES.len()], 50).map_err(fail)?;
        found += rows.len();
        Ok(())
    })?;
    let lists = sample_ms(samples, |i| {
        let filter = ListFilter {
            territory: Some(TerritoryId::from_bytes(id_bytes(3, i % TERRITORIES))),
            status: if i % 2 == 0 { Some([Status::New, Status::Client][i % 4 / 2]) } else { None },
            category: if i % 3 == 0 { Some(CATEGORIES[i % CATEGORIES.len()].into()) } else { None },
            sort: [SortBy::Name, SortBy::RecentlyUpdated, SortBy::Status][i % 3],
            limit: 50,
            ..ListFilter::default()
        };
        let rows = replica.list(&filter).map_err(fail)?;
        if rows.is_empty() {
            return Err(format!("list {i} came back empty"));
        }
        Ok(())
    })?;
    let nearby = sample_ms(samples, |i| {
        let p = new_prospect(pick(i)).location.ok_or("no location")?;
        replica.nearby(p.lat, p.lon, 300.0, 50).map_err(fail)
    })?;
    println!("check: searches found {found} rows in all");
    for (q, query) in SEARCHES.iter().enumerate() {
        let times: Vec<f64> = searches.iter().skip(q).step_by(SEARCHES.len()).copied().collect();
        println!(
            "  search \"{query}\": p50 {:.2} ms, p99 {:.2} ms",
            percentile_ms(&times, 50.0),
            percentile_ms(&times, 99.0)
        );
    }

    println!(
        "{}",
        serde_json::json!({
            "prospects": prospects,
            "visit_p50_ms": round2(percentile_ms(&visits, 50.0)),
            "visit_p99_ms": round2(percentile_ms(&visits, 99.0)),
            "search_p99_ms": round2(percentile_ms(&searches, 99.0)),
            "list_p99_ms": round2(percentile_ms(&lists, 99.0)),
            "nearby_p99_ms": round2(percentile_ms(&nearby, 99.0)),
            "open_ms": round2(open_ms),
            "peak_rss_mb": round2(peak_rss_mb()),
            "disk_bytes_per_prospect": (disk_bytes as f64 / prospects.max(1) as f64).round(),
            "fill_s": round2(fill_s),
        })
    );
    Ok(())
}
