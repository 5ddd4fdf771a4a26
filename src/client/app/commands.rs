//! Command dispatch of the app: maps each parsed [`Command`] to its handler (plain text and
//! `/me` go to the current place: a channel, or a DM), and holds the small ones — presence (`/status`, `/away`), voice rooms, fingerprints and `/trust`, `/unread`,
//! `/mentions`, `/help`, `/quit`. Part of `client::app`.

use super::channels::describe;
use super::{App, Flow, lock};
use crate::client::command::{self, Command, Target};
use crate::client::events;
use crate::client::state::Place;
use crate::model::message::action_body;
use crate::proto::{ClientFrame, PresenceState, ServerFrame};
use crate::proto::{StatusFrame, VjoinFrame};

impl App {
    /// Executes one command.
    pub async fn execute(&self, command: Command) -> Flow {
        match command {
            Command::Nothing => {}
            Command::Say(text) => self.say(&text).await,
            Command::Me { text } => self.say(&action_body(&text)).await,
            Command::Msg {
                target: Target::Channel(channel),
                text,
            } => self.send_to_channel(&channel, &text, None).await,
            Command::Msg {
                target: Target::User(user),
                text,
            }
            | Command::Dm { user, text } => self.send_dm(&user, &text, None).await,
            Command::Reply { id, .. } if lock(&self.state).message(id).is_none() => {
                self.error(format!(
                    "not sent: [{id}] is no message this client has seen (/history or /search \
                     shows older ones; then /reply {id} works)"
                ))
            }
            Command::Reply { id, text } => {
                if let Some(peer) = self.dm_of(id) {
                    self.send_dm(&peer, &text, Some(id)).await;
                } else if let Some(channel) = self.channel_for(id) {
                    self.send_to_channel(&channel, &text, Some(id)).await;
                }
            }
            Command::Join { channel, sealed } => self.join(channel, sealed).await,
            Command::Leave { channel } => self.leave(channel).await,
            Command::Switch { target } => self.enter(target).await,
            Command::Edit { id, text } => self.edit(id, &text).await,
            Command::Delete { id } => self.delete(id).await,
            Command::React { id, emoji } => self.react(id, emoji).await,
            Command::History { count } => self.history(count).await,
            Command::More => self.more().await,
            Command::Clear => self.notice(
                "/clear clears the terminal in interactive mode; piped output has no screen",
            ),
            Command::Ignore { user } => self.ignore(user),
            Command::Unignore { user } => self.unignore(&user),
            Command::Search { words } => self.search(&words).await,
            Command::Rewind { when } => self.rewind(&when).await,
            Command::Who { channel } => self.who(channel).await,
            Command::Users => self.users(),
            Command::Status { set: None } => self.show_status(),
            Command::Status {
                set: Some((state, text)),
            } => self.set_presence(state, text),
            Command::Away { text: Some(text) } => self.set_presence(PresenceState::Away, text),
            Command::Away { text: None } => self.set_presence(PresenceState::Online, String::new()),
            Command::Voice { join, room } => self.voice(join, room).await,
            Command::Fingerprint { user } => self.fingerprint(user),
            Command::Trust { user } => self.trust(&user),
            Command::Unread => self.unread(),
            Command::Mentions => self.mentions(),
            Command::Logout => return self.logout().await,
            Command::Sessions(action) => self.sessions(action).await,
            Command::Password => self.change_password().await,
            Command::Moderate(command) => self.moderate(command).await,
            Command::List { after } => self.list_channels(after).await,
            Command::Help { topic } => self.help(topic),
            Command::Quit => {
                self.close_outbox().await;
                if self.session.is_connected() {
                    self.mark_current_before_quit().await;
                }
                self.quitting
                    .store(true, std::sync::atomic::Ordering::Release);
                self.session.close();
                return Flow::Quit;
            }
        }
        Flow::Continue
    }

    /// Plain text (or `/me`) to the current channel or DM.
    async fn say(&self, text: &str) {
        let current = lock(&self.state).current.clone();
        match current {
            Some(Place::Channel(channel)) => self.send_to_channel(&channel, text, None).await,
            Some(Place::Dm(peer)) => self.send_dm(&peer, text, None).await,
            None => self.error("no current channel: /join #channel first"),
        }
    }

    /// `#ch`, `@user`, `/switch`: makes the place current; when it got messages while the user
    /// looked elsewhere, shows them under a `── new since you left ──` line.
    async fn enter(&self, target: Target) {
        let place = match &target {
            Target::Channel(channel) => Place::Channel(channel.clone()),
            Target::User(user) => Place::Dm(user.clone()),
        };
        let unread = self.unread_in(&place);
        match target {
            Target::Channel(channel) => self.switch(channel).await,
            Target::User(user) => self.switch_dm(user).await,
        }
        let now = lock(&self.state).current.clone();
        if let Some(now) = now.filter(|now| unread > 0 && *now == place) {
            self.show_new_since_left(now, unread).await;
        }
    }

    fn show_status(&self) {
        let connection = if self.session.is_connected() {
            "connected to"
        } else {
            "reconnecting to"
        };
        let state = lock(&self.state);
        let current = match &state.current {
            Some(Place::Channel(channel)) => format!("channel #{channel}"),
            Some(Place::Dm(peer)) => format!("DM 🔒@{peer}"),
            None => "channel none".to_string(),
        };
        let voice = state
            .voice_room
            .as_deref()
            .map_or("none".to_string(), |r| format!("#{r}"));
        let line = format!(
            "{connection} {} as {}; current {current}; {} channel(s); voice {voice}; {} line(s) waiting to be sent",
            self.session.url(),
            self.options.me,
            state.channels.len(),
            self.outbox.waiting()
        );
        drop(state);
        self.notice(line);
    }

    fn set_presence(&self, state: PresenceState, text: String) {
        let frame = ClientFrame::Status(StatusFrame {
            state,
            text: text.clone(),
        });
        match self.session.send(&frame) {
            Ok(()) if text.is_empty() => self.notice(format!("you are {}", state.as_str())),
            Ok(()) => self.notice(format!("you are {}: {text}", state.as_str())),
            Err(error) => self.error(format!("status not set: {error}")),
        }
    }

    async fn voice(&self, join: bool, room: Option<String>) {
        if !join {
            return match self.session.request(ClientFrame::Vleave {}).await {
                Ok(_) => {
                    lock(&self.state).voice_room = None;
                    self.notice("left voice");
                }
                Err(error) => self.error(format!("cannot leave voice: {}", describe(&error))),
            };
        }
        let Some(room) = room.or_else(|| self.current_channel("/voice join")) else {
            return;
        };
        match self
            .session
            .request(ClientFrame::Vjoin(VjoinFrame { room: room.clone() }))
            .await
        {
            Ok(ServerFrame::Vjoined { room, members, .. }) => {
                lock(&self.state).voice_room = Some(room.clone());
                self.notice(format!(
                    "in voice in #{room} with {} (this terminal client relays no audio itself)",
                    members.join(", ")
                ));
            }
            Ok(_) => {}
            Err(error) => self.error(format!(
                "cannot join voice in #{room}: {}",
                describe(&error)
            )),
        }
    }

    fn fingerprint(&self, user: Option<String>) {
        let keys = lock(&self.keys);
        let line = match user {
            None => Ok(format!("your fingerprint: {}", keys.my_fingerprint())),
            Some(user) => match keys.peer_fingerprint(&user) {
                Some((fingerprint, true)) => Ok(format!("{user}: {fingerprint} (trusted)")),
                Some((fingerprint, false)) => Err(format!(
                    "{user}: {fingerprint} — NOT the key you pinned; compare it with {user} in person, then /trust {user}"
                )),
                None => Err(format!(
                    "no key known for {user} (you need to share a channel)"
                )),
            },
        };
        drop(keys);
        match line {
            Ok(line) => self.notice(line),
            Err(line) => self.error(line),
        }
    }

    fn trust(&self, user: &str) {
        let outcome = lock(&self.keys).trust_peer(user);
        match outcome {
            Ok(fingerprint) => self.notice(format!("now trusting {user}'s key {fingerprint}")),
            Err(error) => self.error(error.to_string()),
        }
    }

    fn unread(&self) {
        let unread = events::unread_summary(&lock(&self.state));
        if unread.is_empty() {
            return self.notice("no unread messages");
        }
        let listed: Vec<String> = unread
            .iter()
            .map(|(place, count)| format!("{place} {count}"))
            .collect();
        self.notice(format!("unread: {}", listed.join(", ")));
    }

    fn mentions(&self) {
        let mentions: Vec<String> = {
            let mut state = lock(&self.state);
            state.mark_mentions_seen();
            state.mentions.iter().cloned().collect()
        };
        if mentions.is_empty() {
            return self.notice("no mentions yet");
        }
        self.notice(format!("{} mention(s):", mentions.len()));
        self.lines.extend(mentions);
    }

    fn help(&self, topic: Option<String>) {
        let lines: Vec<&str> = command::help_lines()
            .into_iter()
            .filter(|line| {
                topic
                    .as_ref()
                    .is_none_or(|topic| line.contains(&format!("/{topic}")))
            })
            .collect();
        if lines.is_empty() {
            return self.error(format!(
                "no command /{} (/help lists them all)",
                topic.unwrap_or_default()
            ));
        }
        for line in lines {
            self.notice(line);
        }
    }
}
