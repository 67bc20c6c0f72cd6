// Kubernetes resource quantities as `kubectl get pv -o json` prints them ("10Gi", "500M",
// "1073741824", "1.5Gi", "1e9"), in bytes. Pure.
const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18, m: 1e-3 };

/** Bytes of a quantity (rounded up to a whole byte, as Kubernetes does for storage), or null when it is not one. */
export function parseQuantity(q: string | number): number | null {
  if (typeof q === 'number') return Number.isFinite(q) && q >= 0 ? Math.ceil(q) : null;
  const m = /^\+?([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:(Ki|Mi|Gi|Ti|Pi|Ei)|([eE][+-]?[0-9]+)|(k|M|G|T|P|E|m))?$/.exec(
    q.trim(),
  );
  if (!m) return null;
  const n = Number(m[1]);
  const mult = m[2] ? BINARY[m[2]]! : m[3] ? 10 ** Number(m[3].slice(1)) : DECIMAL[m[4] ?? '']!;
  const v = n * mult;
  return Number.isFinite(v) ? Math.ceil(v - 1e-9) : null;
}
