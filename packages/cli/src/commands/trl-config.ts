import type { RunConfig } from '@radpo/runtime';

/** TRL DPOTrainer `loss_type` of each radpo loss that has an exact TRL counterpart. */
export const TRL_LOSS_TYPES: Readonly<Record<string, string>> = {
  dpo: 'sigmoid',
  ipo: 'ipo',
  slic: 'hinge',
};

/**
 * Writes the TRL `DPOConfig` settings that match a radpo run configuration and the first loss term's
 * resolved options, as YAML lines. Only the first loss term maps. A run with several terms, or a loss
 * without a TRL counterpart, gets a comment that names what did not carry over. Field names follow TRL's
 * DPOConfig (`loss_type`, `beta`, `label_smoothing`, `max_length`, `max_prompt_length`, ...).
 */
export function formatTrlDpoConfig(config: RunConfig, options: Record<string, unknown>, dataFile: string): string[] {
  const [term, ...others] = config.losses;
  const lossType = TRL_LOSS_TYPES[term.name];
  const lines = ['# TRL DPOConfig fields that match this radpo run (YAML; the keys are DPOConfig arguments)'];
  lines.push(`# training data: ${dataFile} (TRL conversational preference rows: prompt, chosen, rejected)`);

  if (lossType === undefined) {
    lines.push(`# radpo loss "${term.name}" has no TRL loss_type counterpart; sigmoid (DPO) is written instead.`);
  }
  if (others.length > 0) {
    lines.push(`# NOTE: only the first loss term (${term.name}) carries over; TRL has no weighted sum of ${config.losses.map((t) => t.name).join(' + ')}.`);
  }
  if (term.name === 'ipo' && options.logRatio === 'sum') {
    lines.push('# NOTE: radpo ipo uses summed log-ratios (logRatio "sum"); TRL ipo averages them per token.');
  }
  if (term.name === 'slic' && typeof options.nllWeight === 'number' && options.nllWeight > 0) {
    lines.push(`# NOTE: radpo slic adds the chosen NLL with weight ${options.nllWeight}; the closest TRL setting is rpo_alpha.`);
  }

  lines.push(
    `loss_type: ${lossType ?? 'sigmoid'}`,
    `beta: ${typeof options.beta === 'number' ? options.beta : 0.1}`,
    `label_smoothing: ${typeof options.labelSmoothing === 'number' ? options.labelSmoothing : 0}`,
    `learning_rate: ${config.training.learningRate}`,
    `per_device_train_batch_size: ${config.training.batchSize}`,
    `gradient_accumulation_steps: ${config.training.gradientAccumulationSteps}`,
    `max_steps: ${config.training.maxSteps}`,
    `max_length: ${config.model.maxLength}`,
    `max_prompt_length: ${config.model.maxPromptLength}`,
    `max_grad_norm: ${config.training.maxGradNorm}`,
    `weight_decay: ${config.training.weightDecay}`,
    `adam_beta1: ${config.training.adamBeta1}`,
    `adam_beta2: ${config.training.adamBeta2}`,
    `seed: ${config.seed}`,
  );
  return lines;
}
