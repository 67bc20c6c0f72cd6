// When a string may be written as a plain (unquoted) YAML scalar. Readers disagree on plain
// scalars: YAML 1.1 (kubectl's reader among them) reads yes/no/on/off/y/n as booleans, 1_000,
// 0x10, 012 and 1:20 as numbers, 2001-12-14 as a timestamp, `=` and `<<` as special keys;
// YAML 1.2 reads 1e3 and .5 as numbers, ~ and null as null. Rather than replaying every
// reader's resolution rules, a string is written plain only when it cannot be anything but a
// string to any of them: it starts with a letter or "/", holds only letters, digits and
// "_./-=" after that, is not one of the boolean/null words (any case), and is not an
// exponent on its own (`e5`, `E-2`: the `yaml` package's 1.1 float pattern takes those for
// numbers). Digits followed only by letters (a quantity like 64Mi or 10Gi) are plain too,
// unless the first letter is x (0xff is hex). Everything else is written double-quoted (the
// YAML writer escapes what needs it).

const PLAIN = /^[A-Za-z/][A-Za-z0-9_./=-]*$/;
const QUANTITY = /^[0-9]{1,18}[A-WYZa-wyz][A-Za-z]{0,3}$/;
const EXPONENT = /^[eE][-+]?[0-9]/;
const WORDS = new Set(['y', 'n', 'yes', 'no', 'on', 'off', 'true', 'false', 'null']);

/** True when `s` reads back as the same string from a plain scalar under YAML 1.1 and 1.2. */
export function yamlPlainSafe(s: string): boolean {
  if (QUANTITY.test(s)) return true;
  return s.length > 0 && s.length <= 1024 && PLAIN.test(s) && !EXPONENT.test(s) && !WORDS.has(s.toLowerCase());
}
