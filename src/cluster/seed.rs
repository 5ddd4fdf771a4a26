//! Growing from one node (docs/CLUSTER.md, "Growing from one node"): `chatify migrate
//! --to-cluster` imports an existing single-node database into a new cluster once, and a node
//! started on a new database file downloads it. The import takes a consistent copy of the file
//! (`store::replication::snapshot_for_cluster`), publishes it in parts to a second stream
//! (`<stream>_SEED`), and then appends one `Seed` entry as the log's very first entry (refused
//! by JetStream if the log is not empty, so two imports cannot both win). A node whose database
//! file does not exist yet reads the log's first entry before opening its store; when it is the
//! seed it downloads the copy, checks its length and BLAKE3 hash, records it as applied
//! (position 1) and only then opens it: every node starts from the same ids and `seq`s and
//! applies the rest of the log on top. A node on an existing, empty index meets the seed entry
//! in its materialiser and halts with a message saying what to do.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::Context;
use async_nats::jetstream;
use tokio::io::AsyncReadExt;

use super::publisher::LogEntry;
use super::{ClusterOptions, NodeStatus};
use crate::server::Health;
use crate::store::replication::{self, ReplicatedWrite, SeedMark};

/// Bytes per part of the copy (NATS refuses messages over 1 MiB by default).
const PART_BYTES: usize = 512 * 1024;

/// What an import did.
#[derive(Debug)]
pub struct ImportReport {
    pub bytes: u64,
    pub parts: u64,
    pub schema_version: u32,
}

/// Imports the single-node database `db` as the start of the (empty) cluster log.
pub async fn import(options: &ClusterOptions, db: &Path) -> anyhow::Result<ImportReport> {
    let copy = temp_path(db, "import");
    let schema_version = replication::snapshot_for_cluster(db, &copy)?;
    let result = publish_copy(options, &copy, schema_version).await;
    let _ = std::fs::remove_file(&copy);
    result
}

async fn publish_copy(
    options: &ClusterOptions,
    copy: &Path,
    schema_version: u32,
) -> anyhow::Result<ImportReport> {
    let client = super::connect(options, quiet_status()).await?;
    let jetstream = jetstream::new(client);
    let mut log = jetstream
        .get_or_create_stream(super::log_stream_config(options))
        .await
        .context("creating the JetStream stream")?;
    let held = log
        .info()
        .await
        .context("reading the stream")?
        .state
        .last_sequence;
    if held > 0 {
        anyhow::bail!(
            "stream {} already holds {held} entries: a database can only be imported into a new \
             cluster (an empty stream)",
            options.stream
        );
    }
    let seed_stream = seed_stream_name(options);
    let seed = jetstream
        .get_or_create_stream(jetstream::stream::Config {
            name: seed_stream.clone(),
            subjects: vec![seed_subject(options)],
            num_replicas: options.replicas,
            storage: jetstream::stream::StorageType::File,
            ..Default::default()
        })
        .await
        .context("creating the stream for the imported database")?;
    // Parts of an earlier import that never reached the log are dropped.
    seed.purge().await.context("emptying the import stream")?;
    let (bytes, parts, blake3) = publish_parts(&jetstream, options, copy).await?;
    let mark = SeedMark {
        stream: seed_stream,
        parts,
        bytes,
        blake3,
        schema_version,
    };
    let entry = LogEntry {
        node: format!("import-{}", options.node_name),
        nonce: 0,
        ts: crate::clock::system_now_ms(),
        write: ReplicatedWrite::Seed(mark),
    };
    let mut headers = async_nats::HeaderMap::new();
    // Only as the log's first entry: a concurrent import or write makes this one fail.
    headers.insert("Nats-Expected-Last-Sequence", "0");
    jetstream
        .publish_with_headers(
            super::log_subject(options),
            headers,
            serde_json::to_vec(&entry)?.into(),
        )
        .await
        .context("appending the import to the log")?
        .await
        .context("the log refused the import (it is no longer empty)")?;
    Ok(ImportReport {
        bytes,
        parts,
        schema_version,
    })
}

/// Publishes the copy in parts to the import stream; returns its length, parts and BLAKE3 hex.
async fn publish_parts(
    jetstream: &jetstream::Context,
    options: &ClusterOptions,
    copy: &Path,
) -> anyhow::Result<(u64, u64, String)> {
    let mut file = tokio::fs::File::open(copy)
        .await
        .context("reading the copy")?;
    let mut hasher = blake3::Hasher::new();
    let (mut bytes, mut parts) = (0u64, 0u64);
    let mut buffer = vec![0u8; PART_BYTES];
    loop {
        let read = read_part(&mut file, &mut buffer).await?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
        let payload = bytes::Bytes::copy_from_slice(&buffer[..read]);
        jetstream
            .publish(seed_subject(options), payload)
            .await
            .context("publishing the imported database")?
            .await
            .context("the import stream did not acknowledge a part")?;
        bytes += read as u64;
        parts += 1;
    }
    Ok((bytes, parts, hasher.finalize().to_hex().to_string()))
}

/// Fills `buffer` as far as the file allows; 0 at its end.
async fn read_part(file: &mut tokio::fs::File, buffer: &mut [u8]) -> anyhow::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        let read = file.read(&mut buffer[filled..]).await?;
        if read == 0 {
            break;
        }
        filled += read;
    }
    Ok(filled)
}

/// Before a node opens a database file that does not exist yet: when the cluster log starts
/// with an imported database, downloads it to `db` (recorded as applied up to the seed).
/// Returns whether it did.
pub async fn fetch_if_seeded(options: &ClusterOptions, db: &Path) -> anyhow::Result<bool> {
    if db.exists() {
        return Ok(false);
    }
    let client = super::connect(options, quiet_status()).await?;
    let jetstream = jetstream::new(client);
    let Ok(mut log) = jetstream.get_stream(&options.stream).await else {
        return Ok(false);
    };
    let state = &log.info().await.context("reading the stream")?.state;
    if state.last_sequence == 0 || state.first_sequence > 1 {
        return Ok(false);
    }
    let first = log
        .get_raw_message(1)
        .await
        .context("reading the log's first entry")?;
    let Ok(LogEntry {
        write: ReplicatedWrite::Seed(mark),
        ..
    }) = serde_json::from_slice::<LogEntry>(&first.payload)
    else {
        return Ok(false);
    };
    let partial = temp_path(db, "download");
    let result = download(&jetstream, &mark, &partial).await;
    if let Err(error) = result {
        let _ = std::fs::remove_file(&partial);
        return Err(error);
    }
    replication::mark_seeded(&partial, 1)?;
    std::fs::rename(&partial, db)
        .with_context(|| format!("moving the download to {}", db.display()))?;
    Ok(true)
}

/// Downloads the copy's parts to `to`, checking length and hash.
async fn download(
    jetstream: &jetstream::Context,
    mark: &SeedMark,
    to: &Path,
) -> anyhow::Result<()> {
    use tokio::io::AsyncWriteExt;
    let seed = jetstream
        .get_stream(&mark.stream)
        .await
        .with_context(|| format!("the import stream {} is gone", mark.stream))?;
    let _ = std::fs::remove_file(to);
    let mut open = tokio::fs::OpenOptions::new();
    open.write(true).create_new(true);
    #[cfg(unix)]
    open.mode(0o600);
    let mut file = open
        .open(to)
        .await
        .with_context(|| format!("creating {}", to.display()))?;
    let mut hasher = blake3::Hasher::new();
    let mut bytes = 0u64;
    for part in 1..=mark.parts {
        let message = seed
            .get_raw_message(part)
            .await
            .with_context(|| format!("reading part {part} of the imported database"))?;
        hasher.update(&message.payload);
        bytes += message.payload.len() as u64;
        file.write_all(&message.payload).await?;
    }
    file.sync_all().await?;
    if bytes != mark.bytes || hasher.finalize().to_hex().as_str() != mark.blake3 {
        anyhow::bail!("the imported database downloaded damaged (length or hash differs)");
    }
    Ok(())
}

fn seed_stream_name(options: &ClusterOptions) -> String {
    format!("{}_SEED", options.stream)
}

fn seed_subject(options: &ClusterOptions) -> String {
    format!("{}.seed", options.stream.to_ascii_lowercase())
}

fn temp_path(db: &Path, what: &str) -> PathBuf {
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".cluster-{what}.tmp"));
    db.with_file_name(name)
}

/// A connection status nobody reads (the import and the download are not a serving node).
fn quiet_status() -> Arc<NodeStatus> {
    Arc::new(NodeStatus {
        health: tokio::sync::watch::Sender::new(Health::CatchingUp),
        caught_up: AtomicBool::new(false),
        nats_connected: AtomicBool::new(true),
    })
}
