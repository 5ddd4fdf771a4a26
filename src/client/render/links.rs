//! Clickable links: OSC 8 hyperlinks (`ESC ] 8 ; ; URL ESC \ text ESC ] 8 ; ; ESC \`) around
//! the `http://`, `https://` and `mailto:` URLs of message text, for terminals that support
//! them (the caller decides: `chatify connect --links`). Runs on text [`super::printable`] has
//! already cleaned, and links only a run of printable ASCII (no space, no control character, no
//! escape) of bounded length, so a crafted URL cannot smuggle a sequence into the link target;
//! [`hyperlink_length`] is how `terminal_safe` recognises (and lets through) exactly the links
//! written here and nothing else. Part of `client::render`.

/// The schemes that become links (compared without case); anything else stays plain text.
const LINKED_SCHEMES: [&str; 3] = ["https://", "http://", "mailto:"];
/// The longest URL linked; a longer one is shown as plain text.
pub(super) const LONGEST_LINKED_URL: usize = 2048;
/// Characters that end a sentence rather than a URL when they come last (`see https://x.org.`).
const TRAILING_PUNCTUATION: &[char] =
    &['.', ',', ';', ':', '!', '?', ')', ']', '}', '\'', '"', '>'];

const OPEN: &str = "\u{1b}]8;;";
const TERMINATOR: &str = "\u{1b}\\";
/// The sequence that ends a link.
pub(super) const CLOSE_LINK: &str = "\u{1b}]8;;\u{1b}\\";

/// `text` with each linkable URL wrapped in an OSC 8 hyperlink whose target is the URL itself.
pub fn linkify(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = next_url_start(rest) {
        out.push_str(&rest[..start]);
        let candidate = &rest[start..];
        let length = url_length(candidate);
        let url = &candidate[..length];
        if url_is_linkable(url) {
            out.push_str(&hyperlink(url));
        } else {
            out.push_str(url);
        }
        rest = &candidate[length..];
    }
    out.push_str(rest);
    out
}

/// `url` as an OSC 8 hyperlink showing the URL as its text.
fn hyperlink(url: &str) -> String {
    format!("{OPEN}{url}{TERMINATOR}{url}{OPEN}{TERMINATOR}")
}

/// The byte offset of the next URL (a linked scheme at a word start) in `text`, if any.
fn next_url_start(text: &str) -> Option<usize> {
    let lower = text.to_ascii_lowercase();
    let mut searched_from = 0;
    loop {
        let found = LINKED_SCHEMES
            .iter()
            .filter_map(|scheme| lower[searched_from..].find(scheme))
            .min()?;
        let at = searched_from + found;
        let at_word_start = text[..at]
            .chars()
            .next_back()
            .is_none_or(|before| !before.is_ascii_alphanumeric());
        if at_word_start {
            return Some(at);
        }
        // `xhttp://…` is not a URL; look after this scheme's first byte.
        searched_from = at + 1;
    }
}

/// How many bytes of `text` (which starts with a scheme) belong to the URL: printable ASCII up
/// to the first space or other character, without trailing sentence punctuation.
fn url_length(text: &str) -> usize {
    let run = text
        .bytes()
        .take_while(|byte| byte.is_ascii_graphic())
        .count();
    text[..run].trim_end_matches(TRAILING_PUNCTUATION).len()
}

/// Whether `url` gets a link: a linked scheme with something after it, printable ASCII only
/// (so it cannot end the OSC sequence early), and not too long.
fn url_is_linkable(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    let has_rest = LINKED_SCHEMES
        .iter()
        .any(|scheme| lower.starts_with(scheme) && lower.len() > scheme.len());
    has_rest && url.len() <= LONGEST_LINKED_URL && url.bytes().all(|b| b.is_ascii_graphic())
}

/// The byte length of an OSC 8 sequence as [`linkify`] writes it at the start of `line`: the
/// opening `ESC ] 8 ; ; URL ESC \` with a linkable URL, or the closing `ESC ] 8 ; ; ESC \`.
/// `None` for anything else (another OSC, a link with parameters or a strange target). The
/// flag says whether the sequence opens a link (rather than closing one).
pub(super) fn hyperlink_length(line: &str) -> Option<(usize, bool)> {
    let after_open = line.strip_prefix(OPEN)?;
    let end = after_open.find(TERMINATOR)?;
    let url = &after_open[..end];
    if !url.is_empty() && !url_is_linkable(url) {
        return None;
    }
    Some((OPEN.len() + end + TERMINATOR.len(), !url.is_empty()))
}
