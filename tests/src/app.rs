//! The real Census app in a real window, driven like a person would: `tauri-driver` (which
//! starts Debian's WebKitWebDriver) on an Xvfb display of its own, on this project's own
//! ports, with the app binary of this build and a data folder of the test's choosing.

use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// tauri-driver's port; WebKitWebDriver gets the next one. Unusual numbers, so that another
/// project's driver on the defaults (4444/4445) cannot answer instead.
pub const DRIVER_PORT: u16 = 5744;

/// The app binary of this build, built first if need be (with the front end embedded).
pub fn app_binary() -> PathBuf {
    crate::binary("census-app", "census-app")
}

/// A running tauri-driver inside a virtual display of its own; stopped when dropped.
#[derive(Debug)]
pub struct Driver {
    child: Child,
    pub url: String,
    /// The X display the app is shown on, e.g. `:57`.
    pub display: String,
}

impl Driver {
    /// Starts Xvfb and, inside a D-Bus session on it, tauri-driver; the app it launches keeps
    /// its data in `data` (through `CENSUS_APP_DATA`), exports into `data/exports`, and syncs
    /// only when asked.
    pub fn start(data: &Path) -> Driver {
        Driver::start_syncing_every(data, 0)
    }

    /// Like [`Driver::start`], with the app syncing by itself every `seconds` (0: never).
    pub fn start_syncing_every(data: &Path, seconds: u64) -> Driver {
        // The WebDriver client speaks through rustls, with the same provider as the sync client.
        let _ = rustls::crypto::ring::default_provider().install_default();
        for tool in ["Xvfb", "dbus-run-session", "tauri-driver", "WebKitWebDriver", "import"] {
            assert!(
                Command::new("sh").args(["-c", &format!("command -v {tool}")]).output().unwrap().status.success(),
                "{tool} is missing: run scripts/setup first"
            );
        }
        let display = free_display();
        let script = format!(
            "Xvfb {display} -screen 0 1280x800x24 -nolisten tcp & \
             sleep 0.5; exec dbus-run-session -- tauri-driver --port {DRIVER_PORT} --native-port {}",
            DRIVER_PORT + 1
        );
        let child = Command::new("sh")
            .args(["-c", &script])
            .env("DISPLAY", &display)
            .env("CENSUS_APP_DATA", data)
            .env("CENSUS_SYNC_EVERY_S", seconds.to_string())
            .env("CENSUS_EXPORT_DIR", data.join("exports"))
            // The webview's own storage (the language chosen, caches) starts empty too.
            .env("XDG_DATA_HOME", data.join("xdg-data"))
            .env("XDG_CACHE_HOME", data.join("xdg-cache"))
            .env("XDG_CONFIG_HOME", data.join("xdg-config"))
            .env("NO_AT_BRIDGE", "1")
            .env("WEBKIT_DISABLE_DMABUF_RENDERER", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", DRIVER_PORT)).is_err() {
            assert!(Instant::now() < deadline, "tauri-driver did not start on port {DRIVER_PORT}");
            std::thread::sleep(Duration::from_millis(100));
        }
        Driver { child, url: format!("http://127.0.0.1:{DRIVER_PORT}"), display }
    }

    /// Photographs the part of the screen at `x, y, width, height` into `file` (PNG). WebDriver's
    /// own screenshot hangs on WebKitGTK under Xvfb after the first, so the display is read.
    pub fn screenshot(&self, (x, y, width, height): (u64, u64, u64, u64), file: &Path) {
        let crop = format!("{width}x{height}+{x}+{y}");
        let out = Command::new("import")
            .args(["-display", &self.display, "-window", "root", "-crop", &crop, "+repage"])
            .arg(file)
            .output()
            .unwrap();
        assert!(out.status.success(), "screenshot failed: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// The W3C capabilities that make tauri-driver launch the app.
    pub fn capabilities() -> serde_json::Map<String, serde_json::Value> {
        let mut capabilities = serde_json::Map::new();
        let application = app_binary().display().to_string();
        capabilities.insert("tauri:options".into(), serde_json::json!({ "application": application }));
        // The app is one page that never navigates; without this, a click on a form's submit
        // button makes the driver wait for a page load that never comes.
        capabilities.insert("pageLoadStrategy".into(), serde_json::json!("none"));
        capabilities
    }
}

/// An X display number no running server holds. A server killed by an earlier run leaves its
/// lock file behind (SIGKILL gives it no time to remove it); such a lock, whose process is gone,
/// is cleared so the number can be used again, as X servers themselves do.
fn free_display() -> String {
    (57..200)
        .find(|n| {
            let lock = format!("/tmp/.X{n}-lock");
            let holder = std::fs::read_to_string(&lock).ok().and_then(|pid| pid.trim().parse::<u32>().ok());
            match holder {
                Some(pid) if Path::new(&format!("/proc/{pid}")).exists() => false,
                _ if Path::new(&lock).exists() && holder.is_none() => false,
                _ => {
                    let _ = std::fs::remove_file(&lock);
                    let _ = std::fs::remove_file(format!("/tmp/.X11-unix/X{n}"));
                    true
                }
            }
        })
        .map(|n| format!(":{n}"))
        .expect("a free X display number")
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The whole group: Xvfb, dbus, tauri-driver, WebKitWebDriver and the app.
        // (`kill -KILL -PID` would be read by procps as `kill -1`: every process. Hence `--`.)
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-s", "KILL", "--", &group]).status();
        let _ = self.child.wait();
        // Killed, Xvfb cannot remove its lock and socket; they go here.
        let number = self.display.trim_start_matches(':');
        let _ = std::fs::remove_file(format!("/tmp/.X{number}-lock"));
        let _ = std::fs::remove_file(format!("/tmp/.X11-unix/X{number}"));
    }
}
