//! DM conversations as a place to be: `/switch @user` (or `@user`, `/dm user`) makes the DM
//! current, `/leave` there goes back to the channel we came from, and `/history` there reads
//! the DM (the server's `history` with `dm`), decrypted and listed without counting as unread.
//! Sending a DM (`/dm`, a line in a DM place, `/reply` to a DM) and editing, deleting and
//! reacting to one (`/edit`, `/delete`, `/react` on a DM's id, or on an id unknown here while a
//! DM is current) are here too: the new text is sealed like a DM, as `edit:<id>`, so the server
//! never sees it. Part of `client::app`.

use super::channels::describe_read as describe;
use super::{App, lock};
use crate::client::events;
use crate::client::keys::KeyError;
use crate::client::reading::{self, Window};
use crate::client::render::{self, Scope};
use crate::client::state::Place;
use crate::proto::{
    ClientFrame, DmDeleteFrame, DmEditFrame, DmEvent, DmFrame, DmReactFrame, ENC_XC20P1,
};

impl App {
    /// `/switch @user`, `@user` or `/dm user`: makes the DM with `user` current. Refused for
    /// ourselves and for users whose key we cannot learn (we share no channel).
    pub(super) async fn switch_dm(&self, user: String) {
        if user.eq_ignore_ascii_case(&self.options.me) {
            return self.error("that is you: a DM goes to someone else");
        }
        if lock(&self.keys).peer_fingerprint(&user).is_none() {
            self.fetch_peer_key(&user).await;
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

    /// The DM conversation message `id` belongs to: where we saw it, or, for an id this client
    /// has not seen, the current place when it is a DM. `None`: a channel message.
    pub(super) fn dm_of(&self, id: i64) -> Option<String> {
        let state = lock(&self.state);
        match state.message(id).map(|record| &record.scope) {
            Some(Scope::Dm { peer }) => Some(peer.clone()),
            Some(Scope::Channel { .. }) => None,
            None => state.current_dm().map(str::to_string),
        }
    }

    /// Seals `text` for `peer` as `kind` (`dm` or `edit:<id>`), learning the peer's key first
    /// when it is not known yet.
    async fn seal_for_peer(&self, peer: &str, kind: &str, text: &str) -> Result<String, KeyError> {
        let sealed = lock(&self.keys).seal_dm_as(peer, kind, text);
        if !matches!(sealed, Err(KeyError::NoPeerKey { .. })) {
            return sealed;
        }
        self.fetch_peer_key(peer).await;
        lock(&self.keys).seal_dm_as(peer, kind, text)
    }

    /// `/dm user text`, a line in a DM place, or `/reply id text` to a DM (`reply_to`).
    pub(super) async fn send_dm(&self, user: &str, text: &str, reply_to: Option<i64>) {
        match self.seal_for_peer(user, "dm", text).await {
            Ok(c) => {
                let frame = ClientFrame::Dm(DmFrame {
                    to: user.to_string(),
                    c,
                    enc: Some(ENC_XC20P1.into()),
                    reply_to,
                });
                self.queue_stored(frame, format!("@{user}: {}", render::snippet(text, 8)));
            }
            Err(error) => self.error(format!("not sent: {error}")),
        }
    }

    /// `/edit id text` on our DM `id` with `peer`: the new text sealed as `edit:<id>`.
    pub(super) async fn edit_dm(&self, peer: &str, id: i64, text: &str) {
        match self.seal_for_peer(peer, &format!("edit:{id}"), text).await {
            Ok(c) => {
                let frame = ClientFrame::DmEdit(DmEditFrame {
                    to: peer.to_string(),
                    id,
                    c,
                    enc: Some(ENC_XC20P1.into()),
                });
                self.queue_stored(
                    frame,
                    format!("edit of [{id}]: {}", render::snippet(text, 8)),
                );
            }
            Err(error) => self.error(format!("not edited: {error}")),
        }
    }

    /// `/delete id` on our DM `id` with `peer`.
    pub(super) fn delete_dm(&self, peer: &str, id: i64) {
        let frame = ClientFrame::DmDelete(DmDeleteFrame {
            to: peer.to_string(),
            id,
        });
        self.queue_stored(frame, format!("deletion of [{id}]"));
    }

    /// `/react id emoji` on DM `id` with `peer`: adds the reaction, or takes it back when we
    /// already reacted so.
    pub(super) fn react_dm(&self, peer: &str, id: i64, emoji: String) {
        let on = !lock(&self.state).my_reaction(id, &emoji);
        let frame = ClientFrame::DmReact(DmReactFrame {
            to: peer.to_string(),
            id,
            emoji: emoji.clone(),
            on,
        });
        if self.queue_stored(frame, format!("reaction {emoji} to [{id}]")) {
            let me = self.options.me.clone();
            lock(&self.state).apply_reaction(id, &emoji, &me, on);
        }
    }
}
