//! Typing indicators (PROTOCOL.md §6), as two small clocks with the time passed in so tests
//! need no sleeps: [`TypingBoard`] remembers who is typing where (from `typing` frames, each
//! note expiring [`TYPING_SHOWN_FOR`] after its last refresh) and words it for the prompt;
//! [`TypingSender`] decides when our own `typing` frames go out while the user edits a line
//! (`on:true` at most every [`TYPING_REFRESH`], `on:false` on submit, on clearing the line or
//! after [`TYPING_IDLE`] without an edit). Pure code: `client::state` holds the board,
//! `client::repl` drives the sender from the editor (interactive mode only).

use std::time::{Duration, Instant};

use super::state::Place;

/// How often `on:true` is repeated while the user keeps typing.
pub const TYPING_REFRESH: Duration = Duration::from_secs(3);
/// How long without an edit before we say we stopped.
pub const TYPING_IDLE: Duration = Duration::from_secs(5);
/// How long someone's typing note is shown without a refresh.
pub const TYPING_SHOWN_FOR: Duration = Duration::from_secs(6);

/// One `typing` frame to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypingSignal {
    pub place: Place,
    pub on: bool,
}

/// Who is typing where, as far as `typing` frames said.
#[derive(Debug, Default)]
pub struct TypingBoard {
    notes: Vec<TypingNote>,
}

#[derive(Debug)]
struct TypingNote {
    place: Place,
    user: String,
    seen: Instant,
}

impl TypingBoard {
    /// Records a `typing` frame: `user` started (or refreshed) or stopped typing in `place`.
    pub fn note(&mut self, place: Place, user: &str, on: bool, now: Instant) {
        self.stop(&place, user);
        if on {
            self.notes.push(TypingNote {
                place,
                user: user.to_string(),
                seen: now,
            });
        }
    }

    /// Forgets that `user` is typing in `place` (their message arrived).
    pub fn stop(&mut self, place: &Place, user: &str) {
        self.notes
            .retain(|note| !(note.place == *place && note.user.eq_ignore_ascii_case(user)));
    }

    /// Who is typing in `place` right now, in the order they started.
    pub fn typing_in(&self, place: &Place, now: Instant) -> Vec<&str> {
        self.notes
            .iter()
            .filter(|note| note.place == *place && now.duration_since(note.seen) < TYPING_SHOWN_FOR)
            .map(|note| note.user.as_str())
            .collect()
    }

    /// Drops expired notes; returns whether any were dropped (the prompt should be redrawn).
    pub fn expire(&mut self, now: Instant) -> bool {
        let before = self.notes.len();
        self.notes
            .retain(|note| now.duration_since(note.seen) < TYPING_SHOWN_FOR);
        self.notes.len() != before
    }

    /// "bob is typing…", "bob and carol are typing…", "4 people are typing…", or empty.
    pub fn describe(&self, place: &Place, now: Instant) -> String {
        match self.typing_in(place, now).as_slice() {
            [] => String::new(),
            [one] => format!("{one} is typing…"),
            [one, two] => format!("{one} and {two} are typing…"),
            many => format!("{} people are typing…", many.len()),
        }
    }
}

/// When our own `typing` frames go out.
#[derive(Debug, Default)]
pub struct TypingSender {
    /// Where we said `on:true`, and when we last said it.
    active: Option<(Place, Instant)>,
    last_edit: Option<Instant>,
    last_buffer: String,
}

impl TypingSender {
    /// The editor's buffer as of a redraw. `place` is where a message typed now would go, and
    /// `is_message` whether the buffer is a message (not a command). Redraws without an edit
    /// change nothing.
    pub fn on_buffer(
        &mut self,
        buffer: &str,
        is_message: bool,
        place: Option<&Place>,
        now: Instant,
    ) -> Vec<TypingSignal> {
        if buffer == self.last_buffer {
            return Vec::new();
        }
        self.last_buffer = buffer.to_string();
        let Some(place) = place.filter(|_| is_message) else {
            return self.stop().into_iter().collect();
        };
        self.last_edit = Some(now);
        let mut signals = Vec::new();
        match &self.active {
            Some((active, sent))
                if active == place && now.duration_since(*sent) < TYPING_REFRESH =>
            {
                return signals;
            }
            Some((active, _)) if active == place => {}
            Some(_) => signals.extend(self.stop()),
            None => {}
        }
        self.active = Some((place.clone(), now));
        signals.push(TypingSignal {
            place: place.clone(),
            on: true,
        });
        signals
    }

    /// The periodic check: `on:false` once the user has not edited for [`TYPING_IDLE`].
    pub fn on_tick(&mut self, now: Instant) -> Option<TypingSignal> {
        let idle = self
            .last_edit
            .is_none_or(|edit| now.duration_since(edit) >= TYPING_IDLE);
        if idle { self.stop() } else { None }
    }

    /// The line was submitted: `on:false` if we had said `on:true`.
    pub fn on_submit(&mut self) -> Option<TypingSignal> {
        self.last_buffer.clear();
        self.stop()
    }

    fn stop(&mut self) -> Option<TypingSignal> {
        self.active
            .take()
            .map(|(place, _)| TypingSignal { place, on: false })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn general() -> Place {
        Place::Channel("general".into())
    }

    fn bob() -> Place {
        Place::Dm("bob".into())
    }

    #[test]
    fn a_typing_note_shows_until_it_expires_or_is_taken_back() {
        let start = Instant::now();
        let mut board = TypingBoard::default();
        board.note(general(), "bob", true, start);
        assert_eq!(board.describe(&general(), start), "bob is typing…");
        assert_eq!(board.describe(&bob(), start), "", "only where it happens");
        let later = start + Duration::from_secs(5);
        board.note(general(), "carol", true, later);
        assert_eq!(
            board.describe(&general(), later),
            "bob and carol are typing…"
        );
        let expired = start + TYPING_SHOWN_FOR;
        assert_eq!(board.describe(&general(), expired), "carol is typing…");
        assert!(board.expire(expired), "bob's note is dropped");
        assert!(!board.expire(expired), "nothing more to drop");
        board.note(general(), "Carol", false, expired);
        assert_eq!(board.describe(&general(), expired), "");
    }

    #[test]
    fn a_refresh_keeps_a_note_alive_and_a_message_ends_it() {
        let start = Instant::now();
        let mut board = TypingBoard::default();
        board.note(bob(), "bob", true, start);
        let refresh = start + Duration::from_secs(4);
        board.note(bob(), "bob", true, refresh);
        let after = start + TYPING_SHOWN_FOR + Duration::from_secs(1);
        assert_eq!(board.typing_in(&bob(), after), vec!["bob"]);
        board.stop(&Place::Dm("BOB".into()), "bob");
        assert!(board.typing_in(&bob(), after).is_empty());
        for name in ["a", "b", "c", "d"] {
            board.note(general(), name, true, after);
        }
        assert_eq!(board.describe(&general(), after), "4 people are typing…");
    }

    #[test]
    fn the_sender_says_on_at_most_every_refresh_and_off_when_idle_or_submitted() {
        let start = Instant::now();
        let mut sender = TypingSender::default();
        let on = |place: Place| TypingSignal { place, on: true };
        let off = |place: Place| TypingSignal { place, on: false };
        assert_eq!(
            sender.on_buffer("h", true, Some(&general()), start),
            vec![on(general())]
        );
        let soon = start + Duration::from_secs(1);
        assert!(
            sender
                .on_buffer("he", true, Some(&general()), soon)
                .is_empty()
        );
        assert!(
            sender
                .on_buffer("he", true, Some(&general()), start + TYPING_REFRESH)
                .is_empty()
        );
        let refresh = start + TYPING_REFRESH;
        assert_eq!(
            sender.on_buffer("hel", true, Some(&general()), refresh),
            vec![on(general())]
        );
        assert_eq!(sender.on_tick(refresh + Duration::from_secs(4)), None);
        assert_eq!(sender.on_tick(refresh + TYPING_IDLE), Some(off(general())));
        assert_eq!(sender.on_tick(refresh + TYPING_IDLE), None, "said once");
        let back = refresh + TYPING_IDLE + Duration::from_secs(1);
        assert_eq!(
            sender.on_buffer("hell", true, Some(&general()), back),
            vec![on(general())]
        );
        assert_eq!(sender.on_submit(), Some(off(general())));
        assert_eq!(sender.on_submit(), None);
    }

    #[test]
    fn commands_cleared_lines_and_new_places_are_handled() {
        let start = Instant::now();
        let mut sender = TypingSender::default();
        assert!(
            sender
                .on_buffer("/jo", false, Some(&general()), start)
                .is_empty()
        );
        assert!(
            sender.on_buffer("hi", true, None, start).is_empty(),
            "nowhere to go"
        );
        let first = sender.on_buffer("hi!", true, Some(&general()), start);
        assert_eq!(first.len(), 1);
        assert_eq!(
            sender.on_buffer("", false, Some(&general()), start),
            vec![TypingSignal {
                place: general(),
                on: false
            }]
        );
        sender.on_buffer("x", true, Some(&general()), start);
        assert_eq!(
            sender.on_buffer("xy", true, Some(&bob()), start),
            vec![
                TypingSignal {
                    place: general(),
                    on: false
                },
                TypingSignal {
                    place: bob(),
                    on: true
                }
            ]
        );
    }
}
