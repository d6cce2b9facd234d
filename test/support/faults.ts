/**
 * Faults a test can switch on and off without touching shared servers: a TCP proxy in front of a
 * database (stop it and the database is "down" for whoever connects through it), and the reference
 * service as its own process (SIGKILL it, start it again on the same port).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { ROOT } from './processes.js';

export interface TcpProxy {
  port: number;
  /** Refuses new connections and drops open ones, as a stopped server would. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
}

/** A proxy on 127.0.0.1 forwarding to `target`; listening when returned. */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = net.createServer((client) => {
        const upstream = net.connect(target.port, target.host);
        sockets.add(client);
        sockets.add(upstream);
        const drop = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
        client.pipe(upstream);
        upstream.pipe(client);
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        port = (s.address() as net.AddressInfo).port;
        server = s;
        resolve();
      });
    });
  await listen();
  return {
    get port() {
      return port;
    },
    async stop() {
      const s = server;
      server = undefined;
      for (const sock of sockets) sock.destroy();
      sockets.clear();
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    start: listen,
  };
}

export interface ServiceProcess {
  child: ChildProcess;
  url: string;
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Runs examples/fulfillment-service as its own process on `port`; resolves once it listens. */
export async function startServiceProcess(opts: { port: number; databaseUrl: string; knobs?: Record<string, unknown> }): Promise<ServiceProcess> {
  const main = path.join(ROOT, 'examples/fulfillment-service/main.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', main, '--port', String(opts.port), '--host', '127.0.0.1', '--database-url', opts.databaseUrl, ...(opts.knobs ? ['--knobs', JSON.stringify(opts.knobs)] : [])], {
    cwd: ROOT,
    env: { ...process.env, FULFILLMENT_TOKEN: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes('listening on')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code, signal) => reject(new Error(`fulfillment service exited (${code ?? signal}) before listening:\n${out}`)));
  });
  return {
    child,
    url: `http://127.0.0.1:${opts.port}`,
    output: () => out,
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      process.kill(child.pid!, signal);
      await exited;
    },
  };
}
