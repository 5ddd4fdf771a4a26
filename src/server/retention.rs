//! The retention sweep: a timer task that, every `ServerConfig::retention_sweep`, has the
//! store's writer purge messages older than each channel's retention period (`mode retention`)
//! or the server-wide `serve --retention`, whichever is shorter, for real (rows, every event
//! about them, FTS rows, blind tokens), in batches of [`SWEEP_BATCH`] so other writes interleave.
//! Expiry is judged by the configured clock (the store's writer reads the same one), and the
//! rings of loaded channels then forget what was purged.

use std::sync::Arc;

use super::server_state::ServerState;
use crate::store::AdminOp;

/// Messages purged per writer transaction.
pub const SWEEP_BATCH: u32 = 500;

/// Runs sweeps until the server stops (the task is aborted at shutdown).
pub async fn run_sweeps(state: Arc<ServerState>) {
    let mut timer = tokio::time::interval(state.config.retention_sweep);
    timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        timer.tick().await;
        match sweep_once(&state).await {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "retention sweep purged expired messages"),
            Err(error) => tracing::warn!(%error, "retention sweep failed"),
        }
    }
}

/// One sweep: batches until one comes back short; returns how many messages were purged.
pub async fn sweep_once(state: &ServerState) -> Result<u64, crate::store::StoreError> {
    let server_retention_ms = state
        .config
        .retention
        .map(|period| i64::try_from(period.as_millis()).unwrap_or(i64::MAX));
    let mut total = 0;
    loop {
        let started_ms = state.now_ms();
        // Asked before the first batch so an idle sweep writes nothing: on a cluster node every
        // purge is an entry in the shared log, and a tick with nothing to purge must not grow it.
        // (Once a batch was purged, the last, short batch still runs and moves the channel's
        // `retained_from` up to the cut-off.)
        if total == 0 {
            let expired = state
                .store
                .read(move |reader| reader.has_expired_messages(server_retention_ms, started_ms))
                .await?;
            if !expired {
                return Ok(0);
            }
        }
        let purged = state
            .store
            .administer(AdminOp::PurgeExpired {
                server_retention_ms,
                max_messages: SWEEP_BATCH,
            })
            .await?;
        total += purged;
        if purged > 0 {
            forget_in_rings(state, server_retention_ms, started_ms);
        }
        if purged < u64::from(SWEEP_BATCH) {
            return Ok(total);
        }
        tokio::task::yield_now().await;
    }
}

/// Drops from every loaded ring the messages the sweep purged. The cut-off is computed from a
/// time read just before the purge, so it never drops a message the store kept.
pub(crate) fn forget_in_rings(state: &ServerState, server_retention_ms: Option<i64>, now_ms: i64) {
    for entry in state.registry.all_channels() {
        let mut inner = entry.lock();
        let retention = crate::model::governance::effective_retention_ms(
            inner.gov.retention_ms,
            server_retention_ms,
        );
        let Some(retention) = retention else {
            continue;
        };
        if let super::registry::RingState::Loaded(ring) = &mut inner.ring {
            ring.forget_before(now_ms.saturating_sub(retention.max(0)));
        }
    }
}
