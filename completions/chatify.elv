
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
            cand admin 'Administer accounts and channels: on the database file, or live through the server'
            cand logout 'End your saved session on the server and forget it here'
            cand sessions 'List your sessions on the server, or end one (--revoke ID)'
            cand password 'Change your account password; every other session ends'
            cand bridge 'Relay between Discord and chatify channels (needs the discord-bridge build feature)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'chatify;serve'= {
            cand --listen 'Address and port to listen on'
            cand --db 'SQLite database file [default: chatify.db in the data directory]'
            cand --registration 'Whether new accounts may register'
            cand --max-frame 'Largest frame a client may send, in bytes (larger: too_large and close 1009)'
            cand --rate-limit 'Sustained msg/dm/edit/delete/react/typing frames per second per connection; 0 disables'
            cand --rate-burst 'Burst allowance of the per-connection rate limit'
            cand --read-rate 'Cost units per second refilled per connection for queries, status, who and voice (a 500-row history costs 510, a ping 1); 0 disables'
            cand --read-burst 'Burst allowance of the per-connection read meter, in cost units (at least 550)'
            cand --queue-depth 'Outbound frames queued per connection before a slow client is disconnected (1013)'
            cand --max-connections 'Open connections accepted at once; more are refused with close code 1013'
            cand --max-connections-per-account 'Open connections one account may hold; one more is refused at login'
            cand --max-connections-per-address 'Open connections from one address (IPv6: one /64); more are refused with close code 1013'
            cand --registrations-per-hour 'Registrations accepted per client address (IPv6: per /64) and hour; 0 never limits'
            cand --outbound-budget-mib 'Server-wide MiB of queued outbound frames; when full, the largest queues are closed (1013)'
            cand --durability 'normal survives a crash of the server process; full also survives an OS crash or power loss'
            cand --bridge-account 'Account allowed to relay messages for people on another network (shown as name@network), such as the Discord bridge''s account. Repeatable; the variable takes a comma-separated list'
            cand --admin-listen 'Serve plain-HTTP /healthz (200 ready, else 503) and /metrics (Prometheus text) on this address, for a load balancer and monitoring; keep it on a private address'
            cand --retention 'Server-wide retention: purge messages older than this in every channel (e.g. 30d, 12w; at least 1m). A channel''s own retention (/mode retention=…) can only shorten it'
            cand --tls-cert 'Serve wss:// with this PEM certificate chain (leaf first); SIGHUP reloads it'
            cand --tls-key 'The PEM private key of --tls-cert; SIGHUP reloads it'
            cand --tls-name 'Another name (DNS name or IP address) for the self-signed certificate, besides localhost and the loopback addresses; repeatable. Only used when the certificate is generated'
            cand --cluster 'Run as one node of a cluster sharing a NATS JetStream log: comma-separated NATS URLs (nats://h1:4222,nats://h2:4222). Without it: one node, SQLite only'
            cand --nats-creds 'A NATS credentials (.creds) file for --cluster'
            cand --nats-ca 'Extra PEM root certificates for tls:// NATS servers'
            cand --cluster-stream 'The JetStream stream holding the log (created if missing)'
            cand --cluster-replicas 'Replicas of the stream when this node creates it: 1 for a laptop, 3 for production'
            cand --node-name 'This node''s name in logs [default: the host name and listen address]'
            cand --cluster-heartbeat-ms 'How often this node tells the others it is alive, in milliseconds; its users show offline elsewhere after three missed heartbeats'
            cand --color 'When to use colour; NO_COLOR in the environment means never'
            cand --no-auto-migrate 'Refuse to start on an older schema instead of migrating it (run `chatify migrate`)'
            cand --tls-self-signed 'Serve wss:// with a self-signed certificate, generated on first start and kept beside the database (<db>.tls-cert.pem, <db>.tls-key.pem, mode 0600); its SHA-256 fingerprint is printed at start. Clients pin it on first use'
            cand --nats-require-tls 'Refuse a NATS connection without TLS'
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
            cand --server 'Server address: ws://host:port, wss://host:port, or a bare host[:port] (ws://, port 8765 when none). Repeat it (or give a comma list) for the nodes of a cluster: the next is tried when one cannot be reached, at start and on every reconnect'
            cand -u 'Your username'
            cand --user 'Your username'
            cand --password-file 'Read the password from the first line of this file instead of asking'
            cand -c 'The channel to start in (joined if you are not a member yet)'
            cand --channel 'The channel to start in (joined if you are not a member yet)'
            cand --links 'Make http(s) and mailto URLs in messages clickable (OSC 8 hyperlinks): auto = when stdout is a terminal and TERM is set and not "dumb"'
            cand --ca-file 'For wss://: trust only the CA certificates in this PEM file (a private CA) instead of the system roots; certificates are then never pinned on first use'
            cand --color 'When to use colour; NO_COLOR in the environment means never'
            cand --register 'Create the account (asks for the password twice in a terminal)'
            cand --seconds 'Show times with seconds (09:31:07) instead of minutes (09:31)'
            cand --allow-insecure 'Send the password or session token over plain ws:// even to a host that is not this machine (anyone on the network can read them)'
            cand -v 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'chatify;history'= {
            cand -n 'Print at most this many messages: the newest ones in the time window'
            cand --limit 'Print at most this many messages: the newest ones in the time window'
            cand --since 'Only messages at or after this time: an age (30m, 1h, 2d, 1w), an RFC 3339 time, or YYYY-MM-DD [HH:MM[:SS]] in local time'
            cand --until 'Only messages before this time (same forms as --since)'
            cand --from 'Only messages by this user'
            cand --server 'Server address (ws://host:port or wss://host:port)'
            cand -u 'Your username on the server. The saved session of `chatify connect` is used; without one the password comes from --password-file, $CHATIFY_PASSWORD or a prompt'
            cand --user 'Your username on the server. The saved session of `chatify connect` is used; without one the password comes from --password-file, $CHATIFY_PASSWORD or a prompt'
            cand --password-file 'Read the account password from this file (first line) when there is no saved session'
            cand --db 'Read this database file directly instead of asking the server (operators, backups). The file is opened read-only and never modified'
            cand --as 'With --db: read DMs as this user (one of the two people), with their identity key'
            cand --key 'With --db: the identity key file of the --as user, to decrypt DMs [default: $CHATIFY_KEY_FILE, else <config dir>/identity.key]'
            cand --passphrase-file 'Read the passphrase of a sealed channel from this file (first line) when its key is not cached; $CHATIFY_PASSPHRASE also works, else you are prompted'
            cand --timeout 'Seconds to wait for the server''s answers'
            cand --ca-file 'For wss://: trust only the CA certificates in this PEM file (a private CA) instead of the system roots; certificates are then never pinned on first use'
            cand --color 'When to use colour; NO_COLOR in the environment means never'
            cand --json 'Print JSON Lines, one object per message (fields: see --help), instead of the timeline'
            cand --allow-insecure 'Send the password or session token over plain ws:// even to a host that is not this machine (anyone on the network can read them)'
            cand -v 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'chatify;search'= {
            cand -n 'Print at most this many results'
            cand --limit 'Print at most this many results'
            cand --sort 'Order of the results: best match first, or newest first'
            cand --since 'Only messages at or after this time: an age (30m, 1h, 2d, 1w), an RFC 3339 time, or YYYY-MM-DD [HH:MM[:SS]] in local time'
            cand --until 'Only messages before this time (same forms as --since)'
            cand --from 'Only messages by this user'
            cand --server 'Server address (ws://host:port or wss://host:port)'
            cand -u 'Your username on the server. The saved session of `chatify connect` is used; without one the password comes from --password-file, $CHATIFY_PASSWORD or a prompt'
            cand --user 'Your username on the server. The saved session of `chatify connect` is used; without one the password comes from --password-file, $CHATIFY_PASSWORD or a prompt'
            cand --password-file 'Read the account password from this file (first line) when there is no saved session'
            cand --db 'Read this database file directly instead of asking the server (operators, backups). The file is opened read-only and never modified'
            cand --as 'With --db: read DMs as this user (one of the two people), with their identity key'
            cand --key 'With --db: the identity key file of the --as user, to decrypt DMs [default: $CHATIFY_KEY_FILE, else <config dir>/identity.key]'
            cand --passphrase-file 'Read the passphrase of a sealed channel from this file (first line) when its key is not cached; $CHATIFY_PASSPHRASE also works, else you are prompted'
            cand --timeout 'Seconds to wait for the server''s answers'
            cand --ca-file 'For wss://: trust only the CA certificates in this PEM file (a private CA) instead of the system roots; certificates are then never pinned on first use'
            cand --color 'When to use colour; NO_COLOR in the environment means never'
            cand --json 'Print JSON Lines, one object per message (fields: see --help), instead of the timeline'
            cand --allow-insecure 'Send the password or session token over plain ws:// even to a host that is not this machine (anyone on the network can read them)'
            cand -v 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'chatify;rewind'= {
            cand --at 'The moment to show: an age (30m, 1h, 2d), an RFC 3339 time, or YYYY-MM-DD [HH:MM[:SS]] in local time'
            cand -n 'Print at most this many messages: the last ones before --at'
            cand --limit 'Print at most this many messages: the last ones before --at'
            cand --from 'Only messages by this user (among the last 500 before --at)'
            cand --server 'Server address (ws://host:port or wss://host:port)'
            cand -u 'Your username on the server. The saved session of `chatify connect` is used; without one the password comes from --password-file, $CHATIFY_PASSWORD or a prompt'
            cand --user 'Your username on the server. The saved session of `chatify connect` is used; without one the password comes from --password-file, $CHATIFY_PASSWORD or a prompt'
            cand --password-file 'Read the account password from this file (first line) when there is no saved session'
            cand --db 'Read this database file directly instead of asking the server (operators, backups). The file is opened read-only and never modified'
            cand --as 'With --db: read DMs as this user (one of the two people), with their identity key'
            cand --key 'With --db: the identity key file of the --as user, to decrypt DMs [default: $CHATIFY_KEY_FILE, else <config dir>/identity.key]'
            cand --passphrase-file 'Read the passphrase of a sealed channel from this file (first line) when its key is not cached; $CHATIFY_PASSPHRASE also works, else you are prompted'
            cand --timeout 'Seconds to wait for the server''s answers'
            cand --ca-file 'For wss://: trust only the CA certificates in this PEM file (a private CA) instead of the system roots; certificates are then never pinned on first use'
            cand --color 'When to use colour; NO_COLOR in the environment means never'
            cand --json 'Print JSON Lines, one object per message (fields: see --help), instead of the timeline'
            cand --allow-insecure 'Send the password or session token over plain ws:// even to a host that is not this machine (anyone on the network can read them)'
            cand -v 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'chatify;migrate'= {
            cand --db 'The database file [default: the server''s, <data dir>/chatify.db]'
            cand --to-cluster 'Import this single-node database, once, into a new cluster''s NATS JetStream log (comma-separated NATS URLs; the stream must be empty). Then start each `serve --cluster` node on a new database path: it downloads the import (docs/CLUSTER.md)'
            cand --cluster-stream 'The stream to import into (as `serve --cluster-stream`)'
            cand --cluster-replicas 'Replicas of the stream when the import creates it: 1 for a laptop, 3 for production'
            cand --nats-creds 'A NATS credentials (.creds) file for --to-cluster'
            cand --nats-ca 'Extra PEM root certificates for tls:// NATS servers of --to-cluster'
            cand --color 'When to use colour; NO_COLOR in the environment means never'
            cand --status 'Print the database''s schema version and the version this chatify uses; change nothing'
            cand --dry-run 'Print the steps a migration would run; change nothing'
            cand -v 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
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
        &'chatify;admin'= {
            cand --db 'The database file [default: the server''s, <data dir>/chatify.db]'
            cand --server 'Server address (ws://host:port or wss://host:port)'
            cand -u 'Your username on the server'
            cand --user 'Your username on the server'
            cand --password-file 'Read the account password from this file (first line) when there is no saved session'
            cand --timeout 'Seconds to wait for the server''s answers'
            cand --ca-file 'For wss://: trust only the CA certificates in this PEM file (a private CA) instead of the system roots; certificates are then never pinned on first use'
            cand --color 'When to use colour; NO_COLOR in the environment means never'
            cand --live 'Act through the running server with your session (you must be a server admin): disable, enable, disconnect, revoke-sessions'
            cand --allow-insecure 'Send the password or session token over plain ws:// even to a host that is not this machine (anyone on the network can read them)'
            cand -v 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand users 'List every account: admin, disabled, saved sessions, channels, created'
            cand disable 'Disable an account: it cannot log in and its sessions are revoked (with --live its connections also end at once)'
            cand enable 'Enable a disabled account'
            cand disconnect 'Close every connection of an account now (--live only); it may log in again'
            cand reset-password 'Set a new password (printed, random) and revoke the account''s sessions'
            cand delete-user 'Delete an account with its sessions, memberships and roles (its past messages stay)'
            cand grant 'Make an account a server admin'
            cand revoke 'Take server admin away from an account'
            cand sessions 'List saved sessions (short ids, never tokens), of one account or all'
            cand revoke-sessions 'Revoke every session of an account (with --live its connections also end at once)'
            cand revoke-session 'Revoke one session by the id `sessions` shows'
            cand channels 'List every channel: mode, owner, members, messages, settings, topic'
            cand delete-channel 'Delete a channel with its whole history'
            cand purge 'Delete a channel''s messages older than a time, for real (rows, search index, blind tokens)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'chatify;admin;users'= {
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
        &'chatify;admin;disable'= {
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
        &'chatify;admin;enable'= {
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
        &'chatify;admin;disconnect'= {
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
        &'chatify;admin;reset-password'= {
            cand --color 'When to use colour; NO_COLOR in the environment means never'
            cand --stdin 'Read the new password from the first line of stdin instead of generating one'
            cand -v 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'chatify;admin;delete-user'= {
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
        &'chatify;admin;grant'= {
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
        &'chatify;admin;revoke'= {
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
        &'chatify;admin;sessions'= {
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
        &'chatify;admin;revoke-sessions'= {
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
        &'chatify;admin;revoke-session'= {
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
        &'chatify;admin;channels'= {
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
        &'chatify;admin;delete-channel'= {
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
        &'chatify;admin;purge'= {
            cand --before 'Messages before this time: an age (30d), an RFC 3339 time or YYYY-MM-DD [HH:MM]'
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
        &'chatify;admin;help'= {
            cand users 'List every account: admin, disabled, saved sessions, channels, created'
            cand disable 'Disable an account: it cannot log in and its sessions are revoked (with --live its connections also end at once)'
            cand enable 'Enable a disabled account'
            cand disconnect 'Close every connection of an account now (--live only); it may log in again'
            cand reset-password 'Set a new password (printed, random) and revoke the account''s sessions'
            cand delete-user 'Delete an account with its sessions, memberships and roles (its past messages stay)'
            cand grant 'Make an account a server admin'
            cand revoke 'Take server admin away from an account'
            cand sessions 'List saved sessions (short ids, never tokens), of one account or all'
            cand revoke-sessions 'Revoke every session of an account (with --live its connections also end at once)'
            cand revoke-session 'Revoke one session by the id `sessions` shows'
            cand channels 'List every channel: mode, owner, members, messages, settings, topic'
            cand delete-channel 'Delete a channel with its whole history'
            cand purge 'Delete a channel''s messages older than a time, for real (rows, search index, blind tokens)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'chatify;admin;help;users'= {
        }
        &'chatify;admin;help;disable'= {
        }
        &'chatify;admin;help;enable'= {
        }
        &'chatify;admin;help;disconnect'= {
        }
        &'chatify;admin;help;reset-password'= {
        }
        &'chatify;admin;help;delete-user'= {
        }
        &'chatify;admin;help;grant'= {
        }
        &'chatify;admin;help;revoke'= {
        }
        &'chatify;admin;help;sessions'= {
        }
        &'chatify;admin;help;revoke-sessions'= {
        }
        &'chatify;admin;help;revoke-session'= {
        }
        &'chatify;admin;help;channels'= {
        }
        &'chatify;admin;help;delete-channel'= {
        }
        &'chatify;admin;help;purge'= {
        }
        &'chatify;admin;help;help'= {
        }
        &'chatify;logout'= {
            cand --server 'Server address (ws://host:port or wss://host:port)'
            cand -u 'Your username on the server'
            cand --user 'Your username on the server'
            cand --password-file 'Read the account password from this file (first line) when there is no saved session'
            cand --timeout 'Seconds to wait for the server''s answers'
            cand --ca-file 'For wss://: trust only the CA certificates in this PEM file (a private CA) instead of the system roots; certificates are then never pinned on first use'
            cand --color 'When to use colour; NO_COLOR in the environment means never'
            cand --allow-insecure 'Send the password or session token over plain ws:// even to a host that is not this machine (anyone on the network can read them)'
            cand -v 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'chatify;sessions'= {
            cand --server 'Server address (ws://host:port or wss://host:port)'
            cand -u 'Your username on the server'
            cand --user 'Your username on the server'
            cand --password-file 'Read the account password from this file (first line) when there is no saved session'
            cand --timeout 'Seconds to wait for the server''s answers'
            cand --ca-file 'For wss://: trust only the CA certificates in this PEM file (a private CA) instead of the system roots; certificates are then never pinned on first use'
            cand --revoke 'End the session with this id (from the list) instead of listing'
            cand --color 'When to use colour; NO_COLOR in the environment means never'
            cand --allow-insecure 'Send the password or session token over plain ws:// even to a host that is not this machine (anyone on the network can read them)'
            cand -v 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'chatify;password'= {
            cand --server 'Server address (ws://host:port or wss://host:port)'
            cand -u 'Your username on the server'
            cand --user 'Your username on the server'
            cand --password-file 'Read the account password from this file (first line) when there is no saved session'
            cand --timeout 'Seconds to wait for the server''s answers'
            cand --ca-file 'For wss://: trust only the CA certificates in this PEM file (a private CA) instead of the system roots; certificates are then never pinned on first use'
            cand --new-password-file 'Read the new password from this file (first line) instead of asking'
            cand --color 'When to use colour; NO_COLOR in the environment means never'
            cand --allow-insecure 'Send the password or session token over plain ws:// even to a host that is not this machine (anyone on the network can read them)'
            cand -v 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'chatify;bridge'= {
            cand -c 'The bridge''s config file (see docs/BRIDGE.md and bridge.example.toml)'
            cand --config 'The bridge''s config file (see docs/BRIDGE.md and bridge.example.toml)'
            cand --password-file 'Read the bridge account''s password from the first line of this file'
            cand --color 'When to use colour; NO_COLOR in the environment means never'
            cand --check 'Only check the config file (and passphrase files), then exit'
            cand -v 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
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
            cand admin 'Administer accounts and channels: on the database file, or live through the server'
            cand logout 'End your saved session on the server and forget it here'
            cand sessions 'List your sessions on the server, or end one (--revoke ID)'
            cand password 'Change your account password; every other session ends'
            cand bridge 'Relay between Discord and chatify channels (needs the discord-bridge build feature)'
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
        &'chatify;help;admin'= {
            cand users 'List every account: admin, disabled, saved sessions, channels, created'
            cand disable 'Disable an account: it cannot log in and its sessions are revoked (with --live its connections also end at once)'
            cand enable 'Enable a disabled account'
            cand disconnect 'Close every connection of an account now (--live only); it may log in again'
            cand reset-password 'Set a new password (printed, random) and revoke the account''s sessions'
            cand delete-user 'Delete an account with its sessions, memberships and roles (its past messages stay)'
            cand grant 'Make an account a server admin'
            cand revoke 'Take server admin away from an account'
            cand sessions 'List saved sessions (short ids, never tokens), of one account or all'
            cand revoke-sessions 'Revoke every session of an account (with --live its connections also end at once)'
            cand revoke-session 'Revoke one session by the id `sessions` shows'
            cand channels 'List every channel: mode, owner, members, messages, settings, topic'
            cand delete-channel 'Delete a channel with its whole history'
            cand purge 'Delete a channel''s messages older than a time, for real (rows, search index, blind tokens)'
        }
        &'chatify;help;admin;users'= {
        }
        &'chatify;help;admin;disable'= {
        }
        &'chatify;help;admin;enable'= {
        }
        &'chatify;help;admin;disconnect'= {
        }
        &'chatify;help;admin;reset-password'= {
        }
        &'chatify;help;admin;delete-user'= {
        }
        &'chatify;help;admin;grant'= {
        }
        &'chatify;help;admin;revoke'= {
        }
        &'chatify;help;admin;sessions'= {
        }
        &'chatify;help;admin;revoke-sessions'= {
        }
        &'chatify;help;admin;revoke-session'= {
        }
        &'chatify;help;admin;channels'= {
        }
        &'chatify;help;admin;delete-channel'= {
        }
        &'chatify;help;admin;purge'= {
        }
        &'chatify;help;logout'= {
        }
        &'chatify;help;sessions'= {
        }
        &'chatify;help;password'= {
        }
        &'chatify;help;bridge'= {
        }
        &'chatify;help;help'= {
        }
    ]
    $completions[$command]
}
