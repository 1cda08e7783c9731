// esbuild does not emit files named by `new URL(..., import.meta.url)`, so the wasm comes in
// through an import that its file loader (--loader:.wasm=file) turns into a URL, handed to
// init() before the first await: the package then never fetches its default location.
import { OpenAI, ApiError, init, version } from 'resilient-api-client';
import wasmUrl from 'resilient-api-client/wasm';

init(wasmUrl);

const origin = new URLSearchParams(location.search).get('emulator');
const out = document.getElementById('out');

async function run() {
  const client = new OpenAI({ apiKey: 'sk-example', baseUrl: `${origin}/openai/v1`, maxRetries: 1 });
  const reply = await client.chat({ messages: [{ role: 'user', content: 'hello from esbuild' }] });
  let streamed = '';
  let items = 0;
  for await (const item of client.chatStream({ messages: [{ role: 'user', content: 'stream to esbuild' }] })) {
    streamed += item.delta;
    items++;
  }
  if (reply.text !== 'echo: hello from esbuild') throw new Error(`chat replied ${JSON.stringify(reply.text)}`);
  if (streamed !== 'echo: stream to esbuild') throw new Error(`chatStream gave ${JSON.stringify(streamed)}`);
  const error = await client.chat({ messages: 'not an array' }).catch((e) => e);
  if (!(error instanceof ApiError) || error.type !== 'invalid_request') throw new Error(`expected an ApiError, got ${error}`);
  return `PASS esbuild-app: resilient-api-client ${version}: chat "${reply.text}", chatStream ${items} items "${streamed}"`;
}

run().then((line) => {
  out.textContent = line;
  window.exampleResult = { ok: true, line };
}, (err) => {
  out.textContent = `FAIL esbuild-app: ${err?.stack ?? err}`;
  window.exampleResult = { ok: false, line: out.textContent };
});
