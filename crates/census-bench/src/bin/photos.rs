//! Pictures between a device and a real `census-server`: `--photos` (500 by default) camera
//! photos of 12 megapixels, about 2 MB each as JPEG, each taken for a visit and uploaded by
//! the sync that follows. Figures:
//!
//! - `thumbnail_ms`: making a photo's thumbnail on the device (median over the photos);
//! - `upload_mb_per_s`: the photos' bytes (with their thumbnails) over the time of the syncs
//!   that sent them, one after every ten photos;
//! - `resume_overhead_bytes`: bytes sent again for a photo whose upload the server's death cut
//!   (killed mid-upload, started again, the device resuming): what the device sent in all
//!   minus the photo's size;
//! - `server_peak_rss_mb`: the server's peak memory (a picture is never held whole).
//!
//! The last line is JSON. `cargo run --release -p census-bench --bin photos -- --photos 500`.

use std::time::{Duration, Instant};

use census_bench::{option, peak_rss_mb_of, percentile_ms, round2};
use census_core::ProspectId;
use census_replica::thumbnail_of;
use census_tests::{Device, Server, admin, now};
use image::RgbImage;

/// Photos taken between two syncs.
const PHOTOS_PER_SYNC: u32 = 10;

/// A 4000 × 3000 photo whose detail makes a JPEG of about 2 MB, different for each `n`.
fn camera_photo(n: u32) -> Vec<u8> {
    let seed = n.wrapping_mul(2_654_435_761);
    let picture = RgbImage::from_fn(4000, 3000, |x, y| {
        let noise = (x.wrapping_mul(7_919) ^ y.wrapping_mul(104_729) ^ seed).wrapping_mul(2_246_822_519) >> 27;
        image::Rgb([((x / 16 + n) % 256) as u8 ^ noise as u8, ((y / 16) % 256) as u8, ((x + y) / 32 % 256) as u8])
    });
    let mut out = Vec::new();
    let encoded = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 88).encode_image(&picture);
    encoded.map(|()| out).unwrap_or_default()
}

fn main() -> Result<(), String> {
    let photos: u32 = option("--photos", 500)?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let db = dir.path().join("server.db");
    admin(&db, &["demo", "--prospects", "200"]);
    let mut server = Server::start(&db);
    let port: u16 = server.url.rsplit(':').next().and_then(|p| p.parse().ok()).ok_or("no port")?;
    let mut anna = Device::sign_in(dir.path(), "anna", &server, "anna");
    anna.sync().map_err(|e| e.to_string())?;
    let shops: Vec<ProspectId> = anna
        .replica
        .list(&census_replica::ListFilter { limit: 100, ..Default::default() })
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|r| r.id)
        .collect();
    println!("census-bench photos: {photos} photos of 12 megapixels into a server at {}", server.url);

    // Photos are made a few at a time (each takes a moment to encode), then taken and synced.
    let mut thumbnails = Vec::new();
    let mut uploaded_bytes = 0u64;
    let mut uploading = Duration::ZERO;
    let mut sizes = Vec::new();
    for n in 0..photos {
        let bytes = camera_photo(n);
        sizes.push(bytes.len());
        let started = Instant::now();
        thumbnail_of(&bytes).ok_or("a photo had no thumbnail")?;
        thumbnails.push(started.elapsed().as_secs_f64() * 1e3);
        let photo = anna.replica.store_photo(&bytes, "image/jpeg", now()).map_err(|e| e.to_string())?;
        anna.record_photo_visit(shops[n as usize % shops.len()], &photo);
        // An agent syncs after a few visits.
        if (n + 1) % PHOTOS_PER_SYNC != 0 && n + 1 != photos {
            continue;
        }
        let started = Instant::now();
        let report = anna.sync().map_err(|e| e.to_string())?;
        uploading += started.elapsed();
        uploaded_bytes += report.picture_bytes_sent;
        if report.pictures_pending > 0 {
            return Err(format!("photo {n} was not uploaded: {report:?}"));
        }
        if (n + 1) % 100 == 0 {
            println!("  {} photos uploaded, {:.0} MB", n + 1, uploaded_bytes as f64 / 1e6);
        }
    }
    let peak_rss = peak_rss_mb_of(&server.pid().to_string());

    // One more photo; the server dies while it goes up, and comes back.
    let bytes = camera_photo(photos);
    let photo = anna.replica.store_photo(&bytes, "image/jpeg", now()).map_err(|e| e.to_string())?;
    anna.record_photo_visit(shops[0], &photo);
    let (pending, to_send) = anna.replica.pictures_pending().map_err(|e| e.to_string())?;
    // Killed as soon as the server has begun storing the photo.
    let (pid, partial) = (server.pid(), db.with_extension("pictures").join("partial").join(&photo.sha256));
    let killer = std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::fs::metadata(&partial).map_or(true, |m| m.len() == 0) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_micros(200));
        }
        let _ = std::process::Command::new("kill").arg("-KILL").arg(pid.to_string()).status();
    });
    let cut = anna.sync().map_err(|e| e.to_string())?;
    let _ = killer.join();
    server.kill();
    let _restarted = Server::start_on(&db, port);
    let resumed = anna.sync().map_err(|e| e.to_string())?;
    if resumed.pictures_pending > 0 || pending == 0 {
        return Err(format!("the cut photo did not go up: {resumed:?}"));
    }
    // What was sent for the photo (and its thumbnail) beyond their size: sent again.
    let resume_overhead = (cut.picture_bytes_sent + resumed.picture_bytes_sent).saturating_sub(to_send);

    let megabytes = uploaded_bytes as f64 / 1_048_576.0;
    println!(
        "{}",
        serde_json::json!({
            "bench": "photos",
            "photos": photos,
            "photo_mb_mean": round2(sizes.iter().sum::<usize>() as f64 / sizes.len().max(1) as f64 / 1_048_576.0),
            "thumbnail_ms": round2(percentile_ms(&thumbnails, 50.0)),
            "thumbnail_p95_ms": round2(percentile_ms(&thumbnails, 95.0)),
            "upload_mb_per_s": round2(megabytes / uploading.as_secs_f64().max(1e-9)),
            "resume_overhead_bytes": resume_overhead,
            "cut_after_bytes": cut.picture_bytes_sent,
            "server_peak_rss_mb": round2(peak_rss),
        })
    );
    Ok(())
}
