// The small chat.completion every benchmark server answers with, and its headers: one reply,
// so the benchmarks measure the same exchange.
export const REPLY = JSON.stringify({
  id: 'chatcmpl-bench',
  object: 'chat.completion',
  created: 1735689600,
  model: 'gpt-4o-mini',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hi!', refusal: null }, logprobs: null, finish_reason: 'stop' }],
  usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 },
});

export const REPLY_HEADERS = {
  'content-type': 'application/json',
  'content-length': String(Buffer.byteLength(REPLY)),
  'x-request-id': 'req_bench',
};
