import type { Command, Option } from 'commander';
import { cell, generatedNotice, table } from './markdown';

function optionRows(options: readonly Option[]): string[][] {
  return options.map((option) => {
    const notes: string[] = [];
    if (option.mandatory) notes.push('required');
    if (option.argChoices) notes.push(`one of: ${option.argChoices.join(', ')}`);
    if (option.defaultValue !== undefined) notes.push(`default ${JSON.stringify(option.defaultValue)}`);
    if (option.variadic) notes.push('repeatable');
    return [`\`${option.flags}\``, cell(option.description), cell(notes.join('; '))];
  });
}

function usage(command: Command, parents: string[]): string {
  return [...parents, command.name(), command.usage()].filter((part) => part !== '').join(' ');
}

function renderCommand(command: Command, parents: string[], depth: number): string[] {
  const lines = ['', `${'#'.repeat(depth)} \`${[...parents, command.name()].join(' ')}\``, '', command.description(), '', '```', usage(command, parents), '```'];
  const args = command.registeredArguments;
  if (args.length > 0) {
    lines.push('', table(['argument', 'description'], args.map((arg) => [`\`${arg.name()}\`${arg.required ? '' : ' (optional)'}`, cell(arg.description)])));
  }
  if (command.options.length > 0) lines.push('', table(['option', 'description', 'notes'], optionRows(command.options)));
  for (const sub of command.commands) lines.push(...renderCommand(sub, [...parents, command.name()], depth + 1));
  return lines;
}

/** Renders docs/cli-reference.md by walking the commander program: every command, argument and option. */
export function renderCliReference(program: Command): string {
  const lines = [
    generatedNotice('scripts/docs/cli-reference.ts'),
    '',
    '# Command-line reference',
    '',
    `${program.description()}`,
    '',
    'Run `npx radpo COMMAND --help` for the same text in the terminal. Exit codes: 0 success, 1 failure',
    'while running, 2 invalid usage, configuration, input or plugin.',
    '',
    '```',
    usage(program, []),
    '```',
    '',
    table(['option', 'description', 'notes'], optionRows(program.options)),
  ];
  for (const command of program.commands) lines.push(...renderCommand(command, [program.name()], 2));
  return lines.join('\n') + '\n';
}
