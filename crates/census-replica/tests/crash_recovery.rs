//! A device can lose power or have the app killed at any moment. A child process records census
//! visits in a loop and writes each visit's id to a side file once `record_visit` has returned;
//! it is killed with SIGKILL at random moments, many times. After every kill the replica must
//! open cleanly and hold every visit in the side file, and its projections must still agree with
//! its documents.
//!
//! The child is this test binary itself, started on the ignored test `child_records_visits`.

#![allow(clippy::unwrap_used, reason = "a test fails loudly on any unexpected error")]

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use census_core::*;
use census_replica::*;
use rand::{Rng, SeedableRng};

const T0: i64 = 1_795_800_000_000;
const PROSPECTS: u8 = 20;
const KILLS: usize = 40;

fn questionnaire() -> Questionnaire {
    Questionnaire {
        id: QuestionnaireId::from_bytes([5; 16]),
        version: 1,
        title: Localized::new("Перепись", "Census"),
        questions: vec![
            Question {
                required: true,
                min: Some(1.0),
                ..Question::new(
                    QuestionId::new("staff").unwrap(),
                    QuestionType::Integer,
                    Localized::new("Штат", "Staff"),
                )
            },
            Question::new(
                QuestionId::new("comment").unwrap(),
                QuestionType::Text,
                Localized::new("Комментарий", "Comment"),
            ),
        ],
    }
}

fn prospect_id(n: u8) -> ProspectId {
    ProspectId::from_bytes([n + 1; 16])
}

/// The child: records visits until it is killed. Run only by `visits_survive_sigkill`.
#[test]
#[ignore = "the child process of visits_survive_sigkill; not a test on its own"]
fn child_records_visits() {
    let replica_path = std::env::var("CENSUS_CRASH_REPLICA").expect("started by visits_survive_sigkill");
    let side_path = std::env::var("CENSUS_CRASH_SIDE").unwrap();
    let round: u64 = std::env::var("CENSUS_CRASH_ROUND").unwrap().parse().unwrap();
    let mut replica = Replica::open(Path::new(&replica_path)).unwrap();
    let mut side = std::fs::OpenOptions::new().append(true).create(true).open(side_path).unwrap();
    // A kill may have torn the last line of the previous round; start on a line of our own.
    writeln!(side).unwrap();
    let questionnaire = questionnaire();
    let agent = UserId::from_bytes([1; 16]);
    for n in 0u64.. {
        let at = Timestamp::from_unix_millis(T0 + (round * 1_000_000 + n) as i64);
        let mut random = [0u8; 10];
        random[..8].copy_from_slice(&(round << 32 | n).to_be_bytes());
        let visit = Visit {
            id: VisitId::new_v7(at, random),
            at,
            agent,
            questionnaire: QuestionnaireRef { id: questionnaire.id, version: 1 },
            answers: BTreeMap::from([
                (QuestionId::new("staff").unwrap(), Answer::Integer(n as i64 % 50 + 1)),
                (QuestionId::new("comment").unwrap(), Answer::Text(format!("round {round}, visit {n}"))),
            ]),
            location: None,
            outcome: String::new(),
        };
        let prospect = prospect_id((n % u64::from(PROSPECTS)) as u8);
        let outcome = replica.record_visit(prospect, &EditContext::new(agent, at), &questionnaire, &visit).unwrap();
        assert!(matches!(outcome, VisitOutcome::Recorded { .. }));
        // Only now is the visit promised to the user.
        writeln!(side, "{}", visit.id).unwrap();
    }
}

fn all_visits(replica: &Replica) -> BTreeSet<String> {
    (0..PROSPECTS)
        .flat_map(|n| replica.prospect(prospect_id(n)).unwrap().prospect.visits.into_keys())
        .map(|id| id.to_string())
        .collect()
}

#[test]
fn visits_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let replica_path = dir.path().join("device.census");
    let side_path = dir.path().join("recorded.txt");
    {
        let mut replica = Replica::create(&replica_path, DeviceId::from_bytes([1; 16])).unwrap();
        for n in 0..PROSPECTS {
            let new = NewProspect {
                territory: TerritoryId::from_bytes([9; 16]),
                name: format!("Точка {n}"),
                category: "shop".into(),
                status: Status::New,
                address: Address::default(),
                location: None,
            };
            let ctx = EditContext::new(UserId::from_bytes([1; 16]), Timestamp::from_unix_millis(T0));
            replica.create_prospect(prospect_id(n), &ctx, &new).unwrap();
        }
    }
    let seed: u64 = rand::random();
    println!("seed {seed}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let exe = std::env::current_exe().unwrap();
    let mut promised = 0;
    for round in 0..KILLS {
        let mut child = Command::new(&exe)
            .args(["child_records_visits", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
            .env("CENSUS_CRASH_REPLICA", &replica_path)
            .env("CENSUS_CRASH_SIDE", &side_path)
            .env("CENSUS_CRASH_ROUND", round.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Let it record for a while (a few visits or many), then kill it without warning.
        let started = Instant::now();
        std::thread::sleep(Duration::from_millis(rng.random_range(20..400)));
        if let Some(status) = child.try_wait().unwrap() {
            let mut stderr = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
            panic!("the child stopped by itself ({status}) after {:?}: {stderr}", started.elapsed());
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();

        let replica = Replica::open(&replica_path).expect("the replica opens after a kill");
        let side = std::fs::read_to_string(&side_path).unwrap_or_default();
        // A line torn by the kill is not a promise: its write had not returned.
        let promised_ids: Vec<&str> = side.lines().filter(|l| l.len() == 36).collect();
        let stored = all_visits(&replica);
        let lost: Vec<&&str> = promised_ids.iter().filter(|id| !stored.contains(**id)).collect();
        assert!(lost.is_empty(), "round {round} (seed {seed}): {} recorded visits are gone: {lost:?}", lost.len());
        assert!(stored.len() >= promised_ids.len());
        assert!(promised_ids.len() >= promised, "the side file only grows");
        promised = promised_ids.len();
    }
    let replica = Replica::open(&replica_path).unwrap();
    let (stored, rebuilt) = replica.projection_check().unwrap();
    assert_eq!(stored, rebuilt, "projections agree with the documents after {KILLS} kills");
    let visits: u32 = stored.iter().map(|row| row.visits).sum();
    assert_eq!(visits as usize, all_visits(&replica).len());
    assert!(promised > KILLS, "the child recorded visits between kills ({promised} in all)");
    println!("{KILLS} kills, {promised} visits promised and all present, {visits} stored");
}
