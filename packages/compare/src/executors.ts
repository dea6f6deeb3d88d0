import { fork } from 'node:child_process';
import { defer, from, Observable, switchMap } from 'rxjs';
import * as tf from '@tensorflow/tfjs-core';
import { RadpoError, type PluginRegistry, type RunEvent } from '@radpo/core';
import { readCheckpoint, train, type PairCache, type Weights } from '@radpo/runtime';
import type { RunExecutor, RunRequest } from './runner';

/**
 * Runs every run in this process, one at a time or interleaved. Runs share tokenized pairs (one
 * PairCache) and the weights of each initial checkpoint, which are read once.
 */
export function createInProcessExecutor(registry: PluginRegistry): RunExecutor & { dispose(): void } {
  const pairCache: PairCache = new Map();
  const checkpoints = new Map<string, Promise<Weights>>();

  const loadInitial = (dir: string | undefined): Promise<Weights | undefined> => {
    if (dir === undefined) return Promise.resolve(undefined);
    let pending = checkpoints.get(dir);
    if (!pending) {
      pending = readCheckpoint(dir).then((checkpoint) => checkpoint.weights);
      checkpoints.set(dir, pending);
    }
    return pending;
  };

  const execute = (request: RunRequest): Observable<RunEvent> =>
    defer(() => from(loadInitial(request.run.initialCheckpoint))).pipe(
      switchMap((initialWeights) =>
        train({
          config: request.run.config,
          registry,
          outDir: request.runDir,
          runId: request.run.id,
          stopSignal: request.signal,
          initialWeights,
          pairCache,
        }),
      ),
    );

  return Object.assign(execute, {
    dispose() {
      for (const pending of checkpoints.values()) pending.then((weights) => tf.dispose(Object.values(weights)), () => undefined);
      checkpoints.clear();
      pairCache.clear();
    },
  });
}

/** Messages from the parent to a run worker. */
export type WorkerRequest =
  | { type: 'run'; run: RunRequest['run']; runDir: string }
  | { type: 'stop' };

/** Messages from a run worker to the parent. */
export type WorkerReply =
  | { type: 'event'; event: RunEvent }
  | { type: 'done' }
  | { type: 'error'; message: string };

/** Lines of a worker's stderr kept for the error message when it dies. */
const STDERR_TAIL_LINES = 20;

/**
 * Runs each run in a fresh child process (`node workerPath`), which must call serveRunWorker. Runs
 * in different processes use different cores; each child reads and tokenizes its own data.
 * NOTE: one process per run repeats tokenization in every run; a pool of long-lived workers would share it.
 */
export function createChildProcessExecutor(workerPath: string): RunExecutor {
  return (request) =>
    new Observable<RunEvent>((subscriber) => {
      const child = fork(workerPath, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced' });
      const stderr: string[] = [];
      child.stderr?.setEncoding('utf8');
      child.stderr?.on('data', (chunk: string) => {
        stderr.push(...chunk.split('\n').filter((line) => line.trim() !== ''));
        stderr.splice(0, Math.max(0, stderr.length - STDERR_TAIL_LINES));
      });

      let settled = false;
      child.on('message', (reply: WorkerReply) => {
        if (reply.type === 'event') subscriber.next(reply.event);
        else if (reply.type === 'done') {
          settled = true;
          subscriber.complete();
        } else {
          settled = true;
          subscriber.error(new RadpoError('io', `run ${request.run.id} failed in its worker process: ${reply.message}`));
        }
      });
      child.on('exit', (code, signal) => {
        if (settled) return;
        settled = true;
        const tail = stderr.length > 0 ? ` Its last output:\n${stderr.join('\n')}` : '';
        subscriber.error(
          new RadpoError('io', `the worker process of run ${request.run.id} exited (${signal ? `signal ${signal}` : `code ${code}`}) before the run ended.${tail}`),
        );
      });
      child.on('error', (error) => {
        if (settled) return;
        settled = true;
        subscriber.error(new RadpoError('io', `cannot start the worker process of run ${request.run.id}: ${error.message}`, { cause: error }));
      });

      const onAbort = () => child.connected && child.send({ type: 'stop' } satisfies WorkerRequest);
      request.signal.addEventListener('abort', onAbort);
      child.send({ type: 'run', run: request.run, runDir: request.runDir } satisfies WorkerRequest);

      return () => {
        request.signal.removeEventListener('abort', onAbort);
        if (child.exitCode === null && child.signalCode === null) child.kill();
      };
    });
}

/**
 * The worker side of createChildProcessExecutor: takes one run request from the parent, runs it in
 * this process and sends every event back, then exits.
 */
export function serveRunWorker(registry: PluginRegistry): void {
  const send = (reply: WorkerReply) => process.send?.(reply);
  const stop = new AbortController();
  process.on('message', (request: WorkerRequest) => {
    if (request.type === 'stop') {
      stop.abort();
      return;
    }
    const execute = createInProcessExecutor(registry);
    execute({ run: request.run, runDir: request.runDir, signal: stop.signal }).subscribe({
      next: (event) => send({ type: 'event', event }),
      error: (error) => {
        send({ type: 'error', message: (error as Error).message ?? String(error) });
        process.disconnect?.();
      },
      complete: () => {
        send({ type: 'done' });
        process.disconnect?.();
      },
    });
  });
}
