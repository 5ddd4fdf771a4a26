//! DM conversations as a place to be: `/switch @user` (or `@user`, `/dm user`) makes the DM
//! current, `/leave` there goes back to the channel we came from, and `/history` there reads
//! the DM (the server's `history` with `dm`), decrypted and listed without counting as unread.
//! Part of `client::app`; sending a DM is `channels::send_dm`.

use super::channels::describe_read as describe;
use super::{App, lock};
use crate::client::events;
use crate::client::reading::{self, Window};
use crate::client::render::{self, Scope};
use crate::client::state::Place;
use crate::proto::DmEvent;

impl App {
    /// `/switch @user`, `@user` or `/dm user`: makes the DM with `user` current. Refused for
    /// ourselves and for users whose key we cannot learn (we share no channel).
    pub(super) async fn switch_dm(&self, user: String) {
        if user.eq_ignore_ascii_case(&self.options.me) {
            return self.error("that is you: a DM goes to someone else");
        }
        if lock(&self.keys).peer_fingerprint(&user).is_none() {
            self.refresh_peer_keys().await;
        }
        if lock(&self.keys).peer_fingerprint(&user).is_none() {
            return self.error(format!(
                "no key known for {user}: you can DM people you share a channel with (/users lists them)"
            ));
        }
        let peer = lock(&self.state).switch_to_dm(&user);
        self.mark_seen(&Place::Dm(peer.clone()));
        self.notice(format!(
            "now talking with {} (end-to-end encrypted; /leave or #channel goes back)",
            render::render_scope(&self.options, &Scope::Dm { peer })
        ));
    }

    /// `/leave` in a DM: back to the channel we came from.
    pub(super) fn leave_dm(&self, peer: &str) {
        let back = lock(&self.state).leave_dm();
        match back {
            Some(channel) => {
                let label = lock(&self.state).channel_scope(&channel);
                self.notice(format!(
                    "closed the DM with @{peer}; now talking in {}",
                    render::render_scope(&self.options, &label)
                ));
            }
            None => self.notice(format!(
                "closed the DM with @{peer}; you are in no channel now"
            )),
        }
    }

    /// `/history [n]` in a DM: the last `limit` messages with `peer`, decrypted.
    pub(super) async fn dm_history(&self, peer: &str, limit: u32) {
        match reading::dm_history(&self.session, peer, &Window::default(), limit).await {
            Ok((dms, more)) => {
                self.notice(format!("last {} message(s) with @{peer}", dms.len()));
                self.set_page_cursor(Place::Dm(peer.to_string()), dms.first().map(|dm| dm.id));
                self.show_dm_listing(dms);
                if more {
                    self.notice("older messages exist: /more pages back");
                }
            }
            Err(error) => self.error(format!(
                "cannot read the DM with @{peer}: {}",
                describe(&error)
            )),
        }
    }

    /// Renders DMs (oldest first) as a listing: not unread, no bell.
    pub(super) fn show_dm_listing(&self, dms: Vec<DmEvent>) {
        let mut state = lock(&self.state);
        let mut keys = lock(&self.keys);
        let mut lines = Vec::new();
        for dm in dms.into_iter().filter(|dm| !self.is_ignored(&dm.from)) {
            let body = events::decrypt_dm(&mut keys, &dm);
            lines.extend(events::on_dm(&mut state, &self.options, &dm, body, false));
        }
        drop((state, keys));
        self.lines.extend(lines);
    }
}
