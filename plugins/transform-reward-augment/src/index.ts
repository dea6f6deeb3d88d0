import { definePlugin } from '@radpo/core';
import { REWARD_AUGMENT_OPTIONS_SCHEMA, type RewardAugmentOptions } from './options';
import { createRewardAugment } from './transform';

export { formatScore, renderAttributeCondition, renderCondition, conditionPrompt } from './condition';
export { FractionSelector, SELECTION_WINDOW } from './fraction-selector';
export {
  ATTRIBUTE_FORMAT_PLACEHOLDERS,
  DEFAULT_ATTRIBUTE_FORMAT,
  DEFAULT_ATTRIBUTE_TEMPLATE,
  DEFAULT_TEMPLATE,
  REWARD_AUGMENT_OPTIONS_SCHEMA,
  TEMPLATE_PLACEHOLDERS,
  resolveRewardAugmentOptions,
  type AttributeGoal,
  type ConditionPlacement,
  type GoalSelection,
  type UnaugmentedPolicy,
  type ResolvedRewardAugmentOptions,
  type RewardAugmentOptions,
  type TiePolicy,
} from './options';
export { createRewardAugment, type RewardAugmentStats, type RewardAugmentTransform } from './transform';

export const rewardAugmentPlugin = definePlugin<'transform', RewardAugmentOptions>({
  name: 'reward-augment',
  kind: 'transform',
  description:
    'Reward-augmented data (Zhang et al., 2024): each scored pair becomes two, one conditioned on the chosen score ' +
    'and one on the rejected score with the answers swapped; held-out prompts are conditioned on evalGoal.',
  packageName: '@radpo/plugin-reward-augment',
  version: '0.1.0',
  optionsSchema: REWARD_AUGMENT_OPTIONS_SCHEMA,
  create: createRewardAugment,
});

export default rewardAugmentPlugin;
