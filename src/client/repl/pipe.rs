//! Pipe mode (stdin is not a terminal): every stdin line is one input line, executed in order
//! (each finishes before the next is read); every event is one plain line on stdout, flushed at
//! once. End of input quits. Part of `client::repl`.
//!
//! Both queues here are bounded: stdin lines ([`STDIN_QUEUE_LINES`]; the reading thread waits),
//! and display lines ([`crate::client::line_budget`]; the next stdin line waits for room, as
//! the event loop does before the next event).

use std::io::{BufRead, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, mpsc};

use crate::client::app::{App, Flow};
use crate::client::line_budget::LineReceiver;
use crate::client::session::SessionEvents;

/// Shared stdin lines: the command loop and the passphrase prompter both read from it.
pub type Input = Arc<Mutex<mpsc::Receiver<String>>>;

/// Stdin lines read ahead of the command loop.
const STDIN_QUEUE_LINES: usize = 64;

/// How long output may take to drain when quitting.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(3);

/// Starts a thread that reads stdin lines into a queue.
pub fn spawn_stdin_reader() -> Input {
    let (sender, receiver) = mpsc::channel(STDIN_QUEUE_LINES);
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        for line in stdin.lock().lines() {
            let Ok(line) = line else {
                break;
            };
            if sender
                .blocking_send(line.trim_end_matches('\r').to_string())
                .is_err()
            {
                break;
            }
        }
    });
    Arc::new(Mutex::new(receiver))
}

/// Runs the client in pipe mode until `/quit`, end of input, or the end of the session.
pub async fn run_pipe(
    app: Arc<App>,
    events: SessionEvents,
    lines: LineReceiver,
    input: Input,
    channel: Option<String>,
) -> ExitCode {
    let printer = tokio::spawn(print_lines(lines));
    let event_loop = tokio::spawn(app.clone().run_events(events));
    app.start(channel).await;
    let mut quit_by_user = false;
    loop {
        if app.has_ended() {
            break;
        }
        let next = {
            let mut receiver = input.lock().await;
            tokio::select! {
                line = receiver.recv() => line,
                () = app.ended() => None,
            }
        };
        let Some(line) = next else {
            quit_by_user = !app.has_ended();
            break;
        };
        app.wait_for_output_room().await;
        if app.handle_line(&line).await == Flow::Quit {
            quit_by_user = true;
            break;
        }
    }
    let ended_badly = app.has_ended() && !quit_by_user;
    app.execute(crate::client::command::Command::Quit).await;
    let _ = tokio::time::timeout(DRAIN_TIMEOUT, event_loop).await;
    drop(app);
    let _ = tokio::time::timeout(DRAIN_TIMEOUT, printer).await;
    if ended_badly {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

async fn print_lines(mut lines: LineReceiver) {
    while let Some(line) = lines.recv().await {
        let mut stdout = std::io::stdout().lock();
        if writeln!(stdout, "{line}")
            .and_then(|()| stdout.flush())
            .is_err()
        {
            break;
        }
    }
}
