//! The `--db PATH` source of the one-shot queries, as glue: opens the file read-only
//! (`store::StoreReader`), gets the passphrase of a sealed channel or the `--as` user's
//! identity key file, and asks `client::reading::database` (the queries) and
//! `client::reading::opening` (the keys and the bodies). The file is never modified. DMs need
//! `--as USER` and that user's identity key, and are printed as undecryptable (with a note)
//! without the key.

use std::path::Path;

use anyhow::Context;

use super::output;
use super::{Fetched, Query, SourceArgs, Target, Window, secrets};
use crate::client::keys;
use crate::client::reading::database;
use crate::client::reading::opening::{self, ChannelReading, DmParty, DmReading};
use crate::proto::{self, ChannelMode};
use crate::store::StoreReader;

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
    let reading = channel_reading(&reader, path, channel, source, &mut fetched.notes)?;
    let (events, more) = channel_query(&reader, &reading, channel, query, &mut fetched.notes)?;
    fetched.records = events
        .iter()
        .map(|event| output::channel_record(event, reading.is_sealed(), reading.body(event)))
        .collect();
    if more {
        fetched.notes.push(super::older_exist_note());
    }
    Ok(fetched)
}

/// The messages a channel query selects, and whether older ones exist beyond them.
fn channel_query(
    reader: &StoreReader,
    reading: &ChannelReading,
    channel: &str,
    query: &Query,
    notes: &mut Vec<String>,
) -> anyhow::Result<(Vec<proto::MessageEvent>, bool)> {
    match query {
        Query::History { window, limit, .. } => {
            let page = database::channel_history(reader, channel, window, *limit)
                .context("reading history")?;
            note_retained_from(notes, channel, reader.purged_before(channel))?;
            Ok(page)
        }
        Query::Search {
            text,
            sort,
            window,
            limit,
            ..
        } => {
            let terms = reading
                .search_terms(text, *sort)
                .map_err(|refused| super::search_refused(channel, refused))?;
            let found =
                database::search(reader, channel, &terms, window, *limit).context("searching")?;
            Ok((found, false))
        }
        Query::Rewind {
            at_ms, from, limit, ..
        } => {
            let (kept, retained_from) =
                database::rewind_retained(reader, channel, *at_ms, from.as_deref(), *limit)
                    .context("rewinding")?;
            note_retained_from(notes, channel, Ok(retained_from))?;
            Ok((kept, false))
        }
    }
}

fn note_retained_from(
    notes: &mut Vec<String>,
    channel: &str,
    retained_from: Result<Option<i64>, crate::store::StoreError>,
) -> anyhow::Result<()> {
    if let Some(from) = retained_from.context("reading the channel")? {
        notes.push(super::retained_from_note(channel, from));
    }
    Ok(())
}

/// How to read `channel`: open, or sealed with the keys from the passphrase (or a note).
fn channel_reading(
    reader: &StoreReader,
    path: &Path,
    channel: &str,
    source: &SourceArgs,
    notes: &mut Vec<String>,
) -> anyhow::Result<ChannelReading> {
    let record = reader
        .channel(channel)
        .context("reading the channel")?
        .with_context(|| format!("there is no channel #{channel} in {}", path.display()))?;
    if record.mode == ChannelMode::Open {
        return Ok(ChannelReading::Open);
    }
    let keys = match secrets::passphrase(source.passphrase_file.as_deref(), channel)? {
        Some(passphrase) => {
            let (Some(salt), Some(kdf), Some(kcv)) = (&record.salt, &record.kdf, &record.kcv)
            else {
                anyhow::bail!(
                    "#{} is sealed but has no salt, kdf or kcv in the database",
                    record.name
                );
            };
            Ok(opening::derive_channel_keys(
                &record.name,
                &passphrase,
                salt,
                kdf,
                kcv,
            )?)
        }
        None => {
            notes.push(secrets::passphrase_hint(channel));
            Err(secrets::missing_key_reason(channel))
        }
    };
    Ok(ChannelReading::Sealed {
        channel: channel.to_string(),
        keys,
    })
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
    let path = match &source.key {
        Some(path) => path.clone(),
        None => keys::identity_file(&crate::paths::config_dir()?),
    };
    let key =
        opening::dm_key_from_identity_file(&path, &party(&me_account), &party(&peer_account))?
            .map_err(|unavailable| {
                fetched.notes.push(format!(
                    "DMs with {peer} cannot be decrypted: {}",
                    unavailable.long
                ));
                unavailable.short
            });
    let (events, more) =
        database::dm_history(reader, &me_account.name, &peer_account.name, window, limit)
            .context("reading DM history")?;
    let mut reading = DmReading::Key(key);
    fetched.records = events
        .iter()
        .map(|event| output::dm_record(event, &me_account.name, reading.body(event)))
        .collect();
    if more {
        fetched.notes.push(super::older_exist_note());
    }
    Ok(())
}

fn party(account: &crate::store::Account) -> DmParty<'_> {
    DmParty {
        name: &account.name,
        pk: account.pk.as_deref(),
    }
}
