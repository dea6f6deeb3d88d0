import { PluginRegistry } from '@radpo/core';
import { dpoPlugin } from '@radpo/plugin-dpo';
import { ipoPlugin } from '@radpo/plugin-ipo';
import { slicPlugin } from '@radpo/plugin-slic';
import { simpoPlugin } from '@radpo/plugin-simpo';
import { cpoPlugin } from '@radpo/plugin-cpo';
import { orpoPlugin } from '@radpo/plugin-orpo';
import { sftPlugin } from '@radpo/plugin-sft';
import { ktoPlugin } from '@radpo/plugin-kto';
import { rewardAugmentPlugin } from '@radpo/plugin-reward-augment';
import { constantSchedulePlugin } from '@radpo/plugin-scheduler-constant';
import { linearSchedulePlugin } from '@radpo/plugin-scheduler-linear';
import { cosineSchedulePlugin } from '@radpo/plugin-scheduler-cosine';

/** Every plugin that ships with radpo. */
export const BUILTIN_PLUGINS = [
  dpoPlugin,
  ipoPlugin,
  slicPlugin,
  simpoPlugin,
  cpoPlugin,
  orpoPlugin,
  sftPlugin,
  ktoPlugin,
  rewardAugmentPlugin,
  constantSchedulePlugin,
  linearSchedulePlugin,
  cosineSchedulePlugin,
];

/** Creates a registry holding the built-in plugins. */
export function createBuiltinRegistry(): PluginRegistry {
  return new PluginRegistry().register(...BUILTIN_PLUGINS);
}
