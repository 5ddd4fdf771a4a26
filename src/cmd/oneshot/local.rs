//! The `--db PATH` source of the one-shot queries: reads a database file directly through a
//! read-only `store::StoreReader` (no server, the file is never modified). Sealed channels are
//! decrypted with keys derived from the passphrase; DMs need `--as USER` and that user's
//! identity key, and are printed as undecryptable (with a note) without the key.

use std::path::Path;

use anyhow::Context;

use super::output::{self, Record};
use super::{Fetched, Pager, Query, SourceArgs, Target, Window, secrets};
use crate::client::events;
use crate::client::keys::{self, KeyError};
use crate::crypto::{self, ChannelKeys, CryptoError, Identity, KdfPolicy, Key32};
use crate::proto::{self, ChannelMode, HISTORY_MAX_LIMIT, SearchSort};
use crate::store::{ChannelRecord, HistoryQuery, SearchOptions, StoreReader};

/// Runs `query` against the database at `path`.
pub fn fetch(path: &Path, query: &Query, source: &SourceArgs) -> anyhow::Result<Fetched> {
    let reader = StoreReader::open(path)?;
    let mut fetched = Fetched {
        me: source.as_user.clone().unwrap_or_default(),
        ..Fetched::default()
    };
    let channel = match query {
        Query::History {
            target: Target::Dm(peer),
            window,
            limit,
        } => {
            dm_history(&reader, peer, window, *limit, source, &mut fetched)?;
            return Ok(fetched);
        }
        Query::History {
            target: Target::Channel(channel),
            ..
        }
        | Query::Search { channel, .. }
        | Query::Rewind { channel, .. } => channel,
    };
    let access = ChannelAccess::open(&reader, path, channel, source, &mut fetched.notes)?;
    let (events, more) = channel_query(&reader, &access, channel, query)?;
    if matches!(query, Query::Rewind { .. } | Query::History { .. })
        && let Some(from) = reader
            .purged_before(channel)
            .context("reading the channel")?
    {
        fetched.notes.push(super::retained_from_note(channel, from));
    }
    fetched.records = events.iter().map(|event| access.record(event)).collect();
    if more {
        fetched.notes.push(super::older_exist_note());
    }
    Ok(fetched)
}

/// The messages a channel query selects, and whether older ones exist beyond them.
fn channel_query(
    reader: &StoreReader,
    access: &ChannelAccess,
    channel: &str,
    query: &Query,
) -> anyhow::Result<(Vec<proto::MessageEvent>, bool)> {
    match query {
        Query::History { window, limit, .. } => channel_history(reader, channel, window, *limit),
        Query::Search {
            text,
            sort,
            window,
            limit,
            ..
        } => {
            let options = SearchOptions {
                limit: *limit,
                sort: *sort,
                since_ms: window.since_ms,
                until_ms: window.until_ms,
                from: window.from.clone(),
            };
            Ok((search(reader, access, channel, text, options)?, false))
        }
        Query::Rewind {
            at_ms, from, limit, ..
        } => {
            let fetch_limit = if from.is_some() {
                HISTORY_MAX_LIMIT
            } else {
                *limit
            };
            let events: Vec<proto::MessageEvent> = reader
                .rewind(channel, *at_ms, fetch_limit)
                .context("rewinding")?;
            let kept = super::filter_from(events.iter(), from.as_deref(), *limit).cloned();
            Ok((kept.collect(), false))
        }
    }
}

fn search(
    reader: &StoreReader,
    access: &ChannelAccess,
    channel: &str,
    text: &str,
    mut options: SearchOptions,
) -> anyhow::Result<Vec<proto::MessageEvent>> {
    let found = match access {
        ChannelAccess::Open => reader.search(&[channel.to_string()], text, &options),
        ChannelAccess::Sealed { keys, .. } => {
            let keys = keys
                .as_ref()
                .map_err(|_| anyhow::anyhow!(secrets::passphrase_hint(channel)))?;
            let tokens = sealed_query_tokens(&keys.search, text)?;
            options.sort = SearchSort::Newest;
            reader.search_blind(channel, &tokens, &options)
        }
    };
    let found = found.context("searching")?;
    Ok(found)
}

/// Blind tokens of a sealed-channel search query, or an error when it has no searchable word.
pub fn sealed_query_tokens(search_key: &Key32, text: &str) -> anyhow::Result<Vec<String>> {
    let tokens = crypto::blind_tokens(search_key, text);
    anyhow::ensure!(!tokens.is_empty(), super::no_searchable_words());
    Ok(tokens)
}

/// How to read a channel's messages.
enum ChannelAccess {
    Open,
    Sealed {
        channel: String,
        /// The keys, or why there are none.
        keys: Result<ChannelKeys, String>,
    },
}

impl ChannelAccess {
    fn open(
        reader: &StoreReader,
        path: &Path,
        channel: &str,
        source: &SourceArgs,
        notes: &mut Vec<String>,
    ) -> anyhow::Result<ChannelAccess> {
        let record = reader
            .channel(channel)
            .context("reading the channel")?
            .with_context(|| format!("there is no channel #{channel} in {}", path.display()))?;
        if record.mode == ChannelMode::Open {
            return Ok(ChannelAccess::Open);
        }
        let keys = match secrets::passphrase(source.passphrase_file.as_deref(), channel)? {
            Some(passphrase) => Ok(derive_keys(&record, &passphrase)?),
            None => {
                notes.push(secrets::passphrase_hint(channel));
                Err(secrets::missing_key_reason(channel))
            }
        };
        Ok(ChannelAccess::Sealed {
            channel: channel.to_string(),
            keys,
        })
    }

    fn record(&self, event: &proto::MessageEvent) -> Record {
        match self {
            ChannelAccess::Open => {
                let body = events::channel_body(event, false, &|_, _, _| {
                    Err(KeyError::Unavailable(
                        "an encrypted message in an open channel".to_string(),
                    ))
                });
                output::channel_record(event, false, body)
            }
            ChannelAccess::Sealed { channel, keys } => {
                let scope = proto::channel_scope(channel);
                let open = |sender: &str, kind: &str, c: &str| match keys {
                    Ok(keys) => Ok(crypto::open(&keys.message, &scope, sender, kind, c)?),
                    Err(reason) => Err(KeyError::Unavailable(reason.clone())),
                };
                output::channel_record(event, true, events::channel_body(event, true, &open))
            }
        }
    }
}

fn derive_keys(record: &ChannelRecord, passphrase: &str) -> anyhow::Result<ChannelKeys> {
    let (Some(salt), Some(kdf), Some(kcv)) = (&record.salt, &record.kdf, &record.kcv) else {
        anyhow::bail!(
            "#{} is sealed but has no salt, kdf or kcv in the database",
            record.name
        );
    };
    let policy = if keys::weak_kdf_for_tests_from_env() {
        KdfPolicy::AllowWeakForTests
    } else {
        KdfPolicy::EnforceFloor
    };
    let root = keys::derive_channel_root(&record.name, passphrase, salt, kdf, kcv, policy)?;
    Ok(ChannelKeys::from_root(&root))
}

fn channel_history(
    reader: &StoreReader,
    channel: &str,
    window: &Window,
    limit: u32,
) -> anyhow::Result<(Vec<proto::MessageEvent>, bool)> {
    let mut pager = Pager::new(limit);
    while let Some(want) = pager.want() {
        let query = HistoryQuery {
            limit: want,
            before_seq: pager.oldest().map(|event: &proto::MessageEvent| event.seq),
            before_id: None,
            since_ms: window.since_ms,
            until_ms: window.until_ms,
            from: window.from.clone(),
        };
        let page = reader.history(channel, &query).context("reading history")?;
        pager.add(page.events, page.more);
    }
    Ok(pager.finish())
}

fn dm_history(
    reader: &StoreReader,
    peer: &str,
    window: &Window,
    limit: u32,
    source: &SourceArgs,
    fetched: &mut Fetched,
) -> anyhow::Result<()> {
    let me = source.as_user.as_deref().context(
        "reading DMs from a database file needs --as USER (one of the two people), and that \
         user's identity key (--key) to decrypt them",
    )?;
    let me_account = reader
        .account(me)?
        .with_context(|| format!("there is no user {me} in the database"))?;
    let peer_account = reader
        .account(peer)?
        .with_context(|| format!("there is no user {peer} in the database"))?;
    fetched.me = me_account.name.clone();
    let key = dm_key(source, &me_account, &peer_account)?.map_err(|(short, long)| {
        fetched
            .notes
            .push(format!("DMs with {peer} cannot be decrypted: {long}"));
        short
    });
    let (events, more) = dm_pages(reader, &me_account.name, &peer_account.name, window, limit)?;
    fetched.records = events
        .iter()
        .map(|event| {
            let body = events::dm_body(event, &mut |event| match &key {
                Ok(key) => Ok(crypto::open(
                    key,
                    &proto::dm_scope(&event.from, &event.to),
                    &event.from,
                    "dm",
                    &event.c,
                )?),
                Err(reason) => Err(KeyError::Unavailable(reason.clone())),
            });
            output::dm_record(event, &me_account.name, body)
        })
        .collect();
    note_more(fetched, more);
    Ok(())
}

/// Up to `limit` DMs between `me` and `peer`, paged backwards by id, oldest first.
fn dm_pages(
    reader: &StoreReader,
    me: &str,
    peer: &str,
    window: &Window,
    limit: u32,
) -> anyhow::Result<(Vec<proto::DmEvent>, bool)> {
    let mut pager = Pager::new(limit);
    while let Some(want) = pager.want() {
        let query = HistoryQuery {
            limit: want,
            before_seq: None,
            before_id: pager.oldest().map(|event: &proto::DmEvent| event.id),
            since_ms: window.since_ms,
            until_ms: window.until_ms,
            from: window.from.clone(),
        };
        let page = reader
            .folded_dm_history(me, peer, &query)
            .context("reading DM history")?;
        pager.add(page.events, page.more);
    }
    Ok(pager.finish())
}

/// The DM key of `me` with `peer`, or (as `Ok(Err((short, long)))`) why it cannot be had: a
/// short reason for each message and a longer one, with what to do, for the note.
fn dm_key(
    source: &SourceArgs,
    me: &crate::store::Account,
    peer: &crate::store::Account,
) -> anyhow::Result<Result<Key32, (String, String)>> {
    let path = match &source.key {
        Some(path) => path.clone(),
        None => keys::identity_file(&crate::paths::config_dir()?),
    };
    let identity = match Identity::load(&path) {
        Ok(identity) => identity,
        Err(CryptoError::NoKeyFile { .. }) => {
            return Ok(Err((
                format!("no identity key for {}", me.name),
                format!(
                    "no identity key for {} at {} (pass --key with {}'s key file)",
                    me.name,
                    path.display(),
                    me.name
                ),
            )));
        }
        Err(error) => return Err(error.into()),
    };
    if me.pk.as_deref() != Some(identity.public_b64().as_str()) {
        return Ok(Err((
            format!("not {}'s identity key", me.name),
            format!(
                "the identity key {} is not {}'s (its public key differs from the one {} \
                 registered)",
                path.display(),
                me.name,
                me.name
            ),
        )));
    }
    let Some(peer_pk) = &peer.pk else {
        let reason = format!("{} has no public key on record", peer.name);
        return Ok(Err((reason.clone(), reason)));
    };
    let peer_public = crypto::decode_public_key(peer_pk)?;
    Ok(identity.dm_key(&peer_public).map_err(|error| {
        let reason = error.to_string();
        (reason.clone(), reason)
    }))
}

fn note_more(fetched: &mut Fetched, more: bool) {
    if more {
        fetched.notes.push(super::older_exist_note());
    }
}
