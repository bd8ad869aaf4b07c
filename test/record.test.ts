// Record lines: valid JSON, one per call, appended, with format and time first.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { HypersweepError } from '../src/errors.js';
import { appendRecord, hypersweepVersion, RECORD_FORMAT } from '../src/trials/record.js';

const dir = mkdtempSync(join(tmpdir(), 'hs-record-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('appendRecord', () => {
  it('appends one JSON object per line, creating the folder', async () => {
    const file = join(dir, 'sub', 'trials.jsonl');
    await appendRecord(file, { kind: 'trial', value: 1.5, missing: Number.NaN });
    await appendRecord(file, { kind: 'trial', value: 2 });
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    const [a, b] = lines.slice(0, 2).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(Object.keys(a!).slice(0, 2)).toEqual(['format', 'time']);
    expect(a).toMatchObject({ format: RECORD_FORMAT, kind: 'trial', value: 1.5, missing: null });
    expect(new Date(a!.time as string).toISOString()).toBe(a!.time);
    expect(b).toMatchObject({ value: 2 });
  });

  it('names the file it cannot write', async () => {
    const blocker = join(dir, 'a-file');
    writeFileSync(blocker, '');
    const error = await appendRecord(join(blocker, 'trials.jsonl'), {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HypersweepError);
    expect((error as HypersweepError).oneLine()).toMatch(/cannot write results file .*a-file\/trials.jsonl.*--results DIR/);
  });

  it('reads the version from package.json', () => {
    expect(hypersweepVersion()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
