//! Gap-free delivery: remembers the last `seq` delivered per channel, drops duplicates, notices
//! gaps, and plans the `history` `after` catch-up for each channel after a reconnect (from
//! `ok.channels[].seq`). Also remembers recent DM ids so a DM catch-up never shows one twice.
//! Pure bookkeeping used by `client::session`; unit-tested here.

use std::collections::{BTreeSet, HashMap};

use crate::proto::{ChannelInfo, ServerFrame};

/// What to do with a channel event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeqVerdict {
    /// The next event (or the first seen for that channel): deliver it.
    Deliver,
    /// Already delivered: drop it.
    Duplicate,
    /// Events between `after` (exclusive) and this one are missing: fetch them first.
    Gap { after: i64 },
}

/// A channel to catch up after a reconnect: fetch `history` `after` this seq.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatchUp {
    pub channel: String,
    pub after: i64,
}

/// Last delivered `seq` per channel and recently seen DM ids.
#[derive(Debug, Default, Clone)]
pub struct SeqTracker {
    last: HashMap<String, i64>,
    dm_ids: BTreeSet<i64>,
    high_water: i64,
}

/// How many DM ids to remember for de-duplication.
const DM_IDS_KEPT: usize = 2048;

impl SeqTracker {
    pub fn new() -> Self {
        Self::default()
    }

    /// Classifies a channel event and, when it is to be delivered, records it.
    pub fn observe(&mut self, channel: &str, seq: i64) -> SeqVerdict {
        match self.last.get(channel).copied() {
            None => {
                self.last.insert(channel.to_string(), seq);
                SeqVerdict::Deliver
            }
            Some(last) if seq <= last => SeqVerdict::Duplicate,
            Some(last) if seq == last + 1 => {
                self.last.insert(channel.to_string(), seq);
                SeqVerdict::Deliver
            }
            Some(last) => SeqVerdict::Gap { after: last },
        }
    }

    /// Starts (or moves forward) tracking of a channel, e.g. from a `joined` reply.
    pub fn set_at_least(&mut self, channel: &str, seq: i64) {
        let entry = self.last.entry(channel.to_string()).or_insert(seq);
        if *entry < seq {
            *entry = seq;
        }
    }

    /// Stops tracking a channel (after `left`).
    pub fn forget(&mut self, channel: &str) {
        self.last.remove(channel);
    }

    /// The last delivered seq of a channel.
    pub fn last(&self, channel: &str) -> Option<i64> {
        self.last.get(channel).copied()
    }

    /// After a (re)connect: the channels to catch up, given `ok.channels`. Channels not tracked
    /// yet start at the server's seq; tracked channels that are gone are forgotten.
    pub fn plan_resume(&mut self, channels: &[ChannelInfo]) -> Vec<CatchUp> {
        let current: BTreeSet<&str> = channels.iter().map(|info| info.ch.as_str()).collect();
        self.last
            .retain(|channel, _| current.contains(channel.as_str()));
        let mut plan = Vec::new();
        for info in channels {
            match self.last.get(&info.ch).copied() {
                Some(last) if info.seq > last => plan.push(CatchUp {
                    channel: info.ch.clone(),
                    after: last,
                }),
                // The server is behind us (its database was restored or replaced): follow it,
                // or every new event would look like a duplicate.
                Some(last) if info.seq < last => {
                    self.last.insert(info.ch.clone(), info.seq);
                }
                Some(_) => {}
                None => {
                    self.last.insert(info.ch.clone(), info.seq);
                }
            }
        }
        plan
    }

    /// Notes the id of a message or DM seen (live, in a reply or a page): ids are global and
    /// increasing, so a DM with a lower id than everything seen was not missed.
    pub fn note_id(&mut self, id: i64) {
        self.high_water = self.high_water.max(id);
    }

    /// The highest message or DM id seen so far.
    pub fn high_water(&self) -> i64 {
        self.high_water
    }

    /// Records a DM id; false when it was already seen.
    pub fn observe_dm(&mut self, id: i64) -> bool {
        if !self.dm_ids.insert(id) {
            return false;
        }
        self.note_id(id);
        while self.dm_ids.len() > DM_IDS_KEPT {
            self.dm_ids.pop_first();
        }
        true
    }
}

/// The channel and seq of a channel event (`msg`, `edit`, `delete`, `react`).
pub fn channel_seq(frame: &ServerFrame) -> Option<(&str, i64)> {
    match frame {
        ServerFrame::Msg(event) => Some((&event.ch, event.seq)),
        ServerFrame::Edit(event) => Some((&event.ch, event.seq)),
        ServerFrame::Delete(event) => Some((&event.ch, event.seq)),
        ServerFrame::React(event) => Some((&event.ch, event.seq)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::ChannelMode;

    fn info(ch: &str, seq: i64) -> ChannelInfo {
        ChannelInfo {
            ch: ch.into(),
            mode: ChannelMode::Open,
            members: 1,
            seq,
            salt: None,
            kdf: None,
            kcv: None,
        }
    }

    #[test]
    fn events_are_delivered_once_and_in_order() {
        let mut tracker = SeqTracker::new();
        let steps = [
            (5, SeqVerdict::Deliver),
            (6, SeqVerdict::Deliver),
            (6, SeqVerdict::Duplicate),
            (4, SeqVerdict::Duplicate),
            (9, SeqVerdict::Gap { after: 6 }),
            (7, SeqVerdict::Deliver),
            (8, SeqVerdict::Deliver),
            (9, SeqVerdict::Deliver),
        ];
        for (seq, verdict) in steps {
            assert_eq!(tracker.observe("general", seq), verdict, "seq {seq}");
        }
        assert_eq!(tracker.last("general"), Some(9));
    }

    #[test]
    fn joined_moves_tracking_forward_only() {
        let mut tracker = SeqTracker::new();
        tracker.set_at_least("ops", 17);
        assert_eq!(tracker.observe("ops", 18), SeqVerdict::Deliver);
        tracker.set_at_least("ops", 10);
        assert_eq!(tracker.last("ops"), Some(18));
        tracker.forget("ops");
        assert_eq!(tracker.last("ops"), None);
    }

    #[test]
    fn resume_plans_catch_up_only_where_the_server_moved_on() {
        let mut tracker = SeqTracker::new();
        tracker.set_at_least("general", 41);
        tracker.set_at_least("ops", 7);
        tracker.set_at_least("gone", 3);
        let plan = tracker.plan_resume(&[info("general", 44), info("ops", 7), info("new", 12)]);
        assert_eq!(
            plan,
            vec![CatchUp {
                channel: "general".into(),
                after: 41
            }]
        );
        assert_eq!(tracker.last("new"), Some(12));
        assert_eq!(tracker.last("gone"), None);
        assert_eq!(
            tracker.last("general"),
            Some(41),
            "moves only as events are delivered"
        );
    }

    #[test]
    fn a_server_that_went_back_in_time_is_followed() {
        let mut tracker = SeqTracker::new();
        tracker.set_at_least("general", 90);
        assert!(tracker.plan_resume(&[info("general", 3)]).is_empty());
        assert_eq!(tracker.observe("general", 4), SeqVerdict::Deliver);
    }

    #[test]
    fn high_water_follows_the_largest_id() {
        let mut tracker = SeqTracker::new();
        tracker.note_id(7);
        tracker.note_id(3);
        assert!(tracker.observe_dm(9));
        assert_eq!(tracker.high_water(), 9);
    }

    #[test]
    fn dm_ids_are_deduplicated_with_a_bounded_memory() {
        let mut tracker = SeqTracker::new();
        assert!(tracker.observe_dm(10));
        assert!(!tracker.observe_dm(10));
        for id in 100..(100 + DM_IDS_KEPT as i64 + 10) {
            tracker.observe_dm(id);
        }
        assert!(tracker.dm_ids.len() <= DM_IDS_KEPT);
    }
}
