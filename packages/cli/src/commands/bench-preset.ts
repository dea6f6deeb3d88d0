import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { RadpoError, type PluginRegistry } from '@radpo/core';
import { BACKEND_CHOICES, BENCH_PRESETS, getBenchPreset, runBenchmark, type BackendChoice, type BenchMeasurement } from '@radpo/runtime';

/** Path of the PyTorch twin of bench-small, relative to the repository root where `npm run bench` runs. */
const DEFAULT_TORCH_SCRIPT = '../shared/bench/torch_reference.py';
const DEFAULT_PYTHON = '/usr/bin/python3';

export interface BenchFlags {
  preset: string;
  steps: number;
  warmup: number;
  backend: BackendChoice;
  json?: boolean;
  torch: boolean;
  torchScript?: string;
  torchThreads: number;
  workers: number;
  python: string;
}

export interface BenchCommandIo {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
}

function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError(`expected a positive integer, got "${value}".`);
  return parsed;
}

function nonNegativeInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new InvalidArgumentError(`expected an integer of 0 or more, got "${value}".`);
  return parsed;
}

/**
 * Adds the throughput benchmark to the program as the action of `radpo bench`. When another module has
 * already added a `bench` command (for example with subcommands), the options and action go onto it,
 * so `radpo bench --preset ...` and `radpo bench <subcommand>` both work.
 */
export function registerBenchCommand(program: Command, registry: PluginRegistry): void {
  const existing = program.commands.find((command) => command.name() === 'bench');
  (existing ?? program.command('bench'))
    .description(
      'Measure training throughput (policy tokens per second) of a benchmark preset and, when PyTorch is installed, of its PyTorch twin.',
    )
    .addOption(new Option('--preset <name>', 'benchmark preset').choices(Object.keys(BENCH_PRESETS)).default('bench-small'))
    .option('--steps <n>', 'measured steps; speeds are their median', positiveInteger, 10)
    .option('--warmup <n>', 'unmeasured steps before measuring', nonNegativeInteger, 2)
    .addOption(new Option('--backend <name>', 'TensorFlow.js backend').choices([...BACKEND_CHOICES]).default('auto'))
    .option('--workers <n>', 'worker threads computing gradients besides the main thread (data parallel)', nonNegativeInteger, 0)
    .option('--json', 'print one JSON object per line instead of text')
    .option(
      '--torch-script <file>',
      `PyTorch twin of the preset, run with --steps, --warmup and --threads; it prints one JSON line with tokens_per_second (default ${DEFAULT_TORCH_SCRIPT} for bench-small, when that file exists)`,
    )
    .option('--no-torch', 'skip the PyTorch comparison')
    .option('--torch-threads <n>', 'threads PyTorch may use', positiveInteger, 1)
    .option('--python <file>', 'Python interpreter that has PyTorch', DEFAULT_PYTHON)
    .action(async (flags: BenchFlags) => {
      await runBenchCommand(flags, registry, {
        stdout: (line) => process.stdout.write(line + '\n'),
        stderr: (line) => process.stderr.write(line + '\n'),
      });
    });
}

/** Runs the PyTorch twin first (when available), then radpo's step, and prints both and their ratio. */
export async function runBenchCommand(flags: BenchFlags, registry: PluginRegistry, io: BenchCommandIo): Promise<void> {
  const preset = getBenchPreset(flags.preset);
  const torch = flags.torch ? runTorchReference(flags, io) : undefined;

  const lossOptions = { beta: preset.beta };
  const measurement = await runBenchmark({
    preset: preset.name,
    steps: flags.steps,
    warmupSteps: flags.warmup,
    backend: flags.backend,
    loss: registry.create('loss', 'dpo', lossOptions),
    workers: flags.workers,
    workerLoss: { packageName: registry.get('loss', 'dpo').packageName, name: 'dpo', options: lossOptions, weight: 1 },
  });
  report({ kind: 'radpo', ...measurement }, flags, io);

  if (torch) {
    report({ kind: 'pytorch', ...torch }, flags, io);
    const ratio = Math.round((measurement.tokensPerSecond / torch.tokens_per_second) * 1000) / 1000;
    report({ kind: 'ratio', preset: preset.name, radpoOverPytorch: ratio, radpoBackend: measurement.backend, pytorchThreads: torch.threads }, flags, io);
  }
}

interface TorchResult {
  tokens_per_second: number;
  steps: number;
  threads: number;
  torch?: string;
  preset?: string;
}

/** Returns the PyTorch twin's measurement, or undefined (with a note on stderr) when it cannot run. */
function runTorchReference(flags: BenchFlags, io: BenchCommandIo): TorchResult | undefined {
  const script = path.resolve(flags.torchScript ?? DEFAULT_TORCH_SCRIPT);
  if (!fs.existsSync(script)) {
    if (flags.torchScript) throw new RadpoError('config', `--torch-script ${flags.torchScript} was not found (resolved to ${script}).`);
    io.stderr(`radpo bench: no PyTorch comparison: ${DEFAULT_TORCH_SCRIPT} not found; pass --torch-script.`);
    return undefined;
  }
  if (!flags.torchScript && flags.preset !== 'bench-small') {
    io.stderr(`radpo bench: no PyTorch comparison: the PyTorch script implements bench-small, not ${flags.preset}.`);
    return undefined;
  }
  const probe = spawnSync(flags.python, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    io.stderr(
      `radpo bench: no PyTorch comparison: ${flags.python} cannot import torch` +
        ` (on Debian: apt-get install python3-torch libopenblas0-pthread).`,
    );
    return undefined;
  }
  const args = [script, '--steps', String(flags.steps), '--warmup', String(flags.warmup), '--threads', String(flags.torchThreads)];
  const result = spawnSync(flags.python, args, { encoding: 'utf8' });
  const line = result.stdout?.trim().split('\n').pop() ?? '';
  try {
    const parsed = JSON.parse(line) as TorchResult;
    if (result.status === 0 && typeof parsed.tokens_per_second === 'number') return parsed;
  } catch {
    // Reported below with the script's output.
  }
  throw new RadpoError(
    'io',
    `the PyTorch script ${script} exited with status ${result.status} and no JSON result; its stderr ends with: ${(result.stderr ?? '').trim().slice(-500)}`,
  );
}

function report(record: { kind: string } & Record<string, unknown>, flags: BenchFlags, io: BenchCommandIo): void {
  if (flags.json) {
    io.stdout(JSON.stringify(record));
    return;
  }
  if (record.kind === 'radpo') {
    const m = record as unknown as BenchMeasurement;
    io.stdout(
      `radpo ${m.preset} on ${m.backend} (${m.threads} thread(s)): ${m.tokensPerSecond} tokens/s (median of ${m.steps} steps, ${m.stepMs.median} ms/step; ` +
        `${m.cpuTokensPerSecond} tokens per CPU-second), peak RSS ${m.peakRssMiB} MiB, live tensors ${m.tensorsAfterFirstStep} -> ${m.tensorsAfterLastStep}`,
    );
  } else if (record.kind === 'pytorch') {
    io.stdout(`PyTorch ${record.torch ?? ''} (${record.threads} thread(s)): ${record.tokens_per_second} tokens/s`);
  } else {
    io.stdout(`radpo / PyTorch: ${record.radpoOverPytorch}`);
  }
}
