// `hypersweep dashboard`'s server: Node's http, a handful of routes.
//
//   GET  /                                  the page (hash routes inside: #/study/NAME, …)
//   GET  /assets/…                          its CSS and code (assets.ts: fixed lists, no paths built from URLs)
//   GET  /api/studies                       every study's summary;  /api/studies/stream: the same, live (SSE)
//   GET  /api/study/NAME                    the study folded up to an offset (the page's start)
//   GET  /api/study/NAME/stream             the journal from that offset, live (SSE: id = byte offset after the line)
//   GET  /api/study/NAME/trial/N            one trial: its events, files, retry history
//   GET  /api/study/NAME/trial/N/file/F     a PNG of the trial's folder (feature maps, misclassified images)
//   POST /api/study/NAME/actions            stop a trial / the study, enqueue params, set the budget (control.jsonl)
//   GET|PUT /api/study/NAME/notes, …/trial/N/notes   Markdown notes, beside the journal (notes/), never in it
//
// Safety (security.ts): loopback by default, a token otherwise, Host checked,
// state-changing requests same-origin JSON only, a CSP allowing this server only.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

import { hypersweepVersion } from '../version.js';
import type { QueueAddress } from '../dispatch/queue/address.js';
import { fileControl, parseControlAsk, type ControlTransport } from '../study/control.js';
import type { RedisControlTransport } from '../study/control-redis.js';
import type { TailLine } from '../study/line-tail.js';
import { Assets } from './assets.js';
import { LiveResults, type LiveStudy } from './live.js';
import { DASHBOARD_CSS, IMPORT_MAP_HASH, pageHtml } from './page.js';
import {
  allowedHosts,
  contentSecurityPolicy,
  crossSiteReason,
  requestToken,
  safeSegment,
  SECURITY_HEADERS,
  TOKEN_COOKIE,
  tokenMatches,
} from './security.js';

export interface DashboardOptions {
  results: string;
  host?: string;
  /** 0: any free port. */
  port?: number;
  /** Required by every request when set. */
  token?: string | null;
  /** Journal polling (ms; fs.watch is used besides) and SSE keep-alive comments (ms). */
  pollMs?: number;
  keepAliveMs?: number;
  rescanMs?: number;
  /**
   * The Redis of distributed sweeps (--queue / HYPERSWEEP_QUEUE): the actions on
   * a study whose controller dispatches through a queue go through its control
   * stream there (the controller may run on another machine); other studies'
   * through their control file.
   */
  queue?: QueueAddress | null;
}

export interface Dashboard {
  url: string;
  port: number;
  server: http.Server;
  live: LiveResults;
  close(): Promise<void>;
}

const MAX_BODY = 1 << 20;
const MAX_NOTE = 256 << 10;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? null;
  const assets = new Assets();
  const live = new LiveResults(options.results, {
    ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
    ...(options.rescanMs !== undefined ? { rescanMs: options.rescanMs } : {}),
  });
  await live.ready();
  const version = hypersweepVersion();
  const page = Buffer.from(pageHtml(version));
  const csp = contentSecurityPolicy([IMPORT_MAP_HASH]);
  const streams = new Set<http.ServerResponse>();
  let hosts: Set<string> | null = new Set<string>();

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500;
      const message = err instanceof Error ? err.message : String(err);
      if (!res.headersSent) sendJson(res, status, { error: message });
      else res.end();
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    res.setHeader('Content-Security-Policy', csp);
    // A page of another site that resolves its own name to 127.0.0.1 (DNS rebinding) sends its own Host.
    if (hosts !== null && !hosts.has(req.headers.host ?? '')) throw new HttpError(421, `unexpected Host header ${JSON.stringify(req.headers.host ?? '')}`);
    const rawUrl = req.url ?? '/';
    // No route takes a path: any `..`, raw or encoded, is refused before routing.
    if (/(^|[/\\])\.\.([/\\]|$)/.test(safeDecode(rawUrl.split('?')[0]!)) || /%2f|%5c|%00/i.test(rawUrl.split('?')[0]!)) {
      throw new HttpError(400, 'a path with ".." or an encoded separator is never served');
    }
    const url = new URL(rawUrl, 'http://dashboard.invalid');
    if (token !== null) {
      if (!tokenMatches(requestToken(req, url), token)) throw new HttpError(401, 'this dashboard needs its token (open the URL it printed, with ?token=…)');
      if (url.searchParams.get('token')) {
        res.setHeader('Set-Cookie', `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`);
      }
    }
    const parts = url.pathname.split('/').slice(1);
    const method = req.method ?? 'GET';
    const mutating = method !== 'GET' && method !== 'HEAD';
    if (mutating) {
      const why = crossSiteReason(req, hosts);
      if (why) throw new HttpError(403, `refused: ${why}`);
    }

    if (url.pathname === '/' && !mutating) return send(res, 200, 'text/html; charset=utf-8', page, 'no-store');
    if (parts[0] === 'assets' && !mutating) return serveAsset(res, parts.slice(1));
    if (parts[0] !== 'api') throw new HttpError(404, `no such page: ${url.pathname}`);

    if (parts[1] === 'studies' && parts.length === 2 && !mutating) return sendJson(res, 200, live.summaries());
    if (parts[1] === 'studies' && parts[2] === 'stream' && parts.length === 3 && !mutating) return studiesStream(req, res);
    if (parts[1] !== 'study' || parts.length < 3) throw new HttpError(404, `no such route: ${url.pathname}`);
    const name = safeSegment(parts[2]!);
    const study = name === null ? undefined : live.get(name);
    if (!study) throw new HttpError(404, `no study ${JSON.stringify(parts[2])} under ${options.results}`);
    const rest = parts.slice(3);

    if (rest.length === 0 && !mutating) return send(res, 200, 'application/json; charset=utf-8', study.snapshotBody(), 'no-store');
    if (rest[0] === 'stream' && rest.length === 1 && !mutating) return studyStream(req, res, url, study);
    if (rest[0] === 'actions' && rest.length === 1 && method === 'POST') return action(req, res, study);
    if (rest[0] === 'notes' && rest.length === 1) return notes(req, res, study, 'study.md');
    if (rest[0] === 'trial' && rest.length >= 2) {
      const n = Number(rest[1]);
      if (!/^\d+$/.test(rest[1]!) || !Number.isSafeInteger(n)) throw new HttpError(400, `not a trial number: ${rest[1]}`);
      if (rest.length === 2 && !mutating) return sendJson(res, 200, trialDetail(study, n));
      if (rest[2] === 'notes' && rest.length === 3) return notes(req, res, study, `trial-${n}.md`);
      if (rest[2] === 'file' && rest.length === 4 && !mutating) return trialFile(res, study, n, rest[3]!);
    }
    throw new HttpError(404, `no such route: ${method} ${url.pathname}`);
  }

  function serveAsset(res: http.ServerResponse, rest: string[]): void {
    const names = rest.map(safeSegment);
    if (names.some((n) => n === null)) throw new HttpError(400, 'bad asset name');
    const rel = names.join('/');
    if (rel === 'dashboard.css') return send(res, 200, 'text/css; charset=utf-8', Buffer.from(DASHBOARD_CSS), 'no-cache');
    const asset = rel.startsWith('vendor/') ? assets.vendorFile(rel.slice(7)) : rel.startsWith('js/') ? assets.module(rel.slice(3)) : null;
    if (!asset) throw new HttpError(404, `no such asset: ${rel}`);
    send(res, 200, asset.type, asset.body, 'no-cache');
  }

  function openStream(req: http.IncomingMessage, res: http.ServerResponse, stop: () => void): (text: string) => void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write('retry: 1000\n\n');
    streams.add(res);
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), options.keepAliveMs ?? 15_000);
    const end = () => {
      clearInterval(keepAlive);
      streams.delete(res);
      stop();
    };
    req.on('close', end);
    return (text) => res.write(text);
  }

  function studiesStream(req: http.IncomingMessage, res: http.ServerResponse): void {
    let off = () => {};
    const write = openStream(req, res, () => off());
    const push = () => write(`event: studies\ndata: ${JSON.stringify(live.summaries())}\n\n`);
    off = live.onSummaries(push);
    push();
  }

  function studyStream(req: http.IncomingMessage, res: http.ServerResponse, url: URL, study: LiveStudy): void {
    // Where this tab's copy of the study ends: its snapshot's offset, or the last event id it saw (a reconnect).
    const asked = req.headers['last-event-id'] ?? url.searchParams.get('from') ?? String(study.position);
    let offset = Number(asked);
    if (!Number.isSafeInteger(offset) || offset < 0) throw new HttpError(400, `bad offset ${JSON.stringify(asked)}`);
    offset = Math.min(offset, study.position);
    if (!study.atLineStart(offset)) throw new HttpError(400, `offset ${offset} is not at the start of a journal line`);
    let off = () => {};
    const write = openStream(req, res, () => off());
    const forward = (lines: readonly TailLine[]) => {
      const out: string[] = [];
      for (const l of lines) {
        if (l.start < offset) continue;
        // One line of JSON has no raw newline; a damaged one might carry a CR, which SSE would split on.
        out.push(`id: ${l.end}\ndata: ${l.text.replace(/\r/g, '\\r')}\n\n`);
        offset = l.end;
      }
      if (out.length) write(out.join(''));
    };
    // Catch up from the file, then follow: the tail hands over each line once, after what linesBetween read.
    forward(study.linesBetween(offset, study.position));
    off = study.listen(forward);
  }

  async function action(req: http.IncomingMessage, res: http.ServerResponse, study: LiveStudy): Promise<void> {
    const body = await readJson(req);
    const ask = parseControlAsk(body);
    if (typeof ask === 'string') throw new HttpError(400, ask);
    await study.refreshLock();
    if (!study.controllerActive) {
      throw new HttpError(409, `no controller runs study ${study.name} now (start one: hypersweep resume ${study.name})`);
    }
    const transport = await controlOf(study);
    let request;
    try {
      request = await transport.send(ask, 'dashboard');
    } catch (err) {
      throw new HttpError(503, `could not send the request to ${transport.where}: ${(err as Error).message}`);
    }
    sendJson(res, 202, { id: request.id, action: request.action, via: transport.where });
  }

  // One Redis control transport per study (their connections closed with the dashboard).
  const redisControls = new Map<string, RedisControlTransport>();
  async function controlOf(study: LiveStudy): Promise<ControlTransport> {
    const created = study.fold.created;
    if (!options.queue || !study.fold.lastController?.queue || !created) return fileControl(study.dir);
    const { redisControl, studyKey } = await import('../study/control-redis.js');
    const key = studyKey(study.name, created.time);
    let transport = redisControls.get(key);
    if (!transport) redisControls.set(key, (transport = redisControl(options.queue, key)));
    return transport;
  }

  async function notes(req: http.IncomingMessage, res: http.ServerResponse, study: LiveStudy, file: string): Promise<void> {
    const dir = path.join(study.dir, 'notes');
    const target = path.join(dir, file);
    if (req.method === 'GET') {
      return sendJson(res, 200, { text: fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : '' });
    }
    if (req.method !== 'PUT') throw new HttpError(405, 'notes: GET or PUT');
    const body = (await readJson(req)) as { text?: unknown };
    if (typeof body?.text !== 'string') throw new HttpError(400, 'notes: a JSON body {"text": "…markdown…"}');
    if (Buffer.byteLength(body.text) > MAX_NOTE) throw new HttpError(413, `notes: at most ${MAX_NOTE} bytes`);
    fs.mkdirSync(dir, { recursive: true });
    // Written aside, then renamed: a reader never sees half a note.
    fs.writeFileSync(`${target}.tmp`, body.text);
    fs.renameSync(`${target}.tmp`, target);
    sendJson(res, 200, { saved: path.relative(options.results, target) });
  }

  function trialDetail(study: LiveStudy, n: number): unknown {
    const t = study.fold.trial(n);
    if (!t) throw new HttpError(404, `study ${study.name} has no trial ${n}`);
    const events = study.linesBetween(0, study.position).flatMap((l) => {
      if (!l.text.includes(`"trial":${n}`)) return [];
      try {
        const e = JSON.parse(l.text) as { trial?: unknown; event?: unknown };
        return e.trial === n && e.event !== 'intermediate' ? [e] : [];
      } catch {
        return [];
      }
    });
    const finished = events.find((e) => e.event === 'trial_finished') as { metrics?: Record<string, unknown> } | undefined;
    const retries: number[] = [];
    for (let r = t.retryOf; r !== null; r = study.fold.trial(r)?.retryOf ?? null) retries.push(r);
    const retriedBy = study.fold.trials.filter((x) => x.retryOf === n).map((x) => x.n);
    const folder = path.join(study.dir, 'trials', String(n));
    const files = fs.existsSync(folder) ? fs.readdirSync(folder).sort() : [];
    return {
      trial: t,
      metrics: finished?.metrics ?? {},
      events,
      retries,
      retriedBy,
      files,
      images: files.filter((f) => f.endsWith('.png')),
      repro: `hypersweep repro ${study.name} ${n} --results ${options.results}`,
    };
  }

  function trialFile(res: http.ServerResponse, study: LiveStudy, n: number, raw: string): void {
    const name = safeSegment(raw);
    if (name === null || !/^[A-Za-z0-9._-]+\.png$/.test(name)) throw new HttpError(400, 'only the PNG files of a trial folder are served');
    const file = path.join(study.dir, 'trials', String(n), name);
    if (!fs.existsSync(file)) throw new HttpError(404, `no ${name} for trial ${n}`);
    send(res, 200, 'image/png', fs.readFileSync(file), 'no-cache');
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8080, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  hosts = allowedHosts(host, port);
  const shownHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    url: `http://${shownHost}:${port}/`,
    port,
    server,
    live,
    close: async () => {
      live.close();
      for (const s of streams) s.end();
      await Promise.all([...redisControls.values()].map((t) => t.close()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function send(res: http.ServerResponse, status: number, type: string, body: Buffer, cache: string): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': body.length, 'Cache-Control': cache });
  res.end(body);
}

function sendJson(res: http.ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', Buffer.from(JSON.stringify(value)), 'no-store');
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, `request body over ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'the body is not valid JSON');
  }
}
