//! The manager's workspace at scale: a replica of `--prospects` prospects (100,000 by default),
//! a third of them visited by ten agents over thirty days, half of them approved and a tenth of
//! those changed since; then every dashboard figure (for the whole base, one territory, and one
//! agent over a week), the review queue (its first page, its length, and what changed in the
//! first prospect since its approval), the likely duplicate pairs of the whole base, and exports
//! of the whole base to XLSX, CSV and GeoJSON. The last line is JSON.

use std::time::Instant;

use census_bench::base::{T0, TERRITORIES, id_bytes, new_prospect, questionnaire, visit};
use census_bench::{option, percentile_ms, round2};
use census_core::*;
use census_replica::{DashboardFilter, ListFilter, Replica, VisitOutcome};

const AGENTS: usize = 10;
const DAY: i64 = 86_400_000;

fn main() -> Result<(), String> {
    let prospects: usize = option("--prospects", 100_000)?;
    let samples: usize = option("--samples", 20)?;
    // `--keep DIR` keeps the replica there and reuses it on the next run (the filling takes
    // minutes); by default it goes in a temporary folder.
    let kept: String = option("--keep", String::new())?;
    let temporary = tempfile::tempdir().map_err(|e| e.to_string())?;
    let dir = if kept.is_empty() { temporary.path().to_path_buf() } else { std::path::PathBuf::from(&kept) };
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let path = dir.join("manager.census");
    let reuse = !kept.is_empty() && path.exists();
    let fail = |e: census_replica::ReplicaError| e.to_string();
    let agent = |n: usize| UserId::from_bytes(id_bytes(2, n % AGENTS));
    let questionnaire = questionnaire();
    println!("census-bench manager: {prospects} prospects, a third visited, in {}", path.display());

    let started = Instant::now();
    let mut replica = if reuse {
        Replica::open(&path).map_err(fail)?
    } else {
        Replica::create(&path, DeviceId::from_bytes([1; 16])).map_err(fail)?
    };
    for n in (0..prospects).filter(|_| !reuse) {
        let id = ProspectId::from_bytes(id_bytes(5, n));
        let ctx = EditContext::new(agent(n), Timestamp::from_unix_millis(T0 + n as i64));
        replica.create_prospect(id, &ctx, &new_prospect(n)).map_err(fail)?;
        if n % 3 == 0 {
            // Spread over thirty days before T0.
            let mut v = visit(n, agent(n), &questionnaire);
            v.at = Timestamp::from_unix_millis(T0 - (n as i64 % 30) * DAY);
            let outcome = replica.record_visit(id, &ctx, &questionnaire, &v).map_err(fail)?;
            if !matches!(outcome, VisitOutcome::Recorded { .. }) {
                return Err(format!("visit {n} was refused"));
            }
        }
        if n % 2 == 0 {
            let manager = EditContext::new(UserId::from_bytes([9; 16]), Timestamp::from_unix_millis(T0 + n as i64 + 1))
                .with_role(Role::Manager);
            replica.edit_prospect(id, &manager, |p| p.set_review(ReviewState::Approved, "")).map_err(fail)?;
            if n % 20 == 0 {
                let later = EditContext::new(agent(n), Timestamp::from_unix_millis(T0 + n as i64 + 2));
                replica.edit_prospect(id, &later, |p| p.set_status(Status::Client)).map_err(fail)?;
            }
        }
        if (n + 1) % 20_000 == 0 {
            println!("  {} written, {:.0} s", n + 1, started.elapsed().as_secs_f64());
        }
    }

    let filters = [
        DashboardFilter::default(),
        DashboardFilter {
            territory: Some(TerritoryId::from_bytes(id_bytes(3, 7 % TERRITORIES))),
            ..Default::default()
        },
        DashboardFilter {
            agent: Some(agent(3)),
            from: Some(Timestamp::from_unix_millis(T0 - 7 * DAY)),
            until: Some(Timestamp::from_unix_millis(T0 + DAY)),
            ..Default::default()
        },
    ];
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); filters.len()];
    for _ in 0..samples {
        for (which, filter) in filters.iter().enumerate() {
            let started = Instant::now();
            let figures = replica.dashboard(filter).map_err(fail)?;
            times[which].push(started.elapsed().as_secs_f64() * 1e3);
            if figures.by_status.iter().map(|t| t.count).sum::<u32>() == 0 {
                return Err(format!("the dashboard for filter {which} counted nothing"));
            }
        }
    }

    // The review queue as the app shows it: a page, its length, the first prospect's changes.
    let queue = ListFilter { awaiting_review: Some(true), limit: 100, ..ListFilter::default() };
    let mut queue_times = Vec::new();
    let mut queue_length = 0;
    for _ in 0..samples {
        let started = Instant::now();
        let page = replica.list(&queue).map_err(fail)?;
        queue_length = replica.count(&queue).map_err(fail)?;
        let first = page.first().ok_or("the review queue is empty")?;
        let changes = replica.prospect(first.id).map_err(fail)?.changed_since_approval;
        queue_times.push(started.elapsed().as_secs_f64() * 1e3);
        std::hint::black_box(changes);
    }

    let started = Instant::now();
    let duplicates = replica.duplicate_pairs(100).map_err(fail)?;
    let duplicates_s = started.elapsed().as_secs_f64();

    let everything = ListFilter::default();
    let timed = |work: &mut dyn FnMut() -> Result<u64, String>| -> Result<(f64, u64), String> {
        let started = Instant::now();
        let rows = work()?;
        Ok((started.elapsed().as_secs_f64(), rows))
    };
    let xlsx = dir.join("base.xlsx");
    let (xlsx_s, xlsx_rows) = timed(&mut || replica.export_xlsx(&everything, Language::Ru, &xlsx).map_err(fail))?;
    let csv_file = std::fs::File::create(dir.join("base.csv")).map_err(|e| e.to_string())?;
    let (csv_s, _) =
        timed(&mut || replica.export_csv(&everything, Language::Ru, std::io::BufWriter::new(&csv_file)).map_err(fail))?;
    let geojson_file = std::fs::File::create(dir.join("base.geojson")).map_err(|e| e.to_string())?;
    let (geojson_s, _) = timed(&mut || replica.export_geojson(&everything, &geojson_file).map_err(fail))?;
    let xlsx_mb = std::fs::metadata(&xlsx).map_err(|e| e.to_string())?.len() as f64 / 1_048_576.0;

    let median = |t: &[f64]| round2(percentile_ms(t, 50.0));
    println!(
        "{}",
        serde_json::json!({
            "bench": "manager",
            "prospects": prospects,
            "samples": samples,
            // The slowest of the three: the whole base, every figure.
            "dashboard_ms": median(&times[0]),
            "dashboard_whole_base_ms": median(&times[0]),
            "dashboard_territory_ms": median(&times[1]),
            "dashboard_agent_week_ms": median(&times[2]),
            "dashboard_p95_ms": round2(percentile_ms(&times[0], 95.0)),
            "review_queue_ms": median(&queue_times),
            "review_queue_length": queue_length,
            "duplicates_s": round2(duplicates_s),
            "duplicate_pairs": duplicates.total,
            "export_xlsx_s": round2(xlsx_s),
            "export_xlsx_rows": xlsx_rows,
            "export_xlsx_mb": round2(xlsx_mb),
            "export_csv_s": round2(csv_s),
            "export_geojson_s": round2(geojson_s),
        })
    );
    Ok(())
}
