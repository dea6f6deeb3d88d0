import { LOSS_CASES, LOSS_CHECKS, SCHEDULER_CHECKS, TRANSFORM_CHECKS, type ConformanceCheck } from '@radpo/plugin-kit';
import type { PluginKind } from '@radpo/core';
import { cell, generatedNotice, table } from './markdown';

function checkRows(checks: readonly ConformanceCheck<PluginKind, never>[]): string[][] {
  return checks.map((check) => [`\`${check.id}\``, cell(`should ${check.title}`)]);
}

/** Renders docs/conformance-checks.md from the check lists and loss input cases of @radpo/plugin-kit. */
export function renderConformanceChecks(): string {
  const cases = LOSS_CASES.map((batch) => [
    cell(batch.name),
    cell(`${JSON.stringify(batch.policyChosen)} / ${JSON.stringify(batch.policyRejected)}`),
    cell(`${JSON.stringify(batch.referenceChosen)} / ${JSON.stringify(batch.referenceRejected)}`),
    cell(`${JSON.stringify(batch.chosenTokens)} / ${JSON.stringify(batch.rejectedTokens)}`),
  ]);
  return [
    generatedNotice('scripts/docs/conformance-checks.ts'),
    '',
    '# Conformance checks',
    '',
    'The checks `@radpo/plugin-kit` runs, by plugin kind, in order. `describeConformance(plugin)` defines one',
    'mocha test per row (titled "should ..."); `checkPlugin(plugin)` returns one finding per row. See',
    '[plugin-authoring.md](plugin-authoring.md) for what to do when one fails.',
    '',
    '## Loss plugins',
    '',
    table(['id', 'test title'], checkRows(LOSS_CHECKS as never)),
    '',
    'The loss checks feed these batches of four pairs (`LOSS_CASES`); `lossInputs(case)` builds the',
    "tensors as the runtime does, with `chosenNll` = −policyChosen / chosenTokens and every pair's scores set.",
    '',
    table(['case', 'policy chosen / rejected', 'reference chosen / rejected', 'tokens chosen / rejected'], cases),
    '',
    '## Transform plugins',
    '',
    table(['id', 'test title'], checkRows(TRANSFORM_CHECKS as never)),
    '',
    'Input records are `SAMPLE_RECORDS` (scored 1-10, text and chat prompts, one tie) unless the suite is given',
    '`records`. The streaming check pulls from a source of 64 records and fails when the first output arrives',
    'only after all 64 were pulled.',
    '',
    '## Scheduler plugins',
    '',
    table(['id', 'test title'], checkRows(SCHEDULER_CHECKS as never)),
    '',
  ].join('\n');
}
