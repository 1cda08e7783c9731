// Node ESM: `import` the package (no init call, no top-level await inside it) and talk to the
// emulator, which the package ships as `resilient-api-client/emulator` (loopback only).
import { OpenAI, ApiError, version } from 'resilient-api-client';
import { startEmulator } from 'resilient-api-client/emulator';

const emulator = await startEmulator();
try {
  const client = new OpenAI({ apiKey: 'sk-example', baseUrl: emulator.baseUrl('openai'), maxRetries: 1 });
  const reply = await client.chat({ messages: [{ role: 'user', content: 'hello from node-esm' }] });
  let streamed = '';
  let items = 0;
  for await (const item of client.chatStream({ messages: [{ role: 'user', content: 'stream to node-esm' }] })) {
    streamed += item.delta;
    items++;
  }
  if (reply.text !== 'echo: hello from node-esm') throw new Error(`chat replied ${JSON.stringify(reply.text)}`);
  if (streamed !== 'echo: stream to node-esm') throw new Error(`chatStream gave ${JSON.stringify(streamed)}`);
  const error = await client.chat({ messages: 'not an array' }).catch((e) => e);
  if (!(error instanceof ApiError) || error.type !== 'invalid_request') throw new Error(`expected an ApiError, got ${error}`);
  console.log(`PASS node-esm: resilient-api-client ${version}: chat "${reply.text}", chatStream ${items} items "${streamed}", ApiError ${error.type}`);
} finally {
  await emulator.close();
}
