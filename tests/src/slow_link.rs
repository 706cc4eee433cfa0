//! A slow network between a device and the server: a TCP relay on loopback that carries what
//! the device sends at a set rate (the server's answers go at full speed). An upload over it
//! takes long enough for a test to kill the device's process half way.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// The running relay; stops accepting when dropped (connections end with their sockets).
#[derive(Debug)]
pub struct SlowLink {
    pub url: String,
    stop: Arc<AtomicBool>,
    accepting: Option<JoinHandle<()>>,
}

impl SlowLink {
    /// Relays a loopback port to `server_url` (`http://127.0.0.1:PORT`), the device's bytes at
    /// `bytes_per_second`.
    pub fn to(server_url: &str, bytes_per_second: u64) -> SlowLink {
        let upstream = server_url.trim_start_matches("http://").trim_end_matches('/').to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let accepting = std::thread::spawn(move || {
            while !stopping.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((device, _)) => {
                        device.set_nonblocking(false).unwrap();
                        let Ok(server) = TcpStream::connect(&upstream) else { continue };
                        relay(device, server, bytes_per_second);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        SlowLink { url, stop, accepting: Some(accepting) }
    }
}

impl Drop for SlowLink {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(accepting) = self.accepting.take() {
            let _ = accepting.join();
        }
    }
}

fn relay(device: TcpStream, server: TcpStream, bytes_per_second: u64) {
    let (device_reader, server_writer) = (device.try_clone().unwrap(), server.try_clone().unwrap());
    std::thread::spawn(move || copy(device_reader, server_writer, Some(bytes_per_second)));
    std::thread::spawn(move || copy(server, device, None));
}

/// Copies until either side closes, at most `rate` bytes a second when given (a pause after
/// each piece, so a connection idle for a while earns no burst).
fn copy(mut from: TcpStream, mut to: TcpStream, rate: Option<u64>) {
    let mut buffer = [0u8; 8 * 1024];
    loop {
        let read = match from.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(read) => read,
        };
        if to.write_all(&buffer[..read]).is_err() {
            break;
        }
        if let Some(rate) = rate {
            std::thread::sleep(Duration::from_secs_f64(read as f64 / rate as f64));
        }
    }
    let _ = to.shutdown(Shutdown::Both);
    let _ = from.shutdown(Shutdown::Both);
}
