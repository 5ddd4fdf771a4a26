//! Typing indicators in interactive mode only (pipe mode never sends or shows them). reedline
//! has no keystroke hook, so [`TypingHinter`] wraps the history hinter: reedline hands it the
//! buffer on every redraw, and it feeds the buffer to the [`TypingSender`] clock, which says
//! when a `typing` frame goes out (only while the buffer is a message, not a command).
//! [`spawn_typing_clock`] ticks once a second: `on:false` after the idle time, and expired
//! "is typing" notes leave the prompt. Part of `client::repl`.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use reedline::{DefaultHinter, Hinter, History};

use crate::client::app::App;
use crate::client::command::{self, Command};
use crate::client::typing::TypingSender;

/// The shared clock of our own typing signals (hinter, ticker and the submit path).
pub type SharedTypingSender = Arc<Mutex<TypingSender>>;

/// The history hinter, observing the buffer for typing signals.
pub struct TypingHinter {
    inner: DefaultHinter,
    app: Arc<App>,
    sender: SharedTypingSender,
}

impl TypingHinter {
    pub fn new(app: Arc<App>, sender: SharedTypingSender) -> Self {
        TypingHinter {
            inner: DefaultHinter::default(),
            app,
            sender,
        }
    }

    fn observe(&self, buffer: &str) {
        let is_message = matches!(
            command::parse_line(buffer),
            Ok(Command::Say(_) | Command::Me { .. })
        );
        let place = self.app.current_place();
        let signals =
            lock(&self.sender).on_buffer(buffer, is_message, place.as_ref(), Instant::now());
        for signal in signals {
            self.app.send_typing(&signal);
        }
    }
}

impl Hinter for TypingHinter {
    fn handle(
        &mut self,
        line: &str,
        pos: usize,
        history: &dyn History,
        use_ansi_coloring: bool,
        cwd: &str,
    ) -> String {
        self.observe(line);
        self.inner
            .handle(line, pos, history, use_ansi_coloring, cwd)
    }

    fn complete_hint(&self) -> String {
        self.inner.complete_hint()
    }

    fn next_hint_token(&self) -> String {
        self.inner.next_hint_token()
    }
}

/// The line was submitted (or dropped with Ctrl-C): say we stopped typing.
pub fn typing_done(app: &App, sender: &SharedTypingSender) {
    let signal = lock(sender).on_submit();
    if let Some(signal) = signal {
        app.send_typing(&signal);
    }
}

/// Ticks once a second until the session ends: idle `on:false`, expired notes off the prompt.
pub fn spawn_typing_clock(
    runtime: &tokio::runtime::Runtime,
    app: Arc<App>,
    sender: SharedTypingSender,
) {
    runtime.spawn(async move {
        let mut ticks = tokio::time::interval(Duration::from_secs(1));
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                () = app.ended() => break,
            }
            let signal = lock(&sender).on_tick(Instant::now());
            if let Some(signal) = signal {
                app.send_typing(&signal);
            }
            app.expire_typing();
        }
    });
}

fn lock(sender: &SharedTypingSender) -> MutexGuard<'_, TypingSender> {
    // The clock holds no invariant a panic elsewhere could break.
    sender
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
