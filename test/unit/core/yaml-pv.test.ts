// PV YAML: every string scalar reads back as the same string under YAML 1.1 (kubectl) and
// 1.2, and the document is a valid Kubernetes PersistentVolume; label rules; PV names.
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PersistentVolume } from 'kubernetes-models/v1/PersistentVolume';
import { stringify } from '../../../src/cli/yaml-out.js';
import { yamlPlainSafe } from '../../../src/core/yaml-scalar.js';
import { checkLabelKey, parseLabelItems } from '../../../src/core/k8s-labels.js';
import { parseVolumeRef } from '../../../src/core/names.js';
import { identify } from '../../../src/volume/identity.js';
import { NFSCTL_LABELS, persistentVolume, pvName } from '../../../src/volume/pv.js';
import { parseLabels } from '../../../src/commands/volume/common.js';
import { runCreate } from '../../../src/commands/volume/create.run.js';
import { testConfig } from '../../support/config.js';
import { fakeContext } from '../../support/fake-context.js';

const AMBIGUOUS = [
  'yes',
  'no',
  'on',
  'off',
  'y',
  'n',
  'Y',
  'N',
  'YES',
  'No',
  'On',
  'OFF',
  'true',
  'False',
  'null',
  'Null',
  '~',
  '1_000',
  '0x10',
  '1e3',
  '.5',
  '012',
  '0o12',
  '1:20',
  '190:20:30',
  '2001-12-14',
  '2001-12-14t21:59:43.10-05:00',
  '.inf',
  '-.inf',
  '.NaN',
  '+1',
  '-1',
  '1',
  '0',
  '1.0',
  '=',
  '<<',
  '',
  ' ',
  'a: b',
  'a #b',
  '- x',
  '? x',
  '[x]',
  '{x}',
  '*x',
  '&x',
  '!x',
  '|',
  '>',
  '%x',
  '@x',
  '`x',
  '"x"',
  "'x'",
  'x\ny',
  'x\u001b[31m',
  'tab\tx',
  'trailing ',
  ' leading',
  'e5',
  'E-2',
  'e+10',
  '0xff',
  '0XFF',
  '0b1',
  '0o7',
  '1Mi2',
];
const LABEL_VALUES = [
  'yes',
  'no',
  'on',
  'off',
  'y',
  'n',
  'true',
  'null',
  '1_000',
  '0x10',
  '1e3',
  '012',
  '1',
  'a.b',
  'A-1_b.c',
  '',
];

function readBack(text: string) {
  return { v11: parse(text, { version: '1.1' }) as unknown, v12: parse(text) as unknown };
}

describe('YAML output: strings stay strings for YAML 1.1 and 1.2 readers', () => {
  it('ambiguous scalars, as values and as keys', () => {
    for (const s of AMBIGUOUS) {
      const text = stringify({ [s]: s, list: [s] });
      const { v11, v12 } = readBack(text);
      expect(v11, `1.1: ${JSON.stringify(s)} -> ${text}`).toEqual({ [s]: s, list: [s] });
      expect(v12, `1.2: ${JSON.stringify(s)} -> ${text}`).toEqual({ [s]: s, list: [s] });
      expect(yamlPlainSafe(s), s).toBe(false);
    }
  });
  it('random strings round-trip under both versions', () => {
    const chars = 'abyYnNoOfFtTuelsrExXiMG0123456789_.-:=/~<> #\'"\t\n,[]{}&*!|%@`+';
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 20000; i++) {
      const s = Array.from({ length: 1 + Math.floor(rnd() * 8) }, () => chars[Math.floor(rnd() * chars.length)]).join(
        '',
      );
      const { v11, v12 } = readBack(stringify({ k: s }));
      expect(v11, JSON.stringify(s)).toEqual({ k: s });
      expect(v12, JSON.stringify(s)).toEqual({ k: s });
    }
  });
  it('plain where nothing can go wrong', () => {
    expect(stringify({ apiVersion: 'v1', path: '/nfs/team-a_data', o: 'nfsvers=3', storage: '64Mi' })).toBe(
      'apiVersion: v1\npath: /nfs/team-a_data\no: nfsvers=3\nstorage: 64Mi\n',
    );
    // the VIP: YAML 1.1's float pattern takes 198.51.100.100 for a number
    expect(stringify({ server: '198.51.100.100' })).toBe('server: "198.51.100.100"\n');
  });
});

describe('the PersistentVolume', () => {
  const config = testConfig();
  it('with every ambiguous label value: read by a YAML 1.1 reader, valid against the Kubernetes PV schema, labels intact', () => {
    const labels = Object.fromEntries(LABEL_VALUES.map((v, i) => [`example.com/l${i}`, v]));
    const v = identify(config, parseVolumeRef('team-a/data'));
    const text = stringify(persistentVolume(config, v, 10 * 2 ** 30, labels));
    for (const doc of [parse(text, { version: '1.1' }), parse(text)] as Record<string, any>[]) {
      expect(() => new PersistentVolume(doc).validate()).not.toThrow();
      expect(doc.metadata.labels).toEqual({ ...labels, ...NFSCTL_LABELS });
      expect(doc.metadata.name).toBe('nfs-team-a.data');
      expect(doc.spec.capacity.storage).toBe('10Gi');
    }
  });
  it('the schema check can fail: a boolean label (what an unquoted yes became) is rejected', () => {
    expect(() =>
      new PersistentVolume({
        metadata: { name: 'x', labels: { a: true as unknown as string } },
        spec: {
          capacity: { storage: '1Gi' },
          accessModes: ['ReadWriteMany'],
          nfs: { server: '198.51.100.100', path: '/x' },
        },
      }).validate(),
    ).toThrow(/labels/);
  });
  it("nfsctl's own label cannot be replaced: refused at input, and wins over stored metadata", () => {
    expect(() => parseLabels(['app.kubernetes.io/managed-by=me'])).toThrow(/set by nfsctl itself/);
    const v = identify(config, parseVolumeRef('team-a/data'));
    expect(
      persistentVolume(config, v, 2 ** 30, { 'app.kubernetes.io/managed-by': 'me' }).metadata.labels[
        'app.kubernetes.io/managed-by'
      ],
    ).toBe('nfsctl');
  });
  it('label keys and values follow Kubernetes rules', () => {
    expect(parseLabelItems(['example.com/tier=yes', 'app=', 'a.b_c-d=X.y'], [])).toEqual({
      'example.com/tier': 'yes',
      app: '',
      'a.b_c-d': 'X.y',
    });
    for (const bad of [
      '=x',
      '/a=x',
      'Example.com/a=x',
      `${'a'.repeat(254)}/b=x`,
      `${'a'.repeat(64)}=x`,
      '-a=x',
      'a-=x',
      'a b=x',
      'a/b/c=x',
      'a=b c',
      `a=${'b'.repeat(64)}`,
      'a=-b',
      'a=b\n',
      'a=\u001b',
      'noequals',
      'a=2',
    ]) {
      expect(() => parseLabelItems(bad === 'a=2' ? ['a=1', 'a=2'] : [bad], []), bad).toThrow();
    }
    expect(() => checkLabelKey(`${'a.'.repeat(126)}a/b`)).not.toThrow();
  });
  it('PV names are injective: team-a/b-c and team-a-b/c differ; a valid DNS-1123 subdomain of at most 253', () => {
    const n = (r: string) => pvName(identify(config, parseVolumeRef(r)));
    expect(n('team-a/b-c')).toBe('nfs-team-a.b-c');
    expect(n('team-a-b/c')).toBe('nfs-team-a-b.c');
    const longName = `${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}`;
    for (const r of [`${'n'.repeat(63)}/${longName}`, `${'n'.repeat(63)}/${longName.slice(0, -1)}x`]) {
      const name = n(r);
      expect(name.length).toBeLessThanOrEqual(253);
      expect(name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/);
    }
    expect(n(`${'n'.repeat(63)}/${longName}`)).not.toBe(n(`${'n'.repeat(63)}/${longName.slice(0, -1)}x`));
  });
  it('volume create --label app.kubernetes.io/managed-by=x: exit 2, nothing ran', async () => {
    const f = fakeContext(config);
    const err = await runCreate(f.ctx, 'team-a/data', {
      size: '1G',
      label: ['app.kubernetes.io/managed-by=x'],
      yes: true,
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ exitCode: 2 });
    expect(f.untouched()).toBe(true);
  });
});
