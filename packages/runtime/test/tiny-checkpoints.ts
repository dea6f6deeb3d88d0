import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Writers of tiny random Hugging Face checkpoints for tests: config.json, a safetensors file written
 * here byte by byte (independent of the library's writer), a byte-level BPE tokenizer.json and
 * tokenizer_config.json.
 */

/** GPT-2's reversible map from bytes to printable characters used by byte-level BPE vocabularies. */
function byteToUnicode(): Map<number, string> {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const map = new Map<number, string>();
  let extra = 0;
  for (let b = 0; b < 256; b++) map.set(b, String.fromCodePoint(printable.includes(b) ? b : 256 + extra++));
  return map;
}

const MERGES = [
  ['Ġ', 't'], ['h', 'e'], ['Ġt', 'he'], ['Ġ', 'a'], ['i', 'n'], ['Ġ', 's'], ['o', 'n'], ['e', 'r'], ['Ġ', 'c'], ['a', 't'],
];

export interface TinyTokenizerOptions {
  /** Special tokens added after the byte and merge tokens, in id order. */
  specialTokens: string[];
  bosToken: string | null;
  eosToken: string | null;
  padToken?: string | null;
  chatTemplate?: string;
}

/** Writes a byte-level BPE tokenizer.json (256 bytes, 10 merges, the special tokens) and tokenizer_config.json. */
export function writeTinyTokenizer(dir: string, options: TinyTokenizerOptions): number {
  const vocab: Record<string, number> = {};
  for (const character of byteToUnicode().values()) vocab[character] = Object.keys(vocab).length;
  for (const [a, b] of MERGES) vocab[a + b] = Object.keys(vocab).length;
  const added = options.specialTokens.map((content) => {
    const id = Object.keys(vocab).length;
    vocab[content] = id;
    return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
  });
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: byteLevel,
    decoder: byteLevel,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges: MERGES.map(([a, b]) => `${a} ${b}`),
    },
  };
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(tokenizer));
  const config: Record<string, unknown> = {
    tokenizer_class: 'PreTrainedTokenizerFast',
    bos_token: options.bosToken,
    eos_token: options.eosToken,
    pad_token: options.padToken ?? null,
    model_max_length: 64,
  };
  if (options.chatTemplate) config.chat_template = options.chatTemplate;
  fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify(config));
  return Object.keys(vocab).length;
}

/**
 * Writes a Llama-2-style SentencePiece BPE tokenizer.json (spaces as "▁", a "▁" prepended to each
 * text, byte fallback to <0xXX> pieces) with <unk>, <s>, </s> and a [INST] chat template.
 */
export function writeSentencePieceTokenizer(dir: string): number {
  const vocab: Record<string, number> = { '<unk>': 0, '<s>': 1, '</s>': 2 };
  for (let b = 0; b < 256; b++) vocab[`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`] = 3 + b;
  const merges = [['▁', 't'], ['h', 'e'], ['▁t', 'he'], ['▁', 'a'], ['i', 'n'], ['o', 'n']];
  for (const piece of ['▁', ...'abcdefghijklmnopqrstuvwxyzTISN[]/.,'.split(''), ...merges.map(([a, b]) => a + b)]) {
    if (vocab[piece] === undefined) vocab[piece] = Object.keys(vocab).length;
  }
  const special = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(0, '<unk>'), special(1, '<s>'), special(2, '</s>')],
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'Prepend', prepend: '▁' },
        { type: 'Replace', pattern: { String: ' ' }, content: '▁' },
      ],
    },
    pre_tokenizer: null,
    post_processor: null,
    decoder: {
      type: 'Sequence',
      decoders: [
        { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
        { type: 'ByteFallback' },
        { type: 'Fuse' },
        { type: 'Strip', content: ' ', start: 1, stop: 0 },
      ],
    },
    model: { type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: true, byte_fallback: true, vocab, merges: merges.map(([a, b]) => `${a} ${b}`) },
  };
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(tokenizer));
  const chatTemplate =
    "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}" +
    "{% elif message['role'] == 'assistant' %}{{ ' ' + message['content'] + ' ' + eos_token }}{% endif %}{% endfor %}";
  fs.writeFileSync(
    path.join(dir, 'tokenizer_config.json'),
    JSON.stringify({ tokenizer_class: 'LlamaTokenizer', bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>', pad_token: null, add_bos_token: true, chat_template: chatTemplate }),
  );
  return Object.keys(vocab).length;
}

/** Writes float32 tensors as safetensors: 8-byte header length, JSON header, raw little-endian data. */
export function writeTestSafetensors(file: string, tensors: Record<string, { shape: number[]; values: Float32Array }>): void {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, { shape, values }] of Object.entries(tensors)) {
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + 4 * values.length] };
    offset += 4 * values.length;
  }
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const output = Buffer.alloc(8 + headerBytes.length + offset);
  output.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(output, 8);
  let position = 8 + headerBytes.length;
  for (const { values } of Object.values(tensors)) {
    Buffer.from(values.buffer, values.byteOffset, values.byteLength).copy(output, position);
    position += values.byteLength;
  }
  fs.writeFileSync(file, output);
}

/** Small deterministic pseudo-random values (a linear congruential generator), scaled to ±scale. */
function randomValues(count: number, seed: { state: number }, scale = 0.1): Float32Array {
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    seed.state = (seed.state * 1664525 + 1013904223) >>> 0;
    values[i] = (seed.state / 2 ** 32 - 0.5) * 2 * scale;
  }
  return values;
}

type TensorSpec = Record<string, number[]>;

function writeWeights(dir: string, spec: TensorSpec, seedValue: number): void {
  const seed = { state: seedValue };
  const tensors: Record<string, { shape: number[]; values: Float32Array }> = {};
  for (const [name, shape] of Object.entries(spec)) {
    const count = shape.reduce((a, b) => a * b, 1);
    const isGain = /(layernorm|norm|ln_\d|ln_f)\.weight$/.test(name);
    tensors[name] = { shape, values: isGain ? randomValues(count, seed, 0.1).map((v) => 1 + v) : randomValues(count, seed) };
  }
  writeTestSafetensors(path.join(dir, 'model.safetensors'), tensors);
}

export const CHATML_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/** Writes a 2-layer GPT-2 (hidden 16, 2 heads) with GPT2LMHeadModel's "transformer." prefix and attention buffers. */
export function writeTinyGpt2(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const vocab = writeTinyTokenizer(dir, { specialTokens: ['<|endoftext|>'], bosToken: '<|endoftext|>', eosToken: '<|endoftext|>' });
  const [hidden, layers, positions] = [16, 2, 64];
  fs.writeFileSync(
    path.join(dir, 'config.json'),
    JSON.stringify({
      architectures: ['GPT2LMHeadModel'],
      model_type: 'gpt2',
      vocab_size: vocab,
      n_embd: hidden,
      n_layer: layers,
      n_head: 2,
      n_inner: null,
      n_positions: positions,
      layer_norm_epsilon: 1e-5,
      activation_function: 'gelu_new',
      bos_token_id: vocab - 1,
      eos_token_id: vocab - 1,
    }),
  );
  const spec: TensorSpec = { 'transformer.wte.weight': [vocab, hidden], 'transformer.wpe.weight': [positions, hidden] };
  for (let l = 0; l < layers; l++) {
    const p = `transformer.h.${l}`;
    Object.assign(spec, {
      [`${p}.ln_1.weight`]: [hidden],
      [`${p}.ln_1.bias`]: [hidden],
      [`${p}.attn.c_attn.weight`]: [hidden, 3 * hidden],
      [`${p}.attn.c_attn.bias`]: [3 * hidden],
      [`${p}.attn.c_proj.weight`]: [hidden, hidden],
      [`${p}.attn.c_proj.bias`]: [hidden],
      [`${p}.attn.bias`]: [1, 1, positions, positions],
      [`${p}.ln_2.weight`]: [hidden],
      [`${p}.ln_2.bias`]: [hidden],
      [`${p}.mlp.c_fc.weight`]: [hidden, 4 * hidden],
      [`${p}.mlp.c_fc.bias`]: [4 * hidden],
      [`${p}.mlp.c_proj.weight`]: [4 * hidden, hidden],
      [`${p}.mlp.c_proj.bias`]: [hidden],
    });
  }
  Object.assign(spec, { 'transformer.ln_f.weight': [hidden], 'transformer.ln_f.bias': [hidden] });
  writeWeights(dir, spec, 11);
}

export interface TinyLlamaOptions {
  modelType: 'llama' | 'qwen2' | 'mistral';
  tied: boolean;
  /** Write a BOS token and a template that renders bos_token. */
  withBos: boolean;
  /** Use a Llama-2-style SentencePiece tokenizer with an [INST] template in place of byte-level BPE with ChatML. */
  sentencePiece?: boolean;
}

/** Writes a 2-layer Llama-family model (hidden 16, 4 query heads, 2 kv heads) with a ChatML template. Linear weights are (out, in). */
export function writeTinyLlama(dir: string, options: TinyLlamaOptions): void {
  fs.mkdirSync(dir, { recursive: true });
  const specials = ['<|im_start|>', '<|im_end|>', ...(options.withBos ? ['<s>'] : [])];
  const vocab = options.sentencePiece
    ? writeSentencePieceTokenizer(dir)
    : writeTinyTokenizer(dir, {
        specialTokens: specials,
        bosToken: options.withBos ? '<s>' : null,
        eosToken: '<|im_end|>',
        chatTemplate: (options.withBos ? '{{ bos_token }}' : '') + CHATML_TEMPLATE,
      });
  const [hidden, inter, layers, heads, kvHeads] = [16, 24, 2, 4, 2];
  const headDim = hidden / heads;
  fs.writeFileSync(
    path.join(dir, 'config.json'),
    JSON.stringify({
      architectures: [{ llama: 'LlamaForCausalLM', qwen2: 'Qwen2ForCausalLM', mistral: 'MistralForCausalLM' }[options.modelType]],
      model_type: options.modelType,
      vocab_size: vocab,
      hidden_size: hidden,
      intermediate_size: inter,
      num_hidden_layers: layers,
      num_attention_heads: heads,
      num_key_value_heads: kvHeads,
      max_position_embeddings: 64,
      rope_theta: 10000,
      rms_norm_eps: 1e-6,
      tie_word_embeddings: options.tied,
      hidden_act: 'silu',
      rope_scaling: null,
      use_cache: true,
    }),
  );
  const spec: TensorSpec = { 'model.embed_tokens.weight': [vocab, hidden] };
  for (let l = 0; l < layers; l++) {
    const p = `model.layers.${l}`;
    Object.assign(spec, {
      [`${p}.input_layernorm.weight`]: [hidden],
      [`${p}.self_attn.q_proj.weight`]: [heads * headDim, hidden],
      [`${p}.self_attn.k_proj.weight`]: [kvHeads * headDim, hidden],
      [`${p}.self_attn.v_proj.weight`]: [kvHeads * headDim, hidden],
      [`${p}.self_attn.o_proj.weight`]: [hidden, heads * headDim],
      [`${p}.post_attention_layernorm.weight`]: [hidden],
      [`${p}.mlp.gate_proj.weight`]: [inter, hidden],
      [`${p}.mlp.up_proj.weight`]: [inter, hidden],
      [`${p}.mlp.down_proj.weight`]: [hidden, inter],
    });
    if (options.modelType === 'qwen2') {
      Object.assign(spec, {
        [`${p}.self_attn.q_proj.bias`]: [heads * headDim],
        [`${p}.self_attn.k_proj.bias`]: [kvHeads * headDim],
        [`${p}.self_attn.v_proj.bias`]: [kvHeads * headDim],
      });
    }
  }
  spec['model.norm.weight'] = [hidden];
  if (!options.tied) spec['lm_head.weight'] = [vocab, hidden];
  writeWeights(dir, spec, 7);
}

/** Scored preference pairs over short English text, as JSONL. */
export function writeTinyPairs(file: string): void {
  const rows = [
    { prompt: 'Say the cat sat.', chosen: 'The cat sat on the mat.', rejected: 'A dog ran in the rain.' },
    { prompt: 'Name a color.', chosen: 'The sky is blue.', rejected: 'cats at the sea' },
    { prompt: 'Finish: the sun', chosen: 'the sun is hot.', rejected: 'in on at' },
    { prompt: 'Greet me.', chosen: 'Hello there, friend.', rejected: 'Go on.' },
    { prompt: 'Count to three.', chosen: 'one, two, three', rejected: 'three, one' },
    { prompt: 'What is ice?', chosen: 'Ice is frozen water.', rejected: 'Ice is hot.' },
  ];
  const scored = rows.map((row, i) => ({ ...row, score_chosen: 8 + (i % 3), score_rejected: 2 + (i % 4) }));
  fs.writeFileSync(file, scored.map((row) => JSON.stringify(row)).join('\n') + '\n');
}
