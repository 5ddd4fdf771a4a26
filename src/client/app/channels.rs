//! Channel commands of the app: joining (creating sealed channels, asking for and checking
//! passphrases, leaving again on a wrong one), leaving (`/leave` in a DM is `dms`), switching
//! channels, and everything that sends into a channel or DM (messages, replies, edits,
//! deletions, reactions), encrypting where the channel is sealed. Part of `client::app`.

use crate::proto::{ChannelFrame, DeleteFrame, EditFrame, JoinFrame, MsgFrame, ReactFrame};
use zeroize::Zeroizing;

use super::join_check::Peeked;
use super::{App, RECENT_ON_START, lock};
use crate::client::conn::ClientError;
use crate::client::keys::{self, KeyError};
use crate::client::render;
use crate::client::state::Place;
use crate::proto::{ChannelMode, ClientFrame, CreateChannel, KdfSpec, ServerFrame};

/// What the server told us about a channel we joined.
struct JoinedChannel {
    mode: ChannelMode,
    salt: Option<String>,
    kdf: Option<KdfSpec>,
    kcv: Option<String>,
    members: Vec<String>,
    hist: Vec<crate::proto::MessageEvent>,
}

impl App {
    /// `/join #ch [--sealed]`.
    pub(super) async fn join(&self, channel: String, sealed: bool) {
        let was_member = lock(&self.state).channels.get(&channel).map(|c| c.mode);
        if sealed && was_member == Some(ChannelMode::Open) {
            return self.error(format!(
                "#{channel} is an open channel, NOT end-to-end encrypted; it cannot become \
                 sealed (not switched; pick another name for a sealed channel)"
            ));
        }
        if sealed && was_member.is_some() {
            return self.switch(channel).await;
        }
        let peeked = match was_member {
            None => self.check_before_join(&channel).await,
            Some(_) => Peeked::Unknown,
        };
        match peeked {
            Peeked::SealedRefused => return,
            Peeked::Open if sealed => return self.refuse_open_join(&channel, true).await,
            _ => {}
        }
        let create_new = sealed && matches!(peeked, Peeked::Unknown);
        let (typed, created) = if create_new {
            match self.create_sealed(&channel).await {
                Some((passphrase, made)) => (Some(passphrase), Some(made)),
                None => return,
            }
        } else {
            (None, None)
        };
        let create = created.as_ref().map(|(create, _)| create.clone());
        let Some(joined) = self.request_join(&channel, create).await else {
            return;
        };
        if joined.mode == ChannelMode::Open
            && (sealed || lock(&self.keys).has_channel_key(&channel))
        {
            return self.refuse_open_join(&channel, was_member.is_some()).await;
        }
        if joined.mode == ChannelMode::Open
            && was_member.is_none()
            && self.prompter.reads_answers_from_input()
        {
            // The next input line may be a passphrase typed for a channel expected sealed.
            *lock(&self.held_after_open_join) = Some(channel.clone());
        }
        if joined.mode == ChannelMode::Sealed
            && !self
                .unlock_joined(&channel, &joined, typed, created, was_member.is_some())
                .await
        {
            return;
        }
        lock(&self.state).add_channel(
            &channel,
            joined.mode,
            &joined.salt,
            &joined.kdf,
            &joined.kcv,
        );
        lock(&self.state).switch_to(&channel);
        self.mark_seen(&Place::Channel(channel.clone()));
        let label = lock(&self.state).channel_scope(&channel);
        self.notice(format!(
            "joined {} — {} member(s): {}",
            render::render_scope(&self.options, &label),
            joined.members.len(),
            joined.members.join(", ")
        ));
        let start = joined.hist.len().saturating_sub(RECENT_ON_START);
        self.show_listing(
            joined.hist[start..].to_vec(),
            super::queries::Listing::SkipShown,
        );
    }

    /// A channel asked for as sealed (`--sealed`, or one we hold a key for) that the server
    /// says is open: nothing is sent there, we do not switch, and a fresh membership is undone.
    async fn refuse_open_join(&self, channel: &str, was_member: bool) {
        if !was_member {
            let _ = self
                .session
                .request(ClientFrame::Leave(ChannelFrame {
                    ch: channel.to_string(),
                }))
                .await;
        }
        self.error(format!(
            "#{channel} is an open channel, NOT end-to-end encrypted, but you asked for it \
             sealed: refused (not joined, not switched; nothing was sent)"
        ));
    }

    /// Asks for a new channel's passphrase (twice) and derives its keys; says why on failure.
    async fn create_sealed(
        &self,
        channel: &str,
    ) -> Option<(Zeroizing<String>, (CreateChannel, crate::crypto::Key32))> {
        let Some(passphrase) = self.ask_passphrase(channel, true).await else {
            self.error(format!("no passphrase given; #{channel} was not created"));
            return None;
        };
        let weak = lock(&self.keys).weak_kdf_for_tests();
        let for_kdf = passphrase.clone();
        match tokio::task::spawn_blocking(move || keys::new_sealed_channel(&for_kdf, weak)).await {
            Ok(Ok(made)) => Some((passphrase, made)),
            Ok(Err(error)) => {
                self.error(format!("cannot create #{channel}: {error}"));
                None
            }
            Err(_) => {
                self.error("the key derivation stopped unexpectedly");
                None
            }
        }
    }

    async fn request_join(
        &self,
        channel: &str,
        create: Option<CreateChannel>,
    ) -> Option<JoinedChannel> {
        let frame = ClientFrame::Join(JoinFrame {
            ch: channel.to_string(),
            create,
        });
        match self.session.request(frame).await {
            Ok(ServerFrame::Joined {
                mode,
                salt,
                kdf,
                kcv,
                members,
                hist,
                ..
            }) => Some(JoinedChannel {
                mode,
                salt,
                kdf,
                kcv,
                members,
                hist,
            }),
            Ok(_) => {
                self.error("the server answered the join with something unexpected");
                None
            }
            Err(error) => {
                self.error(format!("cannot join #{channel}: {}", describe(&error)));
                None
            }
        }
    }

    /// Makes sure we hold the key of a sealed channel just joined; on failure leaves it again
    /// (unless we were already a member) and says why. Returns whether the key is held.
    async fn unlock_joined(
        &self,
        channel: &str,
        joined: &JoinedChannel,
        typed: Option<Zeroizing<String>>,
        created: Option<(CreateChannel, crate::crypto::Key32)>,
        was_member: bool,
    ) -> bool {
        let (Some(salt), Some(kdf), Some(kcv)) = (&joined.salt, &joined.kdf, &joined.kcv) else {
            self.error(
                KeyError::IncompleteChannel {
                    channel: channel.to_string(),
                }
                .to_string(),
            );
            return false;
        };
        if let Some((create, root)) = created
            && create.salt.as_ref() == Some(salt)
            && create.kcv.as_ref() == Some(kcv)
        {
            return self.install(channel, salt, kcv, &root);
        }
        if lock(&self.keys).load_cached_channel_key(channel, salt, kcv) {
            return true;
        }
        let passphrase = match typed {
            Some(passphrase) => Some(passphrase),
            None => self.ask_passphrase(channel, false).await,
        };
        let outcome = match passphrase {
            Some(passphrase) => {
                self.derive_and_install(channel, passphrase, salt, kdf, kcv)
                    .await
            }
            None => Err(format!("no passphrase given for 🔒#{channel}")),
        };
        match outcome {
            Ok(()) => true,
            Err(reason) if was_member => {
                self.error(reason);
                false
            }
            Err(reason) => {
                let _ = self
                    .session
                    .request(ClientFrame::Leave(ChannelFrame {
                        ch: channel.to_string(),
                    }))
                    .await;
                self.error(format!("{reason} (not joined)"));
                false
            }
        }
    }

    /// Runs Argon2 off the runtime, checks the kcv, installs and caches the key.
    pub(super) async fn derive_and_install(
        &self,
        channel: &str,
        passphrase: Zeroizing<String>,
        salt: &str,
        kdf: &KdfSpec,
        kcv: &str,
    ) -> Result<(), String> {
        let policy = lock(&self.keys).kdf_policy();
        let (name, salt_owned, kdf_owned, kcv_owned) = (
            channel.to_string(),
            salt.to_string(),
            kdf.clone(),
            kcv.to_string(),
        );
        let derived = tokio::task::spawn_blocking(move || {
            keys::derive_channel_root(
                &name,
                &passphrase,
                &salt_owned,
                &kdf_owned,
                &kcv_owned,
                policy,
            )
        })
        .await;
        match derived {
            Ok(Ok(root)) => {
                if self.install(channel, salt, kcv, &root) {
                    Ok(())
                } else {
                    Err(format!("could not store the key of #{channel}"))
                }
            }
            Ok(Err(error)) => Err(error.to_string()),
            Err(_) => Err("the key derivation stopped unexpectedly".to_string()),
        }
    }

    fn install(&self, channel: &str, salt: &str, kcv: &str, root: &crate::crypto::Key32) -> bool {
        match lock(&self.keys).install_channel_root(channel, salt, kcv, root) {
            Ok(()) => true,
            Err(error) => {
                self.error(format!(
                    "the key of #{channel} works but could not be cached: {error}"
                ));
                true
            }
        }
    }

    async fn ask_passphrase(&self, channel: &str, confirm: bool) -> Option<Zeroizing<String>> {
        self.prompter
            .passphrase(channel, confirm)
            .await
            .filter(|passphrase| !passphrase.is_empty())
    }

    /// `/leave [#ch]`; `/leave` in a DM goes back to the channel we came from.
    pub(super) async fn leave(&self, channel: Option<String>) {
        let in_dm = lock(&self.state).current_dm().map(str::to_string);
        if let (None, Some(peer)) = (&channel, in_dm) {
            return self.leave_dm(&peer);
        }
        let Some(channel) = channel.or_else(|| self.current_channel("/leave")) else {
            return;
        };
        match self
            .session
            .request(ClientFrame::Leave(ChannelFrame {
                ch: channel.clone(),
            }))
            .await
        {
            Ok(_) => {
                let mut state = lock(&self.state);
                state.channels.remove(&channel);
                if state.current_channel() == Some(channel.as_str()) {
                    state.current = state.channels.keys().next().cloned().map(Place::Channel);
                }
                let now = state.current.clone();
                drop(state);
                match now {
                    Some(now) => self.notice(format!("left #{channel}; now in {now}")),
                    None => self.notice(format!("left #{channel}; you are in no channel now")),
                }
            }
            Err(error) => self.error(format!("cannot leave #{channel}: {}", describe(&error))),
        }
    }

    /// `/switch #ch` or `#ch`.
    pub(super) async fn switch(&self, channel: String) {
        if !lock(&self.state).channels.contains_key(&channel) {
            return self.error(format!("you are not in #{channel}: /join #{channel}"));
        }
        lock(&self.state).switch_to(&channel);
        self.mark_seen(&Place::Channel(channel.clone()));
        let label = lock(&self.state).channel_scope(&channel);
        self.notice(format!(
            "now talking in {}",
            render::render_scope(&self.options, &label)
        ));
    }

    /// Sends `text` to a channel we are in (encrypting for sealed channels).
    pub(super) async fn send_to_channel(&self, channel: &str, text: &str, reply_to: Option<i64>) {
        if !lock(&self.state).channels.contains_key(channel) {
            return self.error(format!("you are not in #{channel}: /join #{channel} first"));
        }
        let frame = match self.sending_mode(channel) {
            ChannelMode::Open => ClientFrame::Msg(MsgFrame {
                ch: channel.to_string(),
                c: text.to_string(),
                enc: None,
                idx: None,
                reply_to,
                relayed_as: None,
            }),
            ChannelMode::Sealed => match lock(&self.keys).seal_channel(channel, "msg", text) {
                Ok((c, idx)) => ClientFrame::Msg(MsgFrame {
                    ch: channel.to_string(),
                    c,
                    enc: Some(crate::proto::ENC_XC20P1.into()),
                    idx: Some(idx),
                    reply_to,
                    relayed_as: None,
                }),
                Err(error) => return self.error(format!("not sent: {error}")),
            },
        };
        let label = format!("#{channel}: {}", render::snippet(text, 8));
        self.queue_stored(frame, label);
    }

    /// How to send into `channel`: sealed when the server says so or we hold its key (a server
    /// calling a sealed channel open never gets plaintext).
    fn sending_mode(&self, channel: &str) -> ChannelMode {
        let state = lock(&self.state);
        let keys = lock(&self.keys);
        if crate::client::events::channel_is_sealed(&state, &keys, channel) {
            ChannelMode::Sealed
        } else {
            ChannelMode::Open
        }
    }

    /// `/edit id text`.
    pub(super) async fn edit(&self, id: i64, text: &str) {
        if let Some(peer) = self.dm_of(id) {
            return self.edit_dm(&peer, id, text).await;
        }
        let Some(channel) = self.channel_for(id) else {
            return;
        };
        let frame = if self.sending_mode(&channel) == ChannelMode::Sealed {
            match lock(&self.keys).seal_channel(&channel, &format!("edit:{id}"), text) {
                Ok((c, idx)) => ClientFrame::Edit(EditFrame {
                    ch: channel,
                    id,
                    c,
                    enc: Some(crate::proto::ENC_XC20P1.into()),
                    idx: Some(idx),
                    relayed_as: None,
                }),
                Err(error) => return self.error(format!("not edited: {error}")),
            }
        } else {
            ClientFrame::Edit(EditFrame {
                ch: channel,
                id,
                c: text.to_string(),
                enc: None,
                idx: None,
                relayed_as: None,
            })
        };
        self.queue_stored(
            frame,
            format!("edit of [{id}]: {}", render::snippet(text, 8)),
        );
    }

    /// `/delete id`.
    pub(super) async fn delete(&self, id: i64) {
        if let Some(peer) = self.dm_of(id) {
            return self.delete_dm(&peer, id);
        }
        if let Some(channel) = self.channel_for(id) {
            let frame = ClientFrame::Delete(DeleteFrame {
                ch: channel,
                id,
                relayed_as: None,
            });
            self.queue_stored(frame, format!("deletion of [{id}]"));
        }
    }

    /// `/react id emoji`: adds the reaction, or takes it back when we already reacted so.
    pub(super) async fn react(&self, id: i64, emoji: String) {
        if let Some(peer) = self.dm_of(id) {
            return self.react_dm(&peer, id, emoji);
        }
        let Some(channel) = self.channel_for(id) else {
            return;
        };
        let on = !lock(&self.state).my_reaction(id, &emoji);
        let frame = ClientFrame::React(ReactFrame {
            ch: channel,
            id,
            emoji: emoji.clone(),
            on,
        });
        if self.queue_stored(frame, format!("reaction {emoji} to [{id}]")) {
            // Known at once, so a second /react toggles even before the broadcast arrives.
            let me = self.options.me.clone();
            lock(&self.state).apply_reaction(id, &emoji, &me, on);
        }
    }

    /// The channel of message `id`: where we saw it, else the current channel (a DM's id is
    /// routed by `dm_of` first).
    pub(super) fn channel_for(&self, id: i64) -> Option<String> {
        let known = lock(&self.state).channel_of(id);
        known.or_else(|| self.current_channel("/reply, /edit, /delete and /react"))
    }
}

/// A user-facing sentence for a failed query (nothing was changed on the server).
pub(super) fn describe_read(error: &ClientError) -> String {
    match error {
        ClientError::Timeout(_) | ClientError::Disconnected => {
            "not connected right now; try again once reconnected".to_string()
        }
        other => other.to_string(),
    }
}

/// A user-facing sentence for a failed send (it may or may not have been stored).
pub(super) fn describe(error: &ClientError) -> String {
    match error {
        ClientError::Timeout(_) => {
            "no answer from the server in time (reconnecting?); check /history before retrying"
                .to_string()
        }
        ClientError::Disconnected => {
            "the connection dropped before the server confirmed; check /history before retrying"
                .to_string()
        }
        other => other.to_string(),
    }
}
