//! Proof that something works with no network: the test runs again inside a network namespace
//! of its own whose only interface is loopback (`unshare --net`, as root; a user namespace
//! otherwise), so the server, the display, the driver and the app it starts there can reach
//! each other on 127.0.0.1 and nothing else at all.

use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

const INSIDE: &str = "CENSUS_TEST_IN_OFFLINE_NAMESPACE";
/// The longest a test may take in there.
const LONGEST: Duration = Duration::from_secs(10 * 60);

/// In the test process: runs the test `name` again inside a loopback-only namespace and fails
/// if it fails there, answering `false` (the caller returns). Inside: checks that the internet
/// is out of reach and answers `true` (the caller goes on with the test).
pub fn inside_offline_namespace(name: &str) -> bool {
    if std::env::var_os(INSIDE).is_some() {
        let internet: SocketAddr = "1.1.1.1:443".parse().unwrap();
        assert!(
            TcpStream::connect_timeout(&internet, Duration::from_secs(2)).is_err(),
            "the namespace reaches beyond loopback"
        );
        return true;
    }
    let root = Command::new("id").arg("-u").output().is_ok_and(|out| out.stdout.starts_with(b"0"));
    let namespace: &[&str] = if root { &["--net"] } else { &["--user", "--map-root-user", "--net"] };
    let test = std::env::current_exe().unwrap();
    let mut inside = Command::new("unshare")
        .args(namespace)
        .args(["--", "sh", "-c", "ip link set lo up && exec \"$0\" \"$@\""])
        .arg(test)
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(INSIDE, "1")
        .spawn()
        .expect("unshare (util-linux) runs");
    // A test that hangs fails here rather than holding up everything after it.
    let deadline = Instant::now() + LONGEST;
    let status = loop {
        if let Some(status) = inside.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = inside.kill();
            panic!("{name} did not end within {} minutes inside its network namespace", LONGEST.as_secs() / 60);
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(status.success(), "{name} failed inside a network namespace with only loopback");
    false
}
