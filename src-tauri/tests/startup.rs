//! The app binary, started on a replica file that is damaged, says so in plain words and stops,
//! leaving the file as it was. (Building this test also builds the binary that the end-to-end
//! tests in `tests/` drive, with the same features as the rest of the workspace.)

#![allow(clippy::unwrap_used, reason = "a test fails loudly on any unexpected error")]

use std::process::Command;

#[test]
fn a_damaged_replica_is_refused_in_plain_words_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let replica = dir.path().join("census.replica");
    let damaged = b"SQLite format 3\0 and then nothing a database would hold".repeat(100);
    std::fs::write(&replica, &damaged).unwrap();
    let out = Command::new("xvfb-run")
        .args(["-a", env!("CARGO_BIN_EXE_census-app")])
        .env("CENSUS_APP_DATA", dir.path())
        .env("CENSUS_SYNC_EVERY_S", "0")
        .env("NO_AT_BRIDGE", "1")
        .output()
        .expect("xvfb-run is installed (scripts/setup)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the app went on with a damaged replica: {stderr}");
    assert!(stderr.contains("Census could not start"), "{stderr}");
    assert!(stderr.contains("damaged") || stderr.contains("not a Census replica"), "{stderr}");
    assert_eq!(std::fs::read(&replica).unwrap(), damaged, "the file is left as it was");
}
