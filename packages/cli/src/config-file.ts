import * as fs from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { RadpoError } from '@radpo/core';

/** Reads a JSON or YAML configuration file (by extension; .yaml/.yml are YAML, anything else JSON). */
export function readConfigFile(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new RadpoError('config', `cannot read config file ${file}: ${(error as Error).message}`, { cause: error });
  }
  const yaml = /\.ya?ml$/i.test(file);
  try {
    const value = yaml ? parseYaml(text) : JSON.parse(text);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new Error('expected an object at the top level');
    }
    return value;
  } catch (error) {
    throw new RadpoError('config', `invalid ${yaml ? 'YAML' : 'JSON'} in config file ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
