export { createProgram, main } from './main';
export { buildRunConfig, runTrainCommand, type TrainFlags } from './commands/train';
export { BUILTIN_PLUGINS, createBuiltinRegistry } from './plugins';
