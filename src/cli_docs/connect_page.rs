//! The sections `chatify-connect.1` adds to what clap knows: every in-chat command (from the
//! command parser's own help, so the page cannot fall behind it), the key bindings, the files
//! in the config dir, the environment and examples. Part of `cli_docs`.

use crate::client::command::help_lines;

const KEY_BINDINGS: &[&str] = &[
    "Enter          send the line (a multi-line paste arrives as one message: bracketed paste;",
    "               a paste never sends itself, one over 5 lines is announced, one larger than",
    "               the server's frame limit is refused at once with its size)",
    "Alt-Enter      new line in the same message; a line ending in \\ continues too",
    "Tab            complete commands, #channels, users and @users",
    "Ctrl-O         edit the message in $VISUAL or $EDITOR",
    "Ctrl-R         search the input history (commands only; message text is never saved)",
    "Ctrl-C         clear the line          Ctrl-D  quit (like /quit)",
    "Up, Down       older and newer input lines",
];

const FILES: &[&str] = &[
    "In the config dir ($CHATIFY_CONFIG_DIR, else ~/.config/chatify):",
    "identity.key            your X25519 identity key (0600; CHATIFY_KEY_FILE overrides)",
    "sessions/*.json         saved session tokens, one per server and user (0600)",
    "channel-keys/*.json     cached keys of sealed channels you unlocked (0600)",
    "trusted-keys/*.json     the keys you pinned for other users (trust on first use)",
    "tls-pins/*.json         pinned server certificates for wss:// (trust on first use)",
    "state/*.json            per-server client state: the /ignore list (0600)",
    "history.txt             the commands you typed (never message text)",
    "compose/                the $EDITOR buffer while Ctrl-O is open (0700; removed after)",
];

const ENVIRONMENT: &[&str] = &[
    "CHATIFY_SERVER, CHATIFY_USER, CHATIFY_CHANNEL    as --server, --user, --channel",
    "CHATIFY_PASSWORD, CHATIFY_PASSWORD_FILE          the account password (else a prompt)",
    "CHATIFY_PASSPHRASE     sealed-channel passphrase used without asking (pipe mode, scripts)",
    "CHATIFY_CONFIG_DIR     the config dir (default ~/.config/chatify)",
    "CHATIFY_KEY_FILE       the identity key file",
    "CHATIFY_SECONDS        true: times with seconds (as --seconds)",
    "CHATIFY_LINKS          auto|always|never: OSC 8 links for URLs (as --links)",
    "TERM                   dumb (or unset): no OSC 8 links with --links auto",
    "NO_COLOR               no colours (as --color never)",
    "VISUAL, EDITOR         the editor of Ctrl-O",
];

const EXAMPLES: &[&str] = &[
    "chatify connect --server chat.example.org --user alice --register",
    "    create an account on ws://chat.example.org:8765 (a bare host means port 8765)",
    "chatify connect --server wss://chat.example.org:8765 --user alice -c '#ops'",
    "    log in (saved session, else a password prompt) and start in #ops",
    "printf '/join #ops --sealed\\nmy passphrase\\nhello\\n' | chatify connect --user alice",
    "    pipe mode: create a sealed channel and say hello from a script",
    "In the REPL:  /join #vault --sealed   @bob   /dm bob are you there?   /react 12 +1",
    "              /history 50   /more   /search deploy*   /rewind 2h   /unread   /mentions",
    "              /ignore spammer   /unignore spammer   /clear",
    "In a DM (@bob): /reply 9 yes   /edit 10 fixed   /delete 10   /react 9 +1   /me waves",
];

/// The roff text of the extra sections.
pub fn extra_sections() -> String {
    let mut page = String::new();
    section(&mut page, "IN-CHAT COMMANDS", &help_lines());
    section(&mut page, "KEY BINDINGS", KEY_BINDINGS);
    section(&mut page, "FILES", FILES);
    section(&mut page, "ENVIRONMENT", ENVIRONMENT);
    section(&mut page, "EXAMPLES", EXAMPLES);
    page
}

fn section(page: &mut String, title: &str, lines: &[&str]) {
    page.push_str(&format!(".SH \"{title}\"\n.nf\n"));
    for line in lines {
        page.push_str(&escape(line));
        page.push('\n');
    }
    page.push_str(".fi\n");
}

/// Roff-safe: backslashes written as `\e`, a leading `.` or `'` made literal.
fn escape(line: &str) -> String {
    let line = line.replace('\\', "\\e");
    if line.starts_with('.') || line.starts_with('\'') {
        format!("\\&{line}")
    } else {
        line
    }
}
