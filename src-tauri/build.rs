//! Declares the app's own commands, so the capability files can allow them by name.

fn main() {
    let commands = &[
        "session",
        "sign_in",
        "sync_now",
        "sync_status",
        "refused_changes",
        "list_prospects",
        "count_prospects",
        "categories",
        "people",
        "likely_duplicates",
        "duplicate_pairs",
        "merge_duplicate",
        "set_apart",
        "dashboard",
        "export_prospects",
        "search_prospects",
        "prospects_within",
        "prospect",
        "territories",
        "territory_progress",
        "create_prospect",
        "set_status",
        "set_notes",
        "set_location",
        "add_contact",
        "edit_contact",
        "remove_contact",
        "resolve_conflict",
        "set_review",
        "questionnaires",
        "visit_drafts",
        "save_visit_draft",
        "discard_visit_draft",
        "record_visit",
        "store_photo",
        "photo",
    ];
    tauri_build::try_build(
        tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(commands)),
    )
    .expect("the Tauri build configuration is valid");
}
