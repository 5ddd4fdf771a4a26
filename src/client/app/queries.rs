//! Read-only commands of the app: `/history` (of a channel; in a DM, `dms` reads it), `/search`
//! (words for open channels, blind tokens for sealed ones; channels only, as on the server),
//! `/rewind` (channels only), `/who`, `/users`, and the listing of recent messages after a join
//! or at start-up. Results are decrypted and rendered without counting as unread.
//! Part of `client::app`.

use super::channels::describe_read as describe;
use super::{App, lock};
use crate::client::command;
use crate::client::events;
use crate::client::reading::{self, SearchTerms, Window};
use crate::client::render;
use crate::client::state::Place;
use crate::proto::ChannelFrame;
use crate::proto::{ChannelMode, ClientFrame, MessageEvent, ServerFrame, UserInfo};

/// Which messages of a listing to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Listing {
    /// Everything (the user asked: `/history`, `/search`, `/rewind`).
    Everything,
    /// Only what is not on screen yet (start-up, join).
    SkipShown,
}

/// Messages `/history` shows without a count.
const HISTORY_DEFAULT: u32 = 20;
/// Messages `/rewind` shows.
const REWIND_LIMIT: u32 = 30;

impl App {
    /// Shows the latest `count` messages of a channel up to `through_seq`, its seq when we
    /// logged in (start-up). Everything after that reaches the screen as events, in seq order
    /// (live, or replayed by the session after a reconnect), so a start-up listing that arrives
    /// late (a slow start, an outage in between) must not print newer messages ahead of them.
    pub(super) async fn show_recent(&self, channel: &str, count: usize, through_seq: i64) {
        let limit = u32::try_from(count).unwrap_or(HISTORY_DEFAULT);
        if let Some((mut events, _)) = self.fetch_history(channel, limit).await {
            events.retain(|event| event.seq <= through_seq);
            self.show_listing(events, Listing::SkipShown);
        }
    }

    /// Renders folded messages (oldest first) as a listing: not unread, no bell. Start-up and
    /// join listings skip messages already on screen (they may also have arrived live).
    pub(super) fn show_listing(&self, events: Vec<MessageEvent>, which: Listing) {
        let mut state = lock(&self.state);
        let keys = lock(&self.keys);
        let mut lines = Vec::new();
        for event in events {
            if which == Listing::SkipShown && state.message(event.id).is_some()
                || self.is_ignored(&event.u)
            {
                continue;
            }
            let sealed = events::channel_is_sealed(&state, &keys, &event.ch);
            let body = events::decrypt_message(Some(&keys), sealed, &event);
            lines.extend(events::on_message(
                &mut state,
                &self.options,
                &event,
                body,
                false,
            ));
        }
        drop((state, keys));
        self.lines.extend(lines);
    }

    /// `/history [n]`: of the current channel, or of the current DM.
    pub(super) async fn history(&self, count: Option<u32>) {
        let in_dm = lock(&self.state).current_dm().map(str::to_string);
        if let Some(peer) = in_dm {
            return self
                .dm_history(&peer, count.unwrap_or(HISTORY_DEFAULT))
                .await;
        }
        let Some(channel) = self.current_channel("/history") else {
            return;
        };
        let Some((events, more)) = self
            .fetch_history(&channel, count.unwrap_or(HISTORY_DEFAULT))
            .await
        else {
            return;
        };
        // System lines (moderation events) are shown among them but not counted as messages.
        let messages = events.iter().filter(|event| event.sys.is_none()).count();
        self.set_page_cursor(
            Place::Channel(channel.clone()),
            events.first().map(|e| e.seq),
        );
        self.notice(format!("last {messages} message(s) of #{channel}"));
        self.show_listing(events, Listing::Everything);
        if more {
            self.notice("older messages exist: /more pages back, or /rewind");
        }
    }

    async fn fetch_history(&self, channel: &str, limit: u32) -> Option<(Vec<MessageEvent>, bool)> {
        match reading::channel_history(&self.session, channel, &Window::default(), limit).await {
            Ok(listing) => Some(listing),
            Err(error) => {
                self.error(format!("cannot read #{channel}: {}", describe(&error)));
                None
            }
        }
    }

    /// Refuses a channel-only query in a DM with a sentence saying why; returns whether it did.
    fn refuse_in_dm(&self, what: &str) -> bool {
        let in_dm = lock(&self.state).current_dm().map(str::to_string);
        let Some(peer) = in_dm else {
            return false;
        };
        let why = if what == "/search" {
            "the server searches channels, never the encrypted DMs"
        } else {
            "DMs are never edited, so there is nothing to rewind"
        };
        self.error(format!(
            "{what} works on channels only: {why} (you are in 🔒@{peer}; /history lists it)"
        ));
        true
    }

    /// `/search words`.
    pub(super) async fn search(&self, words: &str) {
        if self.refuse_in_dm("/search") {
            return;
        }
        let Some(channel) = self.current_channel("/search") else {
            return;
        };
        let sealed = lock(&self.state)
            .channels
            .get(&channel)
            .is_some_and(|c| c.mode == ChannelMode::Sealed);
        if sealed && words.split_whitespace().any(|word| word.ends_with('*')) {
            return self.error(
                "prefixes (word*) don't work in sealed channels: their search matches whole \
                 words only",
            );
        }
        let terms = if sealed {
            match lock(&self.keys).search_tokens(&channel, words) {
                Ok(tokens) if tokens.is_empty() => {
                    return self.error("search words need at least two letters or digits");
                }
                Ok(tokens) => SearchTerms::BlindTokens(tokens),
                Err(error) => return self.error(error.to_string()),
            }
        } else {
            SearchTerms::Words {
                q: words.to_string(),
                sort: None,
            }
        };
        match reading::search(&self.session, &channel, terms, &Window::default(), None).await {
            Ok(mut found) => {
                if found.is_empty() {
                    return self.notice(format!("nothing in #{channel} matches “{words}”"));
                }
                self.notice(format!(
                    "{} result(s) for “{words}” in #{channel}, newest first (as `chatify search`)",
                    found.len()
                ));
                found.sort_by_key(|event| std::cmp::Reverse(event.id));
                self.show_listing(found, Listing::Everything);
            }
            Err(error) => self.error(format!("search failed: {}", describe(&error))),
        }
    }

    /// `/rewind when`.
    pub(super) async fn rewind(&self, when: &str) {
        if self.refuse_in_dm("/rewind") {
            return;
        }
        let Some(channel) = self.current_channel("/rewind") else {
            return;
        };
        let now = chrono::Utc::now().timestamp_millis();
        let at = match command::parse_when(when, now) {
            Ok(at) => at,
            Err(error) => return self.error(error.message),
        };
        match reading::rewind_retained(&self.session, &channel, at, None, REWIND_LIMIT).await {
            Ok((events, retained_from)) => {
                if let Some(from) = retained_from {
                    self.notice(format!(
                        "#{channel} keeps its history from {} {}; older messages were purged",
                        render::day_of(&self.options, from).format("%Y-%m-%d"),
                        render::format_time(&self.options, from)
                    ));
                }
                let moment = render::day_of(&self.options, at)
                    .format("%Y-%m-%d")
                    .to_string();
                let time = render::local_time(&self.options, at).format("%H:%M:%S");
                self.notice(format!(
                    "#{channel} as it stood at {moment} {time} ({}):",
                    reading::age_words(at, now)
                ));
                self.show_listing(events, Listing::Everything);
                self.notice("end of rewind; new messages continue below");
            }
            Err(error) => self.error(format!("rewind failed: {}", describe(&error))),
        }
    }

    /// `/who [#ch]`.
    pub(super) async fn who(&self, channel: Option<String>) {
        let Some(channel) = channel.or_else(|| self.current_channel("/who")) else {
            return;
        };
        match self
            .session
            .request(ClientFrame::Who(ChannelFrame {
                ch: channel.clone(),
            }))
            .await
        {
            Ok(ServerFrame::Who { members, .. }) => {
                let listed: Vec<String> = members.iter().map(describe_user).collect();
                self.notice(format!(
                    "#{channel} ({}): {}",
                    listed.len(),
                    listed.join(", ")
                ));
            }
            Ok(_) => {}
            Err(error) => self.error(format!("cannot list #{channel}: {}", describe(&error))),
        }
    }

    /// `/users`: everyone we share a channel with.
    pub(super) fn users(&self) {
        let state = lock(&self.state);
        let keys = lock(&self.keys);
        let listed: Vec<String> = state
            .users
            .values()
            .map(|user| {
                let trust = match keys.peer_fingerprint(&user.name) {
                    Some((_, true)) => "",
                    Some((_, false)) => " [KEY CHANGED]",
                    None => " [no key]",
                };
                let text = if user.text.is_empty() {
                    String::new()
                } else {
                    format!(": {}", user.text)
                };
                format!("{} ({}{text}){trust}", user.name, user.state.as_str())
            })
            .collect();
        drop((state, keys));
        if listed.is_empty() {
            self.notice("you share no channel with anyone yet");
        } else {
            self.notice(format!("{} user(s): {}", listed.len(), listed.join(", ")));
        }
    }
}

fn describe_user(user: &UserInfo) -> String {
    let text = if user.text.is_empty() {
        String::new()
    } else {
        format!(": {}", user.text)
    };
    format!("{} ({}{text})", user.u, user.state.as_str())
}
