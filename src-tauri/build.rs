//! Declares the app's own commands, so the capability files can allow them by name.

fn main() {
    let commands = &[
        "session",
        "sign_in",
        "sync_now",
        "sync_status",
        "list_prospects",
        "search_prospects",
        "prospect",
        "territories",
        "create_prospect",
    ];
    tauri_build::try_build(
        tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(commands)),
    )
    .expect("the Tauri build configuration is valid");
}
