//! [`PresenceGate`]: coalesces each user's presence changes (issue 13, issue 9 point 6). A
//! `status` is applied to the registry at once (so `who` and `ok.users` show it), but its
//! `presence` announcement to everyone sharing a channel goes out at most once per
//! `ServerConfig::presence_interval` per user: the first change of a quiet user is announced at
//! once, later ones within the interval are folded into one announcement of the latest state at
//! the interval's end. A `status` flood therefore costs every member of `#general` at most one
//! frame per interval per flooding user, and cannot fill an innocent reader's queue (1013).
//! Online and offline transitions are not gated (a connection is already admitted and metered).
//! The table holds one entry per online user who changed status, removed when they go offline.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::server_state::ServerState;
use crate::model::UserName;

/// Per-user announcement times and pending flushes.
#[derive(Default)]
pub struct PresenceGate {
    users: Mutex<HashMap<UserName, GateEntry>>,
}

struct GateEntry {
    /// When the last announcement went out (the server clock's ms).
    announced_ms: i64,
    /// A flush task is waiting to announce the latest state.
    flush_pending: bool,
    /// The connection whose `status` the pending announcement answers (not echoed to it).
    except: Option<u64>,
}

/// What [`PresenceGate::admit`] decided.
enum Admission {
    /// Announce now.
    Now,
    /// A flush task must be started to announce after this long.
    FlushAfter(Duration),
    /// A flush is already pending; it will carry this change.
    Folded,
}

impl PresenceGate {
    /// Records that `user` changed status from connection `except` and decides when to tell.
    fn admit(&self, user: &UserName, now_ms: i64, interval: Duration, except: u64) -> Admission {
        let interval_ms = i64::try_from(interval.as_millis()).unwrap_or(i64::MAX);
        let mut users = self.users.lock().unwrap_or_else(|e| e.into_inner());
        let entry = users.entry(user.clone()).or_insert(GateEntry {
            announced_ms: i64::MIN,
            flush_pending: false,
            except: None,
        });
        entry.except = Some(except);
        if entry.flush_pending {
            return Admission::Folded;
        }
        let elapsed = now_ms.saturating_sub(entry.announced_ms);
        if elapsed >= interval_ms {
            entry.announced_ms = now_ms;
            return Admission::Now;
        }
        entry.flush_pending = true;
        let wait_ms = u64::try_from(interval_ms - elapsed.max(0)).unwrap_or(0);
        Admission::FlushAfter(Duration::from_millis(wait_ms))
    }

    /// Ends a pending flush: returns the connection not to echo to, or `None` when the user's
    /// entry is gone (offline meanwhile: the offline announcement already went out).
    fn take_flush(&self, user: &UserName, now_ms: i64) -> Option<Option<u64>> {
        let mut users = self.users.lock().unwrap_or_else(|e| e.into_inner());
        let entry = users.get_mut(user)?;
        entry.flush_pending = false;
        entry.announced_ms = now_ms;
        Some(entry.except.take())
    }

    /// Forgets `user` (their last connection closed).
    pub fn forget(&self, user: &UserName) {
        self.users
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(user);
    }
}

/// Announces `user`'s current presence now or folds it into a later announcement. Called after
/// the registry holds the new state.
pub fn announce_status_change(state: &Arc<ServerState>, user: &UserName, except: u64) {
    let interval = state.config.presence_interval;
    match state
        .presence_gate
        .admit(user, state.now_ms(), interval, except)
    {
        Admission::Now => announce_current(state, user, Some(except)),
        Admission::Folded => {}
        Admission::FlushAfter(wait) => {
            let state = state.clone();
            let user = user.clone();
            tokio::spawn(async move {
                tokio::time::sleep(wait).await;
                if let Some(except) = state.presence_gate.take_flush(&user, state.now_ms()) {
                    announce_current(&state, &user, except);
                }
            });
        }
    }
}

/// Announces the presence the registry holds for `user` (nothing when they are offline).
fn announce_current(state: &ServerState, user: &UserName, except: Option<u64>) {
    if let Some(online) = state.registry.online_user(user) {
        super::presence::announce_presence(state, user, online.state, &online.text, except);
    }
}
