// Kubernetes label keys and values (apimachinery validation: IsQualifiedName, IsValidLabelValue),
// checked before anything runs because they end up on the PersistentVolume.
import { UsageError } from './errors.js';

const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function shown(s: string): string {
  return JSON.stringify(s);
}

/** A label key: [prefix/]name, prefix a DNS-1123 subdomain (≤ 253), name ≤ 63. */
export function checkLabelKey(key: string): string {
  const slash = key.indexOf('/');
  const prefix = slash < 0 ? null : key.slice(0, slash);
  const name = slash < 0 ? key : key.slice(slash + 1);
  const bad = (why: string): never => {
    throw new UsageError(
      `invalid label key ${shown(key)}: ${why} (expected [prefix/]name like app or example.com/tier)`,
    );
  };
  if (prefix !== null) {
    if (prefix === '') bad('the prefix before "/" is empty');
    if (prefix.length > 253) bad('the prefix is longer than 253 characters');
    if (!prefix.split('.').every((l) => l.length <= 63 && DNS1123_LABEL.test(l)))
      bad('the prefix must be a lowercase DNS subdomain (a-z, 0-9, "-", ".")');
  }
  if (name === '') bad('the name is empty');
  if (name.length > 63) bad('the name is longer than 63 characters');
  if (!NAME.test(name))
    bad('the name must be letters, digits, "-", "_", "." starting and ending with a letter or digit');
  return key;
}

/** A label value: empty, or ≤ 63 of letters, digits, "-", "_", "." starting and ending alphanumeric. */
export function checkLabelValue(key: string, value: string): string {
  if (value === '') return value;
  if (value.length > 63 || !NAME.test(value)) {
    throw new UsageError(
      `invalid label value ${shown(value)} for ${key}: up to 63 letters, digits, "-", "_", "." starting and ending with a letter or digit`,
    );
  }
  return value;
}

/**
 * `key=value` items into labels. `reserved` are the keys nfsctl sets itself: a user label
 * with one of them would replace nfsctl's, so it is refused. A key given twice is refused.
 */
export function parseLabelItems(items: readonly string[], reserved: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq < 0) throw new UsageError(`--label expects key=value, got ${shown(item)}`);
    const key = checkLabelKey(item.slice(0, eq));
    const value = checkLabelValue(key, item.slice(eq + 1));
    if (reserved.includes(key))
      throw new UsageError(
        `label ${key} is set by nfsctl itself (it marks the PersistentVolumes nfsctl made); choose another key`,
      );
    if (Object.prototype.hasOwnProperty.call(out, key) && out[key] !== value)
      throw new UsageError(`label ${key} given twice (${shown(out[key]!)} and ${shown(value)})`);
    out[key] = value;
  }
  return out;
}
