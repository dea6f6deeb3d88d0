import { SingleBar, Presets } from 'cli-progress';
import type { RunEvent } from '@radpo/core';

type Write = (line: string) => void;

/**
 * Shows a run on the terminal: progress bars when stderr is a TTY, plain lines otherwise (logs, CI).
 * Warnings, transform counts, evals and the summary are always printed as lines.
 */
export class ConsoleReporter {
  private bar?: SingleBar;
  private barPhase?: string;

  constructor(
    private readonly interactive: boolean,
    private readonly write: Write = (line) => process.stderr.write(line + '\n'),
  ) {}

  handle(event: RunEvent): void {
    switch (event.type) {
      case 'runStart':
        this.write(
          `radpo: backend ${event.backend.name} (${event.backend.detail}); ${event.parameterCount.toLocaleString('en-US')} parameters; ` +
            `loss ${event.losses.join(' + ')}${event.usesReference ? '' : ' (reference-free)'}; ${event.trainPairs} training pairs, ${event.evalPairs} held-out`,
        );
        break;
      case 'transform':
        this.write(`${event.transform} (${event.split}): ${formatCounts(event.stats)}`);
        break;
      case 'read':
        this.write(describeRead(event));
        break;
      case 'warning':
        this.clearBar();
        this.write(`warning (${event.source}): ${event.message}`);
        break;
      case 'step':
        this.showStep(event);
        break;
      case 'eval':
        this.clearBar();
        this.write(
          `eval @ step ${event.step} (${event.pairs} pairs): loss ${fmt(event.loss)}, reward accuracy ${fmt(event.metrics['rewards/accuracies'])}, ` +
            `margin ${fmt(event.metrics['rewards/margins'])}, ties ${event.ties}`,
        );
        break;
      case 'reference':
        this.write(
          `reference log-probs of ${event.pairs} pairs ${event.source === 'cache' ? 'read from' : 'computed in'} ` +
            `${event.source === 'cache' ? event.cachePath : `${(event.durationMs / 1000).toFixed(1)} s`}`,
        );
        break;
      case 'checkpoint':
        this.clearBar();
        this.write(`checkpoint @ step ${event.step}: ${event.path}`);
        break;
      case 'runEnd':
        this.clearBar();
        this.write(
          `run ${event.status} after ${event.steps} steps in ${(event.durationMs / 1000).toFixed(1)} s` +
            (event.skippedBatches ? `; ${event.skippedBatches} batches skipped for non-finite values` : ''),
        );
        break;
    }
  }

  close(): void {
    this.clearBar();
  }

  private showStep(event: RunEvent<'step'>): void {
    const label = event.phase === 'warmup' ? 'warm-up' : 'train';
    const payload = { label, loss: fmt(event.loss), speed: Math.round(event.tokensPerSecond) };
    if (this.interactive) {
      if (this.barPhase !== event.phase) {
        this.clearBar();
        this.bar = new SingleBar(
          { format: '{label} [{bar}] {value}/{total} | loss {loss} | {speed} tok/s | eta {eta}s', hideCursor: true },
          Presets.shades_classic,
        );
        this.bar.start(event.maxSteps, 0, payload);
        this.barPhase = event.phase;
      }
      this.bar!.update(event.step, payload);
      return;
    }
    const every = event.maxSteps <= 50 ? 1 : Math.ceil(event.maxSteps / 20);
    if (event.step % every === 0 || event.step === event.maxSteps || event.step === 1) {
      const accuracy = event.metrics['rewards/accuracies'];
      this.write(
        `${label} step ${event.step}/${event.maxSteps}: loss ${fmt(event.loss)}` +
          (accuracy !== undefined ? `, reward accuracy ${fmt(accuracy)}, margin ${fmt(event.metrics['rewards/margins'])}` : '') +
          `, lr ${event.learningRate.toExponential(2)}, ${Math.round(event.tokensPerSecond)} tok/s`,
      );
    }
  }

  private clearBar(): void {
    this.bar?.stop();
    this.bar = undefined;
    this.barPhase = undefined;
  }
}

function fmt(value: number | undefined): string {
  if (value === undefined) return 'n/a';
  return Math.abs(value) >= 1000 || (value !== 0 && Math.abs(value) < 1e-3) ? value.toExponential(3) : value.toFixed(4);
}

function formatCounts(counts: Record<string, number>): string {
  return Object.entries(counts)
    .map(([key, value]) => `${key} ${value}`)
    .join(', ');
}

/** Describes a read event in one line: rows kept, skips and kept degenerate pairs by reason, repeated ids. */
function describeRead(event: RunEvent<'read'>): string {
  const skipped = Object.keys(event.skipped).length > 0 ? `; skipped ${formatCounts(event.skipped)}` : '';
  const flagged = Object.keys(event.flagged).length > 0 ? `; kept degenerate pairs: ${formatCounts(event.flagged)}` : '';
  const duplicates = event.duplicateIds > 0 ? `; repeated ids ${event.duplicateIds}` : '';
  return `read ${event.file} (${event.split}): ${event.rowsYielded} of ${event.rowsRead} rows${skipped}${flagged}${duplicates}`;
}

/** Lines for the end of a run: what reading skipped and flagged, by file and reason, and batches skipped for non-finite values. */
export function formatDataSummary(reads: RunEvent<'read'>[], skippedBatches: number): string[] {
  const lines = reads.map((event) => `  ${describeRead(event)}`);
  if (skippedBatches > 0) lines.push(`  batches skipped for a non-finite loss or gradient: ${skippedBatches}`);
  return lines.length > 0 ? ['Data:', ...lines] : [];
}

/** Formats the held-out summary as aligned lines for the end of a run. */
export function formatSummary(summary: Record<string, number>): string[] {
  const keys = Object.keys(summary);
  const width = Math.max(...keys.map((key) => key.length));
  // Counts such as ties print as integers, rates and log-probs with four decimals.
  return keys.map((key) => `  ${key.padEnd(width)}  ${Number.isInteger(summary[key]) && key === 'ties' ? String(summary[key]) : fmt(summary[key])}`);
}
