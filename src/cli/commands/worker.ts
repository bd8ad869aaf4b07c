// `hypersweep worker --queue URL`: serve the trials of distributed sweeps on
// this machine until Ctrl-C. The first Ctrl-C stops taking jobs and hands the
// running trials back to their controller (run again elsewhere); a second one
// leaves at once.
import os, { availableParallelism } from 'node:os';

import type { Command } from 'commander';

import { planWorkers } from '../../dispatch/plan.js';
import { reserveLibuvThreads } from '../../dispatch/run-study.js';
import { DEFAULT_TIMINGS } from '../../dispatch/queue/protocol.js';
import { parseQueueUrl } from '../../dispatch/queue/address.js';
import { parseDeviceRequest, resolveDevice } from '../../engine/device.js';
import { ENGINE_REQUESTS, checkEngineRequest, parseEngineRequest } from '../../engine/engine-request.js';
import { addonAvailable, buildInfo, MAX_THREADS } from '../../engine/native.js';
import { Errors } from '../../errors.js';
import { hypersweepVersion } from '../../trials/record.js';
import { parseIntOption } from '../options.js';

interface WorkerOptions {
  queue?: string;
  workers?: string;
  threads?: string;
  device: string;
  engine: string;
  studies?: string;
  name?: string;
  dataRoot?: string;
  codeRoot?: string;
  heartbeat?: string;
  quiet?: boolean;
  nice?: string;
}

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('serve the trials of distributed sweeps (sweep --queue) on this machine, until Ctrl-C')
    .option('--queue <url>', 'the Redis the controllers dispatch through (redis[s]://[user:password@]host:port[/db]; default: $HYPERSWEEP_QUEUE)')
    .option('--workers <w>', 'trials at once (default: min(cores, 2), as a local sweep of a model on the cpu)')
    .option('--threads <t>', 'native threads of each trial (default: cores / workers)')
    .option('--device <device>', 'auto, cpu or cuda (MLP trials)', 'auto')
    .option('--engine <engine>', `TensorFlow.js engine of CNN trials: ${ENGINE_REQUESTS.join(', ')}`, 'auto')
    .option('--studies <names>', 'serve only these studies (comma-separated names)')
    .option('--name <name>', "this worker's name in journals and status (default: host-pid)")
    .option('--data-root <dir>', "look for a study's image folder here (by its folder name) when the controller's path does not exist")
    .option('--code-root <dir>', "look for a module objective here (by its path relative to the controller's working folder), so that its own imports resolve")
    .option('--heartbeat <ms>', 'heartbeat period in milliseconds', String(DEFAULT_TIMINGS.heartbeatMs))
    .option('--quiet', 'no line per trial that ends well (failures, warnings, studies served and stopping are still printed)')
    .option('--nice <n>', "run at this lower CPU priority, 0-19 (as nice(1)): on a machine shared with the controller, or with your own work, trials then yield the cores to them", '0')
    .action(async (opts: WorkerOptions) => {
      process.exitCode = await workerCommand(opts);
    });
}

async function workerCommand(opts: WorkerOptions): Promise<number> {
  const url = opts.queue ?? (process.env['HYPERSWEEP_QUEUE'] || undefined);
  if (url === undefined) throw Errors.invalidOption('--queue', '(missing)', 'the Redis URL of the sweeps to serve, e.g. --queue redis://HOST:6379 (or set HYPERSWEEP_QUEUE)');
  const address = parseQueueUrl(url);
  const device = resolveDevice(parseDeviceRequest(opts.device));
  const engine = checkEngineRequest(parseEngineRequest(opts.engine));
  // Defaults as a local sweep of a model on this machine's cores. A worker may also serve module
  // objectives that barely use a core (many slots of them), so more slots than cores are allowed
  // when asked for, with a warning instead of the local sweep's refusal.
  const requested = {
    ...(opts.workers !== undefined ? { workers: parseIntOption('--workers', opts.workers, 1, 256) } : {}),
    ...(opts.threads !== undefined ? { threadsPerTrial: parseIntOption('--threads', opts.threads, 1, MAX_THREADS) } : {}),
  };
  const plan =
    requested.workers === undefined
      ? planWorkers({ kind: 'model', model: 'mlp' }, device, requested)
      : {
          workers: requested.workers,
          threadsPerTrial: requested.threadsPerTrial ?? Math.max(1, Math.floor(availableParallelism() / requested.workers)),
          cores: availableParallelism(),
        };
  reserveLibuvThreads(plan.workers);
  lowerPriority(parseIntOption('--nice', opts.nice ?? '0', 0, 19));
  const heartbeatMs = parseIntOption('--heartbeat', opts.heartbeat ?? String(DEFAULT_TIMINGS.heartbeatMs), 50, 60_000);
  const studies = opts.studies === undefined ? null : opts.studies.split(',').map((s) => s.trim()).filter((s) => s !== '');
  // Loaded here: BullMQ and ioredis are for this command only.
  const { checkRedis } = await import('../../dispatch/queue/redis.js');
  const { WorkerService } = await import('../../dispatch/queue/worker-service.js');
  const check = await checkRedis(address);
  const name = opts.name ?? `${os.hostname()}-${process.pid}`;
  const log = (line: string) => process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);
  const native = addonAvailable() ? buildInfo() : null;
  const service = new WorkerService({
    address,
    name,
    slots: plan.workers,
    threadsPerTrial: plan.threadsPerTrial,
    device,
    engine,
    studies,
    dataRoot: opts.dataRoot ?? null,
    codeRoot: opts.codeRoot ?? null,
    heartbeatMs,
    identity: () => ({ version: hypersweepVersion(), build: native?.buildId ?? null, simd: native?.simd ?? null }),
    log,
    logTrials: opts.quiet !== true,
  });
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts++;
    if (interrupts === 1) {
      log(`${signal}: taking no more trials; handing the running ones back to their controllers (${signal === 'SIGINT' ? 'Ctrl-C' : signal} again to leave now)`);
      void service.stop();
    } else {
      log(`${signal} again: leaving now`);
      void service.abort();
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  if (check.maxmemoryPolicy !== null && check.maxmemoryPolicy !== 'noeviction') {
    log(`warning: Redis at ${address.shown} has maxmemory-policy ${check.maxmemoryPolicy}: it may evict queued trials; set it to noeviction`);
  }
  if (device === 'cpu' && plan.workers * plan.threadsPerTrial > plan.cores) {
    log(`warning: ${plan.workers} trials at once × ${plan.threadsPerTrial} thread(s) on ${plan.cores} cores: model trials would share cores and slow each other (fine for light module objectives)`);
  }
  await service.start();
  log(
    `worker ${name} serving ${studies ? `studies ${studies.join(', ')}` : 'any study'} through ${address.shown}: ` +
      `${plan.workers} trial(s) at once × ${plan.threadsPerTrial} thread(s), ${device}`,
  );
  await service.stopped();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  log('stopped');
  return interrupts > 1 ? 130 : 0;
}

/**
 * --nice: set before any pool thread exists, which inherit it (Linux keeps a
 * priority per thread; a thread starts with its creator's), so that the
 * trials run at it too. Why: a sweep's controller is its serial part; a
 * worker sharing its cores would otherwise get an equal share of them and slow
 * every dispatch, report and prune answer of the whole study.
 */
function lowerPriority(nice: number): void {
  // Never raises a priority: a worker started under nice(1) already at or below this one stays so.
  if (nice <= os.getPriority()) return;
  try {
    os.setPriority(nice);
  } catch (err) {
    throw Errors.invalidOption('--nice', String(nice), `a priority this process may take (${(err as Error).message})`);
  }
}
