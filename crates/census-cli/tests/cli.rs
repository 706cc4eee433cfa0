//! The `census` program, run as a user or a script would, on a real replica file.

#![allow(clippy::unwrap_used, reason = "a test fails loudly on any unexpected error")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use census_core::*;
use census_replica::Replica;
use serde_json::Value;

const AGENT: &str = "01930000-0000-7000-8000-000000000001";
const TERRITORY: &str = "01930000-0000-7000-8000-0000000000aa";
const QUESTIONNAIRE: &str = "01930000-0000-7000-8000-0000000000bb";

const DIRECTORY: &str = r#"{
  "people": [{"id": "01930000-0000-7000-8000-000000000001", "name": "Анна Смирнова", "login": "anna", "role": "agent"},
             {"id": "01930000-0000-7000-8000-000000000002", "name": "Boris", "login": "boris", "role": "manager"}],
  "territories": [{"id": "01930000-0000-7000-8000-0000000000aa", "name": "Тверь-Центр", "planned_prospects": 500}],
  "questionnaires": [{"id": "01930000-0000-7000-8000-0000000000bb", "version": 1,
    "title": {"ru": "Перепись", "en": "Census"},
    "questions": [
      {"id": "staff", "label": {"ru": "Штат", "en": "Staff"}, "type": "integer", "required": true, "min": 1},
      {"id": "brands", "label": {"ru": "Бренды", "en": "Brands"}, "type": "select_many",
       "choices": [{"value": "alpha", "label": {"ru": "А", "en": "A"}}, {"value": "beta", "label": {"ru": "Б", "en": "B"}}]}
    ]}]
}"#;

struct Census {
    dir: tempfile::TempDir,
    replica: PathBuf,
}

impl Census {
    fn new() -> Census {
        let dir = tempfile::tempdir().unwrap();
        let replica = dir.path().join("agent.census");
        Census { dir, replica }
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_census")).arg("--replica").arg(&self.replica).args(args).output().unwrap()
    }

    /// Runs a command that must succeed and returns its standard output.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "census {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut with_json = vec!["--json"];
        with_json.extend_from_slice(args);
        serde_json::from_str(&self.ok(&with_json)).unwrap()
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A replica where Anna is signed in, with the directory and one prospect; returns the
    /// prospect's id. (`census login` needs a server: `tests/tests/cli_sync.rs` runs it; here
    /// the sign-in is recorded directly.)
    fn with_prospect(&self) -> String {
        self.ok(&["init"]);
        let unsigned = self.run(&["add", "--name", "Лютик", "--territory", TERRITORY]);
        assert!(!unsigned.status.success(), "no one signed in: no edits");
        assert!(String::from_utf8_lossy(&unsigned.stderr).contains("census login"));
        Replica::open(&self.replica).unwrap().set_signed_in_user(AGENT.parse().unwrap()).unwrap();
        std::fs::write(self.file("directory.json"), DIRECTORY).unwrap();
        self.ok(&["directory", self.file("directory.json").to_str().unwrap()]);
        let added = self.json(&[
            "add",
            "--name",
            "Ромашка",
            "--territory",
            TERRITORY,
            "--category",
            "grocery",
            "--line",
            "ул. Ленина, 5",
            "--city",
            "Тверь",
            "--lat",
            "56.85",
            "--lon",
            "35.9",
        ]);
        added["id"].as_str().unwrap().to_owned()
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn an_agent_adds_edits_visits_and_finds_a_prospect() {
    let census = Census::new();
    let id = census.with_prospect();

    let edited = census.json(&[
        "edit",
        &id,
        "--status",
        "interested",
        "--contact",
        "Ирина; owner; +7 912 345 67 89",
        "--tag",
        "vip",
        "--notes",
        "Open 9 to 21",
    ]);
    assert_eq!(edited["status"], "interested");
    assert_eq!(edited["contacts"].as_object().unwrap().len(), 1);

    // An invalid visit is refused with the problem in words on standard error and exit status
    // 1; nothing is saved.
    let refused = census.run(&["visit", &id, "--questionnaire", QUESTIONNAIRE, "-a", "staff=0"]);
    assert_eq!(refused.status.code(), Some(1));
    let text = stderr(&refused);
    assert!(text.contains("not saved") && text.contains("staff"), "{text}");
    assert!(refused.stdout.is_empty(), "{}", String::from_utf8_lossy(&refused.stdout));
    // A draft keeps it; recording it later with the same visit id replaces the draft.
    let draft = census.json(&["visit", &id, "--questionnaire", QUESTIONNAIRE, "-a", "staff=0", "--draft"]);
    let visit_id = draft["draft"].as_str().unwrap().to_owned();
    assert_eq!(census.json(&["drafts"]).as_array().unwrap().len(), 1);
    let recorded = census.json(&[
        "visit",
        &id,
        "--questionnaire",
        QUESTIONNAIRE,
        "-a",
        "staff=3",
        "-a",
        "brands=alpha, beta",
        "--visit-id",
        &visit_id,
    ]);
    assert_eq!(recorded["result"]["outcome"], "recorded");
    assert!(census.json(&["drafts"]).as_array().unwrap().is_empty());

    let shown = census.json(&["show", &id]);
    let visit = &shown["prospect"]["visits"][&visit_id];
    assert_eq!(visit["answers"]["staff"]["value"], 3);
    assert_eq!(visit["answers"]["brands"]["value"], serde_json::json!(["alpha", "beta"]));
    assert!(shown["history"].as_array().unwrap().iter().any(|e| e["path"] == "status" && e["value"] == "interested"));

    let readable = census.ok(&["show", &id, "--history"]);
    assert!(readable.contains("Ромашка") && readable.contains("by Анна Смирнова"), "{readable}");

    for query in ["ром", "ирина", "912", "ленина тверь"] {
        let found = census.json(&["search", query]);
        assert_eq!(found.as_array().unwrap().len(), 1, "search {query}");
    }
    assert_eq!(census.json(&["list", "--status", "interested"]).as_array().unwrap().len(), 1);
    assert!(census.json(&["list", "--status", "client"]).as_array().unwrap().is_empty());
    let near = census.json(&["nearby", "--lat", "56.8501", "--lon", "35.9", "--radius", "100"]);
    assert!(near[0]["distance_m"].as_f64().unwrap() < 20.0);
    assert_eq!(census.json(&["outbox"])["waiting"].as_array().unwrap().len(), 3, "create, edit, visit");

    let csv_path = census.file("export.csv");
    census.ok(&["export", "--out", csv_path.to_str().unwrap(), "--status", "interested"]);
    let csv = std::fs::read_to_string(&csv_path).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[1].starts_with(&id) && lines[1].contains("Тверь-Центр") && lines[1].contains("+7 912 345 67 89"));
}

/// Another device that received the prospect renames it; returns its change, to deliver later.
fn rename_elsewhere(replica: &Path, id: ProspectId, name: &str) -> Vec<(ProspectId, Vec<u8>)> {
    let mut other = Replica::create(&replica.with_file_name("other.census"), DeviceId::from_bytes([42; 16])).unwrap();
    let mine = Replica::open(replica).unwrap();
    let changes: Vec<(ProspectId, Vec<u8>)> =
        mine.outbox(1000).unwrap().into_iter().map(|e| (e.prospect, e.bytes)).collect();
    other.apply_changes(&changes).unwrap();
    let boris: UserId = "01930000-0000-7000-8000-000000000002".parse().unwrap();
    let ctx = EditContext::new(boris, Timestamp::from_unix_millis(1_795_800_000_000));
    other.edit_prospect(id, &ctx, |p| p.set_name(name)).unwrap();
    // Its outbox holds only its own edit.
    other.outbox(1000).unwrap().into_iter().map(|e| (e.prospect, e.bytes)).collect()
}

#[test]
fn conflicts_are_listed_with_who_set_each_value_and_resolved_by_picking_one() {
    let census = Census::new();
    let id = census.with_prospect();
    let theirs = rename_elsewhere(&census.replica, id.parse().unwrap(), "Ромашка (их вариант)");
    census.ok(&["edit", &id, "--name", "Ромашка (мой вариант)"]);
    Replica::open(&census.replica).unwrap().apply_changes(&theirs).unwrap();

    let listed = census.json(&["list", "--conflicts"]);
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let conflicts = census.json(&["conflicts"]);
    let values = conflicts[0]["conflicts"][0]["values"].as_array().unwrap();
    assert_eq!(conflicts[0]["conflicts"][0]["path"], "name");
    assert_eq!(values.len(), 2);
    let readable = census.ok(&["conflicts", &id]);
    assert!(readable.contains("by Анна Смирнова") && readable.contains("by Boris"), "{readable}");

    let theirs = values.iter().position(|v| v["value"]["value"] == "Ромашка (их вариант)").unwrap() + 1;
    census.ok(&["resolve", &id, "name", "--pick", &theirs.to_string()]);
    assert_eq!(census.json(&["show", &id])["prospect"]["name"], "Ромашка (их вариант)");
    assert!(census.json(&["conflicts"]).as_array().unwrap().is_empty());
    assert!(census.json(&["list", "--conflicts"]).as_array().unwrap().is_empty());

    // Nothing left to pick from.
    let again = census.run(&["resolve", &id, "name", "--pick", "1"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr(&again).contains("not in conflict"));
    // A new value can always be given.
    census.ok(&["resolve", &id, "address/city", "--value", "Тверь, центр"]);
    assert_eq!(census.json(&["show", &id])["prospect"]["address"]["city"], "Тверь, центр");
}

#[test]
fn bad_input_gets_a_plain_error_and_changes_nothing() {
    let census = Census::new();
    let missing = census.run(&["list"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).contains("there is no replica at"), "{}", stderr(&missing));

    let id = census.with_prospect();
    let before = census.ok(&["--json", "show", &id]);
    let cases: [(&[&str], &str); 7] = [
        (&["show", "01930000-0000-7000-8000-00000000ffff"], "there is no prospect"),
        (&["show", "not-an-id"], "not a valid prospect id"),
        (&["edit", &id, "--status", "bought"], "not a status"),
        (&["edit", &id, "--lat", "123", "--lon", "10"], "not on the globe"),
        (&["visit", &id, "--questionnaire", QUESTIONNAIRE, "-a", "staff=many"], "not a whole number"),
        (&["visit", &id, "--questionnaire", QUESTIONNAIRE, "-a", "floors=2"], "has no question \"floors\""),
        (&["visit", &id, "--questionnaire", TERRITORY, "-a", "staff=2"], "is not on this device"),
    ];
    for (args, expected) in cases {
        let out = census.run(args);
        assert!(!out.status.success(), "census {args:?} should fail");
        assert!(stderr(&out).contains(expected), "census {args:?}: {}", stderr(&out));
    }
    assert_eq!(census.ok(&["--json", "show", &id]), before, "nothing changed");

    std::fs::write(census.file("not-a-directory.json"), "{\"people\": 3}").unwrap();
    let refused = census.run(&["directory", census.file("not-a-directory.json").to_str().unwrap()]);
    assert!(stderr(&refused).contains("is not a Census directory"), "{}", stderr(&refused));

    let text_file = census.file("notes.txt");
    std::fs::write(&text_file, "a shopping list, not a replica ".repeat(200)).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_census")).arg("--replica").arg(&text_file).arg("list").output().unwrap();
    assert!(stderr(&out).contains("not a Census replica"), "{}", stderr(&out));
}

#[test]
fn a_spreadsheet_is_previewed_then_imported_and_a_second_import_changes_nothing() {
    let census = Census::new();
    let existing = census.with_prospect();
    let sheet = "Название;Адрес;Телефон;Широта;Долгота\n\
                 ООО «Ромашка»;ул. Ленина, 5, Тверь;+7 912 345-67-89;56,85001;35,9\n\
                 Колос;пр. Мира, 40, Тверь;;56,95;36,1\n\
                 Уют;;;сорок;36,1\n";
    let (encoded, _, _) = encoding_rs::WINDOWS_1251.encode(sheet);
    std::fs::write(census.file("база.csv"), &encoded).unwrap();
    let file = census.file("база.csv");
    let file = file.to_str().unwrap();

    let preview = census.ok(&["import", file, "--territory", TERRITORY]);
    assert!(preview.contains("1 new, 0 updated, 0 unchanged, 1 likely duplicates, 1 invalid"), "{preview}");
    assert!(preview.contains("line 4: “сорок” is not a number (latitude)"), "{preview}");
    assert!(preview.contains("Nothing written"), "{preview}");
    assert_eq!(census.json(&["list"]).as_array().unwrap().len(), 1, "a preview writes nothing");

    let applied = census.json(&["import", file, "--territory", TERRITORY, "--apply"]);
    assert_eq!(applied["preview"]["new"], 1);
    let listed = census.json(&["list"]);
    assert_eq!(listed.as_array().unwrap().len(), 2);
    // Imported prospects get time-ordered ids (UUID version 7), like those added by hand.
    for row in listed.as_array().unwrap() {
        let id: uuid::Uuid = row["id"].as_str().unwrap().parse().unwrap();
        assert_eq!(id.get_version_num(), 7, "{id}");
    }
    let shown = census.json(&["show", &existing]);
    assert_eq!(shown["prospect"]["contacts"].as_object().unwrap().len(), 1, "the phone went to the shop it matched");

    let again = census.json(&["import", file, "--territory", TERRITORY]);
    assert_eq!((again["preview"]["new"].as_u64(), again["preview"]["unchanged"].as_u64()), (Some(0), Some(2)));

    let missing = census.run(&["import", census.file("nothing.csv").to_str().unwrap()]);
    assert!(!missing.status.success());
    assert!(stderr(&missing).contains("cannot be read"), "{}", stderr(&missing));
}

#[test]
fn a_mapping_set_by_hand_is_saved_for_the_next_file_and_exports_come_in_every_format() {
    let census = Census::new();
    census.with_prospect();
    std::fs::write(census.file("май.csv"), "Клиент;Сотовый;Служебное\nКолос;+7 900 111-22-33;x\n").unwrap();
    let may = census.file("май.csv");
    let may = may.to_str().unwrap();

    let bad = census.run(&["import", may, "--column", "Сотовый=telephone"]);
    assert!(stderr(&bad).contains("\"telephone\" is not a field; the fields are census_id, name"), "{}", stderr(&bad));
    let bad = census.run(&["import", may, "--column", "Факс=phone"]);
    assert!(stderr(&bad).contains("the file has no column \"Факс\""), "{}", stderr(&bad));

    let preview = census.ok(&["import", may, "--column", "сотовый=phone", "--save-mapping", "Выгрузка 1С"]);
    assert!(preview.contains("Сотовый                  -> Phone"), "{preview}");
    // June's file has its columns in another order: the saved mapping is used by itself.
    std::fs::write(census.file("июнь.csv"), "Служебное;Сотовый;Клиент\ny;+7 900 444-55-66;Уют\n").unwrap();
    let june = census.file("июнь.csv");
    let applied = census.json(&["import", june.to_str().unwrap(), "--territory", TERRITORY, "--apply"]);
    assert_eq!(applied["mapping"]["columns"], serde_json::json!([null, "phone", "name"]));
    assert_eq!(applied["preview"]["new"], 1);
    let listed = census.json(&["list"]);
    let cosy = listed.as_array().unwrap().iter().find(|r| r["name"] == "Уют").expect("imported");
    assert_eq!(cosy["phones"], "+7 900 444-55-66");
    let shown = census.json(&["show", cosy["id"].as_str().unwrap()]);
    let sources: Vec<&str> = shown["history"].as_array().unwrap().iter().filter_map(|e| e["source"].as_str()).collect();
    assert!(sources.contains(&"import of июнь.csv by Анна Смирнова"), "{sources:?}");

    let xlsx = census.file("база.xlsx");
    census.ok(&["export", "--out", xlsx.to_str().unwrap()]);
    let mut workbook: calamine::Xlsx<_> = calamine::open_workbook(&xlsx).unwrap();
    let sheet = calamine::Reader::worksheet_range(&mut workbook, census_replica::XLSX_SHEET).unwrap();
    assert_eq!(sheet.height(), 3, "a header and both prospects");
    let geojson: Value = serde_json::from_str(&census.ok(&["export", "--format", "geojson"])).unwrap();
    assert_eq!(geojson["type"], "FeatureCollection");
    assert_eq!(geojson["features"].as_array().unwrap().len(), 1, "only the prospect with a position is on a map");
    let refused = census.run(&["export", "--format", "xlsx"]);
    assert!(stderr(&refused).contains("an XLSX export needs a file"), "{}", stderr(&refused));
}

#[test]
fn options_go_anywhere_territories_go_by_name_and_a_phone_is_one_option() {
    let census = Census::new();
    census.with_prospect();
    let replica = census.replica.to_str().unwrap();
    // The replica and --json after the command, as people type them.
    let run = |args: &[&str]| Command::new(env!("CARGO_BIN_EXE_census")).args(args).output().unwrap();
    let listed = run(&["list", "-r", replica, "--json"]);
    assert!(listed.status.success(), "{}", stderr(&listed));
    assert_eq!(serde_json::from_slice::<Value>(&listed.stdout).unwrap().as_array().unwrap().len(), 1);

    // A territory by its name (letter case aside), with phones and a contact on the new prospect.
    let added = run(&[
        "add",
        "--name",
        "Киоск у вокзала",
        "--territory",
        "тверь-центр",
        "--phone",
        "+7 900 111-22-33",
        "--contact",
        "Олег; продавец; +7 900 444-55-66",
        "--replica",
        replica,
        "--json",
    ]);
    assert!(added.status.success(), "{}", stderr(&added));
    let added: Value = serde_json::from_slice(&added.stdout).unwrap();
    assert_eq!(added["territory"], TERRITORY);
    let phones: Vec<&str> =
        added["contacts"].as_object().unwrap().values().map(|c| c["phone"].as_str().unwrap()).collect();
    assert_eq!(phones.len(), 2);
    assert!(phones.contains(&"+7 900 111-22-33") && phones.contains(&"+7 900 444-55-66"), "{phones:?}");
    assert_eq!(census.json(&["list", "--territory", "Тверь-Центр"]).as_array().unwrap().len(), 2);

    // A name the device does not know is refused, naming the ones it knows.
    let unknown = census.run(&["add", "--name", "Х", "--territory", "Заречье"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        stderr(&unknown).contains("no territory \"Заречье\"; this device knows: Тверь-Центр"),
        "{}",
        stderr(&unknown)
    );
}
