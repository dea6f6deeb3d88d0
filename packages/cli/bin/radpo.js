#!/usr/bin/env node
// Committed entry point, so npm links the `radpo` binary even before the TypeScript build has run.
require('../dist/bin.js');
