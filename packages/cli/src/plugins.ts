import { PluginRegistry } from '@radpo/core';
import { dpoPlugin } from '@radpo/plugin-dpo';
import { ipoPlugin } from '@radpo/plugin-ipo';
import { slicPlugin } from '@radpo/plugin-slic';
import { robustDpoPlugin } from '@radpo/plugin-robust-dpo';
import { exoPlugin } from '@radpo/plugin-exo';
import { ncaPlugin } from '@radpo/plugin-nca';
import { bcoPlugin } from '@radpo/plugin-bco';
import { sppoHardPlugin } from '@radpo/plugin-sppo-hard';
import { aotPlugin } from '@radpo/plugin-aot';
import { aotUnpairedPlugin } from '@radpo/plugin-aot-unpaired';
import { apoZeroPlugin } from '@radpo/plugin-apo-zero';
import { apoDownPlugin } from '@radpo/plugin-apo-down';
import { discopopPlugin } from '@radpo/plugin-discopop';
import { dpoNormPlugin } from '@radpo/plugin-dpo-norm';
import { rDpoPlugin } from '@radpo/plugin-r-dpo';
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
  robustDpoPlugin,
  exoPlugin,
  ncaPlugin,
  bcoPlugin,
  sppoHardPlugin,
  aotPlugin,
  aotUnpairedPlugin,
  apoZeroPlugin,
  apoDownPlugin,
  discopopPlugin,
  dpoNormPlugin,
  rDpoPlugin,
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
