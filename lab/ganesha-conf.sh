# Sourced by both lab tiers (netns host-config.sh, vm vm.sh): the parts of ganesha.conf their
# storage hosts share. nfsctl owns only the included exports file (one EXPORT block per volume,
# applied at runtime over dbus AddExport/RemoveExport).
GANESHA_EXPORTS=/etc/ganesha/nfsctl/exports.conf

# ganesha_core: NFSv3+4, MNT on the seed's port, no NLM/RQUOTA, no grace period, fs recovery
ganesha_core() {
  cat <<'CORE'
NFS_CORE_PARAM {
    Protocols = 3, 4;
    Enable_NLM = false;
    Enable_RQUOTA = false;
    MNT_Port = 20048;
    # NFSv3 clients mount an export by its Pseudo path: a CephFS export's Path is a path inside
    # CephFS (/volumes/...), while clients mount /nfs/<volume> as with every other backend
    Mount_Path_Pseudo = true;
}
NFSV4 {
    # no 90 s grace period after a (re)start or failover
    Graceless = true;
    RecoveryBackend = fs;
}
LOG {
    Default_Log_Level = EVENT;
}
CORE
}

# ganesha_include: the line that reads nfsctl's exports; ganesha_exports_header: that file, empty
ganesha_include() { printf '%%include "%s"\n' "$GANESHA_EXPORTS"; }
ganesha_exports_header() { printf '%s\n' '# Managed by nfsctl: one EXPORT block per volume. Do not edit by hand.'; }
