import { Writable } from 'node:stream';
import { Output } from '../../src/cli/output.js';

export class Capture extends Writable {
  text = '';
  isTTY = false;
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void) {
    this.text += chunk.toString();
    cb();
  }
}

export function captureOutput(jsonMode = false) {
  const stdout = new Capture();
  const stderr = new Capture();
  const out = new Output({ stdout, stderr, jsonMode, env: {} });
  return { out, stdout, stderr };
}
