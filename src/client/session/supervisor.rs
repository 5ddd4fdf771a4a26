//! The session's background task: pumps the live connection's frames into the session stream
//! through the seq tracker (filling any gap with `history` `after`), pings the server, and after
//! a disconnect reconnects with exponential backoff (capped at 2 s) and jitter, logs in again with the session
//! token and replays what was missed. Private to `client::session`.

use crate::proto::HistoryFrame;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc::Sender;

use super::{CATCH_UP_PAGE, Inner, MAX_BACKOFF, PING_EVERY, SessionEvent, authenticate, lock};
use crate::client::conn::{self, ClientError, ConnEvent, ConnEvents};
use crate::client::resume::{SeqVerdict, channel_seq};
use crate::proto::{ClientFrame, ErrorCode, ServerFrame};
use crate::timespec::now_ms;

/// Extra margin when asking for DMs sent around the time of a disconnect (clock skew).
const DM_CATCH_UP_MARGIN_MS: i64 = 60_000;
/// At most this many DM conversations are checked after a reconnect.
const DM_CATCH_UP_PEERS: usize = 100;

/// Where DMs may have been missed from: after this id, around or after this time.
#[derive(Clone, Copy)]
struct MissedSince {
    ts: i64,
    id: i64,
}

enum Pumped {
    Shutdown,
    Closed { reason: String, code: Option<u16> },
}

/// Runs until the session is closed or can no longer log in.
pub(super) async fn supervise(
    inner: Arc<Inner>,
    mut conn_events: ConnEvents,
    out: Sender<SessionEvent>,
) {
    let ending = loop {
        let (reason, code) = match pump(&inner, &mut conn_events, &out).await {
            Pumped::Shutdown => break "session closed".to_string(),
            Pumped::Closed { reason, code } => (reason, code),
        };
        inner.connection.send_replace(None);
        if inner.is_shut_down() {
            break "session closed".to_string();
        }
        if out
            .send(SessionEvent::Disconnected { reason, code })
            .await
            .is_err()
        {
            return;
        }
        if code == Some(crate::proto::CLOSE_SESSION_REVOKED) {
            inner.forget_saved_token();
            break "this session was ended (logged out or revoked elsewhere, or the password \
                   changed); log in again"
                .to_string();
        }
        if !inner.options.reconnect {
            break "disconnected".to_string();
        }
        let missed_since = MissedSince {
            ts: now_ms(),
            id: lock(&inner.tracker).high_water(),
        };
        match reconnect(&inner, &out).await {
            Ok(events) => conn_events = events,
            Err(reason) => break reason,
        }
        catch_up_after_reconnect(&inner, &out, missed_since).await;
    };
    let _ = out.send(SessionEvent::Ended { reason: ending }).await;
}

async fn pump(
    inner: &Arc<Inner>,
    conn_events: &mut ConnEvents,
    out: &Sender<SessionEvent>,
) -> Pumped {
    let mut shutdown = inner.shutdown.subscribe();
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + PING_EVERY, PING_EVERY);
    loop {
        tokio::select! {
            event = conn_events.recv() => match event {
                None => return Pumped::Closed { reason: "connection lost".into(), code: None },
                Some(ConnEvent::Closed { code, reason }) => return Pumped::Closed { reason, code },
                Some(ConnEvent::Voice { from, payload }) => {
                    let _ = out.send(SessionEvent::Voice { from, payload }).await;
                }
                Some(ConnEvent::Frame(frame)) => deliver_live(inner, frame, out).await,
            },
            () = shut_down(&mut shutdown) => return Pumped::Shutdown,
            _ = ping.tick() => spawn_liveness_check(inner),
        }
    }
}

/// Pings the server; a connection that does not answer is dropped (and then reconnected).
fn spawn_liveness_check(inner: &Arc<Inner>) {
    let Some(connection) = inner.connection.borrow().clone() else {
        return;
    };
    let timeout = inner.options.request_timeout;
    tokio::spawn(async move {
        let ping = ClientFrame::Ping {};
        if let Err(ClientError::Timeout(_)) = connection.request(&ping, timeout).await {
            tracing::info!("the server did not answer a ping; reconnecting");
            connection.abort();
        }
    });
}

async fn deliver_live(inner: &Arc<Inner>, frame: ServerFrame, out: &Sender<SessionEvent>) {
    let Some((channel, seq)) = channel_seq(&frame) else {
        if let ServerFrame::Dm(dm) = &frame {
            if !lock(&inner.tracker).observe_dm(dm.id) {
                return;
            }
            let mut peers = lock(&inner.dm_peers);
            peers.insert(dm.from.to_ascii_lowercase());
            peers.insert(dm.to.to_ascii_lowercase());
        }
        let _ = out
            .send(SessionEvent::Frame {
                frame,
                replayed: false,
            })
            .await;
        return;
    };
    let channel = channel.to_string();
    if let ServerFrame::Msg(message) = &frame {
        lock(&inner.tracker).note_id(message.id);
    }
    let verdict = lock(&inner.tracker).observe(&channel, seq);
    match verdict {
        SeqVerdict::Deliver => {
            let _ = out
                .send(SessionEvent::Frame {
                    frame,
                    replayed: false,
                })
                .await;
        }
        SeqVerdict::Duplicate => {}
        SeqVerdict::Gap { after } => {
            fill_gap(inner, &channel, after, out, true).await;
            if !inner.is_connected() {
                // The rest of the gap and this frame come with the resume's catch-up by seq.
                return;
            }
            let verdict = lock(&inner.tracker).observe(&channel, seq);
            if verdict != SeqVerdict::Duplicate {
                // Delivered now, or the server could not fill the gap: never hold events back.
                lock(&inner.tracker).set_at_least(&channel, seq);
                let _ = out
                    .send(SessionEvent::Frame {
                        frame,
                        replayed: false,
                    })
                    .await;
            }
        }
    }
}

/// Fetches and delivers the channel events after `after`; returns how many were delivered.
async fn fill_gap(
    inner: &Arc<Inner>,
    channel: &str,
    mut after: i64,
    out: &Sender<SessionEvent>,
    replayed: bool,
) -> usize {
    let Some(connection) = inner.connection.borrow().clone() else {
        return 0;
    };
    let mut delivered = 0;
    loop {
        let request = catch_up_request(channel, after);
        let (events, more) = match connection
            .request(&request, inner.options.request_timeout)
            .await
        {
            Ok(ServerFrame::History { events, more, .. }) => (events, more),
            Ok(_) => break,
            Err(error) => {
                tracing::warn!("catching up #{channel} failed: {error}");
                break;
            }
        };
        let before = after;
        for event in events {
            let Some((event_channel, seq)) = channel_seq(&event) else {
                continue;
            };
            if event_channel != channel {
                continue;
            }
            if let ServerFrame::Msg(message) = &event {
                lock(&inner.tracker).note_id(message.id);
            }
            after = after.max(seq);
            let fresh = {
                let mut tracker = lock(&inner.tracker);
                let fresh = tracker.observe(channel, seq) != SeqVerdict::Duplicate;
                if fresh {
                    tracker.set_at_least(channel, seq);
                }
                fresh
            };
            if !fresh {
                continue;
            }
            delivered += 1;
            let _ = out
                .send(SessionEvent::Frame {
                    frame: event,
                    replayed,
                })
                .await;
        }
        if !more || after == before {
            break;
        }
    }
    delivered
}

fn catch_up_request(channel: &str, after: i64) -> ClientFrame {
    ClientFrame::History(HistoryFrame {
        ch: Some(channel.to_string()),
        dm: None,
        limit: Some(CATCH_UP_PAGE),
        before: None,
        since: None,
        until: None,
        after: Some(after),
        from: None,
    })
}

/// Reconnects until logged in again; `Err` with a reason when the session cannot continue.
async fn reconnect(inner: &Arc<Inner>, out: &Sender<SessionEvent>) -> Result<ConnEvents, String> {
    let mut shutdown = inner.shutdown.subscribe();
    let mut attempt: u32 = 0;
    loop {
        attempt = attempt.saturating_add(1);
        let delay = backoff_delay(attempt, rand::random_range(0.5..=1.0));
        if out
            .send(SessionEvent::Reconnecting { attempt, delay })
            .await
            .is_err()
        {
            return Err("session closed".into());
        }
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = shut_down(&mut shutdown) => return Err("session closed".into()),
        }
        let options = &inner.options;
        let url = url_for_attempt(inner, attempt);
        let connected = conn::connect(&url, &options.security, options.request_timeout);
        let (connection, events) = match connected.await {
            Ok(pair) => pair,
            // A changed or untrusted certificate does not get better by retrying.
            Err(error @ ClientError::Trust(_)) => return Err(error.to_string()),
            Err(error) => {
                tracing::debug!("reconnect attempt {attempt} failed: {error}");
                continue;
            }
        };
        let token = lock(&inner.token).clone();
        match authenticate(&connection, options, token, false).await {
            Ok((welcome, token)) => {
                *lock(&inner.current_url) = url;
                *lock(&inner.token) = Some(token);
                *lock(&inner.welcome) = welcome.clone();
                inner.connection.send_replace(Some(Arc::new(connection)));
                let _ = out.send(SessionEvent::Reconnected(welcome)).await;
                return Ok(events);
            }
            Err(ClientError::Server {
                code: ErrorCode::AuthFailed,
                ..
            })
            | Err(ClientError::PasswordNeeded(_)) => {
                return Err("the server no longer accepts this session; run chatify connect again to log in".into());
            }
            Err(error) => tracing::debug!("logging in again failed: {error}"),
        }
    }
}

/// The address of reconnect attempt `attempt` (1, 2, …): the one we lost first, then each
/// fallback in turn, round and round.
fn url_for_attempt(inner: &Inner, attempt: u32) -> String {
    let urls = super::all_urls(&inner.options);
    let current = lock(&inner.current_url).clone();
    let start = urls.iter().position(|url| *url == current).unwrap_or(0);
    let step = usize::try_from(attempt.saturating_sub(1)).unwrap_or(0);
    urls[(start + step) % urls.len()].clone()
}

async fn catch_up_after_reconnect(
    inner: &Arc<Inner>,
    out: &Sender<SessionEvent>,
    missed_since: MissedSince,
) {
    let welcome = lock(&inner.welcome).clone();
    let plan = lock(&inner.tracker).plan_resume(&welcome.channels);
    let mut replayed = 0;
    for item in plan {
        replayed += fill_gap(inner, &item.channel, item.after, out, true).await;
    }
    replayed += catch_up_dms(inner, out, &welcome.users, missed_since).await;
    let _ = out.send(SessionEvent::CaughtUp { replayed }).await;
}

/// Replays DMs sent around and after the disconnect that were not seen live.
async fn catch_up_dms(
    inner: &Arc<Inner>,
    out: &Sender<SessionEvent>,
    users: &[crate::proto::UserInfo],
    missed_since: MissedSince,
) -> usize {
    let Some(connection) = inner.connection.borrow().clone() else {
        return 0;
    };
    let mut peers = lock(&inner.dm_peers).clone();
    peers.extend(users.iter().map(|user| user.u.to_ascii_lowercase()));
    let me = lock(&inner.welcome).user.to_ascii_lowercase();
    peers.remove(&me);
    let mut missed = Vec::new();
    // DMs from before this session started were never missed by it: they belong to `history`.
    let oldest_missed_ts = (missed_since.ts - DM_CATCH_UP_MARGIN_MS).max(inner.started_ms);
    for peer in peers.into_iter().take(DM_CATCH_UP_PEERS) {
        let request = ClientFrame::History(HistoryFrame {
            ch: None,
            dm: Some(peer),
            limit: Some(crate::proto::HISTORY_DEFAULT_LIMIT),
            before: None,
            since: None,
            until: None,
            after: None,
            from: None,
        });
        if let Ok(ServerFrame::History { events, .. }) = connection
            .request(&request, inner.options.request_timeout)
            .await
        {
            missed.extend(events.into_iter().filter_map(|event| match event {
                ServerFrame::Dm(dm) if dm.id > missed_since.id && dm.ts >= oldest_missed_ts => {
                    Some(dm)
                }
                _ => None,
            }));
        }
    }
    missed.sort_by_key(|dm| dm.id);
    let mut delivered = 0;
    for dm in missed {
        if lock(&inner.tracker).observe_dm(dm.id) {
            delivered += 1;
            let _ = out
                .send(SessionEvent::Frame {
                    frame: ServerFrame::Dm(dm),
                    replayed: true,
                })
                .await;
        }
    }
    delivered
}

/// Exponential backoff with jitter: 250 ms doubling per attempt up to [`MAX_BACKOFF`] (2 s),
/// times `jitter` (the caller draws it from 0.5–1.0, so clients that lost the same server do
/// not all come back in the same instant).
pub(super) fn backoff_delay(attempt: u32, jitter: f64) -> Duration {
    let exponent = attempt.saturating_sub(1).min(16);
    let base = Duration::from_millis(250).saturating_mul(1u32 << exponent);
    base.min(MAX_BACKOFF).mul_f64(jitter.clamp(0.5, 1.0))
}

/// Resolves once the session is closed.
async fn shut_down(shutdown: &mut tokio::sync::watch::Receiver<bool>) {
    // The Ref returned by wait_for is dropped here, before any other await.
    let _ = shutdown.wait_for(|closed| *closed).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_jitter_and_is_capped_at_two_seconds() {
        assert_eq!(backoff_delay(1, 1.0), Duration::from_millis(250));
        assert_eq!(backoff_delay(2, 1.0), Duration::from_millis(500));
        assert_eq!(backoff_delay(1, 0.5), Duration::from_millis(125));
        for attempt in 1..200 {
            for jitter in [0.0, 0.5, 0.75, 1.0, 7.0] {
                let delay = backoff_delay(attempt, jitter);
                assert!(
                    delay <= Duration::from_secs(2),
                    "attempt {attempt}: {delay:?}"
                );
                assert!(
                    delay >= Duration::from_millis(125),
                    "attempt {attempt}: {delay:?}"
                );
            }
        }
        // Once the cap is reached, a server that is back is tried again within 1–2 s.
        assert_eq!(backoff_delay(30, 0.5), Duration::from_secs(1));
        assert_eq!(backoff_delay(30, 1.0), Duration::from_secs(2));
    }
}
