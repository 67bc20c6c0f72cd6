// /etc/nfs.conf (and /etc/nfs.conf.d/*.conf): INI sections of key=value, '#' or ';' comments.
// Later files and later lines win, as nfs-utils reads them. Pure.
export type NfsConf = Map<string, Map<string, string>>;

export function parseNfsConf(...texts: string[]): NfsConf {
  const conf: NfsConf = new Map();
  for (const text of texts) {
    let section = '';
    for (const raw of text.split('\n')) {
      const line = raw.replace(/^\s+|\s+$/g, '');
      if (!line || line.startsWith('#') || line.startsWith(';')) continue;
      const s = /^\[\s*([^\]]+?)\s*\]$/.exec(line);
      if (s) {
        section = s[1]!.toLowerCase();
        continue;
      }
      const kv = /^([^=]+?)\s*=\s*(.*)$/.exec(line);
      if (!kv || !section) continue;
      if (!conf.has(section)) conf.set(section, new Map());
      conf.get(section)!.set(kv[1]!.toLowerCase(), kv[2]!.replace(/\s+[#;].*$/, ''));
    }
  }
  return conf;
}

export function confValue(c: NfsConf, section: string, key: string): string | null {
  return c.get(section)?.get(key) ?? null;
}
