// Pure parsers `config init` reads an existing pair with: every vrrp_instance of a
// keepalived.conf (state, interface, router id, priority, unicast peers, VIPs), and the rsync
// lines of a crontab (the old pair's backup pulled /nfs from the primary that way).

export interface VrrpInstance {
  name: string;
  state: 'MASTER' | 'BACKUP' | null;
  interface: string | null;
  virtualRouterId: number | null;
  priority: number | null;
  unicastSrcIp: string | null;
  unicastPeers: string[];
  /** Addresses of virtual_ipaddress, without the "/prefix" and options ("dev eth0", "label ..."). */
  vips: string[];
}

type Tok = string;

/** keepalived's tokens: "#" and "!" start a comment, braces are tokens, a double-quoted string is one token. */
function tokenize(text: string): Tok[][] {
  const lines: Tok[][] = [];
  for (const raw of text.split(/\r?\n/)) {
    const toks: Tok[] = [];
    const re = /"([^"]*)"|([{}])|([^\s{}"#!]+)|([#!].*$)/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(raw))) {
      if (m[4] !== undefined) break;
      toks.push(m[1] ?? m[2] ?? m[3]!);
    }
    if (toks.length) lines.push(toks);
  }
  return lines;
}

/** Every vrrp_instance block, in file order. `include` lines are not followed (the caller reads included files). */
export function parseVrrpInstances(text: string): VrrpInstance[] {
  const lines = tokenize(text);
  const out: VrrpInstance[] = [];
  let cur: VrrpInstance | null = null;
  let depth = 0;
  let sub: string | null = null; // the sub-block of the instance we are in
  for (const toks of lines) {
    for (let i = 0; i < toks.length; i++) {
      const t = toks[i]!;
      if (t === '{') {
        depth++;
        continue;
      }
      if (t === '}') {
        depth--;
        if (cur && depth === 1) sub = null;
        if (cur && depth === 0) {
          out.push(cur);
          cur = null;
        }
        continue;
      }
      if (!cur && depth === 0 && t === 'vrrp_instance' && toks[i + 1]) {
        cur = { name: toks[i + 1]!, state: null, interface: null, virtualRouterId: null, priority: null, unicastSrcIp: null, unicastPeers: [], vips: [] };
        i++;
        continue;
      }
      if (!cur) continue;
      if (depth === 1 && i === 0) {
        const v = toks[1];
        if ((t === 'unicast_peer' || t === 'virtual_ipaddress') && toks.includes('{')) {
          sub = t;
          break; // the rest of the line is "{" (counted below)
        }
        if (t === 'state' && (v === 'MASTER' || v === 'BACKUP')) cur.state = v;
        else if (t === 'interface' && v) cur.interface = v;
        else if (t === 'virtual_router_id' && v && /^\d+$/.test(v)) cur.virtualRouterId = Number(v);
        else if (t === 'priority' && v && /^\d+$/.test(v)) cur.priority = Number(v);
        else if (t === 'unicast_src_ip' && v) cur.unicastSrcIp = v;
        break;
      }
      if (depth === 2 && i === 0 && sub) {
        if (sub === 'unicast_peer') cur.unicastPeers.push(t);
        else cur.vips.push(t.replace(/\/\d+$/, ''));
        break;
      }
    }
    // a "{" at the end of a line that opened a sub-block (the loop above broke before it)
    if (cur && sub && depth === 1 && toks[0] === sub && toks.includes('{')) depth++;
  }
  return out;
}

export interface CronRsync {
  /** The five schedule fields. */
  schedule: string;
  /** The user field of /etc/crontab and /etc/cron.d lines (null for a user crontab). */
  user: string | null;
  command: string;
  /** "host::module/path" or "rsync://host/module/path": host and module; "host:path" (over ssh): host only. */
  host: string | null;
  module: string | null;
  /** The last non-option argument. */
  dest: string | null;
}

/**
 * The rsync lines of a crontab. `systemWide`: /etc/crontab and /etc/cron.d files carry a user
 * field after the schedule. Arguments are split on whitespace (quotes are not interpreted:
 * the fields read here never need them).
 */
export function parseCronRsync(text: string, systemWide: boolean): CronRsync[] {
  const out: CronRsync[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || /^[A-Za-z_][A-Za-z0-9_]*=/.test(line)) continue;
    const f = line.split(/\s+/);
    let schedule: string;
    let rest: string[];
    if (f[0]!.startsWith('@')) {
      schedule = f[0]!;
      rest = f.slice(1);
    } else {
      if (f.length < 6) continue;
      schedule = f.slice(0, 5).join(' ');
      rest = f.slice(5);
    }
    const user = systemWide ? (rest.shift() ?? null) : null;
    const command = rest.join(' ');
    const ri = rest.findIndex((w) => /(^|\/)rsync$/.test(w));
    if (ri < 0) continue;
    const args = rest.slice(ri + 1).filter((a) => !a.startsWith('-'));
    let host: string | null = null;
    let module: string | null = null;
    for (const a of args) {
      const d = /^(?:[^@/]+@)?([A-Za-z0-9.:[\]-]+?)::([A-Za-z0-9_.-]+)/.exec(a) ?? /^rsync:\/\/(?:[^@/]+@)?([A-Za-z0-9.[\]:-]+?)(?::\d+)?\/([A-Za-z0-9_.-]+)/.exec(a);
      if (d) {
        host = d[1]!;
        module = d[2]!;
        break;
      }
      const s = /^(?:[^@/]+@)?([A-Za-z0-9.-]+):(\/.*)$/.exec(a);
      if (s) {
        host = s[1]!;
        break;
      }
    }
    out.push({ schedule, user, command, host, module, dest: args.length ? args[args.length - 1]! : null });
  }
  return out;
}
