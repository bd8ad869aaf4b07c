// A private network "host" in its own network namespace, joined to the root
// namespace by a veth pair, so that a test can partition a worker process from
// Redis without touching anything else on the machine.
//
//   root namespace                      namespace <nsName>
//   hs231-<k>  10.231.<k>.1/24  <-veth->  eth0  10.231.<k>.2/24  (+ lo)
//
// The namespace has no default route: a process inside can reach only the
// host-side veth address (and its own), never any other address. Needs root.
import { execFile, execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { promisify } from 'node:util';

import { processIsAlive } from '../../src/study/lock.js';

const execFileAsync = promisify(execFile);

export interface NetHost {
  /** Namespace name (unique per process and call). */
  nsName: string;
  /** Root-namespace side of the veth (bind servers here to reach them from inside). */
  hostIp: string;
  /** Address of the namespace side of the veth. */
  nsIp: string;
  /** Interface names: host side in the root namespace, `eth0` inside. */
  hostIf: string;
  nsIf: string;
  /** `ip netns exec <ns> cmd ...args`; env defaults to process.env. Killed on destroy(). */
  spawn(cmd: string, args?: readonly string[], opts?: SpawnOptions): ChildProcess;
  /** Partition: frames in both directions are silently dropped; links, routes and sockets stay. */
  cut(): Promise<void>;
  /** Heal the partition (ARP re-resolves the real addresses). */
  restore(): Promise<void>;
  /** Kill spawned processes, delete the veth pair and the namespace. Idempotent. */
  destroy(): Promise<void>;
}

// A locally administered unicast MAC that no interface here has (see cut()).
const NOWHERE_MAC = '02:00:00:de:ad:01';
const PREFIX = 'hs'; // namespaces: hs-<name>-<pid>-<counter>
const IF_PREFIX = 'hs231-'; // host-side veth: hs231-<k> (15 chars max for interface names)

function ip(args: readonly string[]): Promise<void> {
  return execFileAsync('ip', [...args]).then(
    () => undefined,
    (error: Error & { stderr?: string }) => {
      throw new Error(`ip ${args.join(' ')}: ${error.stderr?.trim() || error.message}`);
    },
  );
}

function ipSync(args: readonly string[]): string {
  return execFileSync('ip', [...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

let available: string | null | undefined;
/** Why namespaces cannot be used here, or null when they can (root, and a probe netns can be added). */
export function netnsUnavailableReason(): string | null {
  if (available !== undefined) return available;
  if (process.platform !== 'linux') available = 'not Linux';
  else if (process.getuid?.() !== 0) available = 'not root';
  else {
    const probe = `${PREFIX}-probe-${process.pid}`;
    try {
      ipSync(['netns', 'add', probe]);
      ipSync(['netns', 'del', probe]);
      available = null;
    } catch (error) {
      available = `ip netns add failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
    }
  }
  return available;
}

/** True when this process may create network namespaces (root, Linux, `ip netns` works). */
export function netnsAvailable(): boolean {
  return netnsUnavailableReason() === null;
}


/**
 * Deletes namespaces (their processes and veth pairs) left by test processes
 * that died without cleanup (SIGKILL, or SIGINT/SIGTERM, which skip 'exit').
 */
function reapStale(): void {
  const names = ipSync(['netns', 'list']).split('\n').map((l) => l.split(' ')[0] ?? '');
  for (const name of names) {
    const m = /^hs-.+-(\d+)-\d+$/.exec(name);
    if (!m || processIsAlive(Number(m[1]))) continue;
    for (const pid of ipSync(['netns', 'pids', name]).split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    // Deleting the inside end removes the pair even if a stray process still holds the namespace.
    for (const args of [['-n', name, 'link', 'del', 'eth0'], ['netns', 'del', name]]) {
      try {
        ipSync(args);
      } catch {
        // already gone
      }
    }
  }
}

const hosts = new Set<{ destroySync(): void }>();
process.on('exit', () => {
  for (const h of hosts) h.destroySync();
});

let counter = 0;

export async function createNetHost(name: string): Promise<NetHost> {
  const reason = netnsUnavailableReason();
  if (reason) throw new Error(`network namespaces unavailable: ${reason}`);
  reapStale();
  const nsName = `${PREFIX}-${name.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 20)}-${process.pid}-${counter++}`;
  await ip(['netns', 'add', nsName]);
  const children = new Set<ChildProcess>();
  let hostIf = '';
  let destroyed = false;

  const destroySync = (): void => {
    if (destroyed) return;
    destroyed = true;
    hosts.delete(handle);
    for (const c of children) c.kill('SIGKILL');
    // Deleting one end of a veth deletes both, even if something still holds the namespace.
    const quiet = (args: string[]): void => {
      try {
        ipSync(args);
      } catch {
        // already gone
      }
    };
    if (hostIf) quiet(['link', 'del', hostIf]);
    quiet(['netns', 'del', nsName]);
  };
  const handle = { destroySync };
  hosts.add(handle);

  try {
    // Pick a free 10.231.<k>.0/24: skip subnets seen in addresses or routes, and
    // let the atomic creation of the host-side interface name (which carries k)
    // settle races with other test processes doing the same.
    const start = (process.pid * 7 + counter * 13) % 256;
    let k = -1;
    for (let i = 0; i < 256 && k < 0; i++) {
      const cand = (start + i) % 256;
      const used = ipSync(['-o', '-4', 'addr']) + ipSync(['-4', 'route']);
      if (used.includes(`10.231.${cand}.`)) continue;
      try {
        await ip(['link', 'add', `${IF_PREFIX}${cand}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', nsName]);
        k = cand;
      } catch (error) {
        if (!/exists/i.test(String(error))) throw error;
      }
    }
    if (k < 0) throw new Error('no free 10.231.<k>.0/24 subnet');
    hostIf = `${IF_PREFIX}${k}`;
    const hostIp = `10.231.${k}.1`;
    const nsIp = `10.231.${k}.2`;
    await ip(['addr', 'add', `${hostIp}/24`, 'dev', hostIf]);
    await ip(['link', 'set', hostIf, 'up']);
    await ip(['-n', nsName, 'addr', 'add', `${nsIp}/24`, 'dev', 'eth0']);
    await ip(['-n', nsName, 'link', 'set', 'eth0', 'up']);
    await ip(['-n', nsName, 'link', 'set', 'lo', 'up']);

    return {
      nsName,
      hostIp,
      nsIp,
      hostIf,
      nsIf: 'eth0',
      spawn(cmd, args = [], opts = {}) {
        if (destroyed) throw new Error(`net host ${nsName} destroyed`);
        const child = spawn('ip', ['netns', 'exec', nsName, cmd, ...args], { env: process.env, ...opts });
        children.add(child);
        child.once('exit', () => children.delete(child));
        return child;
      },
      // Both sides get a permanent neighbour entry pointing at a MAC nobody has.
      // Senders still find a route and a neighbour, so nothing fails locally
      // (no ENETUNREACH, no EINVAL as with a blackhole route); the receiving veth
      // sees a foreign destination MAC and drops the frame before IP. No RST,
      // no ICMP: TCP just retransmits with backoff, connect() hangs in SYN_SENT,
      // and open sockets stay ESTABLISHED until their own timeouts fire.
      // Not `ip link set down`: that removes the connected routes, so inside
      // connect() fails at once, and in the root namespace traffic for
      // 10.231.<k>.2 would fall through to the default route (a real network).
      // iptables/nft and tc netem are not available on this machine.
      async cut() {
        await ip(['-n', nsName, 'neigh', 'replace', hostIp, 'lladdr', NOWHERE_MAC, 'dev', 'eth0', 'nud', 'permanent']);
        await ip(['neigh', 'replace', nsIp, 'lladdr', NOWHERE_MAC, 'dev', hostIf, 'nud', 'permanent']);
      },
      async restore() {
        // Deleting the entries makes the next packet re-resolve by ARP; TCP's
        // next retransmission then gets through.
        await ip(['-n', nsName, 'neigh', 'del', hostIp, 'dev', 'eth0']).catch(() => undefined);
        await ip(['neigh', 'del', nsIp, 'dev', hostIf]).catch(() => undefined);
      },
      async destroy() {
        destroySync();
      },
    };
  } catch (error) {
    destroySync();
    throw error;
  }
}
