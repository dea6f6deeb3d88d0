import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { ComparisonEvent } from '@radpo/compare';

type Write = (line: string) => void;

/**
 * Shows a comparison on the terminal. On a TTY: one bar for the whole comparison (runs) and one per
 * running run (optimizer steps). Otherwise plain lines: each run's start and end, and its training
 * progress at every quarter. Failures and warnings are always printed as lines.
 */
export class ComparisonReporter {
  private bars?: MultiBar;
  private overall?: SingleBar;
  private readonly runBars = new Map<string, SingleBar>();
  private done = 0;
  private total = 0;

  constructor(
    private readonly interactive: boolean,
    private readonly write: Write,
  ) {}

  handle(event: ComparisonEvent): void {
    switch (event.type) {
      case 'comparisonStart':
        this.total = event.toRun.length;
        this.write(
          `radpo compare: ${event.total} runs in ${event.outDir}; ${event.finished.length} already finished, ${event.toRun.length} to run` +
            (event.restarted.length > 0 ? ` (restarting ${event.restarted.map((entry) => `${entry.run}: ${entry.reason}`).join(', ')})` : ''),
        );
        if (this.interactive && this.total > 0) {
          this.bars = new MultiBar({ format: '{label} [{bar}] {value}/{total} {detail}', hideCursor: true, clearOnComplete: false }, Presets.shades_classic);
          this.overall = this.bars.create(this.total, 0, { label: 'comparison'.padEnd(28), detail: 'runs' });
        }
        break;
      case 'runStart':
        if (!this.bars) this.write(`[${event.index}/${event.of}] ${event.run}: started`);
        break;
      case 'runEvent':
        this.handleRunEvent(event.run, event.event);
        break;
      case 'runNote':
        this.log(`${event.run}: ${event.message}`);
        break;
      case 'runDone': {
        this.done++;
        this.removeRunBar(event.run);
        this.overall?.update(this.done);
        const accuracy = event.summary.heldOut['rewards/accuracies'];
        const detail = accuracy !== undefined ? `, held-out reward accuracy ${accuracy.toFixed(3)}` : '';
        this.log(`${event.run}: ${event.status} after ${event.summary.steps} steps in ${(event.durationMs / 1000).toFixed(1)} s${detail}`);
        break;
      }
      case 'runFailed':
        this.done++;
        this.removeRunBar(event.run);
        this.overall?.update(this.done);
        this.log(`${event.run}: failed: ${event.message}`);
        break;
      case 'comparisonEnd':
        this.close();
        this.write(
          `radpo compare: ${event.completed.length} completed, ${event.skipped.length} skipped as finished, ` +
            `${event.stopped.length} stopped, ${event.failed.length} failed in ${(event.durationMs / 1000).toFixed(1)} s`,
        );
        break;
    }
  }

  close(): void {
    this.bars?.stop();
    this.bars = undefined;
    this.overall = undefined;
    this.runBars.clear();
  }

  private handleRunEvent(run: string, event: import('@radpo/core').RunEvent): void {
    if (event.type === 'warning') {
      this.log(`${run}: warning (${event.source}): ${event.message}`);
      return;
    }
    if (event.type !== 'step') return;
    const label = `${run} ${event.phase === 'warmup' ? 'warm-up' : 'train'}`;
    if (this.bars) {
      let bar = this.runBars.get(run);
      if (!bar || bar.getTotal() !== event.maxSteps) {
        if (bar) this.bars.remove(bar);
        bar = this.bars.create(event.maxSteps, 0, { label: label.slice(0, 28).padEnd(28), detail: '' });
        this.runBars.set(run, bar);
      }
      bar.update(event.step, { label: label.slice(0, 28).padEnd(28), detail: `loss ${event.loss.toFixed(4)}` });
      return;
    }
    const quarter = Math.max(1, Math.ceil(event.maxSteps / 4));
    if (event.phase === 'train' && (event.step % quarter === 0 || event.step === event.maxSteps)) {
      this.write(`  ${label} step ${event.step}/${event.maxSteps}: loss ${event.loss.toFixed(4)}`);
    }
  }

  private removeRunBar(run: string): void {
    const bar = this.runBars.get(run);
    if (bar && this.bars) this.bars.remove(bar);
    this.runBars.delete(run);
  }

  /** Prints a line above the bars on a TTY, or as it is otherwise. */
  private log(line: string): void {
    if (this.bars) this.bars.log(line + '\n');
    else this.write(line);
  }
}
