//! The default source of the one-shot queries, as glue: logs in with the saved session of
//! `chatify connect` (a password only when there is none), gets a sealed channel's keys from the
//! key ring (cached; the passphrase is asked for only when none is cached), and asks
//! `client::reading` (the queries over the live session) and `client::reading::opening` (the
//! bodies, as for the `--db` source).

use std::path::Path;
use std::time::Duration;

use anyhow::Context;

use super::output::{self, Record};
use super::{Fetched, Query, SourceArgs, Target, Window, secrets};
use crate::client::keys::{self, KeyRing, PeerKeyStatus};
use crate::client::reading;
use crate::client::reading::opening::{ChannelReading, DmReading};
use crate::client::session::{Session, SessionEvents, Welcome};
use crate::proto::{self, ChannelMode, MessageEvent};

/// Runs `query` through the server.
pub fn fetch(query: &Query, source: &SourceArgs) -> anyhow::Result<Fetched> {
    // One worker thread runs the connection's tasks, so the connection keeps answering the
    // server's pings while this thread waits at a passphrase prompt or runs Argon2.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let result = runtime.block_on(fetch_async(query, source));
    runtime.shutdown_timeout(Duration::from_millis(500));
    result
}

async fn fetch_async(query: &Query, source: &SourceArgs) -> anyhow::Result<Fetched> {
    let user = source.user.as_deref().context(
        "--user is needed to ask the server (or set CHATIFY_USER); \
         to read a database file directly, use --db PATH",
    )?;
    proto::validate_username(user).map_err(|error| anyhow::anyhow!("--user: {error}"))?;
    let config_dir = crate::paths::config_dir()?;
    let (session, _) = login(source, user).await?;
    let mut remote = Remote {
        welcome: session.welcome(),
        session: &session,
        source,
        config_dir: &config_dir,
        fetched: Fetched::default(),
    };
    remote.fetched.me = remote.welcome.user.clone();
    let result = remote.run(query).await;
    let fetched = std::mem::take(&mut remote.fetched);
    session.close();
    result.map(|()| fetched)
}

async fn login(source: &SourceArgs, user: &str) -> anyhow::Result<(Session, SessionEvents)> {
    let account = crate::cmd::account::AccountArgs {
        server: source.server.clone(),
        user: Some(user.to_string()),
        password_file: source.password_file.clone(),
        timeout: source.timeout,
        transport: source.transport.clone(),
    };
    account.log_in_required().await
}

/// One query's state: the session, what the server said at login, and the output so far.
struct Remote<'a> {
    session: &'a Session,
    welcome: Welcome,
    source: &'a SourceArgs,
    config_dir: &'a Path,
    fetched: Fetched,
}

impl Remote<'_> {
    async fn run(&mut self, query: &Query) -> anyhow::Result<()> {
        match query {
            Query::History {
                target: Target::Channel(channel),
                window,
                limit,
            } => {
                let reading = self.channel_reading(channel).await?;
                let (events, more) =
                    reading::channel_history(self.session, channel, window, *limit)
                        .await
                        .with_context(|| self.doing("reading history"))?;
                self.fetched.records = records(&reading, &events);
                self.note_more(more);
            }
            Query::History {
                target: Target::Dm(peer),
                window,
                limit,
            } => self.dm_history(peer, window, *limit).await?,
            Query::Search {
                channel,
                text,
                sort,
                window,
                limit,
            } => {
                let reading = self.channel_reading(channel).await?;
                let terms = reading
                    .search_terms(text, *sort)
                    .map_err(|refused| super::search_refused(channel, refused))?;
                let events = reading::search(self.session, channel, terms, window, Some(*limit))
                    .await
                    .with_context(|| self.doing("searching"))?;
                self.fetched.records = records(&reading, &events);
            }
            Query::Rewind {
                channel,
                at_ms,
                from,
                limit,
            } => {
                let reading = self.channel_reading(channel).await?;
                let (kept, retained_from) = reading::rewind_retained(
                    self.session,
                    channel,
                    *at_ms,
                    from.as_deref(),
                    *limit,
                )
                .await
                .with_context(|| self.doing("rewinding"))?;
                self.fetched.records = records(&reading, &kept);
                if let Some(from) = retained_from {
                    self.fetched
                        .notes
                        .push(super::retained_from_note(channel, from));
                }
            }
        }
        Ok(())
    }

    /// The context of a failed request: what was being done, and where.
    fn doing(&self, what: &str) -> String {
        format!("{what} (server {})", self.session.url())
    }

    fn open_ring(&self) -> anyhow::Result<KeyRing> {
        let (ring, _created) = KeyRing::open(
            self.config_dir,
            &self.session.url(),
            &self.welcome.user,
            keys::weak_kdf_for_tests_from_env(),
        )
        .context("opening your keys")?;
        Ok(ring)
    }

    /// Works out how to read `channel`: its mode from the login reply; for a sealed channel
    /// the cached key, else one derived from the passphrase (then cached), else a note.
    async fn channel_reading(&mut self, channel: &str) -> anyhow::Result<ChannelReading> {
        let info = self.welcome.channels.iter().find(|info| info.ch == channel);
        let Some(info) = info.filter(|info| info.mode == ChannelMode::Sealed) else {
            // Open, or not a member: the server's answer will say so.
            return Ok(ChannelReading::Open);
        };
        let (Some(salt), Some(kdf), Some(kcv)) = (&info.salt, &info.kdf, &info.kcv) else {
            anyhow::bail!("the server sent #{channel} as sealed but without its salt, kdf or kcv");
        };
        let mut ring = self.open_ring()?;
        let sealed = |keys| ChannelReading::Sealed {
            channel: channel.to_string(),
            keys,
        };
        if ring.load_cached_channel_key(channel, salt, kcv) {
            return Ok(sealed(held_keys(&ring, channel)));
        }
        let Some(passphrase) =
            secrets::passphrase(self.source.passphrase_file.as_deref(), channel)?
        else {
            self.fetched.notes.push(secrets::passphrase_hint(channel));
            return Ok(sealed(Err(secrets::missing_key_reason(channel))));
        };
        let (name, salt_b64, kdf, kcv_b64, policy) = (
            channel.to_string(),
            salt.clone(),
            kdf.clone(),
            kcv.clone(),
            ring.kdf_policy(),
        );
        let root = tokio::task::spawn_blocking(move || {
            keys::derive_channel_root(&name, &passphrase, &salt_b64, &kdf, &kcv_b64, policy)
        })
        .await
        .context("deriving the channel key")??;
        ring.install_channel_root(channel, salt, kcv, &root)?;
        Ok(sealed(held_keys(&ring, channel)))
    }

    async fn dm_history(&mut self, peer: &str, window: &Window, limit: u32) -> anyhow::Result<()> {
        let mut ring = self.open_ring()?;
        let announced = self
            .welcome
            .users
            .iter()
            .find(|user| user.u.eq_ignore_ascii_case(peer))
            .and_then(|user| Some((user.u.clone(), user.pk.clone()?)));
        if let Some((name, pk)) = &announced {
            match ring.learn_peer_key(name, pk) {
                Ok(PeerKeyStatus::Changed { pinned, announced }) => self.fetched.notes.push(format!(
                    "WARNING: {name}'s key changed (pinned {pinned}, now {announced}); \
                     their DMs are not decrypted until you check it and /trust {name} in chatify connect"
                )),
                Ok(_) => {}
                Err(error) => self.fetched.notes.push(format!("{name}'s key: {error}")),
            }
        }
        let (events, more) = reading::dm_history(self.session, peer, window, limit)
            .await
            .with_context(|| self.doing("reading DM history"))?;
        let me = self.welcome.user.clone();
        let mut reading = DmReading::Ring(&mut ring);
        self.fetched.records = events
            .iter()
            .map(|event| output::dm_record(event, &me, reading.body(event)))
            .collect();
        self.note_more(more);
        Ok(())
    }

    fn note_more(&mut self, more: bool) {
        if more {
            self.fetched.notes.push(super::older_exist_note());
        }
    }
}

/// The keys the ring holds for `channel` (just loaded or installed).
fn held_keys(ring: &KeyRing, channel: &str) -> Result<crate::crypto::ChannelKeys, String> {
    ring.channel_keys_copy(channel)
        .ok_or_else(|| secrets::missing_key_reason(channel))
}

fn records(reading: &ChannelReading, events: &[MessageEvent]) -> Vec<Record> {
    events
        .iter()
        .map(|event| output::channel_record(event, reading.is_sealed(), reading.body(event)))
        .collect()
}
