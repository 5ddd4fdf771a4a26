//! The interactive editor through the real binary in a pseudo-terminal (issue 10): `chatify
//! connect` runs reedline on a pty this test holds the other end of (answering the editor's
//! cursor-position queries as a terminal would), against a real `chatify serve`, with a second
//! client in pipe mode reading what arrives. A bracketed paste larger than the server's frame
//! limit is refused at once with its size and never drawn; a 12-line paste is announced, stays
//! in the editor until Enter, and arrives as one message; `/clear` wipes the screen and the
//! scrollback. Every wait has a timeout.

#![cfg(unix)]

#[path = "client_e2e/pipe_client.rs"]
mod pipe_client;
#[path = "common/server.rs"]
mod server_fixture;

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

use pipe_client::{Client, WAIT};
use server_fixture::ServeProcess;

/// What the terminal side has read so far.
#[derive(Default)]
struct Screen {
    bytes: Vec<u8>,
    closed: bool,
}

/// `chatify connect` on a pseudo-terminal.
struct PtyClient {
    child: Child,
    writer: Arc<Mutex<File>>,
    screen: Arc<(Mutex<Screen>, Condvar)>,
}

impl PtyClient {
    fn start(server: &ServeProcess, name: &str, config: &std::path::Path) -> PtyClient {
        let (master, slave) = open_pty();
        let mut command = Command::new(env!("CARGO_BIN_EXE_chatify"));
        command
            .args([
                "connect",
                "--server",
                &server.url,
                "--user",
                name,
                "--register",
            ])
            .env("CHATIFY_CONFIG_DIR", config)
            .env("CHATIFY_PASSWORD", format!("{name}-password"))
            .env("NO_COLOR", "1")
            .env("TERM", "xterm-256color")
            .env_remove("CHATIFY_PASSPHRASE")
            .env_remove("CHATIFY_CHANNEL")
            .stdin(Stdio::from(slave.try_clone().expect("dup")))
            .stdout(Stdio::from(slave.try_clone().expect("dup")))
            .stderr(Stdio::from(slave));
        let child = command.spawn().expect("chatify connect starts");
        let writer = Arc::new(Mutex::new(File::from(
            master.try_clone().expect("dup master"),
        )));
        let screen = Arc::new((Mutex::new(Screen::default()), Condvar::new()));
        spawn_terminal(File::from(master), writer.clone(), screen.clone());
        PtyClient {
            child,
            writer,
            screen,
        }
    }

    fn type_bytes(&self, bytes: &[u8]) {
        let mut writer = self.writer.lock().expect("writer");
        writer.write_all(bytes).expect("pty write");
        writer.flush().expect("pty flush");
    }

    /// Waits until the output after byte `from` contains `needle`; returns the output length.
    fn expect_after(&self, from: usize, needle: &str) -> usize {
        let (lock, changed) = &*self.screen;
        let deadline = Instant::now() + WAIT;
        let mut screen = lock.lock().expect("screen");
        loop {
            let text = String::from_utf8_lossy(&screen.bytes[from.min(screen.bytes.len())..]);
            if text.contains(needle) {
                return screen.bytes.len();
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero() && !screen.closed,
                "the terminal never showed {needle:?}; it showed:\n{}",
                String::from_utf8_lossy(&screen.bytes)
            );
            screen = changed.wait_timeout(screen, left).expect("screen").0;
        }
    }
}

impl PtyClient {
    /// Waits until the program closed the terminal (it exited).
    fn wait_closed(&self) {
        let (lock, changed) = &*self.screen;
        let deadline = Instant::now() + WAIT;
        let mut screen = lock.lock().expect("screen");
        while !screen.closed {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "the program never closed the terminal");
            screen = changed.wait_timeout(screen, left).expect("screen").0;
        }
    }
}

impl Drop for PtyClient {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A pseudo-terminal of 40 rows and 120 columns: (master, slave).
fn open_pty() -> (OwnedFd, OwnedFd) {
    let (mut master, mut slave) = (0, 0);
    let size = libc::winsize {
        ws_row: 40,
        ws_col: 120,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: openpty writes two new descriptors into the given integers and reads `size`.
    let done = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            &size,
        )
    };
    assert_eq!(done, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just opened for us and are owned by nothing else.
    unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) }
}

/// Reads the terminal's output, answering cursor-position queries (`ESC [ 6 n`) as a terminal
/// at row 1, column 1 would.
fn spawn_terminal(
    mut master: File,
    writer: Arc<Mutex<File>>,
    screen: Arc<(Mutex<Screen>, Condvar)>,
) {
    std::thread::spawn(move || {
        let mut chunk = [0u8; 8192];
        let mut tail: Vec<u8> = Vec::new();
        loop {
            let read = match master.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(read) => read,
            };
            tail.extend_from_slice(&chunk[..read]);
            let queries = tail.windows(4).filter(|w| w == b"\x1b[6n").count();
            for _ in 0..queries {
                let _ = writer.lock().expect("writer").write_all(b"\x1b[1;1R");
            }
            let keep = tail.len().min(3);
            tail.drain(..tail.len() - keep);
            let (lock, changed) = &*screen;
            // A test that failed holding the lock must not hide its message behind ours.
            lock.lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .bytes
                .extend_from_slice(&chunk[..read]);
            changed.notify_all();
        }
        let (lock, changed) = &*screen;
        lock.lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .closed = true;
        changed.notify_all();
    });
}

fn paste(text: &str) -> Vec<u8> {
    [b"\x1b[200~".as_slice(), text.as_bytes(), b"\x1b[201~"].concat()
}

#[test]
fn a_huge_paste_is_refused_at_once_and_a_long_one_arrives_as_one_message() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = ServeProcess::start(&dir.path().join("chat.db"));
    let mut alice = Client::start(&server, "alice");
    let config = tempfile::tempdir().expect("config dir");
    let mut bob = PtyClient::start(&server, "bob", config.path());
    bob.expect_after(0, "connected to");
    let ready = bob.expect_after(0, "#general> ");

    let huge = "y".repeat(100_000);
    bob.type_bytes(&paste(&huge));
    let refused = bob.expect_after(ready, "paste refused: 100000 bytes");
    assert!(
        refused - ready < 20_000,
        "the refused paste was drawn: {} bytes shown",
        refused - ready
    );

    let lines: Vec<String> = (1..=12).map(|n| format!("pasted line {n:02}")).collect();
    bob.type_bytes(&paste(&lines.join("\n")));
    let announced = bob.expect_after(refused, "pasted 12 lines");
    bob.type_bytes(b"\r");
    alice.expect("<bob> pasted line 01");
    alice.expect("pasted line 12");
    assert_eq!(
        alice.count("<bob>"),
        1,
        "one message, not twelve:\n{}",
        alice.transcript.join("\n")
    );
    bob.type_bytes(b"/quit\r");
    bob.wait_closed();
    let status = bob.child.wait().expect("exit status");
    assert!(
        status.success(),
        "bob exited with {status} after showing {announced} bytes"
    );
}

#[test]
fn clear_wipes_the_screen_and_the_scrollback_and_sends_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = ServeProcess::start(&dir.path().join("chat.db"));
    let mut alice = Client::start(&server, "alice");
    let config = tempfile::tempdir().expect("config dir");
    let bob = PtyClient::start(&server, "bob", config.path());
    let ready = bob.expect_after(0, "#general> ");
    bob.type_bytes(b"/clear\r");
    // Erase the screen (ESC [ 2 J), then the scrollback (ESC [ 3 J).
    let cleared = bob.expect_after(ready, "\u{1b}[2J\u{1b}[3J");
    bob.type_bytes(b"after the clear\r");
    alice.expect("<bob> after the clear");
    bob.expect_after(cleared, "#general> ");
    assert_eq!(alice.count("/clear"), 0, "{}", alice.transcript.join("\n"));
}
