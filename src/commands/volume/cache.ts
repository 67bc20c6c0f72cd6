// Volume names for shell completion, refreshed whenever `volume list` looks at the pair.
import type { Context } from '../../cli/context.js';
import { writeCompletionCache } from '../../state/completion-cache.js';

/** Never fails a listing: the cache write reports failure as false and is ignored. */
export async function writeCompletionCacheSafe(ctx: Context, ids: string[]): Promise<void> {
  await writeCompletionCache(ctx.config.state.stateDir, 'volumes', ids);
}
