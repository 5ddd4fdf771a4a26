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
complete -c chatify -n "__fish_chatify_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c chatify -n "__fish_chatify_using_subcommand serve" -l color -d 'When to use colour; NO_COLOR in the environment means never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c chatify -n "__fish_chatify_using_subcommand serve" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
complete -c chatify -n "__fish_chatify_using_subcommand serve" -s q -l quiet -d 'Only errors on stderr'
complete -c chatify -n "__fish_chatify_using_subcommand serve" -s h -l help -d 'Print help'
complete -c chatify -n "__fish_chatify_using_subcommand serve" -s V -l version -d 'Print version'
complete -c chatify -n "__fish_chatify_using_subcommand connect" -l color -d 'When to use colour; NO_COLOR in the environment means never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c chatify -n "__fish_chatify_using_subcommand connect" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
complete -c chatify -n "__fish_chatify_using_subcommand connect" -s q -l quiet -d 'Only errors on stderr'
complete -c chatify -n "__fish_chatify_using_subcommand connect" -s h -l help -d 'Print help'
complete -c chatify -n "__fish_chatify_using_subcommand connect" -s V -l version -d 'Print version'
complete -c chatify -n "__fish_chatify_using_subcommand history" -l color -d 'When to use colour; NO_COLOR in the environment means never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c chatify -n "__fish_chatify_using_subcommand history" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
complete -c chatify -n "__fish_chatify_using_subcommand history" -s q -l quiet -d 'Only errors on stderr'
complete -c chatify -n "__fish_chatify_using_subcommand history" -s h -l help -d 'Print help'
complete -c chatify -n "__fish_chatify_using_subcommand history" -s V -l version -d 'Print version'
complete -c chatify -n "__fish_chatify_using_subcommand search" -l color -d 'When to use colour; NO_COLOR in the environment means never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c chatify -n "__fish_chatify_using_subcommand search" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
complete -c chatify -n "__fish_chatify_using_subcommand search" -s q -l quiet -d 'Only errors on stderr'
complete -c chatify -n "__fish_chatify_using_subcommand search" -s h -l help -d 'Print help'
complete -c chatify -n "__fish_chatify_using_subcommand search" -s V -l version -d 'Print version'
complete -c chatify -n "__fish_chatify_using_subcommand rewind" -l color -d 'When to use colour; NO_COLOR in the environment means never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c chatify -n "__fish_chatify_using_subcommand rewind" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
complete -c chatify -n "__fish_chatify_using_subcommand rewind" -s q -l quiet -d 'Only errors on stderr'
complete -c chatify -n "__fish_chatify_using_subcommand rewind" -s h -l help -d 'Print help'
complete -c chatify -n "__fish_chatify_using_subcommand rewind" -s V -l version -d 'Print version'
complete -c chatify -n "__fish_chatify_using_subcommand migrate" -l color -d 'When to use colour; NO_COLOR in the environment means never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c chatify -n "__fish_chatify_using_subcommand migrate" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); logs go to stderr'
complete -c chatify -n "__fish_chatify_using_subcommand migrate" -s q -l quiet -d 'Only errors on stderr'
complete -c chatify -n "__fish_chatify_using_subcommand migrate" -s h -l help -d 'Print help'
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
complete -c chatify -n "__fish_chatify_using_subcommand help; and not __fish_seen_subcommand_from serve connect history search rewind migrate keygen help" -f -a "serve" -d 'Run the server (WebSocket, SQLite event store)'
complete -c chatify -n "__fish_chatify_using_subcommand help; and not __fish_seen_subcommand_from serve connect history search rewind migrate keygen help" -f -a "connect" -d 'Interactive client: a line-mode REPL with end-to-end encryption'
complete -c chatify -n "__fish_chatify_using_subcommand help; and not __fish_seen_subcommand_from serve connect history search rewind migrate keygen help" -f -a "history" -d 'Print a channel\'s or DM\'s history'
complete -c chatify -n "__fish_chatify_using_subcommand help; and not __fish_seen_subcommand_from serve connect history search rewind migrate keygen help" -f -a "search" -d 'Search a channel\'s messages'
complete -c chatify -n "__fish_chatify_using_subcommand help; and not __fish_seen_subcommand_from serve connect history search rewind migrate keygen help" -f -a "rewind" -d 'Show a channel as it stood at a moment in the past'
complete -c chatify -n "__fish_chatify_using_subcommand help; and not __fish_seen_subcommand_from serve connect history search rewind migrate keygen help" -f -a "migrate" -d 'Upgrade a database\'s schema in place (after writing a backup)'
complete -c chatify -n "__fish_chatify_using_subcommand help; and not __fish_seen_subcommand_from serve connect history search rewind migrate keygen help" -f -a "keygen" -d 'Create or show your X25519 identity key'
complete -c chatify -n "__fish_chatify_using_subcommand help; and not __fish_seen_subcommand_from serve connect history search rewind migrate keygen help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
