import { PluginRegistry } from '@radpo/core';
import { dpoPlugin } from '@radpo/plugin-dpo';
import { ipoPlugin } from '@radpo/plugin-ipo';
import { slicPlugin } from '@radpo/plugin-slic';
import { rewardAugmentPlugin } from '@radpo/plugin-reward-augment';
import { constantSchedulePlugin } from '@radpo/plugin-scheduler-constant';
import { linearSchedulePlugin } from '@radpo/plugin-scheduler-linear';
import { cosineSchedulePlugin } from '@radpo/plugin-scheduler-cosine';

/** Every plugin that ships with radpo. */
export const BUILTIN_PLUGINS = [
  dpoPlugin,
  ipoPlugin,
  slicPlugin,
  rewardAugmentPlugin,
  constantSchedulePlugin,
  linearSchedulePlugin,
  cosineSchedulePlugin,
];

/** Creates a registry holding the built-in plugins. */
export function createBuiltinRegistry(): PluginRegistry {
  return new PluginRegistry().register(...BUILTIN_PLUGINS);
}
