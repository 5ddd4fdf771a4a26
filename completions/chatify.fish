# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_chatify_global_optspecs
    string join \n v/verbose q/quiet color= h/help V/version
end

function __fish_chatify_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_chatify_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_chatify_using_subcommand
    set -l cmd (__fish_chatify_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c chatify -n "__fish_chatify_needs_command" -l color -d 'When to use colour; NO_COLOR in the environment means never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c chatify -n "__fish_chatify_needs_command" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
complete -c chatify -n "__fish_chatify_needs_command" -s q -l quiet -d 'Only errors on stderr'
complete -c chatify -n "__fish_chatify_needs_command" -s h -l help -d 'Print help'
complete -c chatify -n "__fish_chatify_needs_command" -s V -l version -d 'Print version'
complete -c chatify -n "__fish_chatify_needs_command" -f -a "serve" -d 'Run the server (WebSocket, SQLite event store)'
complete -c chatify -n "__fish_chatify_needs_command" -f -a "connect" -d 'Interactive client: a line-mode REPL with end-to-end encryption'
complete -c chatify -n "__fish_chatify_needs_command" -f -a "history" -d 'Print a channel\'s or DM\'s history'
complete -c chatify -n "__fish_chatify_needs_command" -f -a "search" -d 'Search a channel\'s messages'
complete -c chatify -n "__fish_chatify_needs_command" -f -a "rewind" -d 'Show a channel as it stood at a moment in the past'
complete -c chatify -n "__fish_chatify_needs_command" -f -a "migrate" -d 'Upgrade a database\'s schema in place (after writing a backup)'
complete -c chatify -n "__fish_chatify_needs_command" -f -a "keygen" -d 'Create or show your X25519 identity key'
complete -c chatify -n "__fish_chatify_needs_command" -f -a "admin" -d 'Administer accounts and channels: on the database file, or live through the server'
complete -c chatify -n "__fish_chatify_needs_command" -f -a "logout" -d 'End your saved session on the server and forget it here'
complete -c chatify -n "__fish_chatify_needs_command" -f -a "sessions" -d 'List your sessions on the server, or end one (--revoke ID)'
complete -c chatify -n "__fish_chatify_needs_command" -f -a "password" -d 'Change your account password; every other session ends'
complete -c chatify -n "__fish_chatify_needs_command" -f -a "bridge" -d 'Relay between Discord and chatify channels (needs the discord-bridge build feature)'
complete -c chatify -n "__fish_chatify_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c chatify -n "__fish_chatify_using_subcommand serve" -l listen -d 'Address and port to listen on' -r
complete -c chatify -n "__fish_chatify_using_subcommand serve" -l db -d 'SQLite database file [default: chatify.db in the data directory]' -r -F
complete -c chatify -n "__fish_chatify_using_subcommand serve" -l registration -d 'Whether new accounts may register' -r -f -a "open\t''
closed\t''"
complete -c chatify -n "__fish_chatify_using_subcommand serve" -l max-frame -d 'Largest frame a client may send, in bytes (larger: too_large and close 1009)' -r
complete -c chatify -n "__fish_chatify_using_subcommand serve" -l rate-limit -d 'Sustained msg/dm/edit/delete/react/typing frames per second per connection; 0 disables' -r
complete -c chatify -n "__fish_chatify_using_subcommand serve" -l rate-burst -d 'Burst allowance of the per-connection rate limit' -r
complete -c chatify -n "__fish_chatify_using_subcommand serve" -l read-rate -d 'Cost units per second refilled per connection for queries, status, who and voice (a 500-row history costs 510, a ping 1); 0 disables' -r
complete -c chatify -n "__fish_chatify_using_subcommand serve" -l read-burst -d 'Burst allowance of the per-connection read meter, in cost units (at least 550)' -r
complete -c chatify -n "__fish_chatify_using_subcommand serve" -l queue-depth -d 'Outbound frames queued per connection before a slow client is disconnected (1013)' -r
complete -c chatify -n "__fish_chatify_using_subcommand serve" -l max-connections -d 'Open connections accepted at once; more are refused with close code 1013' -r
complete -c chatify -n "__fish_chatify_using_subcommand serve" -l max-connections-per-account -d 'Open connections one account may hold; one more is refused at login' -r
complete -c chatify -n "__fish_chatify_using_subcommand serve" -l max-connections-per-address -d 'Open connections from one address (IPv6: one /64); more are refused with close code 1013' -r
complete -c chatify -n "__fish_chatify_using_subcommand serve" -l registrations-per-hour -d 'Registrations accepted per client address (IPv6: per /64) and hour; 0 never limits' -r
complete -c chatify -n "__fish_chatify_using_subcommand serve" -l outbound-budget-mib -d 'Server-wide MiB of queued outbound frames; when full, the largest queues are closed (1013)' -r
complete -c chatify -n "__fish_chatify_using_subcommand serve" -l durability -d 'normal survives a crash of the server process; full also survives an OS crash or power loss' -r -f -a "normal\t''
full\t''"
complete -c chatify -n "__fish_chatify_using_subcommand serve" -l bridge-account -d 'Account allowed to relay messages for people on another network (shown as name@network), such as the Discord bridge\'s account. Repeatable; the variable takes a comma-separated list' -r
complete -c chatify -n "__fish_chatify_using_subcommand serve" -l admin-listen -d 'Serve plain-HTTP /healthz (200 ready, else 503) and /metrics (Prometheus text) on this address, for a load balancer and monitoring; keep it on a private address' -r
complete -c chatify -n "__fish_chatify_using_subcommand serve" -l retention -d 'Server-wide retention: purge messages older than this in every channel (e.g. 30d, 12w; at least 1m). A channel\'s own retention (/mode retention=…) can only shorten it' -r
complete -c chatify -n "__fish_chatify_using_subcommand serve" -l tls-cert -d 'Serve wss:// with this PEM certificate chain (leaf first); SIGHUP reloads it' -r -F
complete -c chatify -n "__fish_chatify_using_subcommand serve" -l tls-key -d 'The PEM private key of --tls-cert; SIGHUP reloads it' -r -F
complete -c chatify -n "__fish_chatify_using_subcommand serve" -l tls-name -d 'Another name (DNS name or IP address) for the self-signed certificate, besides localhost and the loopback addresses; repeatable. Only used when the certificate is generated' -r
complete -c chatify -n "__fish_chatify_using_subcommand serve" -l cluster -d 'Run as one node of a cluster sharing a NATS JetStream log: comma-separated NATS URLs (nats://h1:4222,nats://h2:4222). Without it: one node, SQLite only' -r
complete -c chatify -n "__fish_chatify_using_subcommand serve" -l nats-creds -d 'A NATS credentials (.creds) file for --cluster' -r -F
complete -c chatify -n "__fish_chatify_using_subcommand serve" -l nats-ca -d 'Extra PEM root certificates for tls:// NATS servers' -r -F
complete -c chatify -n "__fish_chatify_using_subcommand serve" -l cluster-stream -d 'The JetStream stream holding the log (created if missing)' -r
complete -c chatify -n "__fish_chatify_using_subcommand serve" -l cluster-replicas -d 'Replicas of the stream when this node creates it: 1 for a laptop, 3 for production' -r
complete -c chatify -n "__fish_chatify_using_subcommand serve" -l node-name -d 'This node\'s name in logs [default: the host name and listen address]' -r
complete -c chatify -n "__fish_chatify_using_subcommand serve" -l cluster-heartbeat-ms -d 'How often this node tells the others it is alive, in milliseconds; its users show offline elsewhere after three missed heartbeats' -r
complete -c chatify -n "__fish_chatify_using_subcommand serve" -l color -d 'When to use colour; NO_COLOR in the environment means never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c chatify -n "__fish_chatify_using_subcommand serve" -l no-auto-migrate -d 'Refuse to start on an older schema instead of migrating it (run `chatify migrate`)'
complete -c chatify -n "__fish_chatify_using_subcommand serve" -l tls-self-signed -d 'Serve wss:// with a self-signed certificate, generated on first start and kept beside the database (<db>.tls-cert.pem, <db>.tls-key.pem, mode 0600); its SHA-256 fingerprint is printed at start. Clients pin it on first use'
complete -c chatify -n "__fish_chatify_using_subcommand serve" -l nats-require-tls -d 'Refuse a NATS connection without TLS'
complete -c chatify -n "__fish_chatify_using_subcommand serve" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
complete -c chatify -n "__fish_chatify_using_subcommand serve" -s q -l quiet -d 'Only errors on stderr'
complete -c chatify -n "__fish_chatify_using_subcommand serve" -s h -l help -d 'Print help'
complete -c chatify -n "__fish_chatify_using_subcommand serve" -s V -l version -d 'Print version'
complete -c chatify -n "__fish_chatify_using_subcommand connect" -l server -d 'Server address: ws://host:port, wss://host:port, or a bare host[:port] (ws://, port 8765 when none). Repeat it (or give a comma list) for the nodes of a cluster: the next is tried when one cannot be reached, at start and on every reconnect' -r
complete -c chatify -n "__fish_chatify_using_subcommand connect" -s u -l user -d 'Your username' -r
complete -c chatify -n "__fish_chatify_using_subcommand connect" -l password-file -d 'Read the password from the first line of this file instead of asking' -r -F
complete -c chatify -n "__fish_chatify_using_subcommand connect" -s c -l channel -d 'The channel to start in (joined if you are not a member yet)' -r
complete -c chatify -n "__fish_chatify_using_subcommand connect" -l links -d 'Make http(s) and mailto URLs in messages clickable (OSC 8 hyperlinks): auto = when stdout is a terminal and TERM is set and not "dumb"' -r -f -a "auto\t''
always\t''
never\t''"
complete -c chatify -n "__fish_chatify_using_subcommand connect" -l ca-file -d 'For wss://: trust only the CA certificates in this PEM file (a private CA) instead of the system roots; certificates are then never pinned on first use' -r -F
complete -c chatify -n "__fish_chatify_using_subcommand connect" -l color -d 'When to use colour; NO_COLOR in the environment means never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c chatify -n "__fish_chatify_using_subcommand connect" -l register -d 'Create the account (asks for the password twice in a terminal)'
complete -c chatify -n "__fish_chatify_using_subcommand connect" -l seconds -d 'Show times with seconds (09:31:07) instead of minutes (09:31)'
complete -c chatify -n "__fish_chatify_using_subcommand connect" -l allow-insecure -d 'Send the password or session token over plain ws:// even to a host that is not this machine (anyone on the network can read them)'
complete -c chatify -n "__fish_chatify_using_subcommand connect" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
complete -c chatify -n "__fish_chatify_using_subcommand connect" -s q -l quiet -d 'Only errors on stderr'
complete -c chatify -n "__fish_chatify_using_subcommand connect" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c chatify -n "__fish_chatify_using_subcommand connect" -s V -l version -d 'Print version'
complete -c chatify -n "__fish_chatify_using_subcommand history" -s n -l limit -d 'Print at most this many messages: the newest ones in the time window' -r
complete -c chatify -n "__fish_chatify_using_subcommand history" -l since -d 'Only messages at or after this time: an age (30m, 1h, 2d, 1w), an RFC 3339 time, or YYYY-MM-DD [HH:MM[:SS]] in local time' -r
complete -c chatify -n "__fish_chatify_using_subcommand history" -l until -d 'Only messages before this time (same forms as --since)' -r
complete -c chatify -n "__fish_chatify_using_subcommand history" -l from -d 'Only messages by this user' -r
complete -c chatify -n "__fish_chatify_using_subcommand history" -l server -d 'Server address (ws://host:port or wss://host:port)' -r
complete -c chatify -n "__fish_chatify_using_subcommand history" -s u -l user -d 'Your username on the server. The saved session of `chatify connect` is used; without one the password comes from --password-file, $CHATIFY_PASSWORD or a prompt' -r
complete -c chatify -n "__fish_chatify_using_subcommand history" -l password-file -d 'Read the account password from this file (first line) when there is no saved session' -r -F
complete -c chatify -n "__fish_chatify_using_subcommand history" -l db -d 'Read this database file directly instead of asking the server (operators, backups). The file is opened read-only and never modified' -r -F
complete -c chatify -n "__fish_chatify_using_subcommand history" -l as -d 'With --db: read DMs as this user (one of the two people), with their identity key' -r
complete -c chatify -n "__fish_chatify_using_subcommand history" -l key -d 'With --db: the identity key file of the --as user, to decrypt DMs [default: $CHATIFY_KEY_FILE, else <config dir>/identity.key]' -r -F
complete -c chatify -n "__fish_chatify_using_subcommand history" -l passphrase-file -d 'Read the passphrase of a sealed channel from this file (first line) when its key is not cached; $CHATIFY_PASSPHRASE also works, else you are prompted' -r -F
complete -c chatify -n "__fish_chatify_using_subcommand history" -l timeout -d 'Seconds to wait for the server\'s answers' -r
complete -c chatify -n "__fish_chatify_using_subcommand history" -l ca-file -d 'For wss://: trust only the CA certificates in this PEM file (a private CA) instead of the system roots; certificates are then never pinned on first use' -r -F
complete -c chatify -n "__fish_chatify_using_subcommand history" -l color -d 'When to use colour; NO_COLOR in the environment means never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c chatify -n "__fish_chatify_using_subcommand history" -l json -d 'Print JSON Lines, one object per message (fields: see --help), instead of the timeline'
complete -c chatify -n "__fish_chatify_using_subcommand history" -l allow-insecure -d 'Send the password or session token over plain ws:// even to a host that is not this machine (anyone on the network can read them)'
complete -c chatify -n "__fish_chatify_using_subcommand history" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
complete -c chatify -n "__fish_chatify_using_subcommand history" -s q -l quiet -d 'Only errors on stderr'
complete -c chatify -n "__fish_chatify_using_subcommand history" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c chatify -n "__fish_chatify_using_subcommand history" -s V -l version -d 'Print version'
complete -c chatify -n "__fish_chatify_using_subcommand search" -s n -l limit -d 'Print at most this many results' -r
complete -c chatify -n "__fish_chatify_using_subcommand search" -l sort -d 'Order of the results: best match first, or newest first' -r -f -a "rank\t'Best match first (bm25), ties newest first'
newest\t'Newest first'"
complete -c chatify -n "__fish_chatify_using_subcommand search" -l since -d 'Only messages at or after this time: an age (30m, 1h, 2d, 1w), an RFC 3339 time, or YYYY-MM-DD [HH:MM[:SS]] in local time' -r
complete -c chatify -n "__fish_chatify_using_subcommand search" -l until -d 'Only messages before this time (same forms as --since)' -r
complete -c chatify -n "__fish_chatify_using_subcommand search" -l from -d 'Only messages by this user' -r
complete -c chatify -n "__fish_chatify_using_subcommand search" -l server -d 'Server address (ws://host:port or wss://host:port)' -r
complete -c chatify -n "__fish_chatify_using_subcommand search" -s u -l user -d 'Your username on the server. The saved session of `chatify connect` is used; without one the password comes from --password-file, $CHATIFY_PASSWORD or a prompt' -r
complete -c chatify -n "__fish_chatify_using_subcommand search" -l password-file -d 'Read the account password from this file (first line) when there is no saved session' -r -F
complete -c chatify -n "__fish_chatify_using_subcommand search" -l db -d 'Read this database file directly instead of asking the server (operators, backups). The file is opened read-only and never modified' -r -F
complete -c chatify -n "__fish_chatify_using_subcommand search" -l as -d 'With --db: read DMs as this user (one of the two people), with their identity key' -r
complete -c chatify -n "__fish_chatify_using_subcommand search" -l key -d 'With --db: the identity key file of the --as user, to decrypt DMs [default: $CHATIFY_KEY_FILE, else <config dir>/identity.key]' -r -F
complete -c chatify -n "__fish_chatify_using_subcommand search" -l passphrase-file -d 'Read the passphrase of a sealed channel from this file (first line) when its key is not cached; $CHATIFY_PASSPHRASE also works, else you are prompted' -r -F
complete -c chatify -n "__fish_chatify_using_subcommand search" -l timeout -d 'Seconds to wait for the server\'s answers' -r
complete -c chatify -n "__fish_chatify_using_subcommand search" -l ca-file -d 'For wss://: trust only the CA certificates in this PEM file (a private CA) instead of the system roots; certificates are then never pinned on first use' -r -F
complete -c chatify -n "__fish_chatify_using_subcommand search" -l color -d 'When to use colour; NO_COLOR in the environment means never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c chatify -n "__fish_chatify_using_subcommand search" -l json -d 'Print JSON Lines, one object per message (fields: see --help), instead of the timeline'
complete -c chatify -n "__fish_chatify_using_subcommand search" -l allow-insecure -d 'Send the password or session token over plain ws:// even to a host that is not this machine (anyone on the network can read them)'
complete -c chatify -n "__fish_chatify_using_subcommand search" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
complete -c chatify -n "__fish_chatify_using_subcommand search" -s q -l quiet -d 'Only errors on stderr'
complete -c chatify -n "__fish_chatify_using_subcommand search" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c chatify -n "__fish_chatify_using_subcommand search" -s V -l version -d 'Print version'
complete -c chatify -n "__fish_chatify_using_subcommand rewind" -l at -d 'The moment to show: an age (30m, 1h, 2d), an RFC 3339 time, or YYYY-MM-DD [HH:MM[:SS]] in local time' -r
complete -c chatify -n "__fish_chatify_using_subcommand rewind" -s n -l limit -d 'Print at most this many messages: the last ones before --at' -r
complete -c chatify -n "__fish_chatify_using_subcommand rewind" -l from -d 'Only messages by this user (among the last 500 before --at)' -r
complete -c chatify -n "__fish_chatify_using_subcommand rewind" -l server -d 'Server address (ws://host:port or wss://host:port)' -r
complete -c chatify -n "__fish_chatify_using_subcommand rewind" -s u -l user -d 'Your username on the server. The saved session of `chatify connect` is used; without one the password comes from --password-file, $CHATIFY_PASSWORD or a prompt' -r
complete -c chatify -n "__fish_chatify_using_subcommand rewind" -l password-file -d 'Read the account password from this file (first line) when there is no saved session' -r -F
complete -c chatify -n "__fish_chatify_using_subcommand rewind" -l db -d 'Read this database file directly instead of asking the server (operators, backups). The file is opened read-only and never modified' -r -F
complete -c chatify -n "__fish_chatify_using_subcommand rewind" -l as -d 'With --db: read DMs as this user (one of the two people), with their identity key' -r
complete -c chatify -n "__fish_chatify_using_subcommand rewind" -l key -d 'With --db: the identity key file of the --as user, to decrypt DMs [default: $CHATIFY_KEY_FILE, else <config dir>/identity.key]' -r -F
complete -c chatify -n "__fish_chatify_using_subcommand rewind" -l passphrase-file -d 'Read the passphrase of a sealed channel from this file (first line) when its key is not cached; $CHATIFY_PASSPHRASE also works, else you are prompted' -r -F
complete -c chatify -n "__fish_chatify_using_subcommand rewind" -l timeout -d 'Seconds to wait for the server\'s answers' -r
complete -c chatify -n "__fish_chatify_using_subcommand rewind" -l ca-file -d 'For wss://: trust only the CA certificates in this PEM file (a private CA) instead of the system roots; certificates are then never pinned on first use' -r -F
complete -c chatify -n "__fish_chatify_using_subcommand rewind" -l color -d 'When to use colour; NO_COLOR in the environment means never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c chatify -n "__fish_chatify_using_subcommand rewind" -l json -d 'Print JSON Lines, one object per message (fields: see --help), instead of the timeline'
complete -c chatify -n "__fish_chatify_using_subcommand rewind" -l allow-insecure -d 'Send the password or session token over plain ws:// even to a host that is not this machine (anyone on the network can read them)'
complete -c chatify -n "__fish_chatify_using_subcommand rewind" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
complete -c chatify -n "__fish_chatify_using_subcommand rewind" -s q -l quiet -d 'Only errors on stderr'
complete -c chatify -n "__fish_chatify_using_subcommand rewind" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c chatify -n "__fish_chatify_using_subcommand rewind" -s V -l version -d 'Print version'
complete -c chatify -n "__fish_chatify_using_subcommand migrate" -l db -d 'The database file [default: the server\'s, <data dir>/chatify.db]' -r -F
complete -c chatify -n "__fish_chatify_using_subcommand migrate" -l to-cluster -d 'Import this single-node database, once, into a new cluster\'s NATS JetStream log (comma-separated NATS URLs; the stream must be empty). Then start each `serve --cluster` node on a new database path: it downloads the import (docs/CLUSTER.md)' -r
complete -c chatify -n "__fish_chatify_using_subcommand migrate" -l cluster-stream -d 'The stream to import into (as `serve --cluster-stream`)' -r
complete -c chatify -n "__fish_chatify_using_subcommand migrate" -l cluster-replicas -d 'Replicas of the stream when the import creates it: 1 for a laptop, 3 for production' -r
complete -c chatify -n "__fish_chatify_using_subcommand migrate" -l nats-creds -d 'A NATS credentials (.creds) file for --to-cluster' -r -F
complete -c chatify -n "__fish_chatify_using_subcommand migrate" -l nats-ca -d 'Extra PEM root certificates for tls:// NATS servers of --to-cluster' -r -F
complete -c chatify -n "__fish_chatify_using_subcommand migrate" -l color -d 'When to use colour; NO_COLOR in the environment means never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c chatify -n "__fish_chatify_using_subcommand migrate" -l status -d 'Print the database\'s schema version and the version this chatify uses; change nothing'
complete -c chatify -n "__fish_chatify_using_subcommand migrate" -l dry-run -d 'Print the steps a migration would run; change nothing'
complete -c chatify -n "__fish_chatify_using_subcommand migrate" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
complete -c chatify -n "__fish_chatify_using_subcommand migrate" -s q -l quiet -d 'Only errors on stderr'
complete -c chatify -n "__fish_chatify_using_subcommand migrate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c chatify -n "__fish_chatify_using_subcommand migrate" -s V -l version -d 'Print version'
complete -c chatify -n "__fish_chatify_using_subcommand keygen" -l key -d 'The identity key file [default: <config dir>/identity.key]' -r -F
complete -c chatify -n "__fish_chatify_using_subcommand keygen" -l color -d 'When to use colour; NO_COLOR in the environment means never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c chatify -n "__fish_chatify_using_subcommand keygen" -l show -d 'Print the public key and fingerprint of the existing key instead of creating one'
complete -c chatify -n "__fish_chatify_using_subcommand keygen" -l force -d 'Replace an existing key (peers who pinned the old one will be warned that it changed)'
complete -c chatify -n "__fish_chatify_using_subcommand keygen" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
complete -c chatify -n "__fish_chatify_using_subcommand keygen" -s q -l quiet -d 'Only errors on stderr'
complete -c chatify -n "__fish_chatify_using_subcommand keygen" -s h -l help -d 'Print help'
complete -c chatify -n "__fish_chatify_using_subcommand keygen" -s V -l version -d 'Print version'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and not __fish_seen_subcommand_from users disable enable disconnect reset-password delete-user grant revoke sessions revoke-sessions revoke-session channels delete-channel purge help" -l db -d 'The database file [default: the server\'s, <data dir>/chatify.db]' -r -F
complete -c chatify -n "__fish_chatify_using_subcommand admin; and not __fish_seen_subcommand_from users disable enable disconnect reset-password delete-user grant revoke sessions revoke-sessions revoke-session channels delete-channel purge help" -l server -d 'Server address (ws://host:port or wss://host:port)' -r
complete -c chatify -n "__fish_chatify_using_subcommand admin; and not __fish_seen_subcommand_from users disable enable disconnect reset-password delete-user grant revoke sessions revoke-sessions revoke-session channels delete-channel purge help" -s u -l user -d 'Your username on the server' -r
complete -c chatify -n "__fish_chatify_using_subcommand admin; and not __fish_seen_subcommand_from users disable enable disconnect reset-password delete-user grant revoke sessions revoke-sessions revoke-session channels delete-channel purge help" -l password-file -d 'Read the account password from this file (first line) when there is no saved session' -r -F
complete -c chatify -n "__fish_chatify_using_subcommand admin; and not __fish_seen_subcommand_from users disable enable disconnect reset-password delete-user grant revoke sessions revoke-sessions revoke-session channels delete-channel purge help" -l timeout -d 'Seconds to wait for the server\'s answers' -r
complete -c chatify -n "__fish_chatify_using_subcommand admin; and not __fish_seen_subcommand_from users disable enable disconnect reset-password delete-user grant revoke sessions revoke-sessions revoke-session channels delete-channel purge help" -l ca-file -d 'For wss://: trust only the CA certificates in this PEM file (a private CA) instead of the system roots; certificates are then never pinned on first use' -r -F
complete -c chatify -n "__fish_chatify_using_subcommand admin; and not __fish_seen_subcommand_from users disable enable disconnect reset-password delete-user grant revoke sessions revoke-sessions revoke-session channels delete-channel purge help" -l color -d 'When to use colour; NO_COLOR in the environment means never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c chatify -n "__fish_chatify_using_subcommand admin; and not __fish_seen_subcommand_from users disable enable disconnect reset-password delete-user grant revoke sessions revoke-sessions revoke-session channels delete-channel purge help" -l live -d 'Act through the running server with your session (you must be a server admin): disable, enable, disconnect, revoke-sessions'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and not __fish_seen_subcommand_from users disable enable disconnect reset-password delete-user grant revoke sessions revoke-sessions revoke-session channels delete-channel purge help" -l allow-insecure -d 'Send the password or session token over plain ws:// even to a host that is not this machine (anyone on the network can read them)'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and not __fish_seen_subcommand_from users disable enable disconnect reset-password delete-user grant revoke sessions revoke-sessions revoke-session channels delete-channel purge help" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and not __fish_seen_subcommand_from users disable enable disconnect reset-password delete-user grant revoke sessions revoke-sessions revoke-session channels delete-channel purge help" -s q -l quiet -d 'Only errors on stderr'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and not __fish_seen_subcommand_from users disable enable disconnect reset-password delete-user grant revoke sessions revoke-sessions revoke-session channels delete-channel purge help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and not __fish_seen_subcommand_from users disable enable disconnect reset-password delete-user grant revoke sessions revoke-sessions revoke-session channels delete-channel purge help" -s V -l version -d 'Print version'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and not __fish_seen_subcommand_from users disable enable disconnect reset-password delete-user grant revoke sessions revoke-sessions revoke-session channels delete-channel purge help" -f -a "users" -d 'List every account: admin, disabled, saved sessions, channels, created'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and not __fish_seen_subcommand_from users disable enable disconnect reset-password delete-user grant revoke sessions revoke-sessions revoke-session channels delete-channel purge help" -f -a "disable" -d 'Disable an account: it cannot log in and its sessions are revoked (with --live its connections also end at once)'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and not __fish_seen_subcommand_from users disable enable disconnect reset-password delete-user grant revoke sessions revoke-sessions revoke-session channels delete-channel purge help" -f -a "enable" -d 'Enable a disabled account'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and not __fish_seen_subcommand_from users disable enable disconnect reset-password delete-user grant revoke sessions revoke-sessions revoke-session channels delete-channel purge help" -f -a "disconnect" -d 'Close every connection of an account now (--live only); it may log in again'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and not __fish_seen_subcommand_from users disable enable disconnect reset-password delete-user grant revoke sessions revoke-sessions revoke-session channels delete-channel purge help" -f -a "reset-password" -d 'Set a new password (printed, random) and revoke the account\'s sessions'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and not __fish_seen_subcommand_from users disable enable disconnect reset-password delete-user grant revoke sessions revoke-sessions revoke-session channels delete-channel purge help" -f -a "delete-user" -d 'Delete an account with its sessions, memberships and roles (its past messages stay)'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and not __fish_seen_subcommand_from users disable enable disconnect reset-password delete-user grant revoke sessions revoke-sessions revoke-session channels delete-channel purge help" -f -a "grant" -d 'Make an account a server admin'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and not __fish_seen_subcommand_from users disable enable disconnect reset-password delete-user grant revoke sessions revoke-sessions revoke-session channels delete-channel purge help" -f -a "revoke" -d 'Take server admin away from an account'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and not __fish_seen_subcommand_from users disable enable disconnect reset-password delete-user grant revoke sessions revoke-sessions revoke-session channels delete-channel purge help" -f -a "sessions" -d 'List saved sessions (short ids, never tokens), of one account or all'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and not __fish_seen_subcommand_from users disable enable disconnect reset-password delete-user grant revoke sessions revoke-sessions revoke-session channels delete-channel purge help" -f -a "revoke-sessions" -d 'Revoke every session of an account (with --live its connections also end at once)'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and not __fish_seen_subcommand_from users disable enable disconnect reset-password delete-user grant revoke sessions revoke-sessions revoke-session channels delete-channel purge help" -f -a "revoke-session" -d 'Revoke one session by the id `sessions` shows'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and not __fish_seen_subcommand_from users disable enable disconnect reset-password delete-user grant revoke sessions revoke-sessions revoke-session channels delete-channel purge help" -f -a "channels" -d 'List every channel: mode, owner, members, messages, settings, topic'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and not __fish_seen_subcommand_from users disable enable disconnect reset-password delete-user grant revoke sessions revoke-sessions revoke-session channels delete-channel purge help" -f -a "delete-channel" -d 'Delete a channel with its whole history'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and not __fish_seen_subcommand_from users disable enable disconnect reset-password delete-user grant revoke sessions revoke-sessions revoke-session channels delete-channel purge help" -f -a "purge" -d 'Delete a channel\'s messages older than a time, for real (rows, search index, blind tokens)'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and not __fish_seen_subcommand_from users disable enable disconnect reset-password delete-user grant revoke sessions revoke-sessions revoke-session channels delete-channel purge help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from users" -l color -d 'When to use colour; NO_COLOR in the environment means never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from users" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from users" -s q -l quiet -d 'Only errors on stderr'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from users" -s h -l help -d 'Print help'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from users" -s V -l version -d 'Print version'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from disable" -l color -d 'When to use colour; NO_COLOR in the environment means never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from disable" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from disable" -s q -l quiet -d 'Only errors on stderr'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from disable" -s h -l help -d 'Print help'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from disable" -s V -l version -d 'Print version'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from enable" -l color -d 'When to use colour; NO_COLOR in the environment means never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from enable" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from enable" -s q -l quiet -d 'Only errors on stderr'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from enable" -s h -l help -d 'Print help'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from enable" -s V -l version -d 'Print version'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from disconnect" -l color -d 'When to use colour; NO_COLOR in the environment means never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from disconnect" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from disconnect" -s q -l quiet -d 'Only errors on stderr'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from disconnect" -s h -l help -d 'Print help'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from disconnect" -s V -l version -d 'Print version'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from reset-password" -l color -d 'When to use colour; NO_COLOR in the environment means never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from reset-password" -l stdin -d 'Read the new password from the first line of stdin instead of generating one'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from reset-password" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from reset-password" -s q -l quiet -d 'Only errors on stderr'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from reset-password" -s h -l help -d 'Print help'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from reset-password" -s V -l version -d 'Print version'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from delete-user" -l color -d 'When to use colour; NO_COLOR in the environment means never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from delete-user" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from delete-user" -s q -l quiet -d 'Only errors on stderr'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from delete-user" -s h -l help -d 'Print help'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from delete-user" -s V -l version -d 'Print version'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from grant" -l color -d 'When to use colour; NO_COLOR in the environment means never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from grant" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from grant" -s q -l quiet -d 'Only errors on stderr'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from grant" -s h -l help -d 'Print help'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from grant" -s V -l version -d 'Print version'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from revoke" -l color -d 'When to use colour; NO_COLOR in the environment means never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from revoke" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from revoke" -s q -l quiet -d 'Only errors on stderr'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from revoke" -s h -l help -d 'Print help'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from revoke" -s V -l version -d 'Print version'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from sessions" -l color -d 'When to use colour; NO_COLOR in the environment means never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from sessions" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from sessions" -s q -l quiet -d 'Only errors on stderr'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from sessions" -s h -l help -d 'Print help'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from sessions" -s V -l version -d 'Print version'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from revoke-sessions" -l color -d 'When to use colour; NO_COLOR in the environment means never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from revoke-sessions" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from revoke-sessions" -s q -l quiet -d 'Only errors on stderr'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from revoke-sessions" -s h -l help -d 'Print help'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from revoke-sessions" -s V -l version -d 'Print version'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from revoke-session" -l color -d 'When to use colour; NO_COLOR in the environment means never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from revoke-session" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from revoke-session" -s q -l quiet -d 'Only errors on stderr'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from revoke-session" -s h -l help -d 'Print help'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from revoke-session" -s V -l version -d 'Print version'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from channels" -l color -d 'When to use colour; NO_COLOR in the environment means never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from channels" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from channels" -s q -l quiet -d 'Only errors on stderr'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from channels" -s h -l help -d 'Print help'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from channels" -s V -l version -d 'Print version'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from delete-channel" -l color -d 'When to use colour; NO_COLOR in the environment means never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from delete-channel" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from delete-channel" -s q -l quiet -d 'Only errors on stderr'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from delete-channel" -s h -l help -d 'Print help'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from delete-channel" -s V -l version -d 'Print version'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from purge" -l before -d 'Messages before this time: an age (30d), an RFC 3339 time or YYYY-MM-DD [HH:MM]' -r
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from purge" -l color -d 'When to use colour; NO_COLOR in the environment means never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from purge" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from purge" -s q -l quiet -d 'Only errors on stderr'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from purge" -s h -l help -d 'Print help'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from purge" -s V -l version -d 'Print version'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from help" -f -a "users" -d 'List every account: admin, disabled, saved sessions, channels, created'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from help" -f -a "disable" -d 'Disable an account: it cannot log in and its sessions are revoked (with --live its connections also end at once)'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from help" -f -a "enable" -d 'Enable a disabled account'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from help" -f -a "disconnect" -d 'Close every connection of an account now (--live only); it may log in again'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from help" -f -a "reset-password" -d 'Set a new password (printed, random) and revoke the account\'s sessions'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from help" -f -a "delete-user" -d 'Delete an account with its sessions, memberships and roles (its past messages stay)'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from help" -f -a "grant" -d 'Make an account a server admin'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from help" -f -a "revoke" -d 'Take server admin away from an account'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from help" -f -a "sessions" -d 'List saved sessions (short ids, never tokens), of one account or all'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from help" -f -a "revoke-sessions" -d 'Revoke every session of an account (with --live its connections also end at once)'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from help" -f -a "revoke-session" -d 'Revoke one session by the id `sessions` shows'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from help" -f -a "channels" -d 'List every channel: mode, owner, members, messages, settings, topic'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from help" -f -a "delete-channel" -d 'Delete a channel with its whole history'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from help" -f -a "purge" -d 'Delete a channel\'s messages older than a time, for real (rows, search index, blind tokens)'
complete -c chatify -n "__fish_chatify_using_subcommand admin; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c chatify -n "__fish_chatify_using_subcommand logout" -l server -d 'Server address (ws://host:port or wss://host:port)' -r
complete -c chatify -n "__fish_chatify_using_subcommand logout" -s u -l user -d 'Your username on the server' -r
complete -c chatify -n "__fish_chatify_using_subcommand logout" -l password-file -d 'Read the account password from this file (first line) when there is no saved session' -r -F
complete -c chatify -n "__fish_chatify_using_subcommand logout" -l timeout -d 'Seconds to wait for the server\'s answers' -r
complete -c chatify -n "__fish_chatify_using_subcommand logout" -l ca-file -d 'For wss://: trust only the CA certificates in this PEM file (a private CA) instead of the system roots; certificates are then never pinned on first use' -r -F
complete -c chatify -n "__fish_chatify_using_subcommand logout" -l color -d 'When to use colour; NO_COLOR in the environment means never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c chatify -n "__fish_chatify_using_subcommand logout" -l allow-insecure -d 'Send the password or session token over plain ws:// even to a host that is not this machine (anyone on the network can read them)'
complete -c chatify -n "__fish_chatify_using_subcommand logout" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
complete -c chatify -n "__fish_chatify_using_subcommand logout" -s q -l quiet -d 'Only errors on stderr'
complete -c chatify -n "__fish_chatify_using_subcommand logout" -s h -l help -d 'Print help'
complete -c chatify -n "__fish_chatify_using_subcommand logout" -s V -l version -d 'Print version'
complete -c chatify -n "__fish_chatify_using_subcommand sessions" -l server -d 'Server address (ws://host:port or wss://host:port)' -r
complete -c chatify -n "__fish_chatify_using_subcommand sessions" -s u -l user -d 'Your username on the server' -r
complete -c chatify -n "__fish_chatify_using_subcommand sessions" -l password-file -d 'Read the account password from this file (first line) when there is no saved session' -r -F
complete -c chatify -n "__fish_chatify_using_subcommand sessions" -l timeout -d 'Seconds to wait for the server\'s answers' -r
complete -c chatify -n "__fish_chatify_using_subcommand sessions" -l ca-file -d 'For wss://: trust only the CA certificates in this PEM file (a private CA) instead of the system roots; certificates are then never pinned on first use' -r -F
complete -c chatify -n "__fish_chatify_using_subcommand sessions" -l revoke -d 'End the session with this id (from the list) instead of listing' -r
complete -c chatify -n "__fish_chatify_using_subcommand sessions" -l color -d 'When to use colour; NO_COLOR in the environment means never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c chatify -n "__fish_chatify_using_subcommand sessions" -l allow-insecure -d 'Send the password or session token over plain ws:// even to a host that is not this machine (anyone on the network can read them)'
complete -c chatify -n "__fish_chatify_using_subcommand sessions" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
complete -c chatify -n "__fish_chatify_using_subcommand sessions" -s q -l quiet -d 'Only errors on stderr'
complete -c chatify -n "__fish_chatify_using_subcommand sessions" -s h -l help -d 'Print help'
complete -c chatify -n "__fish_chatify_using_subcommand sessions" -s V -l version -d 'Print version'
complete -c chatify -n "__fish_chatify_using_subcommand password" -l server -d 'Server address (ws://host:port or wss://host:port)' -r
complete -c chatify -n "__fish_chatify_using_subcommand password" -s u -l user -d 'Your username on the server' -r
complete -c chatify -n "__fish_chatify_using_subcommand password" -l password-file -d 'Read the account password from this file (first line) when there is no saved session' -r -F
complete -c chatify -n "__fish_chatify_using_subcommand password" -l timeout -d 'Seconds to wait for the server\'s answers' -r
complete -c chatify -n "__fish_chatify_using_subcommand password" -l ca-file -d 'For wss://: trust only the CA certificates in this PEM file (a private CA) instead of the system roots; certificates are then never pinned on first use' -r -F
complete -c chatify -n "__fish_chatify_using_subcommand password" -l new-password-file -d 'Read the new password from this file (first line) instead of asking' -r -F
complete -c chatify -n "__fish_chatify_using_subcommand password" -l color -d 'When to use colour; NO_COLOR in the environment means never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c chatify -n "__fish_chatify_using_subcommand password" -l allow-insecure -d 'Send the password or session token over plain ws:// even to a host that is not this machine (anyone on the network can read them)'
complete -c chatify -n "__fish_chatify_using_subcommand password" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
complete -c chatify -n "__fish_chatify_using_subcommand password" -s q -l quiet -d 'Only errors on stderr'
complete -c chatify -n "__fish_chatify_using_subcommand password" -s h -l help -d 'Print help'
complete -c chatify -n "__fish_chatify_using_subcommand password" -s V -l version -d 'Print version'
complete -c chatify -n "__fish_chatify_using_subcommand bridge" -s c -l config -d 'The bridge\'s config file (see docs/BRIDGE.md and bridge.example.toml)' -r -F
complete -c chatify -n "__fish_chatify_using_subcommand bridge" -l password-file -d 'Read the bridge account\'s password from the first line of this file' -r -F
complete -c chatify -n "__fish_chatify_using_subcommand bridge" -l color -d 'When to use colour; NO_COLOR in the environment means never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c chatify -n "__fish_chatify_using_subcommand bridge" -l check -d 'Only check the config file (and passphrase files), then exit'
complete -c chatify -n "__fish_chatify_using_subcommand bridge" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
complete -c chatify -n "__fish_chatify_using_subcommand bridge" -s q -l quiet -d 'Only errors on stderr'
complete -c chatify -n "__fish_chatify_using_subcommand bridge" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c chatify -n "__fish_chatify_using_subcommand bridge" -s V -l version -d 'Print version'
complete -c chatify -n "__fish_chatify_using_subcommand help; and not __fish_seen_subcommand_from serve connect history search rewind migrate keygen admin logout sessions password bridge help" -f -a "serve" -d 'Run the server (WebSocket, SQLite event store)'
complete -c chatify -n "__fish_chatify_using_subcommand help; and not __fish_seen_subcommand_from serve connect history search rewind migrate keygen admin logout sessions password bridge help" -f -a "connect" -d 'Interactive client: a line-mode REPL with end-to-end encryption'
complete -c chatify -n "__fish_chatify_using_subcommand help; and not __fish_seen_subcommand_from serve connect history search rewind migrate keygen admin logout sessions password bridge help" -f -a "history" -d 'Print a channel\'s or DM\'s history'
complete -c chatify -n "__fish_chatify_using_subcommand help; and not __fish_seen_subcommand_from serve connect history search rewind migrate keygen admin logout sessions password bridge help" -f -a "search" -d 'Search a channel\'s messages'
complete -c chatify -n "__fish_chatify_using_subcommand help; and not __fish_seen_subcommand_from serve connect history search rewind migrate keygen admin logout sessions password bridge help" -f -a "rewind" -d 'Show a channel as it stood at a moment in the past'
complete -c chatify -n "__fish_chatify_using_subcommand help; and not __fish_seen_subcommand_from serve connect history search rewind migrate keygen admin logout sessions password bridge help" -f -a "migrate" -d 'Upgrade a database\'s schema in place (after writing a backup)'
complete -c chatify -n "__fish_chatify_using_subcommand help; and not __fish_seen_subcommand_from serve connect history search rewind migrate keygen admin logout sessions password bridge help" -f -a "keygen" -d 'Create or show your X25519 identity key'
complete -c chatify -n "__fish_chatify_using_subcommand help; and not __fish_seen_subcommand_from serve connect history search rewind migrate keygen admin logout sessions password bridge help" -f -a "admin" -d 'Administer accounts and channels: on the database file, or live through the server'
complete -c chatify -n "__fish_chatify_using_subcommand help; and not __fish_seen_subcommand_from serve connect history search rewind migrate keygen admin logout sessions password bridge help" -f -a "logout" -d 'End your saved session on the server and forget it here'
complete -c chatify -n "__fish_chatify_using_subcommand help; and not __fish_seen_subcommand_from serve connect history search rewind migrate keygen admin logout sessions password bridge help" -f -a "sessions" -d 'List your sessions on the server, or end one (--revoke ID)'
complete -c chatify -n "__fish_chatify_using_subcommand help; and not __fish_seen_subcommand_from serve connect history search rewind migrate keygen admin logout sessions password bridge help" -f -a "password" -d 'Change your account password; every other session ends'
complete -c chatify -n "__fish_chatify_using_subcommand help; and not __fish_seen_subcommand_from serve connect history search rewind migrate keygen admin logout sessions password bridge help" -f -a "bridge" -d 'Relay between Discord and chatify channels (needs the discord-bridge build feature)'
complete -c chatify -n "__fish_chatify_using_subcommand help; and not __fish_seen_subcommand_from serve connect history search rewind migrate keygen admin logout sessions password bridge help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c chatify -n "__fish_chatify_using_subcommand help; and __fish_seen_subcommand_from admin" -f -a "users" -d 'List every account: admin, disabled, saved sessions, channels, created'
complete -c chatify -n "__fish_chatify_using_subcommand help; and __fish_seen_subcommand_from admin" -f -a "disable" -d 'Disable an account: it cannot log in and its sessions are revoked (with --live its connections also end at once)'
complete -c chatify -n "__fish_chatify_using_subcommand help; and __fish_seen_subcommand_from admin" -f -a "enable" -d 'Enable a disabled account'
complete -c chatify -n "__fish_chatify_using_subcommand help; and __fish_seen_subcommand_from admin" -f -a "disconnect" -d 'Close every connection of an account now (--live only); it may log in again'
complete -c chatify -n "__fish_chatify_using_subcommand help; and __fish_seen_subcommand_from admin" -f -a "reset-password" -d 'Set a new password (printed, random) and revoke the account\'s sessions'
complete -c chatify -n "__fish_chatify_using_subcommand help; and __fish_seen_subcommand_from admin" -f -a "delete-user" -d 'Delete an account with its sessions, memberships and roles (its past messages stay)'
complete -c chatify -n "__fish_chatify_using_subcommand help; and __fish_seen_subcommand_from admin" -f -a "grant" -d 'Make an account a server admin'
complete -c chatify -n "__fish_chatify_using_subcommand help; and __fish_seen_subcommand_from admin" -f -a "revoke" -d 'Take server admin away from an account'
complete -c chatify -n "__fish_chatify_using_subcommand help; and __fish_seen_subcommand_from admin" -f -a "sessions" -d 'List saved sessions (short ids, never tokens), of one account or all'
complete -c chatify -n "__fish_chatify_using_subcommand help; and __fish_seen_subcommand_from admin" -f -a "revoke-sessions" -d 'Revoke every session of an account (with --live its connections also end at once)'
complete -c chatify -n "__fish_chatify_using_subcommand help; and __fish_seen_subcommand_from admin" -f -a "revoke-session" -d 'Revoke one session by the id `sessions` shows'
complete -c chatify -n "__fish_chatify_using_subcommand help; and __fish_seen_subcommand_from admin" -f -a "channels" -d 'List every channel: mode, owner, members, messages, settings, topic'
complete -c chatify -n "__fish_chatify_using_subcommand help; and __fish_seen_subcommand_from admin" -f -a "delete-channel" -d 'Delete a channel with its whole history'
complete -c chatify -n "__fish_chatify_using_subcommand help; and __fish_seen_subcommand_from admin" -f -a "purge" -d 'Delete a channel\'s messages older than a time, for real (rows, search index, blind tokens)'
