//! The per-frame policy table: for every client frame type (and the binary voice frame), which
//! per-connection token bucket it is metered by and what it costs. It is the one place that says
//! which frames are limited; `dispatch` charges the bucket before any handler runs, so a frame
//! that is refused never reaches its handler. Two buckets (PROTOCOL.md §9): `sends` (writes
//! others see: one token per frame, `--rate-limit`/`--rate-burst`) and `reads` (queries,
//! presence, voice: a cost in units of about one row, `--read-rate`/`--read-burst`), so a
//! 500-row `history` costs fifty times a 10-row one and a `ping` almost nothing.

use crate::proto::governance::{LIST_DEFAULT_LIMIT, LIST_MAX_LIMIT};
use crate::proto::{
    ClientFrame, HISTORY_DEFAULT_LIMIT, HISTORY_MAX_LIMIT, SEARCH_DEFAULT_LIMIT, SEARCH_MAX_LIMIT,
};

/// Which per-connection bucket a frame is charged to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Meter {
    /// Writes others see (`msg`, `dm`, `edit`, `delete`, `react`, `typing`, `join`, …).
    Sends,
    /// Queries, presence, `who`, voice: charged by cost.
    Reads,
    /// Not metered: frames that end the session or cannot be repeated usefully.
    Free,
}

/// A frame's entry in the policy table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FramePolicy {
    pub meter: Meter,
    /// Tokens taken from the bucket.
    pub cost: u32,
}

/// `users` pages are at most this long (`users::USERS_PAGE_MAX`).
const USERS_PAGE_MAX: u32 = super::users::USERS_PAGE_MAX as u32;
/// Base cost of a read that touches the database, before its rows.
const QUERY_BASE_COST: u32 = 10;
/// Base cost of a full-text, blind-token or rewind query (they scan more than they return).
const SCAN_BASE_COST: u32 = 50;
/// Cost of a presence change (`status`): it fans out to everyone sharing a channel.
const STATUS_COST: u32 = 100;
/// Cost of a `who`, `vjoin` or `vleave`.
const SMALL_READ_COST: u32 = 20;
/// The most any one frame costs (a 500-row search or rewind): `read_burst` must cover it.
pub const MAX_FRAME_COST: u32 = SCAN_BASE_COST + HISTORY_MAX_LIMIT;
/// Voice payload bytes per unit of cost (a full 4 KiB voice frame costs 9).
const VOICE_BYTES_PER_UNIT: usize = 512;

const fn sends() -> FramePolicy {
    FramePolicy {
        meter: Meter::Sends,
        cost: 1,
    }
}

const fn reads(cost: u32) -> FramePolicy {
    FramePolicy {
        meter: Meter::Reads,
        cost,
    }
}

const fn free() -> FramePolicy {
    FramePolicy {
        meter: Meter::Free,
        cost: 0,
    }
}

/// The policy of one text frame of an authenticated connection. Exhaustive on purpose: a new
/// frame type does not compile until it says how it is metered.
pub fn frame_policy(frame: &ClientFrame) -> FramePolicy {
    match frame {
        ClientFrame::Msg(_)
        | ClientFrame::Dm(_)
        | ClientFrame::DmEdit(_)
        | ClientFrame::DmDelete(_)
        | ClientFrame::DmReact(_)
        | ClientFrame::Edit(_)
        | ClientFrame::Delete(_)
        | ClientFrame::React(_)
        | ClientFrame::Typing(_)
        | ClientFrame::Join(_)
        | ClientFrame::Leave(_)
        | ClientFrame::Revoke(_)
        | ClientFrame::Password(_)
        | ClientFrame::Invite(_)
        | ClientFrame::Kick(_)
        | ClientFrame::Ban(_)
        | ClientFrame::Unban(_)
        | ClientFrame::Mute(_)
        | ClientFrame::Unmute(_)
        | ClientFrame::Op(_)
        | ClientFrame::Deop(_)
        | ClientFrame::Topic(_)
        | ClientFrame::Mode(_)
        | ClientFrame::Admin(_) => sends(),
        ClientFrame::List(list) => reads(rows_cost(
            QUERY_BASE_COST,
            list.limit,
            LIST_DEFAULT_LIMIT,
            LIST_MAX_LIMIT,
        )),
        ClientFrame::History(history) => reads(rows_cost(
            QUERY_BASE_COST,
            history.limit,
            HISTORY_DEFAULT_LIMIT,
            HISTORY_MAX_LIMIT,
        )),
        ClientFrame::Search(search) => reads(rows_cost(
            SCAN_BASE_COST,
            search.limit,
            SEARCH_DEFAULT_LIMIT,
            SEARCH_MAX_LIMIT,
        )),
        ClientFrame::Rewind(rewind) => reads(rows_cost(
            SCAN_BASE_COST,
            rewind.limit,
            HISTORY_DEFAULT_LIMIT,
            HISTORY_MAX_LIMIT,
        )),
        ClientFrame::Users(users) => reads(rows_cost(
            QUERY_BASE_COST,
            users.limit,
            USERS_PAGE_MAX,
            USERS_PAGE_MAX,
        )),
        ClientFrame::Status(_) => reads(STATUS_COST),
        ClientFrame::Who(_) | ClientFrame::Vjoin(_) | ClientFrame::Vleave {} => {
            reads(SMALL_READ_COST)
        }
        // `mark` writes a row only its own account reads back.
        ClientFrame::Sessions {} | ClientFrame::Markers {} | ClientFrame::Mark(_) => {
            reads(QUERY_BASE_COST)
        }
        ClientFrame::Info(_) => reads(SMALL_READ_COST),
        ClientFrame::Ping {} => reads(1),
        // `auth` after login is refused at once; `logout` ends the connection.
        ClientFrame::Auth(_) | ClientFrame::Logout {} => free(),
    }
}

/// The policy of a binary voice frame of `payload_len` bytes.
pub fn voice_policy(payload_len: usize) -> FramePolicy {
    let units = 1 + payload_len / VOICE_BYTES_PER_UNIT;
    reads(u32::try_from(units).unwrap_or(u32::MAX))
}

/// `base` plus the rows asked for, as the handler will clamp them.
fn rows_cost(base: u32, limit: Option<u32>, default: u32, max: u32) -> u32 {
    base + limit.unwrap_or(default).clamp(1, max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::{HistoryFrame, SearchFrame};

    fn history(limit: Option<u32>) -> ClientFrame {
        ClientFrame::History(HistoryFrame {
            limit,
            ..HistoryFrame::default()
        })
    }

    #[test]
    fn a_500_row_history_costs_more_than_a_small_one_and_far_more_than_a_ping() {
        let big = frame_policy(&history(Some(500))).cost;
        let small = frame_policy(&history(Some(10))).cost;
        let ping = frame_policy(&ClientFrame::Ping {}).cost;
        assert_eq!(big, 510);
        assert!(big > small && small > ping && ping >= 1);
        // A limit past the maximum is charged as the maximum the handler will read.
        assert_eq!(frame_policy(&history(Some(u32::MAX))).cost, big);
    }

    #[test]
    fn queries_presence_and_voice_are_metered_by_the_reads_bucket() {
        let search = ClientFrame::Search(SearchFrame::default());
        assert_eq!(frame_policy(&search).meter, Meter::Reads);
        assert_eq!(voice_policy(4096).cost, 9);
        assert_eq!(voice_policy(0).cost, 1);
        assert_eq!(frame_policy(&ClientFrame::Logout {}).meter, Meter::Free);
    }
}
