//! Terminal safety for untrusted text. Message bodies, nicks, emoji, presence texts and error
//! sentences come from other users (or a hostile server) and must never reach the terminal as
//! control sequences: an embedded `ESC ] 52` could write the clipboard, `ESC [ 2 J` wipe the
//! screen, `\r` overwrite a line to forge a sender, and bidi overrides reorder what is shown.
//! [`printable`] neutralises every such character in a piece of untrusted text (the renderer
//! applies it to what it is given); [`terminal_safe`] is the last line of defence at the display
//! queue: it keeps only the colour (SGR) sequences and OSC 8 hyperlinks (with a plain ASCII
//! http(s)/mailto target) the renderer itself writes, the bell and newlines. Used by `client::render` and `client::state::LineQueue`.

/// What replaces a neutralised control character: visible, one column, obviously not text.
const REPLACEMENT: char = '\u{FFFD}';

/// Untrusted text made safe to print: newlines are kept, a tab becomes a space, and every other
/// control character (C0, DEL, C1, ESC), bidi mark/override/isolate (U+061C too), invisible
/// character (zero-width space and joiners, word joiner, BOM, soft hyphen) and line/paragraph
/// separator is shown as `�`. A zero-width joiner between two pictographs (👨‍👩‍👧) is kept.
/// Plain text is returned unchanged.
pub fn printable(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    chars
        .iter()
        .enumerate()
        .map(|(at, &c)| match c {
            '\n' => '\n',
            '\t' => ' ',
            ZERO_WIDTH_JOINER if joins_pictographs(&chars, at) => c,
            c if is_dangerous(c) => REPLACEMENT,
            c => c,
        })
        .collect()
}

/// Untrusted text that must stay on one line (an error sentence for stderr, a name): like
/// [`printable`], and a newline is shown as `�` too, so it cannot start a forged line.
pub fn printable_line(text: &str) -> String {
    printable(text).replace('\n', "\u{FFFD}")
}

const ZERO_WIDTH_JOINER: char = '\u{200D}';

/// Whether the character at `at` sits between two pictographs (an emoji ZWJ sequence); a
/// variation selector after the first one is allowed.
fn joins_pictographs(chars: &[char], at: usize) -> bool {
    let before = chars[..at]
        .iter()
        .rev()
        .find(|c| !matches!(c, '\u{FE0F}' | '\u{1F3FB}'..='\u{1F3FF}'));
    let after = chars.get(at + 1);
    before.is_some_and(|c| is_pictograph(*c)) && after.is_some_and(|c| is_pictograph(*c))
}

fn is_pictograph(c: char) -> bool {
    matches!(c, '\u{2600}'..='\u{27BF}' | '\u{1F000}'..='\u{1FAFF}')
}

/// A rendered display line made safe to print: colour sequences (`ESC [ digits;… m`), OSC 8
/// hyperlinks as `links::linkify` writes them, the bell (mention ring), newlines and tabs pass;
/// any other escape sequence or control character is shown as `�`. A link still open at the
/// end of the line is closed there, so it cannot spread over what is printed next.
pub fn terminal_safe(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    let mut link_open = false;
    while let Some(c) = rest.chars().next() {
        if c == '\u{1b}'
            && let Some(length) = sgr_length(rest)
        {
            out.push_str(&rest[..length]);
            rest = &rest[length..];
            continue;
        }
        if c == '\u{1b}'
            && let Some((length, opens)) = super::links::hyperlink_length(rest)
        {
            out.push_str(&rest[..length]);
            rest = &rest[length..];
            link_open = opens;
            continue;
        }
        out.push(match c {
            '\n' | '\t' | '\u{7}' => c,
            c if is_dangerous(c) => REPLACEMENT,
            c => c,
        });
        rest = &rest[c.len_utf8()..];
    }
    if link_open {
        out.push_str(super::links::CLOSE_LINK);
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
            // soft hyphen, Arabic letter mark, Mongolian vowel separator
            '\u{00AD}' | '\u{061C}' | '\u{180E}'
            // zero-width space/non-joiner/joiner, LRM, RLM
            | '\u{200B}'..='\u{200F}'
            // line/paragraph separators, bidi embeddings and overrides
            | '\u{2028}'..='\u{202E}'
            // word joiner, invisible operators, bidi isolates, deprecated format characters
            | '\u{2060}'..='\u{206F}'
            // zero-width no-break space (BOM)
            | '\u{FEFF}'
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
            ("pay\u{200B}pal", "pay\u{FFFD}pal"),
            (
                "a\u{061C}b\u{00AD}c\u{FEFF}d\u{2060}e",
                "a\u{FFFD}b\u{FFFD}c\u{FFFD}d\u{FFFD}e",
            ),
            ("x\u{200D}y", "x\u{FFFD}y"),
            ("👨\u{200D}👩\u{200D}👧", "👨\u{200D}👩\u{200D}👧"),
            ("❤\u{FE0F}\u{200D}🔥", "❤\u{FE0F}\u{200D}🔥"),
        ];
        for (input, expected) in cases {
            assert_eq!(printable(input), expected, "input {input:?}");
        }
    }

    #[test]
    fn printable_line_keeps_a_forged_line_on_the_same_line() {
        assert_eq!(
            printable_line("mallory\n#general <admin> hi"),
            "mallory\u{FFFD}#general <admin> hi"
        );
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
