
use builtin;
use str;

set edit:completion:arg-completer[chatify] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'chatify'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'chatify'= {
            cand --color 'When to use colour; NO_COLOR in the environment means never'
            cand -v 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand serve 'Run the server (WebSocket, SQLite event store)'
            cand connect 'Interactive client: a line-mode REPL with end-to-end encryption'
            cand history 'Print a channel''s or DM''s history'
            cand search 'Search a channel''s messages'
            cand rewind 'Show a channel as it stood at a moment in the past'
            cand migrate 'Upgrade a database''s schema in place (after writing a backup)'
            cand keygen 'Create or show your X25519 identity key'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'chatify;serve'= {
            cand --color 'When to use colour; NO_COLOR in the environment means never'
            cand -v 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'chatify;connect'= {
            cand --color 'When to use colour; NO_COLOR in the environment means never'
            cand -v 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'chatify;history'= {
            cand --color 'When to use colour; NO_COLOR in the environment means never'
            cand -v 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'chatify;search'= {
            cand --color 'When to use colour; NO_COLOR in the environment means never'
            cand -v 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'chatify;rewind'= {
            cand --color 'When to use colour; NO_COLOR in the environment means never'
            cand -v 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'chatify;migrate'= {
            cand --color 'When to use colour; NO_COLOR in the environment means never'
            cand -v 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'chatify;keygen'= {
            cand --key 'The identity key file [default: <config dir>/identity.key]'
            cand --color 'When to use colour; NO_COLOR in the environment means never'
            cand --show 'Print the public key and fingerprint of the existing key instead of creating one'
            cand --force 'Replace an existing key (peers who pinned the old one will be warned that it changed)'
            cand -v 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'chatify;help'= {
            cand serve 'Run the server (WebSocket, SQLite event store)'
            cand connect 'Interactive client: a line-mode REPL with end-to-end encryption'
            cand history 'Print a channel''s or DM''s history'
            cand search 'Search a channel''s messages'
            cand rewind 'Show a channel as it stood at a moment in the past'
            cand migrate 'Upgrade a database''s schema in place (after writing a backup)'
            cand keygen 'Create or show your X25519 identity key'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'chatify;help;serve'= {
        }
        &'chatify;help;connect'= {
        }
        &'chatify;help;history'= {
        }
        &'chatify;help;search'= {
        }
        &'chatify;help;rewind'= {
        }
        &'chatify;help;migrate'= {
        }
        &'chatify;help;keygen'= {
        }
        &'chatify;help;help'= {
        }
    ]
    $completions[$command]
}
