import type { Rng } from './rng';
import type { Candidate } from './candidate-rows';
import type { PairingRule } from './read-options';

/** Indices of the chosen and the rejected response within a candidate list. */
export interface CandidatePair {
  chosen: number;
  rejected: number;
}

/**
 * Selects pairs from scored responses to one prompt by `rule` (see PairingRule). The best response is
 * the first with the highest score; `best-vs-worst` takes the last with the lowest. Fewer than two
 * responses give no pair. `best-vs-random` may draw a response that ties the best, as UltraFeedback
 * binarized does; such pairs are ties for the reward-augment transform to count.
 */
export function selectCandidatePairs(candidates: readonly Candidate[], rule: PairingRule, rng: Rng): CandidatePair[] {
  if (candidates.length < 2) return [];

  if (rule === 'all-pairs') {
    const pairs: CandidatePair[] = [];
    for (let i = 0; i < candidates.length; i++) {
      for (let j = i + 1; j < candidates.length; j++) {
        if (candidates[i].score === candidates[j].score) continue;
        pairs.push(candidates[i].score > candidates[j].score ? { chosen: i, rejected: j } : { chosen: j, rejected: i });
      }
    }
    return pairs;
  }

  let best = 0;
  candidates.forEach((candidate, index) => {
    if (candidate.score > candidates[best].score) best = index;
  });

  if (rule === 'best-vs-worst') {
    let worst = best === 0 ? 1 : 0;
    candidates.forEach((candidate, index) => {
      if (index !== best && candidate.score <= candidates[worst].score) worst = index;
    });
    return [{ chosen: best, rejected: worst }];
  }

  const others = candidates.map((_, index) => index).filter((index) => index !== best);
  return [{ chosen: best, rejected: rng.pick(others) }];
}
