export * from './options';
export * from './prepare';
export * from './ra-benchmark';
export * from './sampling';
export * from './stories';
export * from './story-judge';
