// Child process of `radpo compare --parallel N`: runs one run and streams its events to the parent.
import { serveRunWorker } from '@radpo/compare';
import { createBuiltinRegistry } from './plugins';

serveRunWorker(createBuiltinRegistry());
