//! Older scrollback of the current place, page by page: `/more` (or `/history more`) shows the
//! [`PAGE_SIZE`] messages before the oldest one the last `/history` or `/more` of that place
//! showed (the first `/more` without one starts at the newest), decrypted and listed like
//! `/history` (not unread, no bell), until the beginning is reached. Channel pages go back by
//! `seq`, DM pages by message id (the `history` frame's `before`). Part of `client::app`.

use super::queries::Listing;
use super::{App, lock};
use crate::client::state::Place;
use crate::proto::{ClientFrame, HistoryFrame, ServerFrame};

/// Messages per `/more` page.
pub const PAGE_SIZE: u32 = 20;

/// Where paging goes on: a place and the oldest message shown there (a channel `seq`, or a
/// DM id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageCursor {
    place: Place,
    before: i64,
}

impl App {
    /// Remembers the oldest message a listing of `place` showed (`None`: it showed nothing).
    pub(super) fn set_page_cursor(&self, place: Place, oldest: Option<i64>) {
        *lock(&self.page_cursor) = oldest.map(|before| PageCursor { place, before });
    }

    /// `/more`: the page of the current place before the last one shown.
    pub(super) async fn more(&self) {
        let Some(place) = lock(&self.state).current.clone() else {
            return self.error("no current channel: /join #channel first");
        };
        let before = lock(&self.page_cursor)
            .as_ref()
            .filter(|cursor| cursor.place == place)
            .map(|cursor| cursor.before);
        let (ch, dm) = match &place {
            Place::Channel(channel) => (Some(channel.clone()), None),
            Place::Dm(peer) => (None, Some(peer.clone())),
        };
        let request = ClientFrame::History(HistoryFrame {
            ch,
            dm,
            limit: Some(PAGE_SIZE),
            before,
            since: None,
            until: None,
            after: None,
            from: None,
        });
        let (events, more) = match self.session.request(request).await {
            Ok(ServerFrame::History { events, more, .. }) => (events, more),
            Ok(_) => return self.error("the server answered /more with something unexpected"),
            Err(error) => {
                return self.error(format!(
                    "cannot read {place}: {}",
                    super::channels::describe_read(&error)
                ));
            }
        };
        self.show_page(place, events, more);
    }

    fn show_page(&self, place: Place, events: Vec<ServerFrame>, more: bool) {
        let oldest = match &place {
            Place::Channel(_) => {
                let messages = ServerFrame::message_events(events);
                let oldest = messages.first().map(|event| event.seq);
                self.page_notice(&place, messages.len());
                self.show_listing(messages, Listing::Everything);
                oldest
            }
            Place::Dm(_) => {
                let dms = ServerFrame::dm_events(events);
                let oldest = dms.first().map(|dm| dm.id);
                self.page_notice(&place, dms.len());
                self.show_dm_listing(dms);
                oldest
            }
        };
        if more && oldest.is_some() {
            self.notice("older messages exist: /more shows the page before");
        } else {
            self.notice(format!("(the beginning of {place})"));
        }
        if oldest.is_some() {
            self.set_page_cursor(place, oldest);
        }
    }

    fn page_notice(&self, place: &Place, count: usize) {
        if count > 0 {
            self.notice(format!("a page of {count} message(s) of {place}:"));
        }
    }
}
