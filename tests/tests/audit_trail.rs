//! What the server records, against a real server: a log line per request (its id, path,
//! status, time, device and person, and never a password or a token), and an audit trail of
//! security events in its database, listed by `census-server audit` with filters and read by
//! administrators through the API the app uses.

#![allow(clippy::unwrap_used, reason = "a test fails loudly on any unexpected error")]

use std::time::{Duration, Instant};

use automerge::ROOT;
use automerge::transaction::Transactable;
use census_core::*;
use census_replica::SyncError;
use census_server::demo;
use census_tests::hostile::{RawApi, forge, item, refused_code};
use census_tests::{Device, Server, admin, new_prospect, now};

/// The audit trail as `census-server audit --json` lists it with `filters`.
fn audit(db: &std::path::Path, filters: &[&str]) -> Vec<AuditEntry> {
    let mut args = vec!["audit", "--json", "--limit", "1000"];
    args.extend_from_slice(filters);
    admin(db, &args).lines().map(|line| serde_json::from_str(line).unwrap()).collect()
}

/// Waits until the trail holds an entry of each of `kinds` (the server writes in batches).
fn audit_with(db: &std::path::Path, kinds: &[AuditKind]) -> Vec<AuditEntry> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let entries = audit(db, &[]);
        if kinds.iter().all(|k| entries.iter().any(|e| e.kind == *k)) {
            return entries;
        }
        assert!(Instant::now() < deadline, "the audit trail lacks some of {kinds:?}: {entries:#?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn security_events_are_kept_listed_and_filtered_and_every_request_is_logged() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    admin(&db, &["demo", "--prospects", "5"]);
    let centre = demo::demo_territories()[0].id;
    let log = dir.path().join("server.log");
    let server = Server::start_logging_to(&db, &log);

    // Sign-ins: one succeeds, wrong passwords fail, and past three the login is slowed down.
    let mut manager = Device::sign_in(dir.path(), "manager", &server, "manager");
    manager.sync().unwrap();
    let raw = RawApi::sign_in(&server, "anna");
    let mut slowed = false;
    for _ in 0..10 {
        let refused = raw.login("boris", "not his password").status().as_u16();
        assert!([401, 429].contains(&refused));
        slowed |= refused == 429;
        if slowed {
            break;
        }
    }
    assert!(slowed, "repeated wrong passwords are slowed down");
    let nobody = raw.login("nobody-here", "a guess");
    assert_eq!(nobody.status().as_u16(), 401);

    // A forged push is refused.
    let doc = ProspectId::new_v7(now(), rand::random());
    let (_, first) =
        ProspectDoc::create(doc, raw.device, &EditContext::new(raw.user, now()), &new_prospect(centre, "Ромашка"))
            .unwrap();
    let forged = forge(std::slice::from_ref(&first.bytes), raw.device, manager.user(), |d| {
        d.put(ROOT, "name", "чужое").unwrap()
    });
    let outcomes = raw.push(vec![item(doc, centre, &first.bytes), item(doc, centre, &forged)]);
    assert_eq!(refused_code(&outcomes[1]), "forged_author");

    // People and devices: a manager revokes Anna's raw device and adds an agent; an
    // administrator reinstates the device from the server's machine, and retires Boris.
    manager.replica.revoke_device(&manager.client, raw.device).unwrap();
    let new =
        NewPerson {
            login: "vera".into(), name: "Вера".into(), role: Role::Agent, password: "долгий пароль 1".into()
        };
    manager.replica.add_person(&manager.client, &new).unwrap();
    admin(&db, &["device", "reinstate", &raw.device.to_string()]);
    admin(&db, &["user", "retire", "boris", "--hand-over-to", "anna"]);
    admin(&db, &["user", "role", "vera", "--role", "manager"]);
    admin(&db, &["user", "password", "vera", "--password", "долгий пароль 2"]);

    let entries = audit_with(
        &db,
        &[
            AuditKind::SignedIn,
            AuditKind::SignInFailed,
            AuditKind::SignInsThrottled,
            AuditKind::PushRefused,
            AuditKind::DeviceRevoked,
            AuditKind::DeviceReinstated,
            AuditKind::PersonAdded,
            AuditKind::PersonRetired,
            AuditKind::RoleChanged,
            AuditKind::PasswordChanged,
        ],
    );
    let of = |kind: AuditKind| entries.iter().filter(move |e| e.kind == kind);
    let signed_in = of(AuditKind::SignedIn).find(|e| e.login.as_deref() == Some("manager")).unwrap();
    assert_eq!(signed_in.device, Some(manager.replica.device()));
    assert_eq!(signed_in.address.as_deref(), Some("127.0.0.1"));
    let failed: Vec<&AuditEntry> = of(AuditKind::SignInFailed).collect();
    assert!(failed.iter().any(|e| e.login.as_deref() == Some("boris") && e.detail.contains("wrong password")));
    assert!(failed.iter().any(|e| e.login.as_deref() == Some("nobody-here") && e.user.is_none()));
    assert!(of(AuditKind::SignInsThrottled).all(|e| e.count >= 1 && e.address.is_some()));
    let refused = of(AuditKind::PushRefused).next().unwrap();
    assert_eq!((refused.user, refused.device), (Some(raw.user), Some(raw.device)));
    assert!(refused.detail.contains("forged_author"), "{}", refused.detail);
    let revoked = of(AuditKind::DeviceRevoked).next().unwrap();
    assert_eq!(
        (revoked.device, revoked.login.as_deref(), revoked.by),
        (Some(raw.device), Some("anna"), Some(manager.user()))
    );
    assert!(of(AuditKind::DeviceReinstated).next().unwrap().detail.contains("census-server"));
    assert!(of(AuditKind::PersonAdded).any(|e| e.login.as_deref() == Some("vera") && e.detail.contains("agent")));
    assert!(of(AuditKind::PersonRetired).next().unwrap().detail.contains("handed to anna"));
    let promoted = of(AuditKind::RoleChanged).next().unwrap();
    assert_eq!(promoted.login.as_deref(), Some("vera"));
    assert!(promoted.detail.contains("now manager (was agent)"), "{}", promoted.detail);
    assert!(of(AuditKind::PasswordChanged).any(|e| e.login.as_deref() == Some("vera")));
    // Newest first, and never a secret.
    assert!(entries.windows(2).all(|w| w[0].at >= w[1].at));
    let listed = serde_json::to_string(&entries).unwrap();
    for secret in ["not his password", "a guess", "census-demo", "долгий пароль", &raw.token] {
        assert!(!listed.contains(secret), "the audit trail holds a secret: {secret}");
    }

    // Filters.
    let only_failed = audit(&db, &["--kind", "sign_in_failed"]);
    assert!(!only_failed.is_empty() && only_failed.iter().all(|e| e.kind == AuditKind::SignInFailed));
    let about_boris = audit(&db, &["--login", "boris"]);
    assert!(about_boris.iter().any(|e| e.kind == AuditKind::PersonRetired));
    assert!(about_boris.iter().all(|e| e.login.as_deref() == Some("boris")), "{about_boris:#?}");
    let of_device = audit(&db, &["--device", &raw.device.to_string()]);
    assert!(of_device.iter().all(|e| e.device == Some(raw.device)) && of_device.len() >= 3, "{of_device:#?}");
    let readable = admin(&db, &["audit", "--kind", "device_revoked"]);
    assert!(readable.contains("device_revoked") && readable.contains("anna"), "{readable}");

    // Administrators read it through the API; managers may not.
    let administrator = Device::sign_in(dir.path(), "admin", &server, "admin");
    let filter = AuditFilter { kind: Some(AuditKind::PersonAdded), ..AuditFilter::default() };
    let through_api = administrator.replica.audit_trail(&administrator.client, &filter).unwrap();
    assert!(through_api.iter().any(|e| e.login.as_deref() == Some("vera")));
    let forbidden = manager.replica.audit_trail(&manager.client, &filter).unwrap_err();
    assert!(matches!(&forbidden, SyncError::Refused { code, .. } if code == "forbidden"), "{forbidden:?}");

    // A line per request, with who made it, and never a secret.
    let lines = std::fs::read_to_string(&log).unwrap();
    let pushes: Vec<&str> =
        lines.lines().filter(|l| l.contains("path=\"/api/v1/push\"") && l.contains("answered")).collect();
    assert!(!pushes.is_empty(), "{lines}");
    for line in &pushes {
        assert!(line.contains(&format!("device={}", raw.device)) && line.contains(&format!("user={}", raw.user)));
        assert!(line.contains("status=200") && line.contains("latency_ms=") && line.contains("id="), "{line}");
    }
    assert!(lines.contains("path=\"/api/v1/login\"") && lines.contains("status=401"));
    for secret in ["not his password", "a guess", "census-demo", "долгий пароль", &raw.token] {
        assert!(!lines.contains(secret), "the log holds a secret: {secret}");
    }
}
