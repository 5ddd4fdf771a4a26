//! The REPL's input history across runs, without plaintext on disk: reedline keeps everything
//! typed in this session in memory (so ↑ recalls messages too), but only lines that carry no
//! message text — commands like `/join #ops` or `/rewind 1h` — are saved to
//! `<config dir>/history.txt` (0600). Messages (plain text, `/msg`, `/dm`, `/me`, `/reply`,
//! `/edit`) and `/search` words are never written, since they may come from sealed channels or
//! DMs. Part of `client::repl`.

use std::io::Write;
use std::path::{Path, PathBuf};

use reedline::{FileBackedHistory, History, HistoryItem};

/// Name of the saved-commands file in the config dir.
pub const HISTORY_FILE: &str = "history.txt";

/// Commands whose arguments are message text or search words.
const COMMANDS_WITH_TEXT: &[&str] = &["/msg", "/dm", "/me", "/reply", "/edit", "/search"];

/// The saved commands of earlier runs plus whatever this run adds.
pub struct SavedHistory {
    path: PathBuf,
    capacity: usize,
}

impl SavedHistory {
    pub fn new(config_dir: &Path, capacity: usize) -> SavedHistory {
        SavedHistory {
            path: config_dir.join(HISTORY_FILE),
            capacity,
        }
    }

    /// An in-memory reedline history holding the last `capacity` saved commands; the file is
    /// rewritten when it has grown past twice that or holds lines that should not be there.
    pub fn load(&self) -> Option<FileBackedHistory> {
        let mut history = FileBackedHistory::new(self.capacity).ok()?;
        let text = std::fs::read_to_string(&self.path).unwrap_or_default();
        let all_lines = text.lines().count();
        let lines: Vec<&str> = text.lines().filter(|line| worth_saving(line)).collect();
        let keep = &lines[lines.len().saturating_sub(self.capacity)..];
        for line in keep {
            let _ = history.save(HistoryItem::from_command_line(*line));
        }
        // Rewritten when it grew too long, or held lines that must not be on disk (older files).
        if lines.len() != all_lines || lines.len() > self.capacity.saturating_mul(2) {
            let mut compact = keep.join("\n");
            compact.push('\n');
            let _ = crate::paths::write_private_file(&self.path, compact.as_bytes());
        }
        Some(history)
    }

    /// Appends `line` to the file when it carries no message text.
    pub fn remember(&self, line: &str) {
        if !worth_saving(line) {
            return;
        }
        if !self.path.exists() && crate::paths::write_private_file(&self.path, b"").is_err() {
            return;
        }
        if let Ok(mut file) = std::fs::OpenOptions::new().append(true).open(&self.path) {
            let _ = writeln!(file, "{line}");
        }
    }
}

/// Whether a submitted line may be written to disk: a one-line command without message text.
pub fn worth_saving(line: &str) -> bool {
    let line = line.trim_end();
    if !line.starts_with('/')
        || line.starts_with("//")
        || line.contains('\n')
        || line.starts_with(' ')
    {
        return false;
    }
    let mut words = line.split_whitespace();
    let command = words.next().unwrap_or_default();
    // `/status away back at 3` carries a status text: only `/status` and `/status away` are kept.
    if command == "/status" && words.nth(1).is_some() {
        return false;
    }
    !COMMANDS_WITH_TEXT.contains(&command)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_commands_without_message_text_are_saved() {
        for saved in [
            "/join #ops",
            "/rewind 1h",
            "/who",
            "/switch #general",
            "/history 50",
            "/status",
            "/status away",
        ] {
            assert!(worth_saving(saved), "{saved}");
        }
        for kept_off_disk in [
            "hello there",
            "//slash text",
            "/dm bob the vault code",
            "/msg #ops secret",
            "/me waves",
            "/reply 4 sure",
            "/edit 4 fixed",
            "/search vault code",
            " /join #hidden",
            "/join #a\nsecond line",
            "/status away at the clinic until 3",
            "",
        ] {
            assert!(!worth_saving(kept_off_disk), "{kept_off_disk:?}");
        }
    }

    #[test]
    fn the_file_keeps_commands_only_and_is_private() {
        let dir = tempfile::tempdir().expect("temp dir");
        let saved = SavedHistory::new(dir.path(), 10);
        saved.remember("/join #ops");
        saved.remember("the vault code is 4711");
        saved.remember("/dm bob psst");
        saved.remember("/rewind 1h");
        let text = std::fs::read_to_string(dir.path().join(HISTORY_FILE)).expect("history file");
        assert_eq!(text, "/join #ops\n/rewind 1h\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(HISTORY_FILE)).expect("metadata");
            assert_eq!(mode.permissions().mode() & 0o777, 0o600);
        }
        let history = saved.load().expect("history loads");
        assert_eq!(history.count_all().expect("count"), 2);
    }

    #[test]
    fn an_older_file_with_message_text_is_cleaned_on_load() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(HISTORY_FILE);
        std::fs::write(
            &path,
            "/join #ops
the vault code is 4711
/who
",
        )
        .expect("write");
        let history = SavedHistory::new(dir.path(), 10)
            .load()
            .expect("history loads");
        assert_eq!(history.count_all().expect("count"), 2);
        let text = std::fs::read_to_string(&path).expect("history file");
        assert_eq!(
            text,
            "/join #ops
/who
"
        );
    }

    #[test]
    fn a_long_file_is_compacted_to_the_newest_commands() {
        let dir = tempfile::tempdir().expect("temp dir");
        let saved = SavedHistory::new(dir.path(), 3);
        for n in 0..10 {
            saved.remember(&format!("/history {n}"));
        }
        let history = saved.load().expect("history loads");
        assert_eq!(history.count_all().expect("count"), 3);
        let text = std::fs::read_to_string(dir.path().join(HISTORY_FILE)).expect("history file");
        assert_eq!(text, "/history 7\n/history 8\n/history 9\n");
    }
}
