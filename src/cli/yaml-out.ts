// YAML output, behind a module of our own: commands load it lazily with `import()`, and the
// bundler keeps a static re-export intact (a bare dynamic import of a dual CJS/ESM package
// came out without its named exports).
//
// Every string that a YAML 1.1 or 1.2 reader would not read back as the same string is
// double-quoted (yamlPlainSafe decides), keys included: kubectl reads YAML 1.1, where a
// label value `yes` is a boolean and `1_000` a number.
import { Document, visit } from 'yaml';
import { yamlPlainSafe } from '../core/yaml-scalar.js';

export function stringify(value: unknown): string {
  const doc = new Document(value);
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && !yamlPlainSafe(node.value)) node.type = 'QUOTE_DOUBLE';
    },
  });
  return doc.toString({ lineWidth: 0 });
}
