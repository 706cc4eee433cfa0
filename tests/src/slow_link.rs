//! A slow network between a device and the server: a TCP relay on loopback that carries each
//! direction at a set rate (or at full speed), and that a test can cut and restore, as when an
//! agent walks out of reach and back. An upload or a download over it takes long enough for a
//! test to kill the device's process, or cut the link, half way.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// The running relay; stops accepting when dropped (connections end with their sockets).
#[derive(Debug)]
pub struct SlowLink {
    pub url: String,
    shared: Arc<Shared>,
    accepting: Option<JoinHandle<()>>,
}

#[derive(Debug, Default)]
struct Shared {
    stop: AtomicBool,
    cut: AtomicBool,
    /// Bytes the server sent to the device, through every connection.
    bytes_down: AtomicU64,
    /// Every socket open, so that a cut can close them.
    open: Mutex<Vec<TcpStream>>,
}

impl SlowLink {
    /// Relays a loopback port to `server_url` (`http://127.0.0.1:PORT`), the device's bytes at
    /// `bytes_per_second`, the server's at full speed.
    pub fn to(server_url: &str, bytes_per_second: u64) -> SlowLink {
        SlowLink::with_rates(server_url, Some(bytes_per_second), None)
    }

    /// Relays a loopback port to `server_url`, the device's bytes at `up` and the server's at
    /// `down` bytes a second (`None`: full speed).
    pub fn with_rates(server_url: &str, up: Option<u64>, down: Option<u64>) -> SlowLink {
        let upstream = server_url.trim_start_matches("http://").trim_end_matches('/').to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let shared = Arc::new(Shared::default());
        let relaying = shared.clone();
        let accepting = std::thread::spawn(move || {
            while !relaying.stop.load(Ordering::Relaxed) {
                match listener.accept() {
                    // Out of reach: the connection is closed as soon as it is made.
                    Ok((device, _)) if relaying.cut.load(Ordering::Relaxed) => drop(device),
                    Ok((device, _)) => {
                        device.set_nonblocking(false).unwrap();
                        let Ok(server) = TcpStream::connect(&upstream) else { continue };
                        relay(&relaying, device, server, up, down);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        SlowLink { url, shared, accepting: Some(accepting) }
    }

    /// Cuts the link: open connections end at once, new ones are closed as they are made.
    pub fn cut(&self) {
        self.shared.cut.store(true, Ordering::Relaxed);
        for socket in self.shared.open.lock().unwrap().drain(..) {
            let _ = socket.shutdown(Shutdown::Both);
        }
    }

    /// Restores a cut link, on the same address.
    pub fn restore(&self) {
        self.shared.cut.store(false, Ordering::Relaxed);
    }

    /// Bytes the server has sent to the device so far.
    pub fn bytes_down(&self) -> u64 {
        self.shared.bytes_down.load(Ordering::Relaxed)
    }
}

impl Drop for SlowLink {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(accepting) = self.accepting.take() {
            let _ = accepting.join();
        }
    }
}

fn relay(shared: &Arc<Shared>, device: TcpStream, server: TcpStream, up: Option<u64>, down: Option<u64>) {
    {
        let mut open = shared.open.lock().unwrap();
        open.push(device.try_clone().unwrap());
        open.push(server.try_clone().unwrap());
    }
    let (device_reader, server_writer) = (device.try_clone().unwrap(), server.try_clone().unwrap());
    std::thread::spawn(move || copy(device_reader, server_writer, up, None));
    let counted = shared.clone();
    std::thread::spawn(move || copy(server, device, down, Some(&counted.bytes_down)));
}

/// Copies until either side closes, at most `rate` bytes a second when given (a pause after
/// each piece, so a connection idle for a while earns no burst), counting into `counter`.
fn copy(mut from: TcpStream, mut to: TcpStream, rate: Option<u64>, counter: Option<&AtomicU64>) {
    let mut buffer = [0u8; 8 * 1024];
    loop {
        let read = match from.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(read) => read,
        };
        if to.write_all(&buffer[..read]).is_err() {
            break;
        }
        if let Some(counter) = counter {
            counter.fetch_add(read as u64, Ordering::Relaxed);
        }
        if let Some(rate) = rate {
            std::thread::sleep(Duration::from_secs_f64(read as f64 / rate as f64));
        }
    }
    let _ = to.shutdown(Shutdown::Both);
    let _ = from.shutdown(Shutdown::Both);
}
