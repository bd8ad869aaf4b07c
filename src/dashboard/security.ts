// What keeps the dashboard safe by default:
// - it binds 127.0.0.1; another host needs a token, and then every request must
//   carry it (the page gets it once from the URL and keeps it in a cookie);
// - the Host header must name the server (a DNS-rebinding page cannot talk to it);
// - a state-changing request must come from the dashboard's own origin (no
//   CSRF): Origin equal to the server's, JSON only (a cross-site form cannot send it);
// - a Content-Security-Policy that lets the page load nothing outside the server.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export function isLoopback(host: string): boolean {
  return LOOPBACK_HOSTS.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export function newToken(): string {
  return randomBytes(18).toString('base64url');
}

export const TOKEN_COOKIE = 'hypersweep_token';

/** The token a request carries: `Authorization: Bearer`, `?token=` or the cookie. */
export function requestToken(req: IncomingMessage, url: URL): string | null {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
  const q = url.searchParams.get('token');
  if (q) return q;
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === TOKEN_COOKIE) return decodeURIComponent(v.join('='));
  }
  return null;
}

export function tokenMatches(given: string | null, expected: string): boolean {
  if (given === null) return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * The host:port values a request's Host header may carry, on loopback; null
 * (any) on another address, which the server cannot know every name of: there
 * the token keeps other sites out.
 */
export function allowedHosts(host: string, port: number): Set<string> | null {
  if (!isLoopback(host)) return null;
  return new Set(['127.0.0.1', 'localhost', '[::1]'].map((n) => `${n}:${port}`));
}

/** Why a state-changing request is refused (CSRF), or null when it may go on. */
export function crossSiteReason(req: IncomingMessage, hosts: ReadonlySet<string> | null): string | null {
  const origin = req.headers.origin;
  if (!origin) return 'no Origin header (state-changing requests come from the dashboard page)';
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return `unreadable Origin ${origin}`;
  }
  if (parsed.protocol !== 'http:' || (hosts !== null && !hosts.has(parsed.host)) || parsed.host !== req.headers.host) return `cross-origin request from ${origin}`;
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') return `Sec-Fetch-Site: ${String(site)}`;
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
  if (type !== 'application/json') return 'the body must be application/json';
  return null;
}

/** The page's policy: scripts, styles, images and connections from this server only. */
export function contentSecurityPolicy(scriptHashes: readonly string[]): string {
  return [
    "default-src 'none'",
    `script-src 'self' ${scriptHashes.map((h) => `'sha256-${h}'`).join(' ')}`.trim(),
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "font-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function sha256Base64(text: string): string {
  return createHash('sha256').update(text).digest('base64');
}

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/**
 * One path segment of a URL, decoded, if it is a plain name: no separator,
 * no `..`, no NUL, nothing absolute. Every route takes names through this.
 */
export function safeSegment(raw: string): string | null {
  let s: string;
  try {
    s = decodeURIComponent(raw);
  } catch {
    return null;
  }
  if (s === '' || s === '.' || s === '..' || /[/\\\0]/.test(s) || s.includes('..')) return null;
  return s;
}
