// YAML output, behind a module of our own: commands load it lazily with `import()`, and the
// bundler keeps a static re-export intact (a bare dynamic import of a dual CJS/ESM package
// came out without its named exports).
export { stringify } from 'yaml';
