// A Vite app: the package's `new URL('./pkg/...wasm', import.meta.url)` makes Vite emit the wasm.
// The client is used at once, while the wasm is still loading: the calls wait for it.
import { OpenAI, ApiError, version } from 'resilient-api-client';

const origin = new URLSearchParams(location.search).get('emulator');
const out = document.getElementById('out');

async function run() {
  const client = new OpenAI({ apiKey: 'sk-example', baseUrl: `${origin}/openai/v1`, maxRetries: 1 });
  const reply = await client.chat({ messages: [{ role: 'user', content: 'hello from vite' }] });
  let streamed = '';
  let items = 0;
  for await (const item of client.chatStream({ messages: [{ role: 'user', content: 'stream to vite' }] })) {
    streamed += item.delta;
    items++;
  }
  if (reply.text !== 'echo: hello from vite') throw new Error(`chat replied ${JSON.stringify(reply.text)}`);
  if (streamed !== 'echo: stream to vite') throw new Error(`chatStream gave ${JSON.stringify(streamed)}`);
  const error = await client.chat({ messages: 'not an array' }).catch((e) => e);
  if (!(error instanceof ApiError) || error.type !== 'invalid_request') throw new Error(`expected an ApiError, got ${error}`);
  return `PASS vite-app: resilient-api-client ${version}: chat "${reply.text}", chatStream ${items} items "${streamed}"`;
}

run().then((line) => {
  out.textContent = line;
  window.exampleResult = { ok: true, line };
}, (err) => {
  out.textContent = `FAIL vite-app: ${err?.stack ?? err}`;
  window.exampleResult = { ok: false, line: out.textContent };
});
