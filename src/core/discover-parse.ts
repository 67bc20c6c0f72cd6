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
  const out: VrrpInstance[] = [];
  const stack: string[] = [];
  let cur: VrrpInstance | null = null;
  let last: string[] = [];
  const statement = (w: string[]) => {
    last = w;
    if (!cur || w.length === 0) return;
    const top = stack[stack.length - 1];
    if (stack.length === 1) {
      const [k, v] = w;
      if (k === 'state' && (v === 'MASTER' || v === 'BACKUP')) cur.state = v;
      else if (k === 'interface' && v) cur.interface = v;
      else if (k === 'virtual_router_id' && v && /^\d+$/.test(v)) cur.virtualRouterId = Number(v);
      else if (k === 'priority' && v && /^\d+$/.test(v)) cur.priority = Number(v);
      else if (k === 'unicast_src_ip' && v) cur.unicastSrcIp = v;
    } else if (stack.length === 2 && top === 'unicast_peer') cur.unicastPeers.push(w[0]!);
    else if (stack.length === 2 && top === 'virtual_ipaddress') cur.vips.push(w[0]!.replace(/\/\d+$/, ''));
  };
  for (const toks of tokenize(text)) {
    let words: string[] = [];
    for (const t of toks) {
      if (t === '{') {
        // the block's name: the words before "{" on this line, or the line before ("name\n{")
        const head = words.length ? words : last;
        words = [];
        if (stack.length === 0 && head[0] === 'vrrp_instance' && head[1])
          cur = {
            name: head[1],
            state: null,
            interface: null,
            virtualRouterId: null,
            priority: null,
            unicastSrcIp: null,
            unicastPeers: [],
            vips: [],
          };
        stack.push(head[0] ?? '');
        last = [];
      } else if (t === '}') {
        if (words.length) statement(words);
        words = [];
        const closed = stack.pop();
        if (stack.length === 0 && closed === 'vrrp_instance' && cur) {
          out.push(cur);
          cur = null;
        }
      } else words.push(t);
    }
    if (words.length) statement(words);
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
      const d =
        /^(?:[^@/]+@)?([A-Za-z0-9.:[\]-]+?)::([A-Za-z0-9_.-]+)/.exec(a) ??
        /^rsync:\/\/(?:[^@/]+@)?([A-Za-z0-9.[\]:-]+?)(?::\d+)?\/([A-Za-z0-9_.-]+)/.exec(a);
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
