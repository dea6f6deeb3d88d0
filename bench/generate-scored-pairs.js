#!/usr/bin/env node
// Writes N synthetic scored preference rows (UltraFeedback's flattened shape: prompt, chosen,
// rejected, metadata.score_chosen/score_rejected on 1-10 in halves) as JSONL, for benchmarks.
// Usage: node bench/generate-scored-pairs.js ROWS OUT.jsonl
'use strict';
const fs = require('node:fs');

const [rows, out] = [Number(process.argv[2]), process.argv[3]];
if (!Number.isInteger(rows) || rows < 1 || !out) {
  console.error('usage: node bench/generate-scored-pairs.js ROWS OUT.jsonl');
  process.exit(2);
}

// A fixed linear congruential generator keeps the file identical across runs.
let state = 12345;
const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 4294967296;
const words = 'the a model answer question data score pair response prompt better worse sort letters because'.split(' ');
const sentence = (length) => Array.from({ length }, () => words[Math.floor(next() * words.length)]).join(' ');

const stream = fs.createWriteStream(out);
let written = 0;
function writeSome() {
  let ok = true;
  while (written < rows && ok) {
    const chosen = 1 + Math.floor(next() * 19) / 2;
    const rejected = 1 + Math.floor(next() * (chosen - 1) * 2) / 2;
    const row = {
      prompt: `Question ${written}: ${sentence(12)}?`,
      chosen: sentence(30),
      rejected: sentence(25),
      source_index: written,
      metadata: { score_chosen: chosen, score_rejected: rejected },
    };
    ok = stream.write(JSON.stringify(row) + '\n');
    written++;
  }
  if (written < rows) stream.once('drain', writeSome);
  else stream.end();
}
writeSome();
