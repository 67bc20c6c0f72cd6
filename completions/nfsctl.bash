# bash completion for nfsctl. Generated from the nfsctl command tree (`npm run docs`, or
# `nfsctl completion bash`): do not edit by hand.
# Install: copy to /usr/share/bash-completion/completions/nfsctl, or run: source <(nfsctl completion bash)

# _nfsctl_sub PATH WORD: the subcommand WORD (or its alias) names under PATH, in REPLY
_nfsctl_sub() {
  case "$1/$2" in
    '/volume') REPLY=volume ;;
    '/status') REPLY=status ;;
    '/health') REPLY=health ;;
    '/metrics') REPLY=metrics ;;
    '/sync') REPLY=sync ;;
    '/failback') REPLY=failback ;;
    '/switchover') REPLY=switchover ;;
    '/ha') REPLY=ha ;;
    '/troubleshoot-mount') REPLY=troubleshoot-mount ;;
    '/config') REPLY=config ;;
    '/lock') REPLY=lock ;;
    '/log') REPLY=log ;;
    '/rbd') REPLY=rbd ;;
    '/help') REPLY=help ;;
    '/completion') REPLY=completion ;;
    'volume/create') REPLY=create ;;
    'volume/list') REPLY=list ;;
    'volume/ls') REPLY=list ;;
    'volume/show') REPLY=show ;;
    'volume/export') REPLY=export ;;
    'volume/unexport') REPLY=unexport ;;
    'volume/resize') REPLY=resize ;;
    'volume/delete') REPLY=delete ;;
    'volume/adopt') REPLY=adopt ;;
    'volume/reconcile') REPLY=reconcile ;;
    'health/serve') REPLY=serve ;;
    'metrics/install-timer') REPLY=install-timer ;;
    'sync/install-timer') REPLY=install-timer ;;
    'ha/notify') REPLY=notify ;;
    'ha/install') REPLY=install ;;
    'ha/lint') REPLY=lint ;;
    'ha/split-brain') REPLY=split-brain ;;
    'ha split-brain/resolve') REPLY=resolve ;;
    'config/check') REPLY=check ;;
    'config/init') REPLY=init ;;
    'lock/status') REPLY=status ;;
    'lock/break') REPLY=break ;;
    'rbd/lock') REPLY=lock ;;
    'rbd/blocklist') REPLY=blocklist ;;
    'rbd lock/list') REPLY=list ;;
    'rbd lock/ls') REPLY=list ;;
    'rbd lock/remove') REPLY=remove ;;
    'rbd lock/rm') REPLY=remove ;;
    'rbd blocklist/list') REPLY=list ;;
    'rbd blocklist/ls') REPLY=list ;;
    'rbd blocklist/remove') REPLY=remove ;;
    'rbd blocklist/rm') REPLY=remove ;;
    *) return 1 ;;
  esac
}

# _nfsctl_subs PATH: the subcommands of PATH, in REPLY
_nfsctl_subs() {
  REPLY=
  case "$1" in
    '') REPLY='volume status health metrics sync failback switchover ha troubleshoot-mount config lock log rbd help completion' ;;
    'volume') REPLY='create list show export unexport resize delete adopt reconcile' ;;
    'health') REPLY='serve' ;;
    'metrics') REPLY='install-timer' ;;
    'sync') REPLY='install-timer' ;;
    'ha') REPLY='notify install lint split-brain' ;;
    'ha split-brain') REPLY='resolve' ;;
    'config') REPLY='check init' ;;
    'lock') REPLY='status break' ;;
    'rbd') REPLY='lock blocklist' ;;
    'rbd lock') REPLY='list remove' ;;
    'rbd blocklist') REPLY='list remove' ;;
  esac
}

# _nfsctl_opts PATH: the options accepted at PATH, in REPLY
_nfsctl_opts() {
  REPLY=
  case "$1" in
    '') REPLY='-c --config --no-color -V --version -h --help' ;;
    'volume') REPLY='-c --config --no-color -h --help' ;;
    'volume create') REPLY='-c --config --no-color -s --size -b --backend --replication --clients --options -l --label -o --output --access-mode --reclaim-policy --claim --no-claim --storage-class --dry-run -y --yes --json -h --help' ;;
    'volume list') REPLY='-c --config --no-color -l --selector --sort --over -o --output --json -h --help' ;;
    'volume show') REPLY='-c --config --no-color --json -o --output --access-mode --reclaim-policy --claim --no-claim --storage-class -h --help' ;;
    'volume export') REPLY='-c --config --no-color --clients --options --dry-run -y --yes -h --help' ;;
    'volume unexport') REPLY='-c --config --no-color --clients --dry-run -y --yes -h --help' ;;
    'volume resize') REPLY='-c --config --no-color -s --size --dry-run -y --yes --json -h --help' ;;
    'volume delete') REPLY='-c --config --no-color --keep-data --force --ignore-not-found --dry-run -y --yes --json -h --help' ;;
    'volume adopt') REPLY='-c --config --no-color --path --all --pvs --map --replace-cron --dry-run -y --yes --json -h --help' ;;
    'volume reconcile') REPLY='-c --config --no-color --pvs -o --output --json -h --help' ;;
    'status') REPLY='-c --config --no-color --json -h --help' ;;
    'health') REPLY='-c --config --no-color --host -v --verbose --json -h --help' ;;
    'health serve') REPLY='-c --config --no-color --listen --cache-ttl --request-timeout -h --help' ;;
    'metrics') REPLY='-c --config --no-color --textfile -h --help' ;;
    'metrics install-timer') REPLY='-c --config --no-color --interval --dir --nfsctl-path --host --dry-run -y --yes --json -h --help' ;;
    'sync') REPLY='-c --config --no-color --dry-run --max-delete --ssh --skip-unready -y --yes --json -h --help' ;;
    'sync install-timer') REPLY='-c --config --no-color --interval --nfsctl-path --host --dry-run -y --yes --json -h --help' ;;
    'failback') REPLY='-c --config --no-color --dry-run -y --yes --resume --max-delete --verify --skip-unready --resync-wait --json -h --help' ;;
    'switchover') REPLY='-c --config --no-color --dry-run -y --yes --resume --max-delete --verify --skip-unready --resync-wait --json -h --help' ;;
    'ha') REPLY='-c --config --no-color -h --help' ;;
    'ha notify') REPLY='-c --config --no-color --json --planned -h --help' ;;
    'ha install') REPLY='-c --config --no-color --nfsctl-path --host --replace --dry-run -y --yes --json -h --help' ;;
    'ha lint') REPLY='-c --config --no-color -v --verbose --json -h --help' ;;
    'ha split-brain') REPLY='-c --config --no-color --json -h --help' ;;
    'ha split-brain resolve') REPLY='-c --config --no-color --keep --wait --dry-run -y --yes --json -h --help' ;;
    'troubleshoot-mount') REPLY='-c --config --no-color --from --pv --json -h --help' ;;
    'config') REPLY='-c --config --no-color -h --help' ;;
    'config check') REPLY='-c --config --no-color --json -h --help' ;;
    'config init') REPLY='-c --config --no-color --this --address --peer --vip --interface --instance --vg --root --server --rbd-pool --keepalived-conf --dry-run -y --yes -h --help' ;;
    'lock') REPLY='-c --config --no-color -h --help' ;;
    'lock status') REPLY='-c --config --no-color --json -h --help' ;;
    'lock break') REPLY='-c --config --no-color --host --dry-run -y --yes -h --help' ;;
    'log') REPLY='-c --config --no-color -n --lines --plan --commands --json -h --help' ;;
    'rbd') REPLY='-c --config --no-color -h --help' ;;
    'rbd lock') REPLY='-c --config --no-color -h --help' ;;
    'rbd lock list') REPLY='-c --config --no-color --pool --all-pools --no-node-check --json --cluster-conf --id --keyring -h --help' ;;
    'rbd lock remove') REPLY='-c --config --no-color --force --no-blocklist --no-node-check --dry-run -y --yes --cluster-conf --id --keyring -h --help' ;;
    'rbd blocklist') REPLY='-c --config --no-color -h --help' ;;
    'rbd blocklist list') REPLY='-c --config --no-color --json --cluster-conf --id --keyring -h --help' ;;
    'rbd blocklist remove') REPLY='-c --config --no-color --dry-run -y --yes --cluster-conf --id --keyring -h --help' ;;
    'help') REPLY='-c --config --no-color -h --help' ;;
    'completion') REPLY='-c --config --no-color -h --help' ;;
  esac
}

# _nfsctl_optval PATH OPTION: fails for a flag; for an option that takes a value, how the
# value completes (none, files, dyn:KIND or words:A B C), in REPLY
_nfsctl_optval() {
  case "$1|$2" in
    *'|-c'|*'|--config') REPLY='files' ;;
    'volume create|-s'|'volume create|--size') REPLY='none' ;;
    'volume create|-b'|'volume create|--backend') REPLY='words:lvm rbd xfsquota cephfs drbd' ;;
    'volume create|--replication') REPLY='words:rsync drbd' ;;
    'volume create|--clients') REPLY='none' ;;
    'volume create|--options') REPLY='none' ;;
    'volume create|-l'|'volume create|--label') REPLY='none' ;;
    'volume create|-o'|'volume create|--output') REPLY='words:pv-yaml pv-json' ;;
    'volume create|--access-mode') REPLY='none' ;;
    'volume create|--reclaim-policy') REPLY='none' ;;
    'volume create|--claim') REPLY='dyn:volumes' ;;
    'volume create|--storage-class') REPLY='none' ;;
    'volume list|-l'|'volume list|--selector') REPLY='none' ;;
    'volume list|--sort') REPLY='words:name namespace size used' ;;
    'volume list|--over') REPLY='none' ;;
    'volume list|-o'|'volume list|--output') REPLY='words:wide json' ;;
    'volume show|-o'|'volume show|--output') REPLY='words:pv-yaml pv-json' ;;
    'volume show|--access-mode') REPLY='none' ;;
    'volume show|--reclaim-policy') REPLY='none' ;;
    'volume show|--claim') REPLY='dyn:volumes' ;;
    'volume show|--storage-class') REPLY='none' ;;
    'volume export|--clients') REPLY='none' ;;
    'volume export|--options') REPLY='none' ;;
    'volume unexport|--clients') REPLY='none' ;;
    'volume resize|-s'|'volume resize|--size') REPLY='none' ;;
    'volume adopt|--path') REPLY='files' ;;
    'volume adopt|--pvs') REPLY='files' ;;
    'volume adopt|--map') REPLY='files' ;;
    'volume reconcile|--pvs') REPLY='files' ;;
    'volume reconcile|-o'|'volume reconcile|--output') REPLY='words:pv-yaml' ;;
    'health|--host') REPLY='words:primary backup' ;;
    'health serve|--listen') REPLY='none' ;;
    'health serve|--cache-ttl') REPLY='none' ;;
    'health serve|--request-timeout') REPLY='none' ;;
    'metrics|--textfile') REPLY='files' ;;
    'metrics install-timer|--interval') REPLY='none' ;;
    'metrics install-timer|--dir') REPLY='files' ;;
    'metrics install-timer|--nfsctl-path') REPLY='files' ;;
    'metrics install-timer|--host') REPLY='words:primary backup' ;;
    'sync|--max-delete') REPLY='none' ;;
    'sync install-timer|--interval') REPLY='none' ;;
    'sync install-timer|--nfsctl-path') REPLY='files' ;;
    'sync install-timer|--host') REPLY='words:primary backup' ;;
    'failback|--max-delete') REPLY='none' ;;
    'failback|--resync-wait') REPLY='none' ;;
    'switchover|--max-delete') REPLY='none' ;;
    'switchover|--resync-wait') REPLY='none' ;;
    'ha install|--nfsctl-path') REPLY='files' ;;
    'ha install|--host') REPLY='words:primary backup' ;;
    'ha split-brain resolve|--keep') REPLY='words:primary backup' ;;
    'ha split-brain resolve|--wait') REPLY='none' ;;
    'troubleshoot-mount|--from') REPLY='none' ;;
    'troubleshoot-mount|--pv') REPLY='files' ;;
    'config init|--this') REPLY='words:primary backup' ;;
    'config init|--address') REPLY='none' ;;
    'config init|--peer') REPLY='none' ;;
    'config init|--vip') REPLY='none' ;;
    'config init|--interface') REPLY='none' ;;
    'config init|--instance') REPLY='none' ;;
    'config init|--vg') REPLY='none' ;;
    'config init|--root') REPLY='files' ;;
    'config init|--server') REPLY='words:kernel ganesha' ;;
    'config init|--rbd-pool') REPLY='dyn:pools' ;;
    'config init|--keepalived-conf') REPLY='files' ;;
    'lock break|--host') REPLY='dyn:hosts' ;;
    'log|-n'|'log|--lines') REPLY='none' ;;
    'log|--plan') REPLY='none' ;;
    'rbd lock list|--pool') REPLY='dyn:pools' ;;
    'rbd lock list|--cluster-conf') REPLY='files' ;;
    'rbd lock list|--id') REPLY='none' ;;
    'rbd lock list|--keyring') REPLY='files' ;;
    'rbd lock remove|--cluster-conf') REPLY='files' ;;
    'rbd lock remove|--id') REPLY='none' ;;
    'rbd lock remove|--keyring') REPLY='files' ;;
    'rbd blocklist list|--cluster-conf') REPLY='files' ;;
    'rbd blocklist list|--id') REPLY='none' ;;
    'rbd blocklist list|--keyring') REPLY='files' ;;
    'rbd blocklist remove|--cluster-conf') REPLY='files' ;;
    'rbd blocklist remove|--id') REPLY='none' ;;
    'rbd blocklist remove|--keyring') REPLY='files' ;;
    *) REPLY=; return 1 ;;
  esac
}

# _nfsctl_argval PATH INDEX: how positional argument INDEX (from 0) completes, in REPLY
_nfsctl_argval() {
  REPLY=none
  case "$1|$2" in
    'volume create|0') REPLY='dyn:volumes' ;;
    'volume list|0') REPLY='none' ;;
    'volume show|0') REPLY='dyn:volumes' ;;
    'volume export|0') REPLY='dyn:volumes' ;;
    'volume unexport|0') REPLY='dyn:volumes' ;;
    'volume resize|0') REPLY='dyn:volumes' ;;
    'volume delete|0') REPLY='dyn:volumes' ;;
    'volume adopt|0') REPLY='dyn:volumes' ;;
    'ha notify|0') REPLY='none' ;;
    'ha notify|1') REPLY='none' ;;
    'ha notify|2') REPLY='none' ;;
    'ha notify|3') REPLY='none' ;;
    'ha split-brain resolve|0') REPLY='dyn:volumes' ;;
    'troubleshoot-mount|0') REPLY='none' ;;
    'rbd lock list|0') REPLY='dyn:images' ;;
    'rbd lock remove|0') REPLY='dyn:images' ;;
    'rbd lock remove|1') REPLY='none' ;;
    'rbd lock remove|2') REPLY='none' ;;
    'rbd blocklist remove|0') REPLY='none' ;;
    'completion|0') REPLY='words:bash zsh fish' ;;
  esac
  [[ $1 == 'help' ]] && (($2 >= 0)) && REPLY='words:volume status health metrics sync failback switchover ha troubleshoot-mount config lock log rbd help completion exit-codes'
  return 0
}

# Ask nfsctl itself for dynamic values; local state only, and bounded in time anyway.
_nfsctl_call() {
  local cfg=$1 cmd=${COMP_WORDS[0]}
  shift
  [[ $cmd == */* && -x $cmd ]] || cmd=nfsctl
  [[ $cfg == "~/"* ]] && cfg=$HOME/${cfg#"~/"}
  [[ -n $cfg ]] && set -- --config "$cfg" "$@"
  if command -v timeout >/dev/null 2>&1; then
    timeout -k 1 5 "$cmd" "$@" 2>/dev/null </dev/null
  else
    "$cmd" "$@" 2>/dev/null </dev/null
  fi
}

_nfsctl_values() {
  local how=$1 cur=$2 cfg=$3 line
  case $how in
    files)
      compopt -o filenames 2>/dev/null
      mapfile -t COMPREPLY < <(compgen -f -- "$cur")
      ;;
    dyn:*)
      while IFS= read -r line; do
        [[ -n $line && $line == "$cur"* ]] && COMPREPLY+=("$line")
      done < <(_nfsctl_call "$cfg" __complete "${how#dyn:}" "$cur")
      ;;
    words:*)
      mapfile -t COMPREPLY < <(compgen -W "${how#words:}" -- "$cur")
      ;;
  esac
}

_nfsctl() {
  local cur prev words cword
  if declare -F _get_comp_words_by_ref >/dev/null 2>&1; then
    _get_comp_words_by_ref -n =: cur prev words cword
  else
    words=("${COMP_WORDS[@]}") cword=$COMP_CWORD
    cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
  fi
  COMPREPLY=()
  local path= nargs=0 i w last= pending=0 cfg= ddash=0 REPLY
  for ((i = 1; i < cword; i++)); do
    w=${words[i]}
    if ((pending)); then
      pending=0
      [[ $last == -c || $last == --config ]] && cfg=$w
      continue
    fi
    if ((!ddash)) && [[ $w == -* ]]; then
      if [[ $w == -- ]]; then ddash=1; continue; fi
      [[ $w == --config=* ]] && cfg=${w#--config=}
      if [[ $w != *=* ]] && _nfsctl_optval "$path" "$w"; then pending=1 last=$w; fi
      continue
    fi
    if ((nargs == 0)) && _nfsctl_sub "$path" "$w"; then
      path=${path:+$path }$REPLY
      continue
    fi
    nargs=$((nargs + 1))
  done

  local how
  if ((pending)); then
    _nfsctl_optval "$path" "$last"; how=$REPLY
  elif ((!ddash)) && [[ $cur == --*=* ]]; then
    _nfsctl_optval "$path" "${cur%%=*}" || return 0
    how=$REPLY cur=${cur#*=}
  elif ((!ddash)) && [[ $cur == -* ]]; then
    _nfsctl_opts "$path"
    mapfile -t COMPREPLY < <(compgen -W "$REPLY" -- "$cur")
    return 0
  else
    _nfsctl_subs "$path"
    if ((nargs == 0)) && [[ -n $REPLY ]]; then
      mapfile -t COMPREPLY < <(compgen -W "$REPLY" -- "$cur")
      return 0
    fi
    _nfsctl_argval "$path" "$nargs"; how=$REPLY
  fi
  _nfsctl_values "$how" "$cur" "$cfg"
  return 0
}

complete -F _nfsctl nfsctl
