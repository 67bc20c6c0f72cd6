// The real @inquirer prompts behind inquirerPrompter, driven in-process through fake
// terminal streams: keystrokes in, rendered prompt out.
import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { inquirerPrompter } from '../../src/cli/prompt.js';
import { CancelledError, ExitCode } from '../../src/core/errors.js';

const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

function terminal() {
  const input = new PassThrough();
  const output = new PassThrough();
  let text = '';
  output.on('data', (d: Buffer) => (text += d.toString()));
  return {
    input,
    output,
    /** What was shown so far, without escape sequences. */
    shown: () => text.replace(ANSI, ''),
    /** Type `keys` once `question` is on the screen (as a person would). */
    async typeWhenAsked(question: string, keys: string) {
      const deadline = Date.now() + 5_000;
      while (!this.shown().includes(question)) {
        if (Date.now() > deadline)
          throw new Error(`prompt "${question}" never appeared; screen: ${JSON.stringify(this.shown())}`);
        await new Promise((r) => setTimeout(r, 5));
      }
      input.write(keys);
    },
  };
}

describe('inquirerPrompter', () => {
  it('confirm: "y" + Enter is yes; "n", or Enter alone (default), is no', async () => {
    const t = terminal();
    const p = await inquirerPrompter({ input: t.input, output: t.output });
    for (const [keys, answer] of [
      ['y\r', true],
      ['n\r', false],
      ['\r', false],
      ['Y\r', true],
    ] as const) {
      const asked = p.confirm(`Apply the plan (${JSON.stringify(keys)})?`);
      await t.typeWhenAsked(`Apply the plan (${JSON.stringify(keys)})?`, keys);
      expect(await asked, JSON.stringify(keys)).toBe(answer);
    }
    expect(t.shown()).toContain('(y/N)'); // the default is shown, and it is "no"
  });

  it('typed: only the exact name confirms (surrounding blanks ignored)', async () => {
    const t = terminal();
    const p = await inquirerPrompter({ input: t.input, output: t.output });
    const cases = [
      ['team-a/data\r', true],
      ['  team-a/data \r', true],
      ['team-a/dat\r', false],
      ['team-a/data2\r', false],
      ['\r', false],
    ] as const;
    for (const [i, [keys, answer]] of cases.entries()) {
      const question = `Delete volume #${i}?`;
      const asked = p.typed(question, 'team-a/data');
      await t.typeWhenAsked(question, keys);
      expect(await asked, JSON.stringify(keys)).toBe(answer);
    }
    expect(t.shown()).toContain('(type "team-a/data" to confirm)');
  });

  it('Ctrl-C at a confirmation is a CancelledError with exit code 130', async () => {
    const t = terminal();
    const p = await inquirerPrompter({ input: t.input, output: t.output });
    const asked = p.confirm('Break the lock?');
    await t.typeWhenAsked('Break the lock?', '\x03');
    const err = await asked.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CancelledError);
    expect((err as CancelledError).exitCode).toBe(130);
    expect(ExitCode.cancelled).toBe(130);
  });

  it('Ctrl-C while typing a name is a CancelledError too, even halfway', async () => {
    const t = terminal();
    const p = await inquirerPrompter({ input: t.input, output: t.output });
    const asked = p.typed('Delete team-a/data?', 'team-a/data');
    await t.typeWhenAsked('Delete team-a/data?', 'team-a/\x03');
    await expect(asked).rejects.toMatchObject({ name: 'CancelledError', exitCode: 130 });
  });

  it("keeps the caller's output stream open across prompts, and writes only there", async () => {
    const t = terminal();
    const p = await inquirerPrompter({ input: t.input, output: t.output });
    const first = p.confirm('First?');
    await t.typeWhenAsked('First?', 'y\r');
    await first;
    expect(t.output.writableEnded).toBe(false);
    const second = p.typed('Second?', 'x');
    await t.typeWhenAsked('Second?', 'x\r');
    expect(await second).toBe(true);
    expect(t.shown()).toMatch(/First\?[\s\S]*Second\?/);
  });

  it('an unanswered prompt gives up after the prompt timeout (exit 130), so the pair lock it holds is released', async () => {
    const t = terminal();
    const p = await inquirerPrompter({ input: t.input, output: t.output, timeoutMs: 150 });
    const t0 = Date.now();
    const err = await p.typed('This destroys team-a/data.', 'team-a/data').catch((e) => e);
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(err).toBeInstanceOf(CancelledError);
    expect(err.exitCode).toBe(ExitCode.cancelled);
    expect(err.message).toMatch(/no answer within 0 s|no answer within/);
    const err2 = await p.confirm('Go?').catch((e) => e);
    expect(err2.message).toContain('NFSCTL_PROMPT_TIMEOUT');
  });

  it('NFSCTL_PROMPT_TIMEOUT: seconds or 90s/10m/1h; default 10 min; anything else is a usage error', async () => {
    const { promptTimeoutMs } = await import('../../src/cli/prompt.js');
    expect(promptTimeoutMs({})).toBe(600_000);
    expect(promptTimeoutMs({ NFSCTL_PROMPT_TIMEOUT: '90' })).toBe(90_000);
    expect(promptTimeoutMs({ NFSCTL_PROMPT_TIMEOUT: '90s' })).toBe(90_000);
    expect(promptTimeoutMs({ NFSCTL_PROMPT_TIMEOUT: '15m' })).toBe(900_000);
    expect(promptTimeoutMs({ NFSCTL_PROMPT_TIMEOUT: '2h' })).toBe(7_200_000);
    for (const bad of ['0', '-1', '1e3', '10 m', 'forever', '0x10', '5d']) {
      expect(() => promptTimeoutMs({ NFSCTL_PROMPT_TIMEOUT: bad })).toThrow(/NFSCTL_PROMPT_TIMEOUT: expected/);
    }
  });
});
