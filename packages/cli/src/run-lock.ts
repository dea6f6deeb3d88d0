import * as fs from 'node:fs';
import * as path from 'node:path';
import { RadpoError } from '@radpo/core';

/** Name of the lock file in a run directory; it contains the process id of the run writing there. */
export const RUN_LOCK_FILE = 'run.lock';

/**
 * Marks a run directory as being written by this process, so that a second `radpo train` (a
 * `--resume` of a run that is still alive, or a second run with the same --out) fails instead of
 * writing the same files. A lock left by a process that no longer exists (killed with SIGKILL) is
 * taken over.
 */
export class RunLock {
  private constructor(private readonly file: string) {}

  /** Takes the lock of `dir`, creating the directory when needed; throws when a live process holds it. */
  static acquire(dir: string): RunLock {
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, RUN_LOCK_FILE);
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      return new RunLock(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new RadpoError('io', `cannot create ${file}: ${(error as Error).message}`, { cause: error });
      }
    }

    const owner = Number.parseInt(fs.readFileSync(file, 'utf8'), 10);
    if (Number.isInteger(owner) && owner !== process.pid && isAlive(owner)) {
      throw new RadpoError(
        'io',
        `${dir} is in use by another radpo process (pid ${owner}, from ${file}). Wait for it to end or stop it; ` +
          `if no such run exists, delete ${file}.`,
      );
    }
    // NOTE: two processes taking over the same stale lock at the same moment could both succeed.
    fs.writeFileSync(file, `${process.pid}\n`);
    return new RunLock(file);
  }

  /** Removes the lock file, when it is still this process's. */
  release(): void {
    try {
      if (fs.readFileSync(this.file, 'utf8').trim() === String(process.pid)) fs.rmSync(this.file, { force: true });
    } catch {
      // Already removed, for example by --overwrite of the directory from another run: nothing to release.
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
