//! The replica when storage fails: a full disk, a read-only disk, a damaged file. Each gives a
//! clear error in plain words, and nothing already stored is lost.
//!
//! Full and read-only disks are real: a small tmpfs mounted for the test (this needs root, as
//! on CI; elsewhere those two tests say so and stop).

#![allow(clippy::unwrap_used, reason = "a test fails loudly on any unexpected error")]

use std::path::{Path, PathBuf};
use std::process::Command;

use census_core::*;
use census_replica::*;

const T0: i64 = 1_795_800_000_000;

fn ctx() -> EditContext {
    EditContext::new(UserId::from_bytes([1; 16]), Timestamp::from_unix_millis(T0))
}

fn prospect_id(n: u32) -> ProspectId {
    let mut bytes = [7u8; 16];
    bytes[12..].copy_from_slice(&n.to_be_bytes());
    ProspectId::from_bytes(bytes)
}

fn new_prospect(n: u32) -> NewProspect {
    NewProspect {
        territory: TerritoryId::from_bytes([9; 16]),
        name: format!("Магазин «Ромашка» №{n}"),
        category: "grocery".into(),
        status: Status::New,
        address: Address {
            line: format!("ул. Ленина, д. {n}"), city: "Тверь".into(), ..Address::default()
        },
        location: Some(Location { lat: 56.85, lon: 35.9, accuracy_m: None, at: Timestamp::from_unix_millis(T0) }),
    }
}

/// A small tmpfs, mounted for one test and unmounted after it.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(size: &str) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output()
            .is_ok_and(|out| out.status.success());
        if !mounted {
            eprintln!("cannot mount a tmpfs here (needs root); the full and read-only disk tests did not run");
            return None;
        }
        Some(SmallDisk { dir })
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn remount(&self, mode: &str) {
        let status =
            Command::new("mount").args(["-o", &format!("remount,{mode}")]).arg(self.dir.path()).status().unwrap();
        assert!(status.success(), "remount {mode}");
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

fn names(replica: &Replica) -> Vec<String> {
    let filter = ListFilter { limit: 100_000, ..ListFilter::default() };
    let mut names: Vec<String> = replica.list(&filter).unwrap().into_iter().map(|r| r.name).collect();
    names.sort();
    names
}

#[test]
fn a_full_disk_is_reported_and_every_earlier_prospect_is_kept() {
    let Some(disk) = SmallDisk::mount("2m") else { return };
    let path = disk.path("device.census");
    let mut replica = Replica::create(&path, DeviceId::from_bytes([1; 16])).unwrap();
    let mut created = Vec::new();
    let error = loop {
        let n = created.len() as u32;
        assert!(n < 100_000, "the disk never filled");
        match replica.create_prospect(prospect_id(n), &ctx(), &new_prospect(n)) {
            Ok(p) => created.push(p.name),
            Err(e) => break e,
        }
    };
    assert!(matches!(error, ReplicaError::DiskFull), "{error:?}");
    assert_eq!(error.to_string(), "the replica cannot be written: the disk is full");
    assert!(created.len() > 10, "some prospects fit before the disk filled");

    // The device keeps working for reading, and every prospect saved before is there.
    created.sort();
    assert_eq!(names(&replica), created);
    drop(replica);
    let replica = Replica::open(&path).unwrap();
    assert_eq!(names(&replica), created);
    let (stored, rebuilt) = replica.projection_check().unwrap();
    assert_eq!(stored, rebuilt);
}

#[test]
fn a_read_only_disk_is_reported_and_the_replica_is_untouched() {
    let Some(disk) = SmallDisk::mount("4m") else { return };
    let path = disk.path("device.census");
    {
        let mut replica = Replica::create(&path, DeviceId::from_bytes([1; 16])).unwrap();
        for n in 0..5 {
            replica.create_prospect(prospect_id(n), &ctx(), &new_prospect(n)).unwrap();
        }
    }
    let before = std::fs::read(&path).unwrap();
    disk.remount("ro");
    let outcome = Replica::open(&path).and_then(|mut replica| {
        let listed = names(&replica).len();
        replica.create_prospect(prospect_id(99), &ctx(), &new_prospect(99)).map(|_| listed)
    });
    let error = outcome.expect_err("nothing can be written on a read-only disk");
    assert!(matches!(error, ReplicaError::ReadOnly), "{error:?}");
    assert_eq!(error.to_string(), "the replica cannot be written: the file or its folder is read-only");
    assert_eq!(std::fs::read(&path).unwrap(), before);
    disk.remount("rw");
    let replica = Replica::open(&path).unwrap();
    assert_eq!(names(&replica).len(), 5);
}

/// Writes a replica of a few prospects and returns its bytes.
fn small_replica(dir: &Path) -> (PathBuf, Vec<u8>) {
    let path = dir.join("device.census");
    {
        let mut replica = Replica::create(&path, DeviceId::from_bytes([1; 16])).unwrap();
        for n in 0..40 {
            replica.create_prospect(prospect_id(n), &ctx(), &new_prospect(n)).unwrap();
        }
    }
    let bytes = std::fs::read(&path).unwrap();
    (path, bytes)
}

/// Opens a damaged file and uses it as an app would; every failure must be a clear error.
fn use_damaged(path: &Path) -> Result<usize, ReplicaError> {
    let mut replica = Replica::open(path)?;
    let listed = replica.list(&ListFilter { limit: 1000, ..ListFilter::default() })?.len();
    for n in 0..40 {
        replica.prospect(prospect_id(n))?;
    }
    replica.search("ромашка", 50)?;
    replica.create_prospect(prospect_id(500), &ctx(), &new_prospect(500))?;
    Ok(listed)
}

#[test]
fn a_damaged_file_gives_a_clear_error_and_never_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let (path, original) = small_replica(dir.path());
    let page = 4096;
    let pages = original.len() / page;
    assert!(pages > 4);

    // Garbage over each page in turn (except the header page, tested below).
    let mut refused = 0;
    for damaged_page in 1..pages {
        let mut bytes = original.clone();
        for (i, b) in bytes[damaged_page * page..(damaged_page + 1) * page].iter_mut().enumerate() {
            *b = (i as u8).wrapping_mul(37).wrapping_add(damaged_page as u8);
        }
        std::fs::write(&path, &bytes).unwrap();
        match use_damaged(&path) {
            Ok(_) => {}
            Err(e @ (ReplicaError::Corrupt(_) | ReplicaError::Document(_) | ReplicaError::NotAReplica)) => {
                assert!(!e.to_string().is_empty());
                refused += 1;
            }
            Err(other) => panic!("page {damaged_page}: unexpected error {other:?}"),
        }
    }
    assert!(refused > 0, "some damage is noticed");

    // A truncated file, and a file whose header is destroyed.
    std::fs::write(&path, &original[..original.len() / 2]).unwrap();
    let truncated = use_damaged(&path).expect_err("a file cut in half cannot be used");
    assert!(matches!(truncated, ReplicaError::Corrupt(_)), "{truncated:?}");
    assert!(truncated.to_string().starts_with("the replica file is damaged"));

    let mut bytes = original.clone();
    bytes[..100].fill(0x5a);
    std::fs::write(&path, &bytes).unwrap();
    let header = use_damaged(&path).expect_err("a file without its header cannot be used");
    assert!(matches!(header, ReplicaError::NotAReplica), "{header:?}");

    // The undamaged file still opens with everything in it.
    std::fs::write(&path, &original).unwrap();
    assert_eq!(use_damaged(&path).unwrap(), 40);
}
