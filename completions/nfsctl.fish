# fish completion for nfsctl. Generated from the nfsctl command tree (`npm run docs`, or
# `nfsctl completion fish`): do not edit by hand.
# Install: copy to /usr/share/fish/vendor_completions.d/nfsctl.fish (or ~/.config/fish/completions/),
#   or run: nfsctl completion fish | source

# __nfsctl_sub PATH WORD: the subcommand WORD (or its alias) names under PATH
function __nfsctl_sub --argument-names path word
    switch "$path/$word"
        case '/volume'
            echo volume
        case '/health'
            echo health
        case '/config'
            echo config
        case '/lock'
            echo lock
        case '/log'
            echo log
        case '/help'
            echo help
        case '/completion'
            echo completion
        case 'volume/create'
            echo create
        case 'volume/list' 'volume/ls'
            echo list
        case 'volume/show'
            echo show
        case 'volume/export'
            echo export
        case 'volume/unexport'
            echo unexport
        case 'volume/resize'
            echo resize
        case 'volume/delete'
            echo delete
        case 'config/check'
            echo check
        case 'lock/status'
            echo status
        case 'lock/break'
            echo break
        case '*'
            return 1
    end
end

# __nfsctl_optval PATH OPTION: fails for a flag; for an option that takes a value, prints
# how the value completes (none, files, dyn:KIND, words:A B C)
function __nfsctl_optval --argument-names path opt
    switch "$path|$opt"
        case '*|-c' '*|--config'
            echo 'files'
        case 'volume create|-s' 'volume create|--size'
            echo 'none'
        case 'volume create|-b' 'volume create|--backend'
            echo 'words:lvm rbd xfsquota'
        case 'volume create|--clients'
            echo 'none'
        case 'volume create|--options'
            echo 'none'
        case 'volume create|-l' 'volume create|--label'
            echo 'none'
        case 'volume create|-o' 'volume create|--output'
            echo 'words:pv-yaml pv-json'
        case 'volume export|--clients'
            echo 'none'
        case 'volume export|--options'
            echo 'none'
        case 'volume unexport|--clients'
            echo 'none'
        case 'volume resize|-s' 'volume resize|--size'
            echo 'none'
        case 'health|--host'
            echo 'words:primary backup'
        case 'lock break|--host'
            echo 'dyn:hosts'
        case 'log|-n' 'log|--lines'
            echo 'none'
        case 'log|--plan'
            echo 'none'
        case '*'
            return 1
    end
end

# The command line so far: prints the command path, the number of positional arguments,
# the --config value (or an empty line) and 1 when the next word is an option's value.
function __nfsctl_state
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l path ''
    set -l nargs 0
    set -l pending 0
    set -l last ''
    set -l cfg ''
    set -l ddash 0
    for w in $tokens
        if test $pending = 1
            set pending 0
            if contains -- $last -c --config
                set cfg $w
            end
            continue
        end
        if test $ddash = 0; and string match -q -- '-*' $w
            if test "$w" = '--'
                set ddash 1
                continue
            end
            if string match -q -- '--config=*' $w
                set cfg (string replace -- '--config=' '' $w)
            end
            if not string match -q -- '*=*' $w; and __nfsctl_optval "$path" $w >/dev/null
                set pending 1
                set last $w
            end
            continue
        end
        if test $nargs = 0; and set -l sub (__nfsctl_sub "$path" $w)
            set path (string trim -- "$path $sub")
            continue
        end
        set nargs (math $nargs + 1)
    end
    printf '%s\n' "$path" $nargs "$cfg" $pending
end

# True when the command path is exactly $argv[1].
function __nfsctl_at --argument-names want
    set -l s (__nfsctl_state)
    test "$s[1]" = "$want"
end

# True at command path $argv[1] when the next word is positional argument $argv[2]
# (a number, or N+ for N and later).
function __nfsctl_at_arg --argument-names want n
    set -l s (__nfsctl_state)
    test "$s[1]" = "$want"; and test "$s[4]" = 0; or return 1
    if string match -q -- '*+' $n
        test $s[2] -ge (string replace -- '+' '' $n)
    else
        test $s[2] -eq $n
    end
end

# Dynamic values (volumes, hosts, pools, images) from `nfsctl __complete`: local state
# only, and bounded in time anyway.
function __nfsctl_dyn --argument-names kind
    set -l s (__nfsctl_state)
    set -l cmd (commandline -opc)[1]
    string match -q -- '*/*' $cmd; and test -x "$cmd"; or set cmd nfsctl
    set -l call $cmd
    if test -n "$s[3]"
        set call $call --config $s[3]
    end
    if command -q timeout
        set call timeout 3 $call
    end
    set -l prefix (string replace -r -- '^--?[^=]*=' '' (commandline -ct))
    $call __complete $kind "$prefix" 2>/dev/null </dev/null
end
complete -c nfsctl -f
complete -c nfsctl -s c -l config -r -F -d 'config file (default: $NFSCTL_CONFIG or /etc/nfsctl/config.yaml)'
complete -c nfsctl -l no-color -d 'no colour in output (also: NO_COLOR=1)'
complete -c nfsctl -n '__nfsctl_at ""' -s V -l version -d 'print the nfsctl version'
complete -c nfsctl -n '__nfsctl_at ""' -s h -l help -d 'display help for command'
complete -c nfsctl -n '__nfsctl_at "volume"' -s h -l help -d 'display help for command'
complete -c nfsctl -n '__nfsctl_at "volume create"' -s s -l size -x -d 'size in binary units: 500M, 10G (=10Gi), 1.5T; K=1024'
complete -c nfsctl -n '__nfsctl_at "volume create"' -s b -l backend -x -a 'lvm rbd xfsquota' -d 'storage backend (default: backends.default)'
complete -c nfsctl -n '__nfsctl_at "volume create"' -l clients -x -d 'NFS clients allowed (repeatable or comma-separated; default: nfs.clients)'
complete -c nfsctl -n '__nfsctl_at "volume create"' -l options -x -d 'export options, comma-separated (default: nfs.options)'
complete -c nfsctl -n '__nfsctl_at "volume create"' -s l -l label -x -d 'label recorded with the volume and put on the PV (repeatable)'
complete -c nfsctl -n '__nfsctl_at "volume create"' -s o -l output -x -a 'pv-yaml pv-json' -d 'print the PersistentVolume'
complete -c nfsctl -n '__nfsctl_at "volume create"' -l dry-run -d 'show the plan and change nothing'
complete -c nfsctl -n '__nfsctl_at "volume create"' -s y -l yes -d 'do not ask for confirmation'
complete -c nfsctl -n '__nfsctl_at "volume create"' -l json -d 'print the result as JSON'
complete -c nfsctl -n '__nfsctl_at "volume create"' -s h -l help -d 'display help for command'
complete -c nfsctl -n '__nfsctl_at "volume list"' -l json -d 'print volumes as JSON (documented in the man page)'
complete -c nfsctl -n '__nfsctl_at "volume list"' -s h -l help -d 'display help for command'
complete -c nfsctl -n '__nfsctl_at "volume show"' -l json -d 'print it as JSON'
complete -c nfsctl -n '__nfsctl_at "volume show"' -s h -l help -d 'display help for command'
complete -c nfsctl -n '__nfsctl_at "volume export"' -l clients -x -d 'NFS clients allowed (repeatable or comma-separated; default: nfs.clients)'
complete -c nfsctl -n '__nfsctl_at "volume export"' -l options -x -d 'export options, comma-separated (default: nfs.options)'
complete -c nfsctl -n '__nfsctl_at "volume export"' -l dry-run -d 'show the plan and change nothing'
complete -c nfsctl -n '__nfsctl_at "volume export"' -s y -l yes -d 'do not ask for confirmation'
complete -c nfsctl -n '__nfsctl_at "volume export"' -s h -l help -d 'display help for command'
complete -c nfsctl -n '__nfsctl_at "volume unexport"' -l clients -x -d 'only stop exporting to these clients (repeatable or comma-separated)'
complete -c nfsctl -n '__nfsctl_at "volume unexport"' -l dry-run -d 'show the plan and change nothing'
complete -c nfsctl -n '__nfsctl_at "volume unexport"' -s y -l yes -d 'do not ask for confirmation'
complete -c nfsctl -n '__nfsctl_at "volume unexport"' -s h -l help -d 'display help for command'
complete -c nfsctl -n '__nfsctl_at "volume resize"' -s s -l size -x -d 'new total size, binary units (20G = 20Gi)'
complete -c nfsctl -n '__nfsctl_at "volume resize"' -l dry-run -d 'show the plan and change nothing'
complete -c nfsctl -n '__nfsctl_at "volume resize"' -s y -l yes -d 'do not ask for confirmation'
complete -c nfsctl -n '__nfsctl_at "volume resize"' -l json -d 'print the result as JSON'
complete -c nfsctl -n '__nfsctl_at "volume resize"' -s h -l help -d 'display help for command'
complete -c nfsctl -n '__nfsctl_at "volume delete"' -l keep-data -d 'stop exporting and unmount, but keep the storage (Retain)'
complete -c nfsctl -n '__nfsctl_at "volume delete"' -l force -d 'go ahead although NFS clients are connected or the mount is busy'
complete -c nfsctl -n '__nfsctl_at "volume delete"' -l dry-run -d 'show the plan and change nothing'
complete -c nfsctl -n '__nfsctl_at "volume delete"' -s y -l yes -d 'do not ask (scripts); otherwise you type the volume name'
complete -c nfsctl -n '__nfsctl_at "volume delete"' -l json -d 'print the result as JSON'
complete -c nfsctl -n '__nfsctl_at "volume delete"' -s h -l help -d 'display help for command'
complete -c nfsctl -n '__nfsctl_at "health"' -l host -x -a 'primary backup' -d 'only this host'
complete -c nfsctl -n '__nfsctl_at "health"' -s v -l verbose -d 'list the checks that passed too'
complete -c nfsctl -n '__nfsctl_at "health"' -l json -d 'print {"health": "ok"|"warn"|"critical", "checks": [...]}'
complete -c nfsctl -n '__nfsctl_at "health"' -s h -l help -d 'display help for command'
complete -c nfsctl -n '__nfsctl_at "config"' -s h -l help -d 'display help for command'
complete -c nfsctl -n '__nfsctl_at "config check"' -l json -d 'print the effective configuration as JSON'
complete -c nfsctl -n '__nfsctl_at "config check"' -s h -l help -d 'display help for command'
complete -c nfsctl -n '__nfsctl_at "lock"' -s h -l help -d 'display help for command'
complete -c nfsctl -n '__nfsctl_at "lock status"' -l json -d 'print the lock state as JSON'
complete -c nfsctl -n '__nfsctl_at "lock status"' -s h -l help -d 'display help for command'
complete -c nfsctl -n '__nfsctl_at "lock break"' -l host -x -a '(__nfsctl_dyn hosts)' -d 'only on this host (primary or backup)'
complete -c nfsctl -n '__nfsctl_at "lock break"' -s y -l yes -d 'do not ask for confirmation'
complete -c nfsctl -n '__nfsctl_at "lock break"' -s h -l help -d 'display help for command'
complete -c nfsctl -n '__nfsctl_at "log"' -s n -l lines -x -d 'how many entries'
complete -c nfsctl -n '__nfsctl_at "log"' -l plan -x -d 'only entries of this plan'
complete -c nfsctl -n '__nfsctl_at "log"' -l json -d 'print entries as a JSON array'
complete -c nfsctl -n '__nfsctl_at "log"' -s h -l help -d 'display help for command'
complete -c nfsctl -n '__nfsctl_at "help"' -s h -l help -d 'display help for command'
complete -c nfsctl -n '__nfsctl_at "completion"' -s h -l help -d 'display help for command'
complete -c nfsctl -n '__nfsctl_at_arg "" 0' -a volume -d 'create, export, list, resize and delete persistent volumes on both storage hosts'
complete -c nfsctl -n '__nfsctl_at_arg "" 0' -a health -d 'check the whole pair in parallel (NFS, exports, volumes, VIP, sync, space, Ceph, firewall); exit 0 only when healthy'
complete -c nfsctl -n '__nfsctl_at_arg "" 0' -a config -d 'inspect and validate the nfsctl configuration'
complete -c nfsctl -n '__nfsctl_at_arg "" 0' -a lock -d 'inspect or clear the pair lock that keeps two operators from changing the pair at once'
complete -c nfsctl -n '__nfsctl_at_arg "" 0' -a log -d 'show recent audit log entries (who ran what, where, and how it ended)'
complete -c nfsctl -n '__nfsctl_at_arg "" 0' -a help -d 'help for a command, or a topic: exit-codes'
complete -c nfsctl -n '__nfsctl_at_arg "" 0' -a completion -d 'print the shell completion script for bash, zsh or fish'
complete -c nfsctl -n '__nfsctl_at_arg "volume" 0' -a create -d 'create a volume on both storage hosts, export it, and optionally print its PersistentVolume'
complete -c nfsctl -n '__nfsctl_at_arg "volume" 0' -a list -d 'list every volume on the pair, both hosts merged, with drift between them'
complete -c nfsctl -n '__nfsctl_at_arg "volume" 0' -a show -d 'everything nfsctl knows about one volume, per host'
complete -c nfsctl -n '__nfsctl_at_arg "volume" 0' -a export -d 'export a volume (again) on both hosts, or change its clients and options'
complete -c nfsctl -n '__nfsctl_at_arg "volume" 0' -a unexport -d 'stop exporting a volume on both hosts (or only to some clients); its data stays'
complete -c nfsctl -n '__nfsctl_at_arg "volume" 0' -a resize -d 'grow a volume on both hosts (shrinking is refused: XFS cannot shrink)'
complete -c nfsctl -n '__nfsctl_at_arg "volume" 0' -a delete -d 'unexport, unmount and destroy a volume on both hosts (or retire it with --keep-data)'
complete -c nfsctl -n '__nfsctl_at_arg "config" 0' -a check -d 'validate the config file and print the effective configuration (defaults filled in)'
complete -c nfsctl -n '__nfsctl_at_arg "lock" 0' -a status -d 'show whether the pair lock is held, by whom, and whether the holder is still running'
complete -c nfsctl -n '__nfsctl_at_arg "lock" 0' -a break -d 'remove the pair lock left by a run that died (audited; asks first)'
complete -c nfsctl -n '__nfsctl_at_arg "volume create" 0' -a '(__nfsctl_dyn volumes)'
complete -c nfsctl -n '__nfsctl_at_arg "volume show" 0' -a '(__nfsctl_dyn volumes)'
complete -c nfsctl -n '__nfsctl_at_arg "volume export" 0' -a '(__nfsctl_dyn volumes)'
complete -c nfsctl -n '__nfsctl_at_arg "volume unexport" 0' -a '(__nfsctl_dyn volumes)'
complete -c nfsctl -n '__nfsctl_at_arg "volume resize" 0' -a '(__nfsctl_dyn volumes)'
complete -c nfsctl -n '__nfsctl_at_arg "volume delete" 0' -a '(__nfsctl_dyn volumes)'
complete -c nfsctl -n '__nfsctl_at_arg "help" 0+' -a 'volume health config lock log help completion exit-codes'
complete -c nfsctl -n '__nfsctl_at_arg "completion" 0' -a 'bash zsh fish'
