// `hypersweep dashboard`: a live local web app over the studies of a results
// folder (src/dashboard/server.ts). Serves until Ctrl-C.
import { spawn } from 'node:child_process';

import type { Command } from 'commander';

import { Errors } from '../../errors.js';

interface DashboardCliOptions {
  results: string;
  port: string;
  host: string;
  token?: string | true;
  open?: boolean;
  queue?: string;
}

export function registerDashboardCommand(program: Command): void {
  program
    .command('dashboard')
    .description('serve a live dashboard of the studies under --results (watch, compare and act on running sweeps)')
    .option('--results <dir>', 'folder holding the studies', 'results')
    .option('--port <port>', 'port to listen on (0: any free one)', '8080')
    .option('--host <host>', 'address to bind; anything but loopback needs --token', '127.0.0.1')
    .option('--token [token]', 'require this token on every request (none given: a random one, printed once)')
    .option('--open', 'open the dashboard in the default browser')
    .option('--queue <url>', "distributed sweeps: send the actions on their studies through this Redis, for controllers on other machines (redis[s]://[user:password@]host:port[/db]; default: $HYPERSWEEP_QUEUE)")
    .action(async (opts: DashboardCliOptions) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw Errors.invalidOption('--port', opts.port, 'a port number, 0 to 65535');
      const [{ startDashboard }, { isLoopback, newToken }] = await Promise.all([
        import('../../dashboard/server.js'),
        import('../../dashboard/security.js'),
      ]);
      const token = opts.token === true ? newToken() : (opts.token ?? null);
      const queueUrl = opts.queue ?? (process.env['HYPERSWEEP_QUEUE'] || undefined);
      const queue = queueUrl === undefined ? null : (await import('../../dispatch/queue/address.js')).parseQueueUrl(queueUrl);
      if (!isLoopback(opts.host) && token === null) {
        throw Errors.invalidOption('--host', opts.host, 'a loopback address (127.0.0.1, ::1, localhost); to serve another host, add --token (every request must then carry it)');
      }
      let dashboard;
      try {
        dashboard = await startDashboard({ results: opts.results, host: opts.host, port, token, queue });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE') throw Errors.invalidOption('--port', opts.port, 'a free port (this one is in use; --port 0 picks one)');
        if (code === 'EADDRNOTAVAIL') throw Errors.invalidOption('--host', opts.host, 'an address of this machine');
        throw err;
      }
      const url = token === null ? dashboard.url : `${dashboard.url}?token=${encodeURIComponent(token)}`;
      // The token is printed here once; the page keeps it in a cookie.
      process.stdout.write(`hypersweep dashboard: ${url}  (studies under ${opts.results}; Ctrl-C to stop)\n`);
      if (opts.open) openBrowser(url);
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void dashboard.close().then(resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      process.exitCode = 0;
    });
}

function openBrowser(url: string): void {
  const command = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  const child = spawn(command, [url], { stdio: 'ignore', detached: true });
  child.on('error', () => process.stderr.write(`hypersweep: could not start ${command}; open ${url} yourself\n`));
  child.unref();
}
