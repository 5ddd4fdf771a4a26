//! Appends this node's write requests to the stream (`store::replication::WriteReplicator`).
//! Each entry carries this node's identity and a nonce; the local request waits in `pending`
//! until the materialiser meets the entry and applies it with the caller's callback. The
//! publish is retried with the same `Nats-Msg-Id` (JetStream drops the duplicate within its
//! window) for up to 10 s; if the stream never acknowledges it, the caller gets `Unavailable`.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::{MAX_PENDING_WRITES, Shared};
use crate::store::StoreError;
use crate::store::replication::{QueuedWrite, ReplicatedWrite, WriteReplicator};

/// How long a write may take to be acknowledged by the stream.
const PUBLISH_DEADLINE: Duration = Duration::from_secs(10);

/// One stream entry.
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct LogEntry {
    /// The process that appended it.
    pub node: String,
    /// Its number at that process.
    pub nonce: u64,
    /// The origin's clock when it was appended: the `ts` every node applies it at.
    pub ts: i64,
    pub write: ReplicatedWrite,
}

/// The replicator installed into the store.
pub(crate) struct Publisher(pub Arc<Shared>);

impl WriteReplicator for Publisher {
    fn replicate(
        &self,
        write: ReplicatedWrite,
        local: Box<dyn QueuedWrite>,
    ) -> Result<(), StoreError> {
        let shared = &self.0;
        let nonce = shared.next_nonce.fetch_add(1, Ordering::Relaxed);
        let entry = LogEntry {
            node: shared.node.clone(),
            nonce,
            ts: shared.clock.now_ms(),
            write,
        };
        let payload = serde_json::to_vec(&entry)
            .map_err(|_| StoreError::Unavailable("encoding the write failed".into()))?;
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| StoreError::Unavailable("no runtime to publish on".into()))?;
        {
            let mut pending = shared
                .pending
                .lock()
                .map_err(|_| StoreError::Unavailable("the cluster node failed".into()))?;
            if pending.len() >= MAX_PENDING_WRITES {
                return Err(StoreError::Unavailable("too many writes in flight".into()));
            }
            pending.insert(nonce, local);
        }
        runtime.spawn(publish(shared.clone(), nonce, payload));
        Ok(())
    }
}

/// Publishes until acknowledged or the deadline; on failure answers the local request.
async fn publish(shared: Arc<Shared>, nonce: u64, payload: Vec<u8>) {
    let message_id = format!("{}-{nonce}", shared.node);
    let attempt = async {
        let mut backoff = Duration::from_millis(50);
        loop {
            let mut headers = async_nats::HeaderMap::new();
            headers.insert("Nats-Msg-Id", message_id.as_str());
            let sent = shared
                .jetstream
                .publish_with_headers(shared.subject.clone(), headers, payload.clone().into())
                .await;
            match sent {
                Ok(ack) => match ack.await {
                    Ok(_) => return,
                    Err(error) => tracing::debug!(%error, "stream append not acknowledged"),
                },
                Err(error) => tracing::debug!(%error, "stream append failed"),
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(1));
        }
    };
    if tokio::time::timeout(PUBLISH_DEADLINE, attempt)
        .await
        .is_ok()
    {
        return;
    }
    shared.publish_failures.fetch_add(1, Ordering::Relaxed);
    let local = shared
        .pending
        .lock()
        .ok()
        .and_then(|mut pending| pending.remove(&nonce));
    if let Some(mut local) = local {
        tracing::warn!("the cluster log did not acknowledge a write in time");
        local.fail(StoreError::Unavailable(
            "the cluster log did not acknowledge the write".into(),
        ));
        // Callbacks may block on a bounded queue: not on the async runtime.
        tokio::task::spawn_blocking(move || local.reply());
    }
}
