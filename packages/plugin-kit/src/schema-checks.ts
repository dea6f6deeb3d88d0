import { compileSchema, listSchemaOptions, validateWithDefaults, type PluginKind, type RadpoPlugin } from '@radpo/core';
import { describeError, type CheckOutcome } from './findings';

/**
 * Checks a plugin's options schema: it compiles, it describes an object, every property has a
 * description, and `options` (default `{}`, the schema's defaults) validate against it.
 */
export async function checkOptionsSchema(plugin: RadpoPlugin<PluginKind>, options: Record<string, unknown> | undefined): Promise<CheckOutcome> {
  const problems: string[] = [];
  try {
    compileSchema(plugin.optionsSchema, `the options of ${plugin.kind} plugin "${plugin.name}"`);
  } catch (error) {
    return [`the options schema does not compile: ${describeError(error)}`];
  }
  if (plugin.optionsSchema.type !== 'object') problems.push(`the options schema has type ${JSON.stringify(plugin.optionsSchema.type)}; expected "object"`);
  for (const option of listSchemaOptions(plugin.optionsSchema)) {
    if (option.description.trim() === '') problems.push(`option "${option.path}" has no description`);
  }
  const used = options ?? {};
  try {
    validateWithDefaults(plugin.optionsSchema, used, `options of ${plugin.kind} "${plugin.name}"`);
  } catch (error) {
    const which = options === undefined ? 'the defaults ({})' : `the options ${JSON.stringify(used)}`;
    problems.push(`${which} do not validate: ${describeError(error)}. Give every option a default, or pass options to the suite`);
  }
  return problems;
}
