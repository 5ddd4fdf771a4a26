//! Applies the stream to the local index, in stream order, exactly once: an ordered consumer
//! starting after the position stored in SQLite hands each entry to
//! `Store::apply_replicated` (this node's own request with its caller's callback, or another
//! node's decoded copy). The consumer is recreated from the last applied position whenever it
//! fails (a NATS node gone, a reconnect). An entry this build cannot decode is skipped with a
//! warning (a newer node's write); a failed local transaction halts applying. A consumer that
//! delivers nothing for 3 s while this node's own writes are in flight is recreated.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use async_nats::jetstream::consumer::DeliverPolicy;
use async_nats::jetstream::consumer::pull::OrderedConfig;
use futures_util::StreamExt;

use super::Shared;
use super::publisher::LogEntry;
use crate::store::Store;
use crate::store::replication::{ApplyState, EntryWrite};

/// How long the consumer may deliver nothing while this node waits for its own writes.
const STALL_CHECK: Duration = Duration::from_secs(3);

/// Follows the stream from `position` until aborted or halted.
pub(crate) async fn run(shared: Arc<Shared>, store: Store, mut position: u64) {
    loop {
        match follow(&shared, &store, &mut position).await {
            Ok(()) => return,
            Err(error) => {
                tracing::warn!(%error, position, "following the cluster log; retrying");
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
    }
}

/// One consumer's life; `Ok` only when applying halted (nothing more to do).
async fn follow(shared: &Shared, store: &Store, position: &mut u64) -> anyhow::Result<()> {
    let stream = shared.jetstream.get_stream(&shared.stream).await?;
    let deliver_policy = match *position {
        0 => DeliverPolicy::All,
        applied => DeliverPolicy::ByStartSequence {
            start_sequence: applied + 1,
        },
    };
    let consumer = stream
        .create_consumer(OrderedConfig {
            deliver_policy,
            ..Default::default()
        })
        .await?;
    let mut messages = consumer.messages().await?;
    loop {
        let next = match tokio::time::timeout(STALL_CHECK, messages.next()).await {
            Ok(next) => next,
            // Nothing for a while although this node has writes in flight: the consumer may be
            // stuck on a NATS server that went away; recreate it from the applied position.
            Err(_)
                if shared
                    .pending
                    .lock()
                    .is_ok_and(|pending| !pending.is_empty()) =>
            {
                anyhow::bail!("no entries while writes are in flight")
            }
            Err(_) => continue,
        };
        let Some(message) = next else { break };
        let message = message?;
        let info = message.info().map_err(|error| anyhow::anyhow!("{error}"))?;
        let sequence = info.stream_sequence;
        shared.lag.store(info.pending, Ordering::Relaxed);
        if sequence <= *position {
            continue;
        }
        let entry: LogEntry = match serde_json::from_slice(&message.payload) {
            Ok(entry) => entry,
            Err(error) => {
                tracing::warn!(%error, sequence, "skipping a cluster log entry this build cannot read");
                *position = sequence;
                continue;
            }
        };
        let local = (entry.node == shared.node)
            .then(|| shared.pending.lock().ok()?.remove(&entry.nonce))
            .flatten();
        let write = match local {
            Some(local) => EntryWrite::Local(local),
            None => EntryWrite::Foreign(entry.write),
        };
        store
            .apply_replicated(sequence, entry.ts, write, &shared.applied)
            .await?;
        *position = sequence;
        if matches!(*shared.applied.borrow(), ApplyState::Halted(_)) {
            tracing::error!(
                sequence,
                "applying the cluster log failed; this node stops applying"
            );
            return Ok(());
        }
    }
    anyhow::bail!("the stream's consumer ended")
}
