
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'chatify' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'chatify'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'chatify' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; NO_COLOR in the environment means never')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run the server (WebSocket, SQLite event store)')
            [CompletionResult]::new('connect', 'connect', [CompletionResultType]::ParameterValue, 'Interactive client: a line-mode REPL with end-to-end encryption')
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'Print a channel''s or DM''s history')
            [CompletionResult]::new('search', 'search', [CompletionResultType]::ParameterValue, 'Search a channel''s messages')
            [CompletionResult]::new('rewind', 'rewind', [CompletionResultType]::ParameterValue, 'Show a channel as it stood at a moment in the past')
            [CompletionResult]::new('migrate', 'migrate', [CompletionResultType]::ParameterValue, 'Upgrade a database''s schema in place (after writing a backup)')
            [CompletionResult]::new('keygen', 'keygen', [CompletionResultType]::ParameterValue, 'Create or show your X25519 identity key')
            [CompletionResult]::new('admin', 'admin', [CompletionResultType]::ParameterValue, 'Administer accounts and channels: on the database file, or live through the server')
            [CompletionResult]::new('logout', 'logout', [CompletionResultType]::ParameterValue, 'End your saved session on the server and forget it here')
            [CompletionResult]::new('sessions', 'sessions', [CompletionResultType]::ParameterValue, 'List your sessions on the server, or end one (--revoke ID)')
            [CompletionResult]::new('password', 'password', [CompletionResultType]::ParameterValue, 'Change your account password; every other session ends')
            [CompletionResult]::new('bridge', 'bridge', [CompletionResultType]::ParameterValue, 'Relay between Discord and chatify channels (needs the discord-bridge build feature)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'chatify;serve' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address and port to listen on')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'SQLite database file [default: chatify.db in the data directory]')
            [CompletionResult]::new('--registration', '--registration', [CompletionResultType]::ParameterName, 'Whether new accounts may register')
            [CompletionResult]::new('--max-frame', '--max-frame', [CompletionResultType]::ParameterName, 'Largest frame a client may send, in bytes (larger: too_large and close 1009)')
            [CompletionResult]::new('--rate-limit', '--rate-limit', [CompletionResultType]::ParameterName, 'Sustained msg/dm/edit/delete/react/typing frames per second per connection; 0 disables')
            [CompletionResult]::new('--rate-burst', '--rate-burst', [CompletionResultType]::ParameterName, 'Burst allowance of the per-connection rate limit')
            [CompletionResult]::new('--read-rate', '--read-rate', [CompletionResultType]::ParameterName, 'Cost units per second refilled per connection for queries, status, who and voice (a 500-row history costs 510, a ping 1); 0 disables')
            [CompletionResult]::new('--read-burst', '--read-burst', [CompletionResultType]::ParameterName, 'Burst allowance of the per-connection read meter, in cost units (at least 550)')
            [CompletionResult]::new('--queue-depth', '--queue-depth', [CompletionResultType]::ParameterName, 'Outbound frames queued per connection before a slow client is disconnected (1013)')
            [CompletionResult]::new('--max-connections', '--max-connections', [CompletionResultType]::ParameterName, 'Open connections accepted at once; more are refused with close code 1013')
            [CompletionResult]::new('--max-connections-per-account', '--max-connections-per-account', [CompletionResultType]::ParameterName, 'Open connections one account may hold; one more is refused at login')
            [CompletionResult]::new('--max-connections-per-address', '--max-connections-per-address', [CompletionResultType]::ParameterName, 'Open connections from one address (IPv6: one /64); more are refused with close code 1013')
            [CompletionResult]::new('--registrations-per-hour', '--registrations-per-hour', [CompletionResultType]::ParameterName, 'Registrations accepted per client address (IPv6: per /64) and hour; 0 never limits')
            [CompletionResult]::new('--outbound-budget-mib', '--outbound-budget-mib', [CompletionResultType]::ParameterName, 'Server-wide MiB of queued outbound frames; when full, the largest queues are closed (1013)')
            [CompletionResult]::new('--durability', '--durability', [CompletionResultType]::ParameterName, 'normal survives a crash of the server process; full also survives an OS crash or power loss')
            [CompletionResult]::new('--bridge-account', '--bridge-account', [CompletionResultType]::ParameterName, 'Account allowed to relay messages for people on another network (shown as name@network), such as the Discord bridge''s account. Repeatable; the variable takes a comma-separated list')
            [CompletionResult]::new('--admin-listen', '--admin-listen', [CompletionResultType]::ParameterName, 'Serve plain-HTTP /healthz (200 ready, else 503) and /metrics (Prometheus text) on this address, for a load balancer and monitoring; keep it on a private address')
            [CompletionResult]::new('--retention', '--retention', [CompletionResultType]::ParameterName, 'Server-wide retention: purge messages older than this in every channel (e.g. 30d, 12w; at least 1m). A channel''s own retention (/mode retention=…) can only shorten it')
            [CompletionResult]::new('--tls-cert', '--tls-cert', [CompletionResultType]::ParameterName, 'Serve wss:// with this PEM certificate chain (leaf first); SIGHUP reloads it')
            [CompletionResult]::new('--tls-key', '--tls-key', [CompletionResultType]::ParameterName, 'The PEM private key of --tls-cert; SIGHUP reloads it')
            [CompletionResult]::new('--tls-name', '--tls-name', [CompletionResultType]::ParameterName, 'Another name (DNS name or IP address) for the self-signed certificate, besides localhost and the loopback addresses; repeatable. Only used when the certificate is generated')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'Run as one node of a cluster sharing a NATS JetStream log: comma-separated NATS URLs (nats://h1:4222,nats://h2:4222). Without it: one node, SQLite only')
            [CompletionResult]::new('--nats-creds', '--nats-creds', [CompletionResultType]::ParameterName, 'A NATS credentials (.creds) file for --cluster')
            [CompletionResult]::new('--nats-ca', '--nats-ca', [CompletionResultType]::ParameterName, 'Extra PEM root certificates for tls:// NATS servers')
            [CompletionResult]::new('--cluster-stream', '--cluster-stream', [CompletionResultType]::ParameterName, 'The JetStream stream holding the log (created if missing)')
            [CompletionResult]::new('--cluster-replicas', '--cluster-replicas', [CompletionResultType]::ParameterName, 'Replicas of the stream when this node creates it: 1 for a laptop, 3 for production')
            [CompletionResult]::new('--node-name', '--node-name', [CompletionResultType]::ParameterName, 'This node''s name in logs [default: the host name and listen address]')
            [CompletionResult]::new('--cluster-heartbeat-ms', '--cluster-heartbeat-ms', [CompletionResultType]::ParameterName, 'How often this node tells the others it is alive, in milliseconds; its users show offline elsewhere after three missed heartbeats')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; NO_COLOR in the environment means never')
            [CompletionResult]::new('--no-auto-migrate', '--no-auto-migrate', [CompletionResultType]::ParameterName, 'Refuse to start on an older schema instead of migrating it (run `chatify migrate`)')
            [CompletionResult]::new('--tls-self-signed', '--tls-self-signed', [CompletionResultType]::ParameterName, 'Serve wss:// with a self-signed certificate, generated on first start and kept beside the database (<db>.tls-cert.pem, <db>.tls-key.pem, mode 0600); its SHA-256 fingerprint is printed at start. Clients pin it on first use')
            [CompletionResult]::new('--nats-require-tls', '--nats-require-tls', [CompletionResultType]::ParameterName, 'Refuse a NATS connection without TLS')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'chatify;connect' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server address: ws://host:port, wss://host:port, or a bare host[:port] (ws://, port 8765 when none). Repeat it (or give a comma list) for the nodes of a cluster: the next is tried when one cannot be reached, at start and on every reconnect')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Your username')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Your username')
            [CompletionResult]::new('--password-file', '--password-file', [CompletionResultType]::ParameterName, 'Read the password from the first line of this file instead of asking')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'The channel to start in (joined if you are not a member yet)')
            [CompletionResult]::new('--channel', '--channel', [CompletionResultType]::ParameterName, 'The channel to start in (joined if you are not a member yet)')
            [CompletionResult]::new('--links', '--links', [CompletionResultType]::ParameterName, 'Make http(s) and mailto URLs in messages clickable (OSC 8 hyperlinks): auto = when stdout is a terminal and TERM is set and not "dumb"')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'For wss://: trust only the CA certificates in this PEM file (a private CA) instead of the system roots; certificates are then never pinned on first use')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; NO_COLOR in the environment means never')
            [CompletionResult]::new('--register', '--register', [CompletionResultType]::ParameterName, 'Create the account (asks for the password twice in a terminal)')
            [CompletionResult]::new('--seconds', '--seconds', [CompletionResultType]::ParameterName, 'Show times with seconds (09:31:07) instead of minutes (09:31)')
            [CompletionResult]::new('--allow-insecure', '--allow-insecure', [CompletionResultType]::ParameterName, 'Send the password or session token over plain ws:// even to a host that is not this machine (anyone on the network can read them)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'chatify;history' {
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Print at most this many messages: the newest ones in the time window')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Print at most this many messages: the newest ones in the time window')
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Only messages at or after this time: an age (30m, 1h, 2d, 1w), an RFC 3339 time, or YYYY-MM-DD [HH:MM[:SS]] in local time')
            [CompletionResult]::new('--until', '--until', [CompletionResultType]::ParameterName, 'Only messages before this time (same forms as --since)')
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'Only messages by this user')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server address (ws://host:port or wss://host:port)')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Your username on the server. The saved session of `chatify connect` is used; without one the password comes from --password-file, $CHATIFY_PASSWORD or a prompt')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Your username on the server. The saved session of `chatify connect` is used; without one the password comes from --password-file, $CHATIFY_PASSWORD or a prompt')
            [CompletionResult]::new('--password-file', '--password-file', [CompletionResultType]::ParameterName, 'Read the account password from this file (first line) when there is no saved session')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'Read this database file directly instead of asking the server (operators, backups). The file is opened read-only and never modified')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'With --db: read DMs as this user (one of the two people), with their identity key')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'With --db: the identity key file of the --as user, to decrypt DMs [default: $CHATIFY_KEY_FILE, else <config dir>/identity.key]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the passphrase of a sealed channel from this file (first line) when its key is not cached; $CHATIFY_PASSPHRASE also works, else you are prompted')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for the server''s answers')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'For wss://: trust only the CA certificates in this PEM file (a private CA) instead of the system roots; certificates are then never pinned on first use')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; NO_COLOR in the environment means never')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines, one object per message (fields: see --help), instead of the timeline')
            [CompletionResult]::new('--allow-insecure', '--allow-insecure', [CompletionResultType]::ParameterName, 'Send the password or session token over plain ws:// even to a host that is not this machine (anyone on the network can read them)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'chatify;search' {
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Print at most this many results')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Print at most this many results')
            [CompletionResult]::new('--sort', '--sort', [CompletionResultType]::ParameterName, 'Order of the results: best match first, or newest first')
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Only messages at or after this time: an age (30m, 1h, 2d, 1w), an RFC 3339 time, or YYYY-MM-DD [HH:MM[:SS]] in local time')
            [CompletionResult]::new('--until', '--until', [CompletionResultType]::ParameterName, 'Only messages before this time (same forms as --since)')
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'Only messages by this user')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server address (ws://host:port or wss://host:port)')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Your username on the server. The saved session of `chatify connect` is used; without one the password comes from --password-file, $CHATIFY_PASSWORD or a prompt')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Your username on the server. The saved session of `chatify connect` is used; without one the password comes from --password-file, $CHATIFY_PASSWORD or a prompt')
            [CompletionResult]::new('--password-file', '--password-file', [CompletionResultType]::ParameterName, 'Read the account password from this file (first line) when there is no saved session')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'Read this database file directly instead of asking the server (operators, backups). The file is opened read-only and never modified')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'With --db: read DMs as this user (one of the two people), with their identity key')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'With --db: the identity key file of the --as user, to decrypt DMs [default: $CHATIFY_KEY_FILE, else <config dir>/identity.key]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the passphrase of a sealed channel from this file (first line) when its key is not cached; $CHATIFY_PASSPHRASE also works, else you are prompted')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for the server''s answers')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'For wss://: trust only the CA certificates in this PEM file (a private CA) instead of the system roots; certificates are then never pinned on first use')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; NO_COLOR in the environment means never')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines, one object per message (fields: see --help), instead of the timeline')
            [CompletionResult]::new('--allow-insecure', '--allow-insecure', [CompletionResultType]::ParameterName, 'Send the password or session token over plain ws:// even to a host that is not this machine (anyone on the network can read them)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'chatify;rewind' {
            [CompletionResult]::new('--at', '--at', [CompletionResultType]::ParameterName, 'The moment to show: an age (30m, 1h, 2d), an RFC 3339 time, or YYYY-MM-DD [HH:MM[:SS]] in local time')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Print at most this many messages: the last ones before --at')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Print at most this many messages: the last ones before --at')
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'Only messages by this user (among the last 500 before --at)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server address (ws://host:port or wss://host:port)')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Your username on the server. The saved session of `chatify connect` is used; without one the password comes from --password-file, $CHATIFY_PASSWORD or a prompt')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Your username on the server. The saved session of `chatify connect` is used; without one the password comes from --password-file, $CHATIFY_PASSWORD or a prompt')
            [CompletionResult]::new('--password-file', '--password-file', [CompletionResultType]::ParameterName, 'Read the account password from this file (first line) when there is no saved session')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'Read this database file directly instead of asking the server (operators, backups). The file is opened read-only and never modified')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'With --db: read DMs as this user (one of the two people), with their identity key')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'With --db: the identity key file of the --as user, to decrypt DMs [default: $CHATIFY_KEY_FILE, else <config dir>/identity.key]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the passphrase of a sealed channel from this file (first line) when its key is not cached; $CHATIFY_PASSPHRASE also works, else you are prompted')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for the server''s answers')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'For wss://: trust only the CA certificates in this PEM file (a private CA) instead of the system roots; certificates are then never pinned on first use')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; NO_COLOR in the environment means never')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines, one object per message (fields: see --help), instead of the timeline')
            [CompletionResult]::new('--allow-insecure', '--allow-insecure', [CompletionResultType]::ParameterName, 'Send the password or session token over plain ws:// even to a host that is not this machine (anyone on the network can read them)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'chatify;migrate' {
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The database file [default: the server''s, <data dir>/chatify.db]')
            [CompletionResult]::new('--to-cluster', '--to-cluster', [CompletionResultType]::ParameterName, 'Import this single-node database, once, into a new cluster''s NATS JetStream log (comma-separated NATS URLs; the stream must be empty). Then start each `serve --cluster` node on a new database path: it downloads the import (docs/CLUSTER.md)')
            [CompletionResult]::new('--cluster-stream', '--cluster-stream', [CompletionResultType]::ParameterName, 'The stream to import into (as `serve --cluster-stream`)')
            [CompletionResult]::new('--cluster-replicas', '--cluster-replicas', [CompletionResultType]::ParameterName, 'Replicas of the stream when the import creates it: 1 for a laptop, 3 for production')
            [CompletionResult]::new('--nats-creds', '--nats-creds', [CompletionResultType]::ParameterName, 'A NATS credentials (.creds) file for --to-cluster')
            [CompletionResult]::new('--nats-ca', '--nats-ca', [CompletionResultType]::ParameterName, 'Extra PEM root certificates for tls:// NATS servers of --to-cluster')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; NO_COLOR in the environment means never')
            [CompletionResult]::new('--status', '--status', [CompletionResultType]::ParameterName, 'Print the database''s schema version and the version this chatify uses; change nothing')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the steps a migration would run; change nothing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'chatify;keygen' {
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'The identity key file [default: <config dir>/identity.key]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; NO_COLOR in the environment means never')
            [CompletionResult]::new('--show', '--show', [CompletionResultType]::ParameterName, 'Print the public key and fingerprint of the existing key instead of creating one')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace an existing key (peers who pinned the old one will be warned that it changed)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'chatify;admin' {
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The database file [default: the server''s, <data dir>/chatify.db]')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server address (ws://host:port or wss://host:port)')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Your username on the server')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Your username on the server')
            [CompletionResult]::new('--password-file', '--password-file', [CompletionResultType]::ParameterName, 'Read the account password from this file (first line) when there is no saved session')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for the server''s answers')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'For wss://: trust only the CA certificates in this PEM file (a private CA) instead of the system roots; certificates are then never pinned on first use')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; NO_COLOR in the environment means never')
            [CompletionResult]::new('--live', '--live', [CompletionResultType]::ParameterName, 'Act through the running server with your session (you must be a server admin): disable, enable, disconnect, revoke-sessions')
            [CompletionResult]::new('--allow-insecure', '--allow-insecure', [CompletionResultType]::ParameterName, 'Send the password or session token over plain ws:// even to a host that is not this machine (anyone on the network can read them)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('users', 'users', [CompletionResultType]::ParameterValue, 'List every account: admin, disabled, saved sessions, channels, created')
            [CompletionResult]::new('disable', 'disable', [CompletionResultType]::ParameterValue, 'Disable an account: it cannot log in and its sessions are revoked (with --live its connections also end at once)')
            [CompletionResult]::new('enable', 'enable', [CompletionResultType]::ParameterValue, 'Enable a disabled account')
            [CompletionResult]::new('disconnect', 'disconnect', [CompletionResultType]::ParameterValue, 'Close every connection of an account now (--live only); it may log in again')
            [CompletionResult]::new('reset-password', 'reset-password', [CompletionResultType]::ParameterValue, 'Set a new password (printed, random) and revoke the account''s sessions')
            [CompletionResult]::new('delete-user', 'delete-user', [CompletionResultType]::ParameterValue, 'Delete an account with its sessions, memberships and roles (its past messages stay)')
            [CompletionResult]::new('grant', 'grant', [CompletionResultType]::ParameterValue, 'Make an account a server admin')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Take server admin away from an account')
            [CompletionResult]::new('sessions', 'sessions', [CompletionResultType]::ParameterValue, 'List saved sessions (short ids, never tokens), of one account or all')
            [CompletionResult]::new('revoke-sessions', 'revoke-sessions', [CompletionResultType]::ParameterValue, 'Revoke every session of an account (with --live its connections also end at once)')
            [CompletionResult]::new('revoke-session', 'revoke-session', [CompletionResultType]::ParameterValue, 'Revoke one session by the id `sessions` shows')
            [CompletionResult]::new('channels', 'channels', [CompletionResultType]::ParameterValue, 'List every channel: mode, owner, members, messages, settings, topic')
            [CompletionResult]::new('delete-channel', 'delete-channel', [CompletionResultType]::ParameterValue, 'Delete a channel with its whole history')
            [CompletionResult]::new('purge', 'purge', [CompletionResultType]::ParameterValue, 'Delete a channel''s messages older than a time, for real (rows, search index, blind tokens)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'chatify;admin;users' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; NO_COLOR in the environment means never')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'chatify;admin;disable' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; NO_COLOR in the environment means never')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'chatify;admin;enable' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; NO_COLOR in the environment means never')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'chatify;admin;disconnect' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; NO_COLOR in the environment means never')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'chatify;admin;reset-password' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; NO_COLOR in the environment means never')
            [CompletionResult]::new('--stdin', '--stdin', [CompletionResultType]::ParameterName, 'Read the new password from the first line of stdin instead of generating one')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'chatify;admin;delete-user' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; NO_COLOR in the environment means never')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'chatify;admin;grant' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; NO_COLOR in the environment means never')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'chatify;admin;revoke' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; NO_COLOR in the environment means never')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'chatify;admin;sessions' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; NO_COLOR in the environment means never')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'chatify;admin;revoke-sessions' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; NO_COLOR in the environment means never')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'chatify;admin;revoke-session' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; NO_COLOR in the environment means never')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'chatify;admin;channels' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; NO_COLOR in the environment means never')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'chatify;admin;delete-channel' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; NO_COLOR in the environment means never')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'chatify;admin;purge' {
            [CompletionResult]::new('--before', '--before', [CompletionResultType]::ParameterName, 'Messages before this time: an age (30d), an RFC 3339 time or YYYY-MM-DD [HH:MM]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; NO_COLOR in the environment means never')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'chatify;admin;help' {
            [CompletionResult]::new('users', 'users', [CompletionResultType]::ParameterValue, 'List every account: admin, disabled, saved sessions, channels, created')
            [CompletionResult]::new('disable', 'disable', [CompletionResultType]::ParameterValue, 'Disable an account: it cannot log in and its sessions are revoked (with --live its connections also end at once)')
            [CompletionResult]::new('enable', 'enable', [CompletionResultType]::ParameterValue, 'Enable a disabled account')
            [CompletionResult]::new('disconnect', 'disconnect', [CompletionResultType]::ParameterValue, 'Close every connection of an account now (--live only); it may log in again')
            [CompletionResult]::new('reset-password', 'reset-password', [CompletionResultType]::ParameterValue, 'Set a new password (printed, random) and revoke the account''s sessions')
            [CompletionResult]::new('delete-user', 'delete-user', [CompletionResultType]::ParameterValue, 'Delete an account with its sessions, memberships and roles (its past messages stay)')
            [CompletionResult]::new('grant', 'grant', [CompletionResultType]::ParameterValue, 'Make an account a server admin')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Take server admin away from an account')
            [CompletionResult]::new('sessions', 'sessions', [CompletionResultType]::ParameterValue, 'List saved sessions (short ids, never tokens), of one account or all')
            [CompletionResult]::new('revoke-sessions', 'revoke-sessions', [CompletionResultType]::ParameterValue, 'Revoke every session of an account (with --live its connections also end at once)')
            [CompletionResult]::new('revoke-session', 'revoke-session', [CompletionResultType]::ParameterValue, 'Revoke one session by the id `sessions` shows')
            [CompletionResult]::new('channels', 'channels', [CompletionResultType]::ParameterValue, 'List every channel: mode, owner, members, messages, settings, topic')
            [CompletionResult]::new('delete-channel', 'delete-channel', [CompletionResultType]::ParameterValue, 'Delete a channel with its whole history')
            [CompletionResult]::new('purge', 'purge', [CompletionResultType]::ParameterValue, 'Delete a channel''s messages older than a time, for real (rows, search index, blind tokens)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'chatify;admin;help;users' {
            break
        }
        'chatify;admin;help;disable' {
            break
        }
        'chatify;admin;help;enable' {
            break
        }
        'chatify;admin;help;disconnect' {
            break
        }
        'chatify;admin;help;reset-password' {
            break
        }
        'chatify;admin;help;delete-user' {
            break
        }
        'chatify;admin;help;grant' {
            break
        }
        'chatify;admin;help;revoke' {
            break
        }
        'chatify;admin;help;sessions' {
            break
        }
        'chatify;admin;help;revoke-sessions' {
            break
        }
        'chatify;admin;help;revoke-session' {
            break
        }
        'chatify;admin;help;channels' {
            break
        }
        'chatify;admin;help;delete-channel' {
            break
        }
        'chatify;admin;help;purge' {
            break
        }
        'chatify;admin;help;help' {
            break
        }
        'chatify;logout' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server address (ws://host:port or wss://host:port)')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Your username on the server')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Your username on the server')
            [CompletionResult]::new('--password-file', '--password-file', [CompletionResultType]::ParameterName, 'Read the account password from this file (first line) when there is no saved session')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for the server''s answers')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'For wss://: trust only the CA certificates in this PEM file (a private CA) instead of the system roots; certificates are then never pinned on first use')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; NO_COLOR in the environment means never')
            [CompletionResult]::new('--allow-insecure', '--allow-insecure', [CompletionResultType]::ParameterName, 'Send the password or session token over plain ws:// even to a host that is not this machine (anyone on the network can read them)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'chatify;sessions' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server address (ws://host:port or wss://host:port)')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Your username on the server')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Your username on the server')
            [CompletionResult]::new('--password-file', '--password-file', [CompletionResultType]::ParameterName, 'Read the account password from this file (first line) when there is no saved session')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for the server''s answers')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'For wss://: trust only the CA certificates in this PEM file (a private CA) instead of the system roots; certificates are then never pinned on first use')
            [CompletionResult]::new('--revoke', '--revoke', [CompletionResultType]::ParameterName, 'End the session with this id (from the list) instead of listing')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; NO_COLOR in the environment means never')
            [CompletionResult]::new('--allow-insecure', '--allow-insecure', [CompletionResultType]::ParameterName, 'Send the password or session token over plain ws:// even to a host that is not this machine (anyone on the network can read them)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'chatify;password' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server address (ws://host:port or wss://host:port)')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Your username on the server')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Your username on the server')
            [CompletionResult]::new('--password-file', '--password-file', [CompletionResultType]::ParameterName, 'Read the account password from this file (first line) when there is no saved session')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for the server''s answers')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'For wss://: trust only the CA certificates in this PEM file (a private CA) instead of the system roots; certificates are then never pinned on first use')
            [CompletionResult]::new('--new-password-file', '--new-password-file', [CompletionResultType]::ParameterName, 'Read the new password from this file (first line) instead of asking')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; NO_COLOR in the environment means never')
            [CompletionResult]::new('--allow-insecure', '--allow-insecure', [CompletionResultType]::ParameterName, 'Send the password or session token over plain ws:// even to a host that is not this machine (anyone on the network can read them)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'chatify;bridge' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'The bridge''s config file (see docs/BRIDGE.md and bridge.example.toml)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The bridge''s config file (see docs/BRIDGE.md and bridge.example.toml)')
            [CompletionResult]::new('--password-file', '--password-file', [CompletionResultType]::ParameterName, 'Read the bridge account''s password from the first line of this file')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; NO_COLOR in the environment means never')
            [CompletionResult]::new('--check', '--check', [CompletionResultType]::ParameterName, 'Only check the config file (and passphrase files), then exit')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'chatify;help' {
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run the server (WebSocket, SQLite event store)')
            [CompletionResult]::new('connect', 'connect', [CompletionResultType]::ParameterValue, 'Interactive client: a line-mode REPL with end-to-end encryption')
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'Print a channel''s or DM''s history')
            [CompletionResult]::new('search', 'search', [CompletionResultType]::ParameterValue, 'Search a channel''s messages')
            [CompletionResult]::new('rewind', 'rewind', [CompletionResultType]::ParameterValue, 'Show a channel as it stood at a moment in the past')
            [CompletionResult]::new('migrate', 'migrate', [CompletionResultType]::ParameterValue, 'Upgrade a database''s schema in place (after writing a backup)')
            [CompletionResult]::new('keygen', 'keygen', [CompletionResultType]::ParameterValue, 'Create or show your X25519 identity key')
            [CompletionResult]::new('admin', 'admin', [CompletionResultType]::ParameterValue, 'Administer accounts and channels: on the database file, or live through the server')
            [CompletionResult]::new('logout', 'logout', [CompletionResultType]::ParameterValue, 'End your saved session on the server and forget it here')
            [CompletionResult]::new('sessions', 'sessions', [CompletionResultType]::ParameterValue, 'List your sessions on the server, or end one (--revoke ID)')
            [CompletionResult]::new('password', 'password', [CompletionResultType]::ParameterValue, 'Change your account password; every other session ends')
            [CompletionResult]::new('bridge', 'bridge', [CompletionResultType]::ParameterValue, 'Relay between Discord and chatify channels (needs the discord-bridge build feature)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'chatify;help;serve' {
            break
        }
        'chatify;help;connect' {
            break
        }
        'chatify;help;history' {
            break
        }
        'chatify;help;search' {
            break
        }
        'chatify;help;rewind' {
            break
        }
        'chatify;help;migrate' {
            break
        }
        'chatify;help;keygen' {
            break
        }
        'chatify;help;admin' {
            [CompletionResult]::new('users', 'users', [CompletionResultType]::ParameterValue, 'List every account: admin, disabled, saved sessions, channels, created')
            [CompletionResult]::new('disable', 'disable', [CompletionResultType]::ParameterValue, 'Disable an account: it cannot log in and its sessions are revoked (with --live its connections also end at once)')
            [CompletionResult]::new('enable', 'enable', [CompletionResultType]::ParameterValue, 'Enable a disabled account')
            [CompletionResult]::new('disconnect', 'disconnect', [CompletionResultType]::ParameterValue, 'Close every connection of an account now (--live only); it may log in again')
            [CompletionResult]::new('reset-password', 'reset-password', [CompletionResultType]::ParameterValue, 'Set a new password (printed, random) and revoke the account''s sessions')
            [CompletionResult]::new('delete-user', 'delete-user', [CompletionResultType]::ParameterValue, 'Delete an account with its sessions, memberships and roles (its past messages stay)')
            [CompletionResult]::new('grant', 'grant', [CompletionResultType]::ParameterValue, 'Make an account a server admin')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Take server admin away from an account')
            [CompletionResult]::new('sessions', 'sessions', [CompletionResultType]::ParameterValue, 'List saved sessions (short ids, never tokens), of one account or all')
            [CompletionResult]::new('revoke-sessions', 'revoke-sessions', [CompletionResultType]::ParameterValue, 'Revoke every session of an account (with --live its connections also end at once)')
            [CompletionResult]::new('revoke-session', 'revoke-session', [CompletionResultType]::ParameterValue, 'Revoke one session by the id `sessions` shows')
            [CompletionResult]::new('channels', 'channels', [CompletionResultType]::ParameterValue, 'List every channel: mode, owner, members, messages, settings, topic')
            [CompletionResult]::new('delete-channel', 'delete-channel', [CompletionResultType]::ParameterValue, 'Delete a channel with its whole history')
            [CompletionResult]::new('purge', 'purge', [CompletionResultType]::ParameterValue, 'Delete a channel''s messages older than a time, for real (rows, search index, blind tokens)')
            break
        }
        'chatify;help;admin;users' {
            break
        }
        'chatify;help;admin;disable' {
            break
        }
        'chatify;help;admin;enable' {
            break
        }
        'chatify;help;admin;disconnect' {
            break
        }
        'chatify;help;admin;reset-password' {
            break
        }
        'chatify;help;admin;delete-user' {
            break
        }
        'chatify;help;admin;grant' {
            break
        }
        'chatify;help;admin;revoke' {
            break
        }
        'chatify;help;admin;sessions' {
            break
        }
        'chatify;help;admin;revoke-sessions' {
            break
        }
        'chatify;help;admin;revoke-session' {
            break
        }
        'chatify;help;admin;channels' {
            break
        }
        'chatify;help;admin;delete-channel' {
            break
        }
        'chatify;help;admin;purge' {
            break
        }
        'chatify;help;logout' {
            break
        }
        'chatify;help;sessions' {
            break
        }
        'chatify;help;password' {
            break
        }
        'chatify;help;bridge' {
            break
        }
        'chatify;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
