//! Interactive mode (stdin is a terminal): the reedline editor. Events print above the prompt
//! through reedline's ExternalPrinter without disturbing the line being typed; the prompt shows
//! the current place (`#ch`, `🔒#ch` when sealed, `🔒@user` in a DM), who is typing there, and
//! unread counts of channels and DMs (redrawn in place when someone starts or stops typing);
//! typing signals go out while a message is being written (`typing_hook`); Tab completes
//! commands, `#channels`, usernames and `@users`; hints come from the input history (this session's lines in memory, plus the
//! commands saved by `saved_history` — never message text; a line starting with a space is not
//! recorded at all); a line ending in `\` (or Alt-Enter) continues on the
//! next line; Ctrl-O opens `$VISUAL`/`$EDITOR` on the buffer; bracketed paste puts a multi-line
//! paste into the buffer as one message (`paste` refuses one too large and flags a long one);
//! `/clear` clears the screen and scrollback here, in the editor. Submitted lines go to the `command_worker` queue and
//! run in order while the editor goes on (it never blocks on a command); the break signal wakes
//! it to ask a secret for the worker, or to stop. Part of `client::repl`.

use std::borrow::Cow;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::client::line_budget::LineReceiver;
use reedline::{
    ColumnarMenu, Completer, CompletionResult, Emacs, ExternalPrinter, KeyCode, KeyModifiers,
    MenuBuilder, Prompt, PromptEditMode, PromptHistorySearch, Reedline, ReedlineEvent,
    ReedlineMenu, Signal, Span, Suggestion, ValidationResult, Validator,
};

use super::ReplConfig;
use super::command_worker::{self, PromptDesk, PromptRequests};
use super::compose_file::ComposeFile;
use super::paste::PasteGuard;
use super::saved_history::SavedHistory;
use super::typing_hook::{self, SharedTypingSender, TypingHinter};
use crate::client::app::App;
use crate::client::command::{self, COMMAND_NAMES, Command};
use crate::client::events::{self, ChatState};
use crate::client::render;
use crate::client::session::SessionEvents;
use crate::client::state::Place;

/// Lines the printer holds while the editor is busy (a passphrase prompt, a slow command).
const PRINTER_CAPACITY: usize = 4096;
/// History entries kept.
const HISTORY_SIZE: usize = 5000;

/// Runs the editor loop until `/quit`, Ctrl-D, or the end of the session.
pub fn run_interactive(
    runtime: &tokio::runtime::Runtime,
    app: Arc<App>,
    events: SessionEvents,
    lines: LineReceiver,
    config: &ReplConfig,
    desk: (PromptDesk, PromptRequests),
) -> ExitCode {
    let (desk, prompt_requests) = desk;
    let wake = desk.wake_signal();
    let printer = ExternalPrinter::<String>::new(PRINTER_CAPACITY);
    forward_lines(lines, printer.sender());
    runtime.spawn(app.clone().run_events(events));
    let (watched, signal) = (app.clone(), wake.clone());
    runtime.spawn(async move {
        watched.ended().await;
        signal.store(true, Ordering::Release);
    });
    runtime.block_on(app.start(config.channel.clone()));
    let typing = SharedTypingSender::default();
    let hinter = TypingHinter::new(app.clone(), typing.clone());
    // Dropped on every way out of this function (a panic too): the compose file goes with it.
    let compose = ComposeFile::prepare(&config.config_dir).ok();
    let mut editor = build_editor(
        app.clone(),
        printer,
        hinter,
        config,
        wake.clone(),
        compose.as_ref(),
    );
    let repaint = editor.repaint_signal();
    app.set_prompt_refresh(Box::new(move || repaint.request_repaint()));
    typing_hook::spawn_typing_clock(runtime, app.clone(), typing.clone());
    let saved_history = SavedHistory::new(&config.config_dir, HISTORY_SIZE);
    let prompt = ChatPrompt { state: app.state() };
    let quit = Arc::new(AtomicBool::new(false));
    let (commands, worker) =
        command_worker::spawn_command_worker(runtime, app.clone(), quit.clone(), wake.clone());
    desk.set_serving(true);
    let exit = loop {
        command_worker::serve_prompts(&prompt_requests);
        if quit.load(Ordering::Acquire) {
            break ExitCode::SUCCESS;
        }
        if app.has_ended() {
            break ExitCode::from(1);
        }
        match editor.read_line(&prompt) {
            Ok(Signal::Success(buffer)) => {
                typing_hook::typing_done(&app, &typing);
                // The $EDITOR buffer file held this message; do not leave it lying around.
                compose.iter().for_each(ComposeFile::remove);
                let text = join_continuations(&buffer);
                saved_history.remember(&text);
                if matches!(command::parse_line(&text), Ok(Command::Clear)) {
                    if let Err(error) = editor.clear_scrollback() {
                        app.report_error(&format!("could not clear the terminal: {error}"));
                    }
                    continue;
                }
                if commands.try_send(text).is_err() {
                    app.report_error(&format!(
                        "not taken: {} lines already wait for the command before them to finish",
                        command_worker::COMMAND_QUEUE
                    ));
                }
            }
            Ok(Signal::CtrlC) => {
                typing_hook::typing_done(&app, &typing);
                compose.iter().for_each(ComposeFile::remove);
            }
            Ok(Signal::CtrlD) => break ExitCode::SUCCESS,
            // The break signal: a prompt request, `/quit` done, or the session ended.
            Ok(_) => {}
            Err(error) => {
                eprintln!("chatify: the line editor failed: {error}");
                break ExitCode::SUCCESS;
            }
        }
    };
    // Lines already submitted still run (their prompts, if any, are asked directly now).
    desk.set_serving(false);
    drop(prompt_requests);
    drop(commands);
    let _ = runtime.block_on(worker);
    runtime.block_on(app.execute(Command::Quit));
    exit
}

/// Moves queued lines to reedline's printer (a blocking channel) on a thread of its own.
fn forward_lines(mut lines: LineReceiver, printer: std::sync::mpsc::SyncSender<String>) {
    std::thread::spawn(move || {
        while let Some(line) = lines.blocking_recv() {
            if printer.send(line).is_err() {
                break;
            }
        }
    });
}

fn build_editor(
    app: Arc<App>,
    printer: ExternalPrinter<String>,
    hinter: TypingHinter,
    config: &ReplConfig,
    break_signal: Arc<AtomicBool>,
    compose: Option<&ComposeFile>,
) -> Reedline {
    let mut keybindings = reedline::default_emacs_keybindings();
    keybindings.add_binding(
        KeyModifiers::NONE,
        KeyCode::Tab,
        ReedlineEvent::UntilFound(vec![
            ReedlineEvent::Menu("completion_menu".to_string()),
            ReedlineEvent::MenuNext,
        ]),
    );
    keybindings.add_binding(
        KeyModifiers::ALT,
        KeyCode::Enter,
        ReedlineEvent::Edit(vec![reedline::EditCommand::InsertNewline]),
    );
    let menu = ColumnarMenu::default().with_name("completion_menu");
    let state = app.state();
    let mut editor = Reedline::create()
        .with_external_printer(printer)
        .with_edit_mode(Box::new(PasteGuard::new(Emacs::new(keybindings), app)))
        .with_completer(Box::new(ChatCompleter { state }))
        .with_menu(ReedlineMenu::EngineCompleter(Box::new(menu)))
        .with_quick_completions(true)
        .with_partial_completions(true)
        .with_hinter(Box::new(hinter))
        .with_validator(Box::new(ContinuationValidator))
        .with_history_exclusion_prefix(Some(" ".to_string()))
        .with_ansi_colors(config.color)
        .use_bracketed_paste(true)
        .with_break_signal(break_signal);
    if let Some(history) = SavedHistory::new(&config.config_dir, HISTORY_SIZE).load() {
        editor = editor.with_history(Box::new(history));
    }
    if let Some(compose) = compose {
        let program = std::env::var("VISUAL")
            .or_else(|_| std::env::var("EDITOR"))
            .unwrap_or_else(|_| "vi".to_string());
        editor = editor.with_buffer_editor(
            std::process::Command::new(program),
            compose.path().to_path_buf(),
        );
    }
    editor
}

/// `line one\` + Enter + `line two` becomes a two-line message.
fn join_continuations(buffer: &str) -> String {
    buffer.replace("\\\n", "\n")
}

struct ContinuationValidator;

impl Validator for ContinuationValidator {
    fn validate(&self, line: &str) -> ValidationResult {
        if line.ends_with('\\') && !line.ends_with("\\\\") {
            ValidationResult::Incomplete
        } else {
            ValidationResult::Complete
        }
    }
}

/// `🔒#ops> ` or `🔒@bob> `, with who is typing and unread counts on the right.
struct ChatPrompt {
    state: Arc<Mutex<ChatState>>,
}

impl ChatPrompt {
    fn lock(&self) -> std::sync::MutexGuard<'_, ChatState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Prompt for ChatPrompt {
    fn render_prompt_left(&self) -> Cow<'_, str> {
        let state = self.lock();
        match &state.current {
            Some(Place::Channel(channel)) => match state.channel_scope(channel) {
                render::Scope::Channel { name, sealed: true } => {
                    Cow::Owned(format!("🔒#{}", render::printable(&name)))
                }
                _ => Cow::Owned(format!("#{}", render::printable(channel))),
            },
            Some(Place::Dm(peer)) => Cow::Owned(format!("🔒@{}", render::printable(peer))),
            None => Cow::Borrowed("(no channel)"),
        }
    }

    fn render_prompt_right(&self) -> Cow<'_, str> {
        Cow::Owned(prompt_right(&self.lock(), std::time::Instant::now()))
    }

    fn render_prompt_indicator(&self, _mode: PromptEditMode) -> Cow<'_, str> {
        Cow::Borrowed("> ")
    }

    fn render_prompt_multiline_indicator(&self) -> Cow<'_, str> {
        Cow::Borrowed("… ")
    }

    fn render_prompt_history_search_indicator(&self, search: PromptHistorySearch) -> Cow<'_, str> {
        Cow::Owned(format!("(search: {}) ", search.term))
    }
}

/// The right prompt: who is typing in the current place, then unread counts (`#random:2
/// @bob:1`) and unseen mentions (`@3`).
fn prompt_right(state: &ChatState, now: std::time::Instant) -> String {
    let mut parts = Vec::new();
    if let Some(place) = &state.current {
        let typing = state.typing.describe(place, now);
        if !typing.is_empty() {
            parts.push(render::printable(&typing));
        }
    }
    parts.extend(
        events::unread_summary(state)
            .iter()
            .map(|(place, n)| format!("{}:{n}", render::printable(&place.to_string()))),
    );
    let unseen = state.unseen_mentions();
    if unseen > 0 {
        parts.push(format!("@{unseen}"));
    }
    parts.join(" ")
}

/// Completes `/commands`, `#channels`, `/mode` settings and usernames.
struct ChatCompleter {
    state: Arc<Mutex<ChatState>>,
}

impl Completer for ChatCompleter {
    fn complete(&mut self, line: &str, pos: usize) -> CompletionResult {
        let before = line.get(..pos).unwrap_or(line);
        let start = word_start(before);
        let word = &before[start..];
        let first = before.split_whitespace().next().unwrap_or_default();
        let candidates: Vec<String> = if start == 0 && word.starts_with('/') {
            COMMAND_NAMES.iter().map(|name| name.to_string()).collect()
        } else if let Some(words) = command::mode_completions(first, word).filter(|_| start > 0) {
            words.iter().map(|word| word.to_string()).collect()
        } else if word.starts_with('#') {
            let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            state
                .channels
                .keys()
                .map(|name| format!("#{name}"))
                .collect()
        } else {
            let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            let prefix = if word.starts_with('@') { "@" } else { "" };
            events::known_user_names(&state)
                .into_iter()
                .map(|name| format!("{prefix}{name}"))
                .collect()
        };
        let lower = word.to_lowercase();
        let suggestions: Vec<Suggestion> = candidates
            .into_iter()
            .filter(|candidate| !word.is_empty() && candidate.to_lowercase().starts_with(&lower))
            .map(|value| Suggestion {
                value,
                display_override: None,
                description: None,
                style: None,
                extra: None,
                span: Span::new(start, pos),
                append_whitespace: true,
                match_indices: None,
            })
            .collect();
        CompletionResult::fresh(suggestions)
    }
}

/// Where the word being completed starts: just after the last whitespace character (which may
/// be several bytes long, e.g. a no-break or ideographic space).
fn word_start(before: &str) -> usize {
    before
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_whitespace())
        .map_or(0, |(at, c)| at + c.len_utf8())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_completed_word_starts_after_any_whitespace_character() {
        assert_eq!(word_start("/jo"), 0);
        assert_eq!(word_start("/join #op"), 6);
        assert_eq!(word_start("/msg\u{3000}al"), "/msg\u{3000}".len());
        assert_eq!(word_start("hi\u{a0}bo"), "hi\u{a0}".len());
        assert_eq!(word_start("ends with space "), 16);
        // Every result is a char boundary, so slicing there cannot panic.
        for text in ["é é", "\u{3000}", "a\u{2003}b\u{3000}"] {
            assert!(text.is_char_boundary(word_start(text)));
        }
    }
}
