export * from './options';
export * from './prepare';
export * from './ra-benchmark';
export * from './sampling';
