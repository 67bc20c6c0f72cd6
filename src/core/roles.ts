// The pair's two roles. No imports but the type: backends and the config schema both use it,
// and a value import of the schema from a backend would run the schema before the backend
// registry exists (an import cycle).
import type { PairRole } from '../config/schema.js';

/** The other host of the pair. */
export function peerOf(role: PairRole): PairRole {
  return role === 'primary' ? 'backup' : 'primary';
}
