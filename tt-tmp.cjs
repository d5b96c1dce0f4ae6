const { Tiktoken } = require('js-tiktoken/lite');
let t0 = performance.now();
const ranks = require('js-tiktoken/ranks/cl100k_base');
console.log('require ranks', performance.now()-t0);
t0 = performance.now();
const enc = new Tiktoken(ranks.default ?? ranks);
console.log('construct', performance.now()-t0);
const para = 'The quick brown fox jumps over the lazy dog. Retrieval-augmented generation combines search with language models, 2024 results show 37.5% gains. ';
const text = para.repeat(8000);
t0 = performance.now();
const n = enc.encode(text).length;
console.log('tokens', n, 'chars', text.length, 'ms', performance.now()-t0);
for (const len of [10000, 50000, 100000]) {
  const s = 'a'.repeat(len);
  t0 = performance.now(); const k = enc.encode(s).length; console.log('run', len, k, performance.now()-t0);
}
const s2 = Array.from({length: 50000}, (_, i) => String.fromCharCode(97 + (i*7919)%26)).join('');
t0 = performance.now(); console.log('randletters', enc.encode(s2).length, performance.now()-t0);
try { console.log(enc.encode('hello <|endoftext|> x')); } catch (e) { console.log('ERR', e.message); }
console.log(enc.encode('hello <|endoftext|> x', [], []));
const toks = enc.encode('héllo wörld 日本語テキスト');
console.log(toks, toks.map(t => JSON.stringify(enc.decode([t]))));
