export * from './records';
export * from './errors';
export * from './events';
export * from './loss';
export * from './tensor-math';
export * from './transform';
export * from './scheduler';
export * from './tokenizer';
export * from './plugin';
export * from './registry';
export * from './validation';
export * from './schema-options';

/**
 * The tfjs-core namespace radpo runs on. Plugins built outside this repository import `tf` from here
 * rather than from `@tensorflow/tfjs-core`, so that they use radpo's copy: a second copy would print
 * "Platform node has already been set" and could drift to another version.
 */
export * as tf from '@tensorflow/tfjs-core';
