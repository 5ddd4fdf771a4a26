//! Presence changes of a channel coalesced into shared `presences` frames (issue 13, third pass;
//! PROTOCOL.md §11.4). A client that sends `auth.presences:true` no longer receives one `presence`
//! frame per change of every member: each channel collects its members' changes for
//! `ServerConfig::presence_batch_window` (the latest state per user), then serialises them once,
//! in frames of at most [`PRESENCES_PER_FRAME`] users, and queues the same bytes to every
//! subscriber that asked for them. A login into a channel of N thus costs O(1) amortised instead of
//! N frames, and N logins cost O(N) frames per member per window instead of O(N²) in all.
//! Subscribers that did not ask (older clients) are listed in [`ChannelPresence`] and keep
//! receiving the single-user `presence` frame at once, as before. [`ChannelPresence`] lives inside
//! the channel's mutex (`registry::ChannelInner`); its pending table holds at most one entry per
//! member of the channel and is emptied by every flush.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use tokio_tungstenite::tungstenite::Utf8Bytes;

use super::outbound::ConnHandle;
use super::registry::ChannelEntry;
use super::server_state::ServerState;
use crate::clock::Clock;
use crate::model::UserName;
use crate::proto::{PresenceEntry, PresenceState, ServerFrame};

/// Most users one `presences` frame lists (a burst of more is split over several frames, so no
/// frame grows with the channel: at most ~80 KiB even with 256-character status texts).
pub const PRESENCES_PER_FRAME: usize = 256;

/// A channel's presence bookkeeping: who gets single frames, and the changes not yet batched.
#[derive(Debug, Default)]
pub struct ChannelPresence {
    /// Subscribers that did not ask for `presences`: they get one `presence` per change, at once.
    single_frame_subscribers: Vec<Arc<ConnHandle>>,
    /// Subscribers that asked for `presences`.
    batch_subscribers: usize,
    /// Changes not yet announced in a `presences` frame: the latest state and text per user.
    pending: BTreeMap<UserName, (PresenceState, String)>,
}

impl ChannelPresence {
    /// A connection was subscribed to the channel (the caller checked it was not already).
    pub fn subscribed(&mut self, conn: &Arc<ConnHandle>) {
        if conn.wants_presence_batches() {
            self.batch_subscribers += 1;
        } else {
            self.single_frame_subscribers.push(conn.clone());
        }
    }

    /// The channel's subscribers changed by removal: `remaining` batch subscribers are left, and
    /// single-frame subscribers are kept while `keep` says so.
    pub fn retain(&mut self, remaining: usize, keep: impl Fn(&ConnHandle) -> bool) {
        self.single_frame_subscribers.retain(|conn| keep(conn));
        self.batch_subscribers = remaining.saturating_sub(self.single_frame_subscribers.len());
    }

    /// Queues a single-user `presence` frame to every single-frame subscriber not yet in `seen`
    /// (nor `except`), adding them to `seen`.
    pub fn send_single_once_per_connection(
        &self,
        text: &Utf8Bytes,
        except: Option<u64>,
        seen: &mut HashSet<u64>,
    ) {
        for conn in &self.single_frame_subscribers {
            if Some(conn.id) != except && !conn.is_closing() && seen.insert(conn.id) {
                conn.send_text(text);
            }
        }
    }

    /// Records `user`'s latest presence for the next `presences` frame. Returns true when the
    /// table was empty (the caller schedules the flush); nothing is recorded when no subscriber
    /// asked for `presences`.
    pub fn queue(&mut self, user: &UserName, state: PresenceState, text: &str) -> bool {
        if self.batch_subscribers == 0 {
            return false;
        }
        let first = self.pending.is_empty();
        self.pending.insert(user.clone(), (state, text.to_string()));
        first
    }

    fn take_pending(&mut self) -> BTreeMap<UserName, (PresenceState, String)> {
        std::mem::take(&mut self.pending)
    }
}

/// Records `user`'s presence change in every channel in `channels` for the subscribers that
/// asked for `presences`, scheduling a flush where none is pending.
pub fn queue_presence_change(
    state: &ServerState,
    channels: &[Arc<ChannelEntry>],
    user: &UserName,
    presence: PresenceState,
    text: &str,
) {
    for entry in channels {
        let first = entry.lock().presence.queue(user, presence, text);
        if first {
            schedule_flush(state, entry.clone());
        }
    }
}

fn schedule_flush(state: &ServerState, entry: Arc<ChannelEntry>) {
    let window = state.config.presence_batch_window;
    let clock = state.config.clock.clone();
    tokio::spawn(async move {
        tokio::time::sleep(window).await;
        flush_channel(&entry, &clock);
    });
}

/// Sends the channel's pending changes, serialised once, to every subscriber that asked for them.
fn flush_channel(entry: &ChannelEntry, clock: &Clock) {
    let pending = entry.lock().presence.take_pending();
    if pending.is_empty() {
        return;
    }
    let frames = presences_frames(pending, clock.now_ms());
    let inner = entry.lock();
    for conn in inner.presence_batch_subscribers() {
        for frame in &frames {
            conn.send_text(frame);
        }
    }
}

/// The `presences` frames listing `pending`, at most [`PRESENCES_PER_FRAME`] users each.
fn presences_frames(
    pending: BTreeMap<UserName, (PresenceState, String)>,
    ts: i64,
) -> Vec<Utf8Bytes> {
    let entries: Vec<PresenceEntry> = pending
        .into_iter()
        .map(|(user, (state, text))| PresenceEntry {
            u: user.to_string(),
            state,
            text,
        })
        .collect();
    entries
        .chunks(PRESENCES_PER_FRAME)
        .map(|users| {
            let frame = ServerFrame::Presences {
                users: users.to_vec(),
                ts,
            };
            Utf8Bytes::from(frame.to_json())
        })
        .collect()
}
