//! Bracketed paste in the editor: the Emacs edit mode wrapped so a paste is looked at before it
//! reaches the buffer. A paste larger than the server's frame limit is refused at once with its
//! size and never drawn (a 100 KB line would fill the screen only to be refused on Enter); a
//! paste of more than [`CONFIRM_ABOVE_LINES`] lines goes into the buffer with a notice saying
//! Enter sends it as one message and Ctrl-C drops it (a paste never sends by itself). Part of
//! `client::repl`.

use std::sync::Arc;

use reedline::{EditMode, Emacs, PromptEditMode, ReedlineEvent, ReedlineRawEvent};

use crate::client::app::App;

/// A paste with more lines than this gets a notice before it can be sent.
pub const CONFIRM_ABOVE_LINES: usize = 5;

/// What to do with one paste.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasteVerdict {
    /// Into the buffer as is.
    Insert,
    /// Into the buffer, with a notice: it is `lines` lines long.
    InsertWithNotice { lines: usize },
    /// Refused: `bytes` is more than `limit`.
    Refuse { bytes: usize, limit: usize },
}

/// Judges a paste of `text` against a message size `limit` (bytes).
pub fn judge_paste(text: &str, limit: usize) -> PasteVerdict {
    if text.len() > limit {
        return PasteVerdict::Refuse {
            bytes: text.len(),
            limit,
        };
    }
    let lines = text.trim_end_matches(['\r', '\n']).lines().count();
    if lines > CONFIRM_ABOVE_LINES {
        PasteVerdict::InsertWithNotice { lines }
    } else {
        PasteVerdict::Insert
    }
}

/// The edit mode: Emacs key bindings, pastes judged first.
pub struct PasteGuard {
    inner: Emacs,
    app: Arc<App>,
}

impl PasteGuard {
    pub fn new(inner: Emacs, app: Arc<App>) -> PasteGuard {
        PasteGuard { inner, app }
    }
}

impl EditMode for PasteGuard {
    fn parse_event(&mut self, event: ReedlineRawEvent) -> ReedlineEvent {
        let event: crossterm::event::Event = event.into();
        if let crossterm::event::Event::Paste(text) = &event {
            match judge_paste(text, self.app.message_limit()) {
                PasteVerdict::Refuse { bytes, limit } => {
                    self.app.report_error(&format!(
                        "paste refused: {bytes} bytes, more than a message can hold ({limit} \
                         bytes); nothing was put in the line"
                    ));
                    return ReedlineEvent::None;
                }
                PasteVerdict::InsertWithNotice { lines } => self.app.report_notice(&format!(
                    "pasted {lines} lines: Enter sends them as one message, Ctrl-C drops them"
                )),
                PasteVerdict::Insert => {}
            }
        }
        match ReedlineRawEvent::try_from(event) {
            Ok(raw) => self.inner.parse_event(raw),
            Err(()) => ReedlineEvent::None,
        }
    }

    fn edit_mode(&self) -> PromptEditMode {
        self.inner.edit_mode()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_pastes_are_refused_with_their_size_and_long_ones_get_a_notice() {
        assert_eq!(judge_paste("hello", 1024), PasteVerdict::Insert);
        assert_eq!(judge_paste("a\nb\nc\nd\ne\n", 1024), PasteVerdict::Insert);
        assert_eq!(
            judge_paste(&"line\n".repeat(12), 1024),
            PasteVerdict::InsertWithNotice { lines: 12 }
        );
        let huge = "x".repeat(100 * 1024);
        assert_eq!(
            judge_paste(&huge, 64 * 1024),
            PasteVerdict::Refuse {
                bytes: 100 * 1024,
                limit: 64 * 1024
            }
        );
    }
}
