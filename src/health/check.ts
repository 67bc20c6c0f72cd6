// A health finding: what was checked, the verdict, the evidence, and the command that fixes it.
export type Status = 'ok' | 'warn' | 'critical';

export interface Finding {
  id: string;
  host: string | null;
  status: Status;
  title: string;
  evidence: string;
  fix?: string;
}

export const RANK: Record<Status, number> = { ok: 0, warn: 1, critical: 2 };

export function worst(findings: Finding[]): Status {
  return findings.reduce<Status>((w, f) => (RANK[f.status] > RANK[w] ? f.status : w), 'ok');
}

/** Run a check with a hard time limit; a check that hangs becomes a critical finding. */
export async function bounded(
  id: string,
  host: string | null,
  title: string,
  ms: number,
  fn: () => Promise<Finding[]>,
): Promise<Finding[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Finding[]>((resolve) => {
    timer = setTimeout(
      () =>
        resolve([
          {
            id,
            host,
            status: 'critical',
            title,
            evidence: `no answer within ${ms} ms (a host or service that hangs, or packets dropped on the way)`,
            fix: `check ${host ?? 'the hosts'} is up and not firewalled: nfsctl troubleshoot-mount <volume> shows where the chain breaks`,
          },
        ]),
      ms,
    );
  });
  try {
    return await Promise.race([
      fn().catch((err: Error) => [{ id, host, status: 'critical' as const, title, evidence: err.message }]),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
