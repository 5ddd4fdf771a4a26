//! Interactive mode runs commands off the editor thread, so the editor is never blocked and no
//! line typed while a command runs (a sealed join's key derivation, an outage) is lost: every
//! submitted line goes into a bounded queue that one worker task executes in order. A command
//! that needs a secret (a passphrase, a password) asks the editor thread through the
//! [`PromptDesk`]: the request wakes the editor (reedline's break signal), which leaves raw
//! mode, asks with echo off and resumes editing with the buffer as it was. Part of
//! `client::repl`, the only terminal code.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::{mpsc, oneshot};
use zeroize::Zeroizing;

use super::prompts::prompt_password;
use crate::client::app::{App, Flow};

/// Lines that may wait for the worker; beyond that a line is refused at once, by name.
pub const COMMAND_QUEUE: usize = 256;

/// A secret the worker wants asked in the terminal.
pub struct PromptRequest {
    label: String,
    confirm: bool,
    reply: oneshot::Sender<Option<Zeroizing<String>>>,
}

/// The editor thread's end of the [`PromptDesk`].
pub type PromptRequests = std::sync::mpsc::Receiver<PromptRequest>;

/// Where the worker's prompts go: to the editor thread while it edits, else asked directly.
#[derive(Clone)]
pub struct PromptDesk {
    requests: std::sync::mpsc::Sender<PromptRequest>,
    /// The editor thread serves requests (it runs its loop).
    serving: Arc<AtomicBool>,
    /// reedline's break signal: makes `read_line` return so the editor serves the request.
    wake: Arc<AtomicBool>,
}

impl PromptDesk {
    /// A desk waking the editor through `wake`, and the receiving end the editor serves.
    pub fn new(wake: Arc<AtomicBool>) -> (PromptDesk, PromptRequests) {
        let (requests, receiver) = std::sync::mpsc::channel();
        let desk = PromptDesk {
            requests,
            serving: Arc::new(AtomicBool::new(false)),
            wake,
        };
        (desk, receiver)
    }

    /// The break signal the desk wakes the editor with (also set when the session ends).
    pub fn wake_signal(&self) -> Arc<AtomicBool> {
        self.wake.clone()
    }

    /// Whether the editor thread serves requests now.
    pub fn set_serving(&self, serving: bool) {
        self.serving.store(serving, Ordering::Release);
    }

    /// Asks for a secret (twice when `confirm`); `None` when none was given.
    pub async fn ask(&self, label: String, confirm: bool) -> Option<Zeroizing<String>> {
        if self.serving.load(Ordering::Acquire) {
            let (reply, answer) = oneshot::channel();
            let request = PromptRequest {
                label: label.clone(),
                confirm,
                reply,
            };
            if self.requests.send(request).is_ok() {
                self.wake.store(true, Ordering::Release);
                return answer.await.ok().flatten();
            }
        }
        // Before the editor runs (the start-up join) the terminal is ours to ask directly.
        let asked = tokio::task::spawn_blocking(move || prompt_password(&label, confirm)).await;
        asked.ok().and_then(Result::ok)
    }
}

/// Answers every waiting prompt request (on the editor thread, outside `read_line`).
pub fn serve_prompts(requests: &PromptRequests) {
    while let Ok(request) = requests.try_recv() {
        let answer = prompt_password(&request.label, request.confirm).ok();
        let _ = request.reply.send(answer);
    }
}

/// The worker: executes queued lines in order; on `/quit` sets `quit` and wakes the editor.
pub fn spawn_command_worker(
    runtime: &tokio::runtime::Runtime,
    app: Arc<App>,
    quit: Arc<AtomicBool>,
    wake: Arc<AtomicBool>,
) -> (mpsc::Sender<String>, tokio::task::JoinHandle<()>) {
    let (lines, mut queued) = mpsc::channel::<String>(COMMAND_QUEUE);
    let worker = runtime.spawn(async move {
        while let Some(line) = queued.recv().await {
            if app.handle_line(&line).await == Flow::Quit {
                quit.store(true, Ordering::Release);
                wake.store(true, Ordering::Release);
                return;
            }
        }
    });
    (lines, worker)
}
