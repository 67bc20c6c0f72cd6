# export-block.awk -v path=P -v save=FILE CONFIG  > CONFIG-without-P
# Copies a ganesha config to stdout, leaving out the EXPORT block(s) whose Path is P; those
# blocks are written to FILE instead (for the fault drop-export-line and its undo).
# Blocks are delimited by brace depth, so nested FSAL { } / CLIENT { } blocks go with them.
# Keys are case-insensitive and values may be quoted, as in ganesha's own parser.
# The nfsctl marker comment directly above a block goes with the block.
function path_of(line,   v) {
  if (!match(tolower(line), /(^|[^a-z_])path[ \t]*=[ \t]*/)) return ""
  v = substr(line, RSTART + RLENGTH)
  sub(/[ \t]*;.*$/, "", v)
  gsub(/^"|"$/, "", v)
  return v
}
BEGIN { depth = 0; inblk = 0; opened = 0; blk = ""; hit = 0; marker = "" }
# nfsctl writes an ownership marker ("# nfsctl:<namespace>/<name>") on the line above each of its
# blocks: it belongs to the block that follows it
!inblk && marker != "" && tolower($0) !~ /^[ \t]*export[ \t]*(\{|$)/ { print marker; marker = "" }
!inblk && /^[ \t]*#[ \t]*nfsctl:/ { marker = $0; next }
!inblk && tolower($0) ~ /^[ \t]*export[ \t]*(\{|$)/ {
  inblk = 1; opened = 0; hit = 0
  blk = (marker != "" ? marker "\n" : ""); marker = ""
}
inblk {
  blk = blk $0 "\n"
  if (path_of($0) == path) hit = 1
  line = $0
  n = gsub(/\{/, "{", line); m = gsub(/\}/, "}", line)
  depth += n - m
  if (n > 0) opened = 1
  if (opened && depth <= 0) {
    if (hit) printf "%s", blk > save; else printf "%s", blk
    inblk = 0; depth = 0; blk = ""
  }
  next
}
{ print }
END { if (inblk) printf "%s", blk; if (marker != "") print marker }
