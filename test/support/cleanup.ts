// Setup file of the unit project: after each test file, remove the temp dirs its tests made
// (tempDir, removeAfterFile), so a run leaves nothing in /tmp or /var/tmp.
import { afterAll } from 'vitest';
import { removeTempDirs } from './config.js';

afterAll(() => removeTempDirs());
