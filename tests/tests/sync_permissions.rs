//! Who sees and writes what: an agent gets nothing from a territory not assigned to them and
//! cannot write there (the refused change stays on the device, reported); a revoked device is
//! refused at once; a territory handed over arrives complete; a territory taken away leaves
//! the device once what it made there before is pushed. News of changes wakes a device only for
//! its own territories.

#![allow(clippy::unwrap_used, reason = "a test fails loudly on any unexpected error")]

use census_core::*;
use census_replica::{ListFilter, SyncError, SyncProgress};
use census_server::demo;
use census_tests::{Device, Server, admin, new_prospect, now};

fn all() -> ListFilter {
    ListFilter { limit: 100_000, ..ListFilter::default() }
}

#[test]
fn agents_read_and_write_only_their_territories_and_revoked_devices_stop() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    admin(&db, &["demo", "--prospects", "30"]);
    let [centre, riverside] = demo::demo_territories().map(|t| t.id);
    let server = Server::start(&db);

    let mut anna = Device::sign_in(dir.path(), "anna", &server, "anna");
    let mut progress = Vec::new();
    anna.replica.sync(&anna.client, now(), &mut |p| progress.push(p)).unwrap();
    // What waits is pushed before the directory says what changed (late work depends on it).
    assert_eq!(progress[..2], [SyncProgress::Push { done: 0, total: 0 }, SyncProgress::Directory]);
    // Received as snapshots or as changes, depending on how far the server has compacted.
    assert!(
        matches!(progress.last(), Some(SyncProgress::Pull { scope, received, total }) if *scope == centre && received == total),
        "{progress:?}"
    );
    let mine = anna.replica.list(&all()).unwrap();
    assert_eq!(mine.len(), 15);
    assert!(mine.iter().all(|row| row.territory == centre.to_string()), "nothing from Boris's territory");

    // A prospect created in a territory that is not hers is refused and kept aside, with the reason.
    let outside = ProspectId::new_v7(now(), [1; 10]);
    let ctx = anna.ctx();
    anna.replica.create_prospect(outside, &ctx, &new_prospect(riverside, "Не моя точка")).unwrap();
    let inside = ProspectId::new_v7(now(), [2; 10]);
    let ctx = anna.ctx();
    anna.replica.create_prospect(inside, &ctx, &new_prospect(centre, "Моя точка")).unwrap();
    let report = anna.sync().unwrap();
    assert_eq!((report.pushed, report.refused), (1, 1));
    let refused = anna.replica.refused_changes().unwrap();
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].code, "outside_your_territories");
    assert!(refused[0].message.contains("not one of yours"), "{}", refused[0].message);
    assert_eq!(anna.replica.prospect(outside).unwrap().prospect.name, "Не моя точка", "kept on the device");

    let mut manager = Device::sign_in(dir.path(), "manager", &server, "manager");
    manager.sync().unwrap();
    let names: Vec<String> = manager.replica.list(&all()).unwrap().into_iter().map(|r| r.name).collect();
    assert!(names.contains(&"Моя точка".to_owned()) && !names.contains(&"Не моя точка".to_owned()));

    // Boris's territory is handed to Anna: it arrives complete, with his history.
    let mut boris = Device::sign_in(dir.path(), "boris", &server, "boris");
    boris.sync().unwrap();
    let his = boris.replica.list(&all()).unwrap()[0].id;
    let ctx = boris.ctx();
    boris.replica.edit_prospect(his, &ctx, |p| p.set_notes("Boris was here")).unwrap();
    boris.sync().unwrap();
    admin(&db, &["assign", &riverside.to_string(), "anna"]);
    admin(&db, &["assign", &riverside.to_string(), "boris", "--remove"]);
    anna.sync().unwrap();
    assert_eq!(
        anna.replica.list(&all()).unwrap().len(),
        15 + 1 + 15 + 1,
        "both territories, and her kept-aside prospect"
    );
    let detail = anna.replica.prospect(his).unwrap();
    assert_eq!(detail.prospect.notes, "Boris was here");
    assert!(detail.history.iter().any(|e| e.path.to_string() == "notes" && e.user == Some(boris.user())));

    // Boris no longer works there. What he typed before his device learnt of it still arrives
    // (late work, tests/late_work.rs); then the territory leaves his device.
    let ctx = boris.ctx();
    boris.replica.edit_prospect(his, &ctx, |p| p.set_notes("typed before he knew")).unwrap();
    let report = boris.sync().unwrap();
    assert_eq!((report.pushed, report.refused), (1, 0), "{report:?}");
    assert!(boris.replica.list(&all()).unwrap().is_empty());
    anna.sync().unwrap();
    assert_eq!(anna.replica.prospect(his).unwrap().prospect.notes, "typed before he knew");

    // The manager moves one of Anna's prospects to the other territory, now Vera's: it reaches
    // Vera complete and leaves Anna's device.
    admin(&db, &["user", "add", "vera", "--name", "Вера", "--role", "agent", "--password", "census-demo"]);
    admin(&db, &["assign", &riverside.to_string(), "vera"]);
    admin(&db, &["assign", &riverside.to_string(), "anna", "--remove"]);
    anna.sync().unwrap();
    let moving = anna.replica.list(&all()).unwrap().into_iter().find(|r| r.territory == centre.to_string()).unwrap().id;
    let ctx = anna.ctx();
    anna.replica.edit_prospect(moving, &ctx, |p| p.set_notes("history before the move")).unwrap();
    anna.sync().unwrap();
    manager.sync().unwrap();
    // A second device of the manager edits it offline before the move and syncs after it: the
    // late edit lands where the prospect now is and does not move it back.
    let mut laptop = Device::sign_in(dir.path(), "laptop", &server, "manager");
    laptop.sync().unwrap();
    let ctx = laptop.ctx();
    laptop.replica.edit_prospect(moving, &ctx, |p| p.add_tag("late edit")).unwrap();
    let ctx = manager.ctx();
    manager.replica.edit_prospect(moving, &ctx, |p| p.set_territory(riverside)).unwrap();
    manager.sync().unwrap();
    assert_eq!(laptop.sync().unwrap().refused, 0);
    let mut vera = Device::sign_in(dir.path(), "vera", &server, "vera");
    vera.sync().unwrap();
    let arrived = vera.replica.prospect(moving).unwrap();
    assert_eq!(arrived.prospect.territory, riverside);
    assert_eq!(arrived.prospect.notes, "history before the move", "it arrives with its whole history");
    assert!(arrived.prospect.tags.contains("late edit"));
    anna.sync().unwrap();
    assert!(anna.replica.prospect(moving).is_err(), "it left Anna's device");
    assert!(anna.replica.list(&all()).unwrap().iter().all(|r| r.id != moving));

    // A revoked device is refused at once; its replica keeps everything.
    let devices = admin(&db, &["device", "list"]);
    let annas_device = anna.replica.device().to_string();
    assert!(devices.contains(&annas_device));
    admin(&db, &["device", "revoke", &annas_device]);
    let error = anna.sync().unwrap_err();
    assert!(matches!(error, SyncError::Revoked), "{error:?}");
    assert!(error.to_string().contains("revoked"));
    assert!(!anna.replica.list(&all()).unwrap().is_empty());
}

#[test]
fn an_expired_sign_in_must_be_renewed_and_nothing_is_lost_meanwhile() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    admin(&db, &["demo", "--prospects", "4"]);
    let server = Server::start_with(&db, &["--token-lifetime-secs", "2"]);
    let mut anna = Device::sign_in(dir.path(), "anna", &server, "anna");
    anna.sync().unwrap();
    let id = anna.replica.list(&all()).unwrap()[0].id;
    std::thread::sleep(std::time::Duration::from_millis(2_500));
    let ctx = anna.ctx();
    anna.replica.edit_prospect(id, &ctx, |p| p.set_notes("typed while signed out")).unwrap();
    let error = anna.sync().unwrap_err();
    assert!(matches!(error, SyncError::SignedOut), "{error:?}");
    assert!(error.to_string().contains("sign in"), "{error}");
    assert_eq!(anna.replica.outbox_len().unwrap(), 1, "the edit waits on the device");
    anna.replica.login(&anna.client, "anna", "census-demo", "anna").unwrap();
    assert_eq!(anna.sync().unwrap().pushed, 1);
}

/// A keychain stand-in: tokens by device, or a keychain that refuses everything.
#[derive(Clone, Default)]
struct Vault {
    tokens: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, String>>>,
    broken: bool,
}

impl census_replica::TokenVault for Vault {
    fn load(&self, device: &str) -> Result<Option<String>, String> {
        if self.broken {
            return Err("no keychain service".into());
        }
        Ok(self.tokens.lock().unwrap().get(device).cloned())
    }

    fn save(&self, device: &str, token: &str) -> Result<(), String> {
        if self.broken {
            return Err("no keychain service".into());
        }
        self.tokens.lock().unwrap().insert(device.into(), token.into());
        Ok(())
    }
}

#[test]
fn a_token_moves_into_the_keychain_and_stays_in_the_file_when_there_is_none() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    admin(&db, &["demo", "--prospects", "4"]);
    let server = Server::start(&db);

    // Signed in with the token in the file; a keychain appears and takes it.
    let mut device = Device::sign_in(dir.path(), "laptop", &server, "anna");
    let vault = Vault::default();
    device.replica.keep_token_in(Box::new(vault.clone())).unwrap();
    assert_eq!(vault.tokens.lock().unwrap().len(), 1);
    device.sync().expect("the token from the keychain signs the sync");
    assert_eq!(device.replica.count(&all()).unwrap(), 2, "her territory arrived");
    // The file alone no longer carries the right to sync.
    let mut copy = census_replica::Replica::open(&device.path).unwrap();
    assert!(matches!(copy.sync(&device.client, now(), &mut |_| {}), Err(SyncError::SignedOut)));

    // A keychain that does not answer: signing in still works, the token stays in the file.
    let path = dir.path().join("phone.census");
    let mut phone = census_replica::Replica::create(&path, DeviceId::new_v7(now(), rand::random())).unwrap();
    phone.keep_token_in(Box::new(Vault { broken: true, ..Vault::default() })).unwrap();
    phone.login(&device.client, "anna", "census-demo", "phone").unwrap();
    drop(phone);
    let mut phone = census_replica::Replica::open(&path).unwrap();
    assert!(phone.sync(&device.client, now(), &mut |_| {}).is_ok());
}

#[test]
fn news_wakes_a_device_for_its_own_territories_only() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    admin(&db, &["demo", "--prospects", "10"]);
    let [centre, riverside] = demo::demo_territories().map(|t| t.id);
    let server = Server::start(&db);
    let mut anna = Device::sign_in(dir.path(), "anna", &server, "anna");
    let mut tablet = Device::sign_in(dir.path(), "tablet", &server, "anna");
    let mut boris = Device::sign_in(dir.path(), "boris", &server, "boris");
    for device in [&mut anna, &mut tablet, &mut boris] {
        device.sync().unwrap();
    }
    let add = |device: &mut Device, territory: TerritoryId, name: &str| {
        let ctx = device.ctx();
        device
            .replica
            .create_prospect(ProspectId::new_v7(now(), rand::random()), &ctx, &new_prospect(territory, name))
            .unwrap();
        device.sync().unwrap();
    };

    // Boris's shop is none of Anna's business: her news request waits it out.
    let waits = |anna: Device, seconds: u64, meanwhile: &mut dyn FnMut()| {
        std::thread::scope(|scope| {
            let waiting = scope.spawn(move || {
                let news = anna.replica.wait_for_news(&anna.client, std::time::Duration::from_secs(seconds));
                (anna, news.unwrap())
            });
            std::thread::sleep(std::time::Duration::from_millis(300));
            meanwhile();
            waiting.join().unwrap()
        })
    };
    let (anna, news) = waits(anna, 2, &mut || add(&mut boris, riverside, "Лавка Бориса"));
    assert!(!news, "news of another territory");

    // A shop her tablet adds in her territory answers it at once.
    let (mut anna, news) = waits(anna, 40, &mut || add(&mut tablet, centre, "Киоск с планшета"));
    assert!(news);
    anna.sync().unwrap();
    assert!(anna.replica.list(&all()).unwrap().iter().any(|row| row.name == "Киоск с планшета"));
    // Up to date again: nothing new to wait for.
    assert!(!anna.replica.wait_for_news(&anna.client, std::time::Duration::from_secs(1)).unwrap());
}
