import type { TokenizedPair } from '@radpo/data';
import { buildPairBatch, disposeBatch, responseLogProbs, splitPairs } from './batch';
import type { CausalLanguageModel, Weights } from './model/causal-lm';

/** Summed response log-probabilities and response token counts of one pair. */
export interface PairLogProbs {
  id: string;
  chosenLogProb: number;
  rejectedLogProb: number;
  chosenTokens: number;
  rejectedTokens: number;
}

/**
 * Scores tokenized pairs with the same batching and masking as training (buildPairBatch and
 * responseLogProbs), so the numbers equal the policy log-probs the trainer feeds the loss.
 */
export function pairLogProbs(model: CausalLanguageModel, weights: Weights, pairs: TokenizedPair[], batchSize: number): PairLogProbs[] {
  const results: PairLogProbs[] = [];
  for (let start = 0; start < pairs.length; start += batchSize) {
    const slice = pairs.slice(start, start + batchSize);
    const batch = buildPairBatch(slice, model.tokenizer.padId);
    const { summed, tokens } = responseLogProbs(model, weights, batch);
    const [chosen, rejected] = splitPairs(summed, batch.pairs);
    const [chosenTokens, rejectedTokens] = splitPairs(tokens, batch.pairs);
    const values = [chosen, rejected, chosenTokens, rejectedTokens].map((tensor) => Array.from(tensor.dataSync()));
    [summed, tokens, chosen, rejected, chosenTokens, rejectedTokens].forEach((tensor) => tensor.dispose());
    disposeBatch(batch);
    slice.forEach((pair, i) =>
      results.push({ id: pair.id, chosenLogProb: values[0][i], rejectedLogProb: values[1][i], chosenTokens: values[2][i], rejectedTokens: values[3][i] }),
    );
  }
  return results;
}
