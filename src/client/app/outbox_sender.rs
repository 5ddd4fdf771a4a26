//! The app's side of the outbox (`client::outbox`): queuing a stored event the user submitted
//! (refused at once, by name, when it is too large for the server's frame limit or the outbox
//! is full; shown as queued while offline), the sender task that sends the queue in order one
//! request at a time, and what is said when a line is refused by the server, confirmed after a
//! reconnect, or still unsent at the end. Part of `client::app`.

use std::sync::Arc;
use std::time::Duration;

use super::App;
use crate::client::conn::ClientError;
use crate::client::outbox::{NextStep, OutboxItem};
use crate::proto::{ClientFrame, ErrorCode};

/// How long `/quit` (or the end of piped input) waits for queued lines to go out while
/// connected.
const QUIT_DRAIN: Duration = Duration::from_secs(5);

impl App {
    /// Queues a stored event for sending; returns whether it was queued. `label` names it in
    /// notices (the place and the start of the text).
    pub(super) fn queue_stored(&self, frame: ClientFrame, label: String) -> bool {
        let max = self.session.welcome().server.max_frame;
        let size = crate::proto::encode_client_frame(&frame, Some("r0000000000")).len();
        if max > 0 && size > max {
            self.error(format!(
                "not sent: too long ({size} bytes encoded; the server accepts {max})"
            ));
            return false;
        }
        match self.outbox.push(frame, label.clone()) {
            Ok((ahead, false)) => {
                self.notice(format!(
                    "queued, will send on reconnect ({} waiting): {label}",
                    ahead + 1
                ));
                true
            }
            Ok((_, true)) => true,
            Err(full) => {
                self.error(format!(
                    "not sent: {} lines already wait to be sent (reconnecting?): {label}",
                    full.waiting
                ));
                false
            }
        }
    }

    /// Starts the task that sends the outbox (once, at start).
    pub(super) fn spawn_outbox_sender(self: &Arc<Self>) {
        let app = self.clone();
        tokio::spawn(async move { app.run_outbox_sender().await });
    }

    async fn run_outbox_sender(&self) {
        loop {
            let (step, version) = self.outbox.next_step();
            match step {
                NextStep::Closed => return,
                NextStep::Wait => self.outbox.changed_since(version).await,
                NextStep::Confirmed(item) => {
                    self.notice(format!(
                        "stored before the connection dropped: {}",
                        item.label
                    ));
                    self.finish_outbox_item(&item);
                }
                NextStep::Send(item) => self.send_outbox_item(item).await,
            }
        }
    }

    async fn send_outbox_item(&self, item: OutboxItem) {
        match self.session.request(item.frame.clone()).await {
            Ok(_) => self.finish_outbox_item(&item),
            // A repeated deletion whose first try was stored after all.
            Err(ClientError::Server {
                code: ErrorCode::NoSuchMessage,
                ..
            }) if item.attempts > 1
                && matches!(
                    item.frame,
                    ClientFrame::Delete(_) | ClientFrame::DmDelete(_)
                ) =>
            {
                self.finish_outbox_item(&item)
            }
            Err(ClientError::Server { message, .. }) => {
                self.error(format!("not sent: {message}: {}", item.label));
                self.finish_outbox_item(&item);
            }
            // No answer: stored or not is settled by the replay after the resume.
            Err(_) => self.outbox.mark_in_doubt(item.number),
        }
    }

    fn finish_outbox_item(&self, item: &OutboxItem) {
        if let Some(sent) = self.outbox.finish(item.number) {
            self.notice(format!("sent {sent} queued line(s)"));
        }
    }

    /// At the end: gives queued lines a moment to go out while connected, then names every
    /// line that was never sent.
    pub(super) async fn close_outbox(&self) {
        if self.outbox.waiting() > 0 && self.outbox.is_ready() {
            self.outbox.drained(QUIT_DRAIN).await;
        }
        for item in self.outbox.close() {
            self.error(format!("not sent (the session ended): {}", item.label));
        }
    }
}
