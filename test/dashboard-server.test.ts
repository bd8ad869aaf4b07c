// The dashboard's server without a browser: its routes, the live stream (event
// id = journal byte offset, Last-Event-ID honoured, keep-alive comments, a
// half-written last line held back, a malformed line reported and the rest
// still served), and its safety: path traversal (.., encoded, absolute), the
// Host check, same-origin JSON for state-changing requests (CSRF), the token,
// the CSP, and refusing to act on a study no controller runs.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { startDashboard, type Dashboard } from '../src/dashboard/server.js';
import { StudyFold, type StudySummary } from '../src/dashboard/shared/fold.js';
import type { WireSnapshot } from '../src/dashboard/shared/wire.js';
import { BIN, ensureBuilt, runCli } from './helpers/cli.js';
import { writeSyntheticJournal } from './helpers/synthetic-journal.js';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A raw request (no URL normalisation on our side: the path goes out exactly as written). */
function request(port: number, rawPath: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: rawPath, method: options.method ?? 'GET', headers: { Host: `127.0.0.1:${port}`, ...options.headers } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/** Reads an SSE stream until `until` holds on what has arrived (or times out). */
function readStream(port: number, rawPath: string, headers: Record<string, string>, until: (text: string) => boolean, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const req = http.get({ host: '127.0.0.1', port, path: rawPath, headers: { Host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
      res.on('data', (d: Buffer) => {
        text += d.toString();
        if (until(text)) {
          req.destroy();
          resolve(text);
        }
      });
    });
    req.on('error', () => {});
    setTimeout(() => {
      req.destroy();
      reject(new Error(`timed out; got: ${text.slice(-500)}`));
    }, timeoutMs);
  });
}

const events = (text: string) =>
  text
    .split('\n\n')
    .filter((b) => b.includes('data: '))
    .map((b) => ({ id: /^id: (\d+)$/m.exec(b)?.[1], data: /^data: (.*)$/m.exec(b)![1]! }));

let results: string;
let dash: Dashboard;
let journal: string;
beforeAll(async () => {
  ensureBuilt(); // the page's code is served from dist/
  results = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-dash-server-'));
  journal = writeSyntheticJournal(results, 'syn', { trials: 40, epochs: 3, seed: 4 }).file;
  dash = await startDashboard({ results, port: 0, pollMs: 50, keepAliveMs: 200, rescanMs: 200 });
});
afterAll(async () => {
  await dash?.close();
  fs.rmSync(results, { recursive: true, force: true });
});

describe('routes', () => {
  it('serves the page with a CSP that allows only this server, and its code and uPlot', async () => {
    const page = await request(dash.port, '/');
    expect(page.status).toBe(200);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/=]+'/);
    expect(csp).toMatch(/connect-src 'self'/);
    expect(csp).not.toMatch(/https?:|\*/);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    for (const src of [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!)) {
      if (src.startsWith('#') || src.startsWith('data:')) continue;
      expect(src.startsWith('/'), src).toBe(true);
      expect((await request(dash.port, src)).status, src).toBe(200);
    }
    const chart = await request(dash.port, '/assets/js/report/svg-chart.js');
    expect(chart.status).toBe(200);
    expect(chart.body).toMatch(/export function parallelCoordinates/);
    expect((await request(dash.port, '/assets/vendor/uPlot.esm.js')).body).toMatch(/export \{ uPlot as default \}|export default/);
  });

  it('lists the studies and gives a study folded up to an offset', async () => {
    const list = JSON.parse((await request(dash.port, '/api/studies')).body) as StudySummary[];
    expect(list.map((s) => s.name)).toEqual(['syn']);
    expect(list[0]!.counts.complete + list[0]!.counts.pruned + list[0]!.counts.failed + list[0]!.counts.running).toBe(40);
    const snap = JSON.parse((await request(dash.port, '/api/study/syn')).body) as WireSnapshot;
    expect(snap.offset).toBe(fs.statSync(journal).size);
    expect(StudyFold.from(snap).trials).toHaveLength(40);
    const detail = JSON.parse((await request(dash.port, '/api/study/syn/trial/3')).body) as { trial: { n: number }; repro: string };
    expect(detail.trial.n).toBe(3);
    expect(detail.repro).toMatch(/^hypersweep repro syn 3/);
    expect((await request(dash.port, '/api/study/syn/trial/999')).status).toBe(404);
    expect((await request(dash.port, '/api/study/nope')).status).toBe(404);
  });
});

describe('the live stream', () => {
  it('sends appended lines with id = the byte offset after each, holds a half-written line back, reports a malformed one', async () => {
    const start = fs.statSync(journal).size;
    const got = readStream(dash.port, `/api/study/syn/stream?from=${start}`, {}, (t) => events(t).length >= 3 && t.includes(': keep-alive'));
    await new Promise((r) => setTimeout(r, 150));
    const a = JSON.stringify({ time: '2026-01-01T01:00:00.000Z', event: 'trial_started', trial: 40, params: { alpha0: 1 }, seed: 1, worker: 'w0' });
    const b = JSON.stringify({ time: '2026-01-01T01:00:01.000Z', event: 'trial_finished', trial: 40, state: 'complete', value: 0.5, duration_s: 1 });
    fs.appendFileSync(journal, `${a}\n${b.slice(0, 20)}`); // the second line half-written
    await new Promise((r) => setTimeout(r, 300));
    fs.appendFileSync(journal, `${b.slice(20)}\n{"broken\n`);
    const evs = events(await got);
    expect(evs.map((e) => e.data)).toEqual([a, b, '{"broken']);
    expect(Number(evs[0]!.id)).toBe(start + Buffer.byteLength(a) + 1);
    expect(Number(evs[1]!.id)).toBe(start + Buffer.byteLength(a) + Buffer.byteLength(b) + 2);
    // The server's own fold kept going past the broken line, and says where it was.
    await new Promise((r) => setTimeout(r, 100));
    const snap = JSON.parse((await request(dash.port, '/api/study/syn')).body) as WireSnapshot;
    expect(StudyFold.from(snap).trial(40)).toMatchObject({ state: 'complete', value: 0.5 });
    expect(snap.problems).toEqual([{ offset: Number(evs[1]!.id), message: expect.stringMatching(/not valid JSON/) }]);
  });

  it('resumes from Last-Event-ID (a reconnect), which wins over ?from=', async () => {
    const size = fs.statSync(journal).size;
    const text = fs.readFileSync(journal, 'utf8');
    const lines = text.split('\n').filter(Boolean);
    const lastTwo = Buffer.byteLength(lines.at(-2)!) + Buffer.byteLength(lines.at(-1)!) + 2;
    const got = await readStream(dash.port, '/api/study/syn/stream?from=0', { 'Last-Event-ID': String(size - lastTwo) }, (t) => events(t).length >= 2);
    expect(events(got).map((e) => e.data)).toEqual(lines.slice(-2));
    expect(Number(events(got)[1]!.id)).toBe(size);
    // An offset inside a line is refused, not guessed at.
    expect((await request(dash.port, `/api/study/syn/stream?from=${size - 3}`)).status).toBe(400);
  });

  it('streams the studies page, and finds a study created after the start', async () => {
    const got = readStream(dash.port, '/api/studies/stream', {}, (t) => t.includes('"name":"later"'));
    writeSyntheticJournal(results, 'later', { trials: 3, seed: 5 });
    expect(await got).toMatch(/event: studies/);
  });
});

describe('safety', () => {
  const traversals = [
    '/assets/../package.json',
    '/assets/js/../../package.json',
    '/assets/%2e%2e/%2e%2e/package.json',
    '/assets/js/report%2f..%2f..%2fpackage.json',
    '/assets/js/%2Fetc%2Fpasswd',
    '/api/study/..%2F..%2Fetc/trial/1',
    '/api/study/%2e%2e/notes',
    '/api/study/syn/trial/1/file/..%2F..%2Fjournal.jsonl',
    '/api/study/syn/trial/1/file/%2Fetc%2Fpasswd',
    '//etc/passwd',
    '/assets//etc/passwd',
    '/assets/js/dashboard/client/../../../../package.json',
    '/assets/js/dashboard%5c..%5c..%5cpackage.json',
  ];
  it.each(traversals)('never serves a file outside its lists: %s', async (p) => {
    const r = await request(dash.port, p);
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.body).not.toMatch(/"name": "hypersweep"|root:|study_created/);
  });

  it('refuses another Host (DNS rebinding)', async () => {
    expect((await request(dash.port, '/api/studies', { headers: { Host: `evil.example:${dash.port}` } })).status).toBe(421);
    expect((await request(dash.port, '/api/studies', { headers: { Host: `localhost:${dash.port}` } })).status).toBe(200);
  });

  it('refuses state-changing requests from another origin, without an Origin, or not JSON (CSRF)', async () => {
    const body = JSON.stringify({ action: 'stop_study' });
    const json = { 'Content-Type': 'application/json' };
    const own = `http://127.0.0.1:${dash.port}`;
    const post = (headers: Record<string, string>) => request(dash.port, '/api/study/syn/actions', { method: 'POST', headers, body });
    expect((await post({ ...json, Origin: 'http://evil.example' })).status).toBe(403);
    expect((await post({ ...json, Origin: `http://localhost:${dash.port}` })).status).toBe(403); // another origin than the Host's
    expect((await post(json)).status).toBe(403);
    expect((await post({ 'Content-Type': 'text/plain', Origin: own })).status).toBe(403);
    expect((await post({ ...json, Origin: own, 'Sec-Fetch-Site': 'cross-site' })).status).toBe(403);
    const notes = await request(dash.port, '/api/study/syn/notes', { method: 'PUT', headers: { ...json, Origin: 'http://evil.example' }, body: JSON.stringify({ text: 'x' }) });
    expect(notes.status).toBe(403);
    expect(fs.existsSync(path.join(results, 'syn', 'notes'))).toBe(false);
    // From its own origin: accepted as far as the study allows (no controller runs this one).
    const ok = await post({ ...json, Origin: own });
    expect(ok.status).toBe(409);
    expect(JSON.parse(ok.body).error).toMatch(/no controller runs study syn now \(start one: hypersweep resume syn\)/);
    expect(fs.existsSync(path.join(results, 'syn', 'control.jsonl'))).toBe(false);
    const bad = await request(dash.port, '/api/study/syn/actions', { method: 'POST', headers: { ...json, Origin: own }, body: '{"action":"nuke"}' });
    expect(bad.status).toBe(400);
  });

  it('saves notes beside the journal, never in it', async () => {
    const own = { 'Content-Type': 'application/json', Origin: `http://127.0.0.1:${dash.port}` };
    const before = fs.readFileSync(journal, 'utf8');
    expect((await request(dash.port, '/api/study/syn/notes', { method: 'PUT', headers: own, body: JSON.stringify({ text: '# lr\n- too high' }) })).status).toBe(200);
    expect((await request(dash.port, '/api/study/syn/trial/2/notes', { method: 'PUT', headers: own, body: JSON.stringify({ text: 'odd one' }) })).status).toBe(200);
    expect(fs.readFileSync(path.join(results, 'syn', 'notes', 'study.md'), 'utf8')).toBe('# lr\n- too high');
    expect(JSON.parse((await request(dash.port, '/api/study/syn/trial/2/notes')).body).text).toBe('odd one');
    expect(fs.readFileSync(journal, 'utf8')).toBe(before);
  });
});

describe('with a token', () => {
  let guarded: Dashboard;
  afterEach(async () => guarded?.close());
  it('needs it on every request: header, query (which sets a cookie) or cookie', async () => {
    guarded = await startDashboard({ results, port: 0, token: 'sekrit-token' });
    expect((await request(guarded.port, '/')).status).toBe(401);
    expect((await request(guarded.port, '/assets/dashboard.css')).status).toBe(401);
    expect((await request(guarded.port, '/api/studies?token=wrong')).status).toBe(401);
    const first = await request(guarded.port, '/?token=sekrit-token');
    expect(first.status).toBe(200);
    const cookie = String(first.headers['set-cookie']).split(';')[0]!;
    expect(cookie).toMatch(/^hypersweep_token=/);
    expect(String(first.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Strict/);
    expect((await request(guarded.port, '/api/studies', { headers: { Cookie: cookie } })).status).toBe(200);
    expect((await request(guarded.port, '/api/studies', { headers: { Authorization: 'Bearer sekrit-token' } })).status).toBe(200);
  });

  it('on another address: any name of the machine in Host, still the token, still same-origin changes only', async () => {
    guarded = await startDashboard({ results, host: '0.0.0.0', port: 0, token: 'sekrit-token' });
    const host = `gpu-box.lan:${guarded.port}`;
    const auth = { Host: host, Authorization: 'Bearer sekrit-token' };
    expect((await request(guarded.port, '/api/studies', { headers: { Host: host } })).status).toBe(401);
    expect((await request(guarded.port, '/api/studies', { headers: auth })).status).toBe(200);
    const body = JSON.stringify({ action: 'stop_study' });
    const post = (origin: string) => request(guarded.port, '/api/study/syn/actions', { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json', Origin: origin }, body });
    expect((await post('http://evil.example')).status).toBe(403);
    expect((await post(`http://${host}`)).status).toBe(409); // its own origin: on to the study (no controller runs it)
  });
});

describe('hypersweep dashboard (the command)', () => {
  it('refuses another host than loopback without --token, saying how to fix it', () => {
    const r = runCli(['dashboard', '--results', results, '--host', '0.0.0.0', '--port', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/invalid value "0.0.0.0" for --host: expected a loopback address .* add --token/);
  });

  it('serves on loopback, prints its URL once (with a generated token when asked), and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [BIN, 'dashboard', '--results', results, '--port', '0', '--token'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 20_000);
      child.stdout.on('data', () => {
        const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
    });
    const port = Number(new URL(url).port);
    expect((await request(port, '/api/studies')).status).toBe(401);
    expect((await request(port, `/api/studies?token=${new URL(url).searchParams.get('token')}`)).status).toBe(200);
    child.kill('SIGTERM');
    const code = await new Promise((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    expect(out.match(/token=/g)).toHaveLength(1);
  }, 30_000);
});
