# fish completion for nfsctl. Generated from the nfsctl command tree (`npm run docs`, or
# `nfsctl completion fish`): do not edit by hand.
# Install: copy to /usr/share/fish/vendor_completions.d/nfsctl.fish (or ~/.config/fish/completions/),
#   or run: nfsctl completion fish | source

# __nfsctl_sub PATH WORD: the subcommand WORD (or its alias) names under PATH
function __nfsctl_sub --argument-names path word
    switch "$path/$word"
        case '/volume'
            echo volume
        case '/status'
            echo status
        case '/health'
            echo health
        case '/metrics'
            echo metrics
        case '/sync'
            echo sync
        case '/failback'
            echo failback
        case '/switchover'
            echo switchover
        case '/ha'
            echo ha
        case '/troubleshoot-mount'
            echo troubleshoot-mount
        case '/config'
            echo config
        case '/lock'
            echo lock
        case '/log'
            echo log
        case '/rbd'
            echo rbd
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
        case 'volume/adopt'
            echo adopt
        case 'volume/reconcile'
            echo reconcile
        case 'health/serve'
            echo serve
        case 'metrics/install-timer'
            echo install-timer
        case 'sync/install-timer'
            echo install-timer
        case 'ha/notify'
            echo notify
        case 'ha/install'
            echo install
        case 'ha/lint'
            echo lint
        case 'ha/split-brain'
            echo split-brain
        case 'ha split-brain/resolve'
            echo resolve
        case 'config/check'
            echo check
        case 'config/init'
            echo init
        case 'lock/status'
            echo status
        case 'lock/break'
            echo break
        case 'rbd/lock'
            echo lock
        case 'rbd/blocklist'
            echo blocklist
        case 'rbd lock/list' 'rbd lock/ls'
            echo list
        case 'rbd lock/remove' 'rbd lock/rm'
            echo remove
        case 'rbd blocklist/list' 'rbd blocklist/ls'
            echo list
        case 'rbd blocklist/remove' 'rbd blocklist/rm'
            echo remove
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
            echo 'words:lvm rbd xfsquota cephfs drbd'
        case 'volume create|--replication'
            echo 'words:rsync drbd'
        case 'volume create|--clients'
            echo 'none'
        case 'volume create|--options'
            echo 'none'
        case 'volume create|-l' 'volume create|--label'
            echo 'none'
        case 'volume create|-o' 'volume create|--output'
            echo 'words:pv-yaml pv-json'
        case 'volume create|--access-mode'
            echo 'none'
        case 'volume create|--reclaim-policy'
            echo 'none'
        case 'volume create|--claim'
            echo 'dyn:volumes'
        case 'volume create|--storage-class'
            echo 'none'
        case 'volume list|-l' 'volume list|--selector'
            echo 'none'
        case 'volume list|--sort'
            echo 'words:name namespace size used'
        case 'volume list|--over'
            echo 'none'
        case 'volume list|-o' 'volume list|--output'
            echo 'words:wide json'
        case 'volume show|-o' 'volume show|--output'
            echo 'words:pv-yaml pv-json'
        case 'volume show|--access-mode'
            echo 'none'
        case 'volume show|--reclaim-policy'
            echo 'none'
        case 'volume show|--claim'
            echo 'dyn:volumes'
        case 'volume show|--storage-class'
            echo 'none'
        case 'volume export|--clients'
            echo 'none'
        case 'volume export|--options'
            echo 'none'
        case 'volume unexport|--clients'
            echo 'none'
        case 'volume resize|-s' 'volume resize|--size'
            echo 'none'
        case 'volume adopt|--path'
            echo 'files'
        case 'volume adopt|--pvs'
            echo 'files'
        case 'volume adopt|--map'
            echo 'files'
        case 'volume reconcile|--pvs'
            echo 'files'
        case 'volume reconcile|-o' 'volume reconcile|--output'
            echo 'words:pv-yaml'
        case 'health|--host'
            echo 'words:primary backup'
        case 'health serve|--listen'
            echo 'none'
        case 'health serve|--cache-ttl'
            echo 'none'
        case 'health serve|--request-timeout'
            echo 'none'
        case 'metrics|--textfile'
            echo 'files'
        case 'metrics install-timer|--interval'
            echo 'none'
        case 'metrics install-timer|--dir'
            echo 'files'
        case 'metrics install-timer|--nfsctl-path'
            echo 'files'
        case 'metrics install-timer|--host'
            echo 'words:primary backup'
        case 'sync|--max-delete'
            echo 'none'
        case 'sync install-timer|--interval'
            echo 'none'
        case 'sync install-timer|--nfsctl-path'
            echo 'files'
        case 'sync install-timer|--host'
            echo 'words:primary backup'
        case 'failback|--max-delete'
            echo 'none'
        case 'failback|--resync-wait'
            echo 'none'
        case 'switchover|--max-delete'
            echo 'none'
        case 'switchover|--resync-wait'
            echo 'none'
        case 'ha install|--nfsctl-path'
            echo 'files'
        case 'ha install|--host'
            echo 'words:primary backup'
        case 'ha split-brain resolve|--keep'
            echo 'words:primary backup'
        case 'ha split-brain resolve|--wait'
            echo 'none'
        case 'troubleshoot-mount|--from'
            echo 'none'
        case 'troubleshoot-mount|--pv'
            echo 'files'
        case 'config init|--this'
            echo 'words:primary backup'
        case 'config init|--address'
            echo 'none'
        case 'config init|--peer'
            echo 'none'
        case 'config init|--vip'
            echo 'none'
        case 'config init|--interface'
            echo 'none'
        case 'config init|--instance'
            echo 'none'
        case 'config init|--vg'
            echo 'none'
        case 'config init|--root'
            echo 'files'
        case 'config init|--server'
            echo 'words:kernel ganesha'
        case 'config init|--rbd-pool'
            echo 'dyn:pools'
        case 'config init|--keepalived-conf'
            echo 'files'
        case 'lock break|--host'
            echo 'dyn:hosts'
        case 'log|-n' 'log|--lines'
            echo 'none'
        case 'log|--plan'
            echo 'none'
        case 'rbd lock list|--pool'
            echo 'dyn:pools'
        case 'rbd lock list|--cluster-conf'
            echo 'files'
        case 'rbd lock list|--id'
            echo 'none'
        case 'rbd lock list|--keyring'
            echo 'files'
        case 'rbd lock remove|--cluster-conf'
            echo 'files'
        case 'rbd lock remove|--id'
            echo 'none'
        case 'rbd lock remove|--keyring'
            echo 'files'
        case 'rbd blocklist list|--cluster-conf'
            echo 'files'
        case 'rbd blocklist list|--id'
            echo 'none'
        case 'rbd blocklist list|--keyring'
            echo 'files'
        case 'rbd blocklist remove|--cluster-conf'
            echo 'files'
        case 'rbd blocklist remove|--id'
            echo 'none'
        case 'rbd blocklist remove|--keyring'
            echo 'files'
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
        set call timeout -k 1 5 $call
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
complete -c nfsctl -n '__nfsctl_at "volume create"' -s b -l backend -x -a 'lvm rbd xfsquota cephfs drbd' -d 'storage backend (default: backends.default)'
complete -c nfsctl -n '__nfsctl_at "volume create"' -l replication -x -a 'rsync drbd' -d 'lvm volumes: rsync (a copy per host, synced by nfsctl sync) or drbd (DRBD replicates every write, protocol C); default backends.lvm.replication'
complete -c nfsctl -n '__nfsctl_at "volume create"' -l clients -x -d 'NFS clients allowed (repeatable or comma-separated; default: nfs.clients)'
complete -c nfsctl -n '__nfsctl_at "volume create"' -l options -x -d 'export options, comma-separated (default: nfs.options)'
complete -c nfsctl -n '__nfsctl_at "volume create"' -s l -l label -x -d 'label recorded with the volume and put on the PV (repeatable)'
complete -c nfsctl -n '__nfsctl_at "volume create"' -s o -l output -x -a 'pv-yaml pv-json' -d 'print the PersistentVolume'
complete -c nfsctl -n '__nfsctl_at "volume create"' -l access-mode -x -d 'PV access mode: RWO, ROX, RWX (repeatable; default RWX)'
complete -c nfsctl -n '__nfsctl_at "volume create"' -l reclaim-policy -x -d 'PV reclaim policy: Retain (default) or Delete; Recycle is refused'
complete -c nfsctl -n '__nfsctl_at "volume create"' -l claim -x -a '(__nfsctl_dyn volumes)' -d 'the claim the PV is pre-bound to (default: the namespace/name of the volume)'
complete -c nfsctl -n '__nfsctl_at "volume create"' -l no-claim -d 'an unbound PV with the labels of the volume, for claims that select by label'
complete -c nfsctl -n '__nfsctl_at "volume create"' -l storage-class -x -d 'PV storageClassName (default: "")'
complete -c nfsctl -n '__nfsctl_at "volume create"' -l dry-run -d 'show the plan and change nothing'
complete -c nfsctl -n '__nfsctl_at "volume create"' -s y -l yes -d 'do not ask for confirmation'
complete -c nfsctl -n '__nfsctl_at "volume create"' -l json -d 'print the result as JSON'
complete -c nfsctl -n '__nfsctl_at "volume create"' -s h -l help -d 'display help for command'
complete -c nfsctl -n '__nfsctl_at "volume list"' -s l -l selector -x -d 'only volumes whose labels match, as kubectl reads it: k=v, k!=v, "k in (a,b)", "k notin (a,b)", k, !k (comma-separated, all must match)'
complete -c nfsctl -n '__nfsctl_at "volume list"' -l sort -x -a 'name namespace size used' -d 'order: name, namespace (default), size or used (size and used: biggest/fullest first; used is use%)'
complete -c nfsctl -n '__nfsctl_at "volume list"' -l over -x -d 'only volumes more than this full, e.g. 80% (volumes whose use is unknown are left out, and counted)'
complete -c nfsctl -n '__nfsctl_at "volume list"' -s o -l output -x -a 'wide json' -d 'wide: also inodes, where the use figure comes from, labels and path; json: as --json'
complete -c nfsctl -n '__nfsctl_at "volume list"' -l json -d 'print volumes as JSON (documented in the man page)'
complete -c nfsctl -n '__nfsctl_at "volume list"' -s h -l help -d 'display help for command'
complete -c nfsctl -n '__nfsctl_at "volume show"' -l json -d 'print it as JSON'
complete -c nfsctl -n '__nfsctl_at "volume show"' -s o -l output -x -a 'pv-yaml pv-json' -d 'print the PersistentVolume of the volume instead'
complete -c nfsctl -n '__nfsctl_at "volume show"' -l access-mode -x -d 'PV access mode: RWO, ROX, RWX (repeatable; default RWX, or ROX for a read-only export)'
complete -c nfsctl -n '__nfsctl_at "volume show"' -l reclaim-policy -x -d 'PV reclaim policy: Retain (default) or Delete; Recycle is refused'
complete -c nfsctl -n '__nfsctl_at "volume show"' -l claim -x -a '(__nfsctl_dyn volumes)' -d 'the claim the PV is pre-bound to (default: the namespace/name of the volume)'
complete -c nfsctl -n '__nfsctl_at "volume show"' -l no-claim -d 'an unbound PV with the labels of the volume, for claims that select by label'
complete -c nfsctl -n '__nfsctl_at "volume show"' -l storage-class -x -d 'PV storageClassName (default: "")'
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
complete -c nfsctl -n '__nfsctl_at "volume delete"' -l force -d 'go ahead although NFS clients are connected, the mount is busy, or (ganesha) the server cannot tell who mounts it'
complete -c nfsctl -n '__nfsctl_at "volume delete"' -l ignore-not-found -d 'exit 0 when the volume does not exist (otherwise exit 4)'
complete -c nfsctl -n '__nfsctl_at "volume delete"' -l dry-run -d 'show the plan and change nothing'
complete -c nfsctl -n '__nfsctl_at "volume delete"' -s y -l yes -d 'do not ask (scripts); otherwise you type the volume name'
complete -c nfsctl -n '__nfsctl_at "volume delete"' -l json -d 'print the result as JSON'
complete -c nfsctl -n '__nfsctl_at "volume delete"' -s h -l help -d 'display help for command'
complete -c nfsctl -n '__nfsctl_at "volume adopt"' -l path -r -F -d 'the directory of the volume (default: the path nfs.pathTemplate gives the name)'
complete -c nfsctl -n '__nfsctl_at "volume adopt"' -l all -d 'adopt every unmanaged volume that is consistent on both hosts (names from --pvs/--map, or the only possible split)'
complete -c nfsctl -n '__nfsctl_at "volume adopt"' -l pvs -r -F -d 'the PVs of the cluster (`kubectl get pv -o json`; - for stdin): the claim bound to a path names its volume'
complete -c nfsctl -n '__nfsctl_at "volume adopt"' -l map -r -F -d 'a mapping file: one "<path> <namespace>/<name>" per line'
complete -c nfsctl -n '__nfsctl_at "volume adopt"' -l replace-cron -d 'also turn off the old rsync pull found in a crontab (that exact line only, undoable) and install the nfsctl sync timer instead, so the two never run side by side'
complete -c nfsctl -n '__nfsctl_at "volume adopt"' -l dry-run -d 'show the plan and change nothing'
complete -c nfsctl -n '__nfsctl_at "volume adopt"' -s y -l yes -d 'do not ask for confirmation'
complete -c nfsctl -n '__nfsctl_at "volume adopt"' -l json -d 'print the result as JSON'
complete -c nfsctl -n '__nfsctl_at "volume adopt"' -s h -l help -d 'display help for command'
complete -c nfsctl -n '__nfsctl_at "volume reconcile"' -l pvs -r -F -d 'the output of `kubectl get pv -o json` (- for stdin); PVs for other NFS servers are ignored'
complete -c nfsctl -n '__nfsctl_at "volume reconcile"' -s o -l output -x -a 'pv-yaml' -d 'print the PVs that should exist instead of the report'
complete -c nfsctl -n '__nfsctl_at "volume reconcile"' -l json -d 'print the findings as JSON'
complete -c nfsctl -n '__nfsctl_at "volume reconcile"' -s h -l help -d 'display help for command'
complete -c nfsctl -n '__nfsctl_at "status"' -l json -d 'print the status as JSON (shape documented in README, "nfsctl status")'
complete -c nfsctl -n '__nfsctl_at "status"' -s h -l help -d 'display help for command'
complete -c nfsctl -n '__nfsctl_at "health"' -l host -x -a 'primary backup' -d 'only this host'
complete -c nfsctl -n '__nfsctl_at "health"' -s v -l verbose -d 'list the checks that passed too'
complete -c nfsctl -n '__nfsctl_at "health"' -l json -d 'print {"health": "ok"|"warn"|"critical", "checks": [...]}'
complete -c nfsctl -n '__nfsctl_at "health"' -s h -l help -d 'display help for command'
complete -c nfsctl -n '__nfsctl_at "health serve"' -l listen -x -d 'where to listen: IPv4:PORT or [IPv6]:PORT (default: health.listen, 127.0.0.1:9655)'
complete -c nfsctl -n '__nfsctl_at "health serve"' -l cache-ttl -x -d 'answer from one round of checks for this long, e.g. 10s (default: health.cacheTtl)'
complete -c nfsctl -n '__nfsctl_at "health serve"' -l request-timeout -x -d 'a client must send its whole request within this, e.g. 10s'
complete -c nfsctl -n '__nfsctl_at "health serve"' -s h -l help -d 'display help for command'
complete -c nfsctl -n '__nfsctl_at "metrics"' -l textfile -r -F -d 'write <dir>/nfsctl.prom atomically for node_exporter\'s textfile collector instead of printing'
complete -c nfsctl -n '__nfsctl_at "metrics"' -s h -l help -d 'display help for command'
complete -c nfsctl -n '__nfsctl_at "metrics install-timer"' -l interval -x -d 'how often, e.g. 1m or 5m'
complete -c nfsctl -n '__nfsctl_at "metrics install-timer"' -l dir -r -F -d 'node_exporter\'s textfile directory'
complete -c nfsctl -n '__nfsctl_at "metrics install-timer"' -l nfsctl-path -r -F -d 'nfsctl as cron should run it'
complete -c nfsctl -n '__nfsctl_at "metrics install-timer"' -l host -x -a 'primary backup' -d 'where to install it (default: this host, from `this:` in the config; else the primary)'
complete -c nfsctl -n '__nfsctl_at "metrics install-timer"' -l dry-run -d 'show the diff and the plan, change nothing'
complete -c nfsctl -n '__nfsctl_at "metrics install-timer"' -s y -l yes -d 'do not ask'
complete -c nfsctl -n '__nfsctl_at "metrics install-timer"' -l json -d 'print the result as JSON'
complete -c nfsctl -n '__nfsctl_at "metrics install-timer"' -s h -l help -d 'display help for command'
complete -c nfsctl -n '__nfsctl_at "sync"' -l dry-run -d 'show what would be copied and deleted (itemised) and change nothing'
complete -c nfsctl -n '__nfsctl_at "sync"' -l max-delete -x -d 'refuse when more than n paths would be deleted (default 500)'
complete -c nfsctl -n '__nfsctl_at "sync"' -l ssh -d 'pull over SSH instead of the rsync daemon module'
complete -c nfsctl -n '__nfsctl_at "sync"' -l skip-unready -d 'go on with the other volumes when a volume is not mounted on its own device on both hosts (default: refuse)'
complete -c nfsctl -n '__nfsctl_at "sync"' -s y -l yes -d 'do not ask (the timer uses this)'
complete -c nfsctl -n '__nfsctl_at "sync"' -l json -d 'print the sync record as JSON'
complete -c nfsctl -n '__nfsctl_at "sync"' -s h -l help -d 'display help for command'
complete -c nfsctl -n '__nfsctl_at "sync install-timer"' -l interval -x -d 'how often, e.g. 15m or 1h (default: rsync.interval from the config)'
complete -c nfsctl -n '__nfsctl_at "sync install-timer"' -l nfsctl-path -r -F -d 'nfsctl as cron should run it'
complete -c nfsctl -n '__nfsctl_at "sync install-timer"' -l host -x -a 'primary backup' -d 'where to install it'
complete -c nfsctl -n '__nfsctl_at "sync install-timer"' -l dry-run -d 'show the diff and the plan, change nothing'
complete -c nfsctl -n '__nfsctl_at "sync install-timer"' -s y -l yes -d 'do not ask'
complete -c nfsctl -n '__nfsctl_at "sync install-timer"' -l json -d 'print the result as JSON'
complete -c nfsctl -n '__nfsctl_at "sync install-timer"' -s h -l help -d 'display help for command'
complete -c nfsctl -n '__nfsctl_at "failback"' -l dry-run -d 'run the preflight, show the plan and the itemised sync preview, change nothing'
complete -c nfsctl -n '__nfsctl_at "failback"' -s y -l yes -d 'do not ask (otherwise you type the name "primary")'
complete -c nfsctl -n '__nfsctl_at "failback"' -l resume -d 'continue an interrupted failback from its last completed step (journal on both hosts)'
complete -c nfsctl -n '__nfsctl_at "failback"' -l max-delete -x -d 'refuse when a sync would delete more than n paths on the primary (default 500)'
complete -c nfsctl -n '__nfsctl_at "failback"' -l verify -d 'compare sha256 checksums of every file, not only names and sizes'
complete -c nfsctl -n '__nfsctl_at "failback"' -l skip-unready -d 'go on with the other volumes when a volume is not mounted on its own device on both hosts; those are NOT copied (default: refuse)'
complete -c nfsctl -n '__nfsctl_at "failback"' -l resync-wait -x -d 'DRBD volumes: wait up to this long for a resync under way before anything changes (default 10m; a longer ETA is refused with its figures)'
complete -c nfsctl -n '__nfsctl_at "failback"' -l json -d 'print the result as JSON'
complete -c nfsctl -n '__nfsctl_at "failback"' -s h -l help -d 'display help for command'
complete -c nfsctl -n '__nfsctl_at "switchover"' -l dry-run -d 'run the preflight, show the plan, change nothing'
complete -c nfsctl -n '__nfsctl_at "switchover"' -s y -l yes -d 'do not ask (otherwise you type the name "backup")'
complete -c nfsctl -n '__nfsctl_at "switchover"' -l resume -d 'continue an interrupted switchover'
complete -c nfsctl -n '__nfsctl_at "switchover"' -l max-delete -x -d 'refuse when a sync would delete more than n paths on the backup (default 500)'
complete -c nfsctl -n '__nfsctl_at "switchover"' -l verify -d 'compare sha256 checksums of every file'
complete -c nfsctl -n '__nfsctl_at "switchover"' -l skip-unready -d 'go on with the other volumes when a volume is not mounted on its own device on both hosts; those are NOT copied (default: refuse)'
complete -c nfsctl -n '__nfsctl_at "switchover"' -l resync-wait -x -d 'DRBD volumes: wait up to this long for a resync under way before anything changes (default 10m; a longer ETA is refused with its figures)'
complete -c nfsctl -n '__nfsctl_at "switchover"' -l json -d 'print the result as JSON'
complete -c nfsctl -n '__nfsctl_at "switchover"' -s h -l help -d 'display help for command'
complete -c nfsctl -n '__nfsctl_at "ha"' -s h -l help -d 'display help for command'
complete -c nfsctl -n '__nfsctl_at "ha notify"' -l json -d 'print the record as JSON'
complete -c nfsctl -n '__nfsctl_at "ha notify"' -l planned -d 'run by switchover/failback, not by keepalived: only the volumes that follow the VIP (no freshness record, no sm-notify: the handover does those)'
complete -c nfsctl -n '__nfsctl_at "ha notify"' -s h -l help -d 'display help for command'
complete -c nfsctl -n '__nfsctl_at "ha install"' -l nfsctl-path -r -F -d 'nfsctl as keepalived should run it'
complete -c nfsctl -n '__nfsctl_at "ha install"' -l host -x -a 'primary backup' -d 'only this host'
complete -c nfsctl -n '__nfsctl_at "ha install"' -l replace -d 'replace an existing, different notify script'
complete -c nfsctl -n '__nfsctl_at "ha install"' -l dry-run -d 'show the diff and the plan, change nothing'
complete -c nfsctl -n '__nfsctl_at "ha install"' -s y -l yes -d 'do not ask'
complete -c nfsctl -n '__nfsctl_at "ha install"' -l json -d 'print the result as JSON'
complete -c nfsctl -n '__nfsctl_at "ha install"' -s h -l help -d 'display help for command'
complete -c nfsctl -n '__nfsctl_at "ha lint"' -s v -l verbose -d 'list the checks that passed too'
complete -c nfsctl -n '__nfsctl_at "ha lint"' -l json -d 'print {"lint": "ok"|"warn"|"critical", "findings": [...]}'
complete -c nfsctl -n '__nfsctl_at "ha lint"' -s h -l help -d 'display help for command'
complete -c nfsctl -n '__nfsctl_at "ha split-brain"' -l json -d 'print {"vipHolder", "volumes": [...]}'
complete -c nfsctl -n '__nfsctl_at "ha split-brain"' -s h -l help -d 'display help for command'
complete -c nfsctl -n '__nfsctl_at "ha split-brain resolve"' -l keep -x -a 'primary backup' -d 'whose data is kept (required)'
complete -c nfsctl -n '__nfsctl_at "ha split-brain resolve"' -l wait -x -d 'how long to wait for the resync (default 30m)'
complete -c nfsctl -n '__nfsctl_at "ha split-brain resolve"' -l dry-run -d 'show the plan, change nothing'
complete -c nfsctl -n '__nfsctl_at "ha split-brain resolve"' -s y -l yes -d 'do not ask (otherwise you type the volume id)'
complete -c nfsctl -n '__nfsctl_at "ha split-brain resolve"' -l json -d 'print the result as JSON'
complete -c nfsctl -n '__nfsctl_at "ha split-brain resolve"' -s h -l help -d 'display help for command'
complete -c nfsctl -n '__nfsctl_at "troubleshoot-mount"' -l from -x -d 'run the client-side probes and the trial mount on this node over SSH: [user@]node[:port] (user and port default to those of the pair); default: this host'
complete -c nfsctl -n '__nfsctl_at "troubleshoot-mount"' -l pv -r -F -d 'also check this PersistentVolume (the output of kubectl get pv <name> -o yaml|json) points at the volume through the VIP'
complete -c nfsctl -n '__nfsctl_at "troubleshoot-mount"' -l json -d 'print the findings as JSON'
complete -c nfsctl -n '__nfsctl_at "troubleshoot-mount"' -s h -l help -d 'display help for command'
complete -c nfsctl -n '__nfsctl_at "config"' -s h -l help -d 'display help for command'
complete -c nfsctl -n '__nfsctl_at "config check"' -l json -d 'print the effective configuration as JSON'
complete -c nfsctl -n '__nfsctl_at "config check"' -s h -l help -d 'display help for command'
complete -c nfsctl -n '__nfsctl_at "config init"' -l this -x -a 'primary backup' -d 'which pair member this host is (default: from the keepalived state)'
complete -c nfsctl -n '__nfsctl_at "config init"' -l address -x -d 'the address of this host (default: keepalived unicast_src_ip)'
complete -c nfsctl -n '__nfsctl_at "config init"' -l peer -x -d 'the address of the other storage host (default: keepalived unicast_peer)'
complete -c nfsctl -n '__nfsctl_at "config init"' -l vip -x -d 'the virtual IP (default: virtual_ipaddress of the instance)'
complete -c nfsctl -n '__nfsctl_at "config init"' -l interface -x -d 'the VIP interface (default: interface of the instance)'
complete -c nfsctl -n '__nfsctl_at "config init"' -l instance -x -d 'the vrrp_instance that holds the VIP (default: the only one with a VIP)'
complete -c nfsctl -n '__nfsctl_at "config init"' -l vg -x -d 'the volume group of the volumes (default: the only VG)'
complete -c nfsctl -n '__nfsctl_at "config init"' -l root -r -F -d 'the NFS root the volumes are mounted under (default: /nfs)'
complete -c nfsctl -n '__nfsctl_at "config init"' -l server -x -a 'kernel ganesha' -d 'NFS server (default: the one running)'
complete -c nfsctl -n '__nfsctl_at "config init"' -l rbd-pool -x -a '(__nfsctl_dyn pools)' -d 'also manage RBD volumes in this Ceph pool'
complete -c nfsctl -n '__nfsctl_at "config init"' -l keepalived-conf -r -F -d 'keepalived config to read'
complete -c nfsctl -n '__nfsctl_at "config init"' -l dry-run -d 'print the config and write nothing'
complete -c nfsctl -n '__nfsctl_at "config init"' -s y -l yes -d 'do not ask for confirmation'
complete -c nfsctl -n '__nfsctl_at "config init"' -s h -l help -d 'display help for command'
complete -c nfsctl -n '__nfsctl_at "lock"' -s h -l help -d 'display help for command'
complete -c nfsctl -n '__nfsctl_at "lock status"' -l json -d 'print the lock state as JSON'
complete -c nfsctl -n '__nfsctl_at "lock status"' -s h -l help -d 'display help for command'
complete -c nfsctl -n '__nfsctl_at "lock break"' -l host -x -a '(__nfsctl_dyn hosts)' -d 'only on this host (primary or backup); default: both'
complete -c nfsctl -n '__nfsctl_at "lock break"' -l dry-run -d 'show what would be removed and change nothing'
complete -c nfsctl -n '__nfsctl_at "lock break"' -s y -l yes -d 'do not ask for confirmation'
complete -c nfsctl -n '__nfsctl_at "lock break"' -s h -l help -d 'display help for command'
complete -c nfsctl -n '__nfsctl_at "log"' -s n -l lines -x -d 'how many operations'
complete -c nfsctl -n '__nfsctl_at "log"' -l plan -x -d 'only the operation with this plan id'
complete -c nfsctl -n '__nfsctl_at "log"' -l commands -d 'list the commands, file writes and failed steps behind each operation'
complete -c nfsctl -n '__nfsctl_at "log"' -l json -d 'print the operations, each with its audit records, as a JSON array'
complete -c nfsctl -n '__nfsctl_at "log"' -s h -l help -d 'display help for command'
complete -c nfsctl -n '__nfsctl_at "rbd"' -s h -l help -d 'display help for command'
complete -c nfsctl -n '__nfsctl_at "rbd lock"' -s h -l help -d 'display help for command'
complete -c nfsctl -n '__nfsctl_at "rbd lock list"' -l pool -x -a '(__nfsctl_dyn pools)' -d 'every locked image in this pool (default: config backends.rbd.pool)'
complete -c nfsctl -n '__nfsctl_at "rbd lock list"' -l all-pools -d 'every pool with the rbd application enabled'
complete -c nfsctl -n '__nfsctl_at "rbd lock list"' -l no-node-check -d 'do not try to reach the node a kubelet lock names (verdict stays unknown unless live)'
complete -c nfsctl -n '__nfsctl_at "rbd lock list"' -l json -d 'print the result as JSON (shape: README "RBD locks")'
complete -c nfsctl -n '__nfsctl_at "rbd lock list"' -l cluster-conf -r -F -d 'ceph.conf on the storage host (default: config backends.rbd.cephConf)'
complete -c nfsctl -n '__nfsctl_at "rbd lock list"' -l id -x -d 'cephx user (default: config backends.rbd.id, else admin)'
complete -c nfsctl -n '__nfsctl_at "rbd lock list"' -l keyring -r -F -d 'keyring for --id (default: config backends.rbd.keyring when --id is the configured one)'
complete -c nfsctl -n '__nfsctl_at "rbd lock list"' -s h -l help -d 'display help for command'
complete -c nfsctl -n '__nfsctl_at "rbd lock remove"' -l force -d 'remove the lock although its holder still watches the image'
complete -c nfsctl -n '__nfsctl_at "rbd lock remove"' -l no-blocklist -d 'do not blocklist the locker (rbd_blocklist_on_break_lock=false for this call)'
complete -c nfsctl -n '__nfsctl_at "rbd lock remove"' -l no-node-check -d 'do not try to reach the node a kubelet lock names'
complete -c nfsctl -n '__nfsctl_at "rbd lock remove"' -l dry-run -d 'show the verdict, the fencing and the plan, change nothing'
complete -c nfsctl -n '__nfsctl_at "rbd lock remove"' -s y -l yes -d 'do not ask (scripts); otherwise you type the image name'
complete -c nfsctl -n '__nfsctl_at "rbd lock remove"' -l cluster-conf -r -F -d 'ceph.conf on the storage host (default: config backends.rbd.cephConf)'
complete -c nfsctl -n '__nfsctl_at "rbd lock remove"' -l id -x -d 'cephx user (default: config backends.rbd.id, else admin)'
complete -c nfsctl -n '__nfsctl_at "rbd lock remove"' -l keyring -r -F -d 'keyring for --id (default: config backends.rbd.keyring when --id is the configured one)'
complete -c nfsctl -n '__nfsctl_at "rbd lock remove"' -s h -l help -d 'display help for command'
complete -c nfsctl -n '__nfsctl_at "rbd blocklist"' -s h -l help -d 'display help for command'
complete -c nfsctl -n '__nfsctl_at "rbd blocklist list"' -l json -d 'print the result as JSON'
complete -c nfsctl -n '__nfsctl_at "rbd blocklist list"' -l cluster-conf -r -F -d 'ceph.conf on the storage host (default: config backends.rbd.cephConf)'
complete -c nfsctl -n '__nfsctl_at "rbd blocklist list"' -l id -x -d 'cephx user (default: config backends.rbd.id, else admin)'
complete -c nfsctl -n '__nfsctl_at "rbd blocklist list"' -l keyring -r -F -d 'keyring for --id (default: config backends.rbd.keyring when --id is the configured one)'
complete -c nfsctl -n '__nfsctl_at "rbd blocklist list"' -s h -l help -d 'display help for command'
complete -c nfsctl -n '__nfsctl_at "rbd blocklist remove"' -l dry-run -d 'show the entry and the plan, change nothing'
complete -c nfsctl -n '__nfsctl_at "rbd blocklist remove"' -s y -l yes -d 'do not ask for confirmation'
complete -c nfsctl -n '__nfsctl_at "rbd blocklist remove"' -l cluster-conf -r -F -d 'ceph.conf on the storage host (default: config backends.rbd.cephConf)'
complete -c nfsctl -n '__nfsctl_at "rbd blocklist remove"' -l id -x -d 'cephx user (default: config backends.rbd.id, else admin)'
complete -c nfsctl -n '__nfsctl_at "rbd blocklist remove"' -l keyring -r -F -d 'keyring for --id (default: config backends.rbd.keyring when --id is the configured one)'
complete -c nfsctl -n '__nfsctl_at "rbd blocklist remove"' -s h -l help -d 'display help for command'
complete -c nfsctl -n '__nfsctl_at "help"' -s h -l help -d 'display help for command'
complete -c nfsctl -n '__nfsctl_at "completion"' -s h -l help -d 'display help for command'
complete -c nfsctl -n '__nfsctl_at_arg "" 0' -a volume -d 'create, export, list, resize and delete persistent volumes on both storage hosts'
complete -c nfsctl -n '__nfsctl_at_arg "" 0' -a status -d 'show the pair: VIP holder, keepalived and NFS on each host, last sync, which host holds the newest data, operations under way, warnings'
complete -c nfsctl -n '__nfsctl_at_arg "" 0' -a health -d 'check the whole pair in parallel (NFS, exports, volumes, VIP, sync, space, Ceph, firewall); exit 0 only when healthy'
complete -c nfsctl -n '__nfsctl_at_arg "" 0' -a metrics -d 'print the pair\'s state in the Prometheus text format (volumes\' size, use, inodes, export state and drift; hosts\' reachability, VIP, services, last good sync; every health check); exit 0 whatever the pair\'s health'
complete -c nfsctl -n '__nfsctl_at_arg "" 0' -a sync -d 'pull the NFS root into the host without the VIP from the VIP holder (rsync), with a deletion cap; refused (exit 4, naming what would be lost) when the destination served clients more recently than the source\'s data (no override: use failback)'
complete -c nfsctl -n '__nfsctl_at_arg "" 0' -a failback -d 'move the VIP back to the primary after an outage without losing what clients wrote to the backup; the only way a stale primary serves again (its stale mark is cleared after the verified final sync)'
complete -c nfsctl -n '__nfsctl_at_arg "" 0' -a switchover -d 'planned move of the VIP from the primary to the backup (maintenance): sync, freeze, final sync, move; the primary is then marked stale until failback'
complete -c nfsctl -n '__nfsctl_at_arg "" 0' -a ha -d 'keepalived integration: the notify hook, its installation, and a lint of what a takeover depends on'
complete -c nfsctl -n '__nfsctl_at_arg "" 0' -a troubleshoot-mount -d 'walk the chain from disk to client for one volume (or, with rbd:pool/image, from the Ceph cluster to a node for an RBD PV kubelet maps) and stop at the first broken link, with the fix'
complete -c nfsctl -n '__nfsctl_at_arg "" 0' -a config -d 'inspect and validate the nfsctl configuration'
complete -c nfsctl -n '__nfsctl_at_arg "" 0' -a lock -d 'inspect or clear the pair lock that keeps two operators from changing the pair at once'
complete -c nfsctl -n '__nfsctl_at_arg "" 0' -a log -d 'show recent operations, one line each (when, who, on which host, what, result, plan id), merged from the audit logs of both hosts'
complete -c nfsctl -n '__nfsctl_at_arg "" 0' -a rbd -d 'find and clear stale RBD advisory locks (kubelet) and the blocklist entries they leave'
complete -c nfsctl -n '__nfsctl_at_arg "" 0' -a help -d 'help for a command, or a topic: exit-codes'
complete -c nfsctl -n '__nfsctl_at_arg "" 0' -a completion -d 'print the shell completion script for bash, zsh or fish'
complete -c nfsctl -n '__nfsctl_at_arg "volume" 0' -a create -d 'create a volume on both storage hosts, export it, and optionally print its PersistentVolume'
complete -c nfsctl -n '__nfsctl_at_arg "volume" 0' -a list -d 'list every volume on the pair, both hosts merged, with use against size and drift between them'
complete -c nfsctl -n '__nfsctl_at_arg "volume" 0' -a show -d 'everything nfsctl knows about one volume, per host'
complete -c nfsctl -n '__nfsctl_at_arg "volume" 0' -a export -d 'export a volume (again) on both hosts, or change its clients and options'
complete -c nfsctl -n '__nfsctl_at_arg "volume" 0' -a unexport -d 'stop exporting a volume on both hosts (or only to some clients); its data stays, and a full unexport is recorded in its metadata as a chosen state, not drift (volume export clears it)'
complete -c nfsctl -n '__nfsctl_at_arg "volume" 0' -a resize -d 'grow a volume on both hosts (shrinking is refused: XFS cannot shrink)'
complete -c nfsctl -n '__nfsctl_at_arg "volume" 0' -a delete -d 'unexport, unmount and destroy a volume on both hosts (or retire it with --keep-data: recorded in its metadata as a chosen state, not drift); only what carries the nfsctl metadata of this volume is touched: anything else at its place is refused with exit 4'
complete -c nfsctl -n '__nfsctl_at_arg "volume" 0' -a adopt -d 'take over volumes nfsctl did not create (an LV mounted under the NFS root with its fstab entry and export line), on both hosts, without clients noticing'
complete -c nfsctl -n '__nfsctl_at_arg "volume" 0' -a reconcile -d 'compare the volumes of the pair with the PVs of the cluster (read-only): orphans, dangling PVs, size mismatches, UDP/NFSv2 mount options, Released PVs whose volume can be retired'
complete -c nfsctl -n '__nfsctl_at_arg "health" 0' -a serve -d 'answer GET / and /health with {"health": "ok"} (200; "warn" 200, "critical" 503, with the checks that are not ok) and GET /metrics with the metrics, one round of checks per health.cacheTtl; runs until SIGTERM'
complete -c nfsctl -n '__nfsctl_at_arg "metrics" 0' -a install-timer -d 'install a cron entry (/etc/cron.d/nfsctl-metrics) that runs `nfsctl metrics --textfile DIR`, showing the diff first'
complete -c nfsctl -n '__nfsctl_at_arg "sync" 0' -a install-timer -d 'install the periodic sync as a cron entry (/etc/cron.d/nfsctl-sync) on the backup, showing the diff first'
complete -c nfsctl -n '__nfsctl_at_arg "ha" 0' -a notify -d 'keepalived notify hook (INSTANCE|GROUP name MASTER|BACKUP|FAULT|STOP [priority]): RBD volumes follow the VIP; acts only for the configured vrrp_instance (any other name or a GROUP: nothing done, exit 0), one notify at a time per host (flock on <stateDir>/vrrp/notify.lock); records when this host serves; refuses MASTER on a primary whose data is older than the backup\'s'
complete -c nfsctl -n '__nfsctl_at_arg "ha" 0' -a install -d 'add `notify "nfsctl ha notify"` and the freshness track_file (a stale host stays in FAULT) to keepalived.conf\'s vrrp_instance on both hosts, showing the diff first'
complete -c nfsctl -n '__nfsctl_at_arg "ha" 0' -a lint -d 'check on both hosts what a takeover depends on (fsid of every export, nfsd scope, grace/lease, keepalived roles and priorities, nopreempt, notify hook, sync timer and its last run, pinned mountd/statd/lockd ports from nfs.conf, RPCMOUNTDOPTS/STATDOPTS in /etc/default or the lockd sysctl, sm-notify and rpc.statd installed, NFSv4 client records kept the same way on both); each finding with its fix; exit 1 when anything needs attention'
complete -c nfsctl -n '__nfsctl_at_arg "ha" 0' -a split-brain -d 'DRBD volumes: show per volume what diverged (each host\'s role, connection and disk state, where the VIP is, what each side marks out of sync); exit 1 when a split brain is found. nfsctl never resolves one by itself'
complete -c nfsctl -n '__nfsctl_at_arg "ha split-brain" 0' -a resolve -d 'resolve a DRBD split brain of one volume: keep one host\'s data, discard the other\'s changes since the split (unexport, unmount, drbdadm disconnect, secondary, connect --discard-my-data there; connect on the kept side), wait for the resync, then the VIP holder serves it again; you type the volume id to confirm'
complete -c nfsctl -n '__nfsctl_at_arg "config" 0' -a check -d 'validate the config file and print the effective configuration (defaults filled in)'
complete -c nfsctl -n '__nfsctl_at_arg "config" 0' -a init -d 'draft the config from what this storage host has (keepalived.conf, VGs, NFS server and exports, the crontab rsync pull, Ceph, systemd); shown first, written only after a diff and confirmation'
complete -c nfsctl -n '__nfsctl_at_arg "lock" 0' -a status -d 'show whether the pair lock is held, by whom, and whether the holder is still running'
complete -c nfsctl -n '__nfsctl_at_arg "lock" 0' -a break -d 'remove the pair lock left by a run that died, on both hosts unless --host (audited; asks first)'
complete -c nfsctl -n '__nfsctl_at_arg "rbd" 0' -a lock -d 'list RBD advisory locks with a stale/live verdict, remove stale ones'
complete -c nfsctl -n '__nfsctl_at_arg "rbd" 0' -a blocklist -d 'list or lift OSD blocklist entries (fenced client instances)'
complete -c nfsctl -n '__nfsctl_at_arg "rbd lock" 0' -a list -d 'list RBD advisory locks with their watchers and a stale/live/unknown verdict'
complete -c nfsctl -n '__nfsctl_at_arg "rbd lock" 0' -a remove -d 'remove a stale RBD advisory lock (explains the blocklisting first; asks you to type the image name)'
complete -c nfsctl -n '__nfsctl_at_arg "rbd blocklist" 0' -a list -d 'list the OSD blocklist (clients fenced, e.g. by a removed lock) and when each entry expires'
complete -c nfsctl -n '__nfsctl_at_arg "rbd blocklist" 0' -a remove -d 'lift one blocklist entry before it expires (audited; asks first)'
complete -c nfsctl -n '__nfsctl_at_arg "volume create" 0' -a '(__nfsctl_dyn volumes)'
complete -c nfsctl -n '__nfsctl_at_arg "volume show" 0' -a '(__nfsctl_dyn volumes)'
complete -c nfsctl -n '__nfsctl_at_arg "volume export" 0' -a '(__nfsctl_dyn volumes)'
complete -c nfsctl -n '__nfsctl_at_arg "volume unexport" 0' -a '(__nfsctl_dyn volumes)'
complete -c nfsctl -n '__nfsctl_at_arg "volume resize" 0' -a '(__nfsctl_dyn volumes)'
complete -c nfsctl -n '__nfsctl_at_arg "volume delete" 0' -a '(__nfsctl_dyn volumes)'
complete -c nfsctl -n '__nfsctl_at_arg "volume adopt" 0' -a '(__nfsctl_dyn volumes)'
complete -c nfsctl -n '__nfsctl_at_arg "ha split-brain resolve" 0' -a '(__nfsctl_dyn volumes)'
complete -c nfsctl -n '__nfsctl_at_arg "rbd lock list" 0' -a '(__nfsctl_dyn images)'
complete -c nfsctl -n '__nfsctl_at_arg "rbd lock remove" 0' -a '(__nfsctl_dyn images)'
complete -c nfsctl -n '__nfsctl_at_arg "help" 0+' -a 'volume status health metrics sync failback switchover ha troubleshoot-mount config lock log rbd help completion exit-codes'
complete -c nfsctl -n '__nfsctl_at_arg "completion" 0' -a 'bash zsh fish'
