// OpenSSH known_hosts(5) reading and host-key matching, so nfsctl verifies SSH host keys
// exactly as `ssh -o StrictHostKeyChecking=yes` would: an unknown key or a changed key is
// an error, never silently accepted. Host certificates (@cert-authority) are not supported:
// such an entry is named in the refusal; @revoked keys are always refused.
import { createHmac, createHash } from 'node:crypto';

export interface KnownHostEntry {
  marker?: '@revoked' | '@cert-authority';
  /** Plain patterns (host, [host]:port, wildcards) or one hashed pattern. */
  patterns: string[];
  hashed?: { salt: Buffer; hash: Buffer };
  keyType: string;
  /** The key blob (SSH wire format), as base64 in the file. */
  key: Buffer;
  line: number;
}

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0] === '@revoked' || fields[0] === '@cert-authority')
      marker = fields.shift() as KnownHostEntry['marker'];
    const [hosts, keyType, keyB64] = fields;
    if (!hosts || !keyType || !keyB64) return; // malformed lines are skipped, as ssh does
    const entry: KnownHostEntry = { patterns: [], keyType, key: Buffer.from(keyB64, 'base64'), line: i + 1 };
    if (marker) entry.marker = marker;
    if (hosts.startsWith('|1|')) {
      const [, , salt, hash] = hosts.split('|');
      if (!salt || !hash) return;
      entry.hashed = { salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64') };
    } else {
      entry.patterns = hosts.split(',');
    }
    entries.push(entry);
  });
  return entries;
}

/** The name ssh looks up: `host` on port 22, `[host]:port` otherwise. */
export function hostKeyName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp(
    '^' +
      pattern
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.') +
      '$',
  );
  return re.test(name);
}

function entryMatches(e: KnownHostEntry, name: string): boolean {
  if (e.hashed) {
    const h = createHmac('sha1', e.hashed.salt).update(name).digest();
    return h.equals(e.hashed.hash);
  }
  let matched = false;
  for (const p of e.patterns) {
    if (p.startsWith('!')) {
      if (globMatch(p.slice(1), name)) return false;
    } else if (globMatch(p, name)) {
      matched = true;
    }
  }
  return matched;
}

/** SHA256 fingerprint as ssh-keygen -l prints it. */
export function fingerprint(key: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(key).digest('base64').replace(/=+$/, '');
}

export type KeyCheck =
  | { ok: true; line: number }
  | { ok: false; reason: 'unknown' | 'changed' | 'revoked'; detail: string };

/** Host keys that known_hosts accepts for any of `names` (address and/or host name). */
export function keysFor(entries: KnownHostEntry[], names: string[]): KnownHostEntry[] {
  return entries.filter((e) => e.marker === undefined && names.some((n) => entryMatches(e, n)));
}

export function checkHostKey(entries: KnownHostEntry[], names: string[], presented: Buffer): KeyCheck {
  const revoked = entries.find((e) => e.marker === '@revoked' && e.key.equals(presented));
  if (revoked)
    return {
      ok: false,
      reason: 'revoked',
      detail: `key ${fingerprint(presented)} is marked @revoked (line ${revoked.line})`,
    };
  const candidates = keysFor(entries, names);
  const hit = candidates.find((e) => e.key.equals(presented));
  if (hit) return { ok: true, line: hit.line };
  if (candidates.length === 0) {
    const ca = entries.find((e) => e.marker === '@cert-authority' && names.some((n) => entryMatches(e, n)));
    if (ca) {
      return {
        ok: false,
        reason: 'unknown',
        detail: `known_hosts has only a @cert-authority entry for ${names.join(' or ')} (line ${ca.line}): nfsctl does not support SSH host certificates; add the host's own key (presented ${fingerprint(presented)}) as a plain known_hosts line`,
      };
    }
    return {
      ok: false,
      reason: 'unknown',
      detail: `no known_hosts entry for ${names.join(' or ')}; presented key ${fingerprint(presented)}`,
    };
  }
  const lines = candidates.map((c) => c.line).join(', ');
  return {
    ok: false,
    reason: 'changed',
    detail: `HOST KEY CHANGED for ${names.join(' or ')}: presented ${fingerprint(presented)} does not match known_hosts line(s) ${lines}`,
  };
}

/** The key algorithms to offer so the server presents a key type we actually know. */
export function hostKeyAlgorithms(keys: KnownHostEntry[]): string[] {
  const algs = new Set<string>();
  for (const k of keys) {
    if (k.keyType === 'ssh-rsa') {
      // An RSA key may be presented under any of these signature algorithms.
      algs.add('rsa-sha2-512').add('rsa-sha2-256').add('ssh-rsa');
    } else {
      algs.add(k.keyType);
    }
  }
  return [...algs];
}
