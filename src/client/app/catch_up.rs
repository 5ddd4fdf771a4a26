//! Catch-up at start (issue 10): what arrived while the user was away, from the server's read
//! markers (`markers`, `mark`; PROTOCOL.md §11). For every channel whose latest `seq` is past
//! its marker the missed events are fetched (`history` `after` the marker) and shown under a
//! `── new since you left ──` line, counted unread and scanned for mentions exactly as live
//! events are; DMs newer than a conversation's marker are announced the same way. A channel
//! without a marker starts one at its latest event (nothing old is called new); a DM
//! conversation without one counts what came after our own latest DM there. The marker of a
//! place moves when the user looks at it: switching there, and the current place at the end.
//! Entering a place later in the session (switching to a channel or DM that got messages while
//! the user looked elsewhere) shows the same line above the messages that came meanwhile.
//! What ignored users (`/ignore`) sent is neither shown nor counted.
//! Part of `client::app`.

use std::collections::BTreeMap;

use super::{App, lock};
use crate::client::events;
use crate::client::reading::{self, Window};
use crate::client::state::Place;
use crate::proto::{
    ClientFrame, HISTORY_MAX_LIMIT, HistoryFrame, MarkFrame, ServerFrame, UserInfo,
};

/// Missed events shown per place at start (all are counted).
const SHOWN_PER_PLACE: usize = 20;
/// DM conversations checked at start.
const DM_PEERS_CHECKED: usize = 100;
/// DMs read per conversation at start: small, since up to [`DM_PEERS_CHECKED`] such reads are
/// charged to the connection's read budget at once (100 × 60 units of the 20,000 burst).
const DM_CATCH_UP_LIMIT: u32 = crate::proto::HISTORY_DEFAULT_LIMIT;

/// The user's markers, by channel and by DM peer (lowercase).
#[derive(Default)]
struct Markers {
    channels: BTreeMap<String, i64>,
    dms: BTreeMap<String, i64>,
}

impl App {
    /// Reads the markers and shows what is new in every channel and DM since the last run.
    pub(super) async fn catch_up_on_start(&self) {
        let Some(markers) = self.fetch_markers().await else {
            return; // a server without read markers
        };
        let welcome = self.session.welcome();
        let mut missed_places = Vec::new();
        for info in &welcome.channels {
            match markers.channels.get(&info.ch) {
                None => self.send_mark(Place::Channel(info.ch.clone()), info.seq),
                Some(&read) if read < info.seq => {
                    if self.show_missed_channel(&info.ch, read).await {
                        missed_places.push(format!("#{}", info.ch));
                    }
                }
                Some(_) => {}
            }
        }
        for user in self.dm_peers(&welcome.users) {
            if self
                .show_missed_dms(&user, markers.dms.get(&user.to_ascii_lowercase()))
                .await
            {
                missed_places.push(format!("@{user}"));
            }
        }
        if !missed_places.is_empty() {
            self.notice(format!(
                "new since you left: {} (/unread counts, /mentions lists mentions)",
                missed_places.join(", ")
            ));
        }
    }

    fn dm_peers(&self, users: &[UserInfo]) -> Vec<String> {
        users
            .iter()
            .map(|user| user.u.clone())
            .filter(|name| !name.eq_ignore_ascii_case(&self.options.me))
            .take(DM_PEERS_CHECKED)
            .collect()
    }

    async fn fetch_markers(&self) -> Option<Markers> {
        let Ok(ServerFrame::Markers { markers, .. }) =
            self.session.request(ClientFrame::Markers {}).await
        else {
            return None;
        };
        let mut found = Markers::default();
        for marker in markers {
            match marker {
                MarkFrame {
                    ch: Some(ch),
                    seq: Some(seq),
                    ..
                } => {
                    found.channels.insert(ch, seq);
                }
                MarkFrame {
                    dm: Some(peer),
                    id: Some(id),
                    ..
                } => {
                    found.dms.insert(peer.to_ascii_lowercase(), id);
                }
                _ => {}
            }
        }
        Some(found)
    }

    /// Shows the events of `channel` after `read`; returns whether any message was new.
    async fn show_missed_channel(&self, channel: &str, read: i64) -> bool {
        let request = ClientFrame::History(HistoryFrame {
            ch: Some(channel.to_string()),
            dm: None,
            limit: Some(HISTORY_MAX_LIMIT),
            before: None,
            since: None,
            until: None,
            after: Some(read),
            from: None,
        });
        let Ok(ServerFrame::History { events, .. }) = self.session.request(request).await else {
            return false;
        };
        let new_messages = events
            .iter()
            .filter(|event| matches!(event, ServerFrame::Msg(m) if !m.u.eq_ignore_ascii_case(&self.options.me) && !self.is_ignored(&m.u)))
            .count();
        if new_messages == 0 {
            return false;
        }
        let label = lock(&self.state).channel_scope(channel);
        self.notice(format!(
            "── new since you left: {} ({new_messages}) ──",
            crate::client::render::render_scope(&self.options, &label)
        ));
        self.show_missed_frames(events);
        true
    }

    /// Shows the DMs from `peer` after `read`. A conversation without a marker (never opened
    /// since markers exist) counts what came after our own latest DM there, else all of it.
    async fn show_missed_dms(&self, peer: &str, read: Option<&i64>) -> bool {
        if self.is_ignored(peer) {
            return false;
        }
        let window = Window::default();
        let Ok((dms, _more)) =
            reading::dm_history(&self.session, peer, &window, DM_CATCH_UP_LIMIT).await
        else {
            return false;
        };
        let me = self.options.me.clone();
        let read = read.copied().unwrap_or_else(|| {
            dms.iter()
                .filter(|dm| dm.from.eq_ignore_ascii_case(&me))
                .map(|dm| dm.id)
                .max()
                .unwrap_or(0)
        });
        let missed: Vec<ServerFrame> = dms
            .into_iter()
            .filter(|dm| dm.id > read && !dm.from.eq_ignore_ascii_case(&me))
            .map(ServerFrame::Dm)
            .collect();
        if missed.is_empty() {
            return false;
        }
        self.notice(format!(
            "── new since you left: 🔒@{peer} ({}) ──",
            missed.len()
        ));
        self.show_missed_frames(missed);
        true
    }

    /// Handles missed events as live ones (unread, mentions), printing only the last few.
    fn show_missed_frames(&self, mut frames: Vec<ServerFrame>) {
        frames.retain(|frame| {
            super::ignore::frame_author(frame).is_none_or(|user| !self.is_ignored(user))
        });
        let total = frames.len();
        let mut lines = Vec::new();
        {
            let mut state = lock(&self.state);
            let mut keys = lock(&self.keys);
            for (at, frame) in frames.into_iter().enumerate() {
                let shown = events::handle_frame(&mut state, &mut keys, &self.options, frame);
                if at + SHOWN_PER_PLACE >= total {
                    lines.extend(shown);
                }
            }
        }
        if total > SHOWN_PER_PLACE {
            self.notice(format!(
                "({} earlier event(s) not shown: /history)",
                total - SHOWN_PER_PLACE
            ));
        }
        self.lines.extend(lines);
    }

    /// How many unread messages `place` has (switching there clears the count).
    pub(super) fn unread_in(&self, place: &Place) -> u32 {
        let state = lock(&self.state);
        match place {
            Place::Channel(channel) => state.channels.get(channel).map_or(0, |c| c.unread),
            Place::Dm(peer) => state
                .dms
                .get(&peer.to_ascii_lowercase())
                .map_or(0, |dm| dm.unread),
        }
    }

    /// Entering `place`, which got `unread` messages while the user looked elsewhere: a
    /// `── new since you left ──` line, then those messages (the last [`SHOWN_PER_PLACE`]).
    pub(super) async fn show_new_since_left(&self, place: Place, unread: u32) {
        let shown = unread.min(SHOWN_PER_PLACE as u32);
        let window = Window::default();
        let label = match &place {
            Place::Channel(channel) => lock(&self.state).channel_scope(channel),
            Place::Dm(peer) => crate::client::render::Scope::Dm { peer: peer.clone() },
        };
        let label = crate::client::render::render_scope(&self.options, &label);
        let separator = format!("── new since you left: {label} ({unread}) ──");
        let oldest = match &place {
            Place::Channel(channel) => {
                let Ok((events, _)) =
                    reading::channel_history(&self.session, channel, &window, shown).await
                else {
                    return;
                };
                self.notice(separator);
                let oldest = events.first().map(|event| event.seq);
                self.show_listing(events, super::queries::Listing::Everything);
                oldest
            }
            Place::Dm(peer) => {
                let Ok((dms, _)) = reading::dm_history(&self.session, peer, &window, shown).await
                else {
                    return;
                };
                self.notice(separator);
                let oldest = dms.first().map(|dm| dm.id);
                self.show_dm_listing(dms);
                oldest
            }
        };
        if unread > shown {
            self.notice(format!(
                "({} earlier new message(s) not shown: /more)",
                unread - shown
            ));
        }
        self.set_page_cursor(place, oldest);
    }

    /// Moves the read marker of `place` to the latest event seen there (in the background).
    pub(super) fn mark_seen(&self, place: &Place) {
        if let Some(latest) = self.latest_seen(place) {
            self.send_mark(place.clone(), latest);
        }
    }

    /// At the end: moves the current place's marker and waits (briefly) for the answer.
    pub(super) async fn mark_current_before_quit(&self) {
        let current = lock(&self.state).current.clone();
        let Some(place) = current else {
            return;
        };
        if let Some(latest) = self.latest_seen(&place) {
            let request = self
                .session
                .request_with_timeout(mark_frame(place, latest), std::time::Duration::from_secs(2));
            let _ = request.await;
        }
    }

    fn latest_seen(&self, place: &Place) -> Option<i64> {
        match place {
            Place::Channel(channel) => self.session.seen_seq(channel),
            Place::Dm(peer) => lock(&self.state).latest_dm_id(peer),
        }
    }

    fn send_mark(&self, place: Place, at: i64) {
        let frame = mark_frame(place, at);
        let session = self.session.clone();
        // An older server answers unknown_type: then there are simply no markers.
        tokio::spawn(async move { session.request(frame).await });
    }
}

/// The `mark` frame moving `place`'s marker to `at` (a seq, or a DM id).
fn mark_frame(place: Place, at: i64) -> ClientFrame {
    let marker = match place {
        Place::Channel(ch) => MarkFrame {
            ch: Some(ch),
            dm: None,
            seq: Some(at),
            id: None,
        },
        Place::Dm(peer) => MarkFrame {
            ch: None,
            dm: Some(peer),
            seq: None,
            id: Some(at),
        },
    };
    ClientFrame::Mark(marker)
}
