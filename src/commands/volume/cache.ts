// Volume names for shell completion, refreshed whenever `volume list` looks at the pair.
import type { Context } from '../../cli/context.js';

export async function writeCompletionCacheSafe(ctx: Context, ids: string[]): Promise<void> {
  try {
    const mod = (await import('../../state/completion-cache.js').catch(() => null)) as { writeCompletionCache?: (dir: string, kind: string, values: string[]) => Promise<void> } | null;
    await mod?.writeCompletionCache?.(ctx.config.state.stateDir, 'volumes', ids);
  } catch {
    // completion is a convenience: never fail a listing over it
  }
}
