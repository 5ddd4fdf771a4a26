//! Terminal safety for untrusted text. Message bodies, nicks, emoji, presence texts and error
//! sentences come from other users (or a hostile server) and must never reach the terminal as
//! control sequences: an embedded `ESC ] 52` could write the clipboard, `ESC [ 2 J` wipe the
//! screen, `\r` overwrite a line to forge a sender, and bidi overrides reorder what is shown.
//! [`printable`] neutralises every such character in a piece of untrusted text (the renderer
//! applies it to what it is given); [`terminal_safe`] is the last line of defence at the display
//! queue: it keeps only the colour (SGR) sequences the renderer itself writes, the bell and
//! newlines. Used by `client::render` and `client::state::LineQueue`.

/// What replaces a neutralised control character: visible, one column, obviously not text.
const REPLACEMENT: char = '\u{FFFD}';

/// Untrusted text made safe to print: newlines are kept, a tab becomes a space, and every other
/// control character (C0, DEL, C1, ESC), bidi override/isolate and line/paragraph separator is
/// shown as `�`. Plain text is returned unchanged.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\n' => '\n',
            '\t' => ' ',
            c if is_dangerous(c) => REPLACEMENT,
            c => c,
        })
        .collect()
}

/// A rendered display line made safe to print: colour sequences (`ESC [ digits;… m`), the bell
/// (mention ring), newlines and tabs pass; any other escape sequence or control character is
/// shown as `�`.
pub fn terminal_safe(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        if c == '\u{1b}'
            && let Some(length) = sgr_length(rest)
        {
            out.push_str(&rest[..length]);
            rest = &rest[length..];
            continue;
        }
        out.push(match c {
            '\n' | '\t' | '\u{7}' => c,
            c if is_dangerous(c) => REPLACEMENT,
            c => c,
        });
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// The byte length of a colour sequence `ESC [ [0-9;]* m` at the start of `text`, if that is
/// what starts it.
fn sgr_length(text: &str) -> Option<usize> {
    let body = text.strip_prefix("\u{1b}[")?;
    let params = body
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b';')
        .count();
    // At most a few dozen parameter bytes: the renderer never writes more.
    if params > 32 || body.as_bytes().get(params) != Some(&b'm') {
        return None;
    }
    Some(2 + params + 1)
}

fn is_dangerous(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200E}' | '\u{200F}' | '\u{2028}' | '\u{2029}' | '\u{202A}'
                ..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_neutralises_escape_sequences_and_carriage_returns() {
        let cases = [
            ("hello", "hello"),
            ("héllo 👋 世界", "héllo 👋 世界"),
            ("two\nlines", "two\nlines"),
            ("a\tb", "a b"),
            (
                "\u{1b}]52;c;cHduZWQ=\u{7}",
                "\u{FFFD}]52;c;cHduZWQ=\u{FFFD}",
            ),
            ("\u{1b}[2J", "\u{FFFD}[2J"),
            ("fake\r<admin> hi", "fake\u{FFFD}<admin> hi"),
            ("\u{9b}31m", "\u{FFFD}31m"),
            ("abc\u{202E}cba", "abc\u{FFFD}cba"),
            ("\u{7f}", "\u{FFFD}"),
        ];
        for (input, expected) in cases {
            assert_eq!(printable(input), expected, "input {input:?}");
        }
    }

    #[test]
    fn terminal_safe_keeps_colours_bell_and_newlines_only() {
        let coloured = "\u{1b}[1m#general\u{1b}[0m \u{1b}[31;1malice\u{1b}[0m hi\u{7}";
        assert_eq!(terminal_safe(coloured), coloured);
        assert_eq!(terminal_safe("a\nb"), "a\nb");
        assert_eq!(
            terminal_safe("\u{1b}]0;title\u{7}"),
            "\u{FFFD}]0;title\u{7}"
        );
        assert_eq!(terminal_safe("\u{1b}[2J"), "\u{FFFD}[2J");
        assert_eq!(terminal_safe("\u{1b}[H"), "\u{FFFD}[H");
        assert_eq!(terminal_safe("x\r y"), "x\u{FFFD} y");
        assert_eq!(terminal_safe("end\u{1b}"), "end\u{FFFD}");
        assert_eq!(terminal_safe("\u{1b}["), "\u{FFFD}[");
    }
}
