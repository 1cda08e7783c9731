// Bun: imports resolve through the package's "node" condition (wasm read and instantiated
// synchronously). The emulator's origin comes from EMULATOR_ORIGIN (scripts/examples.sh).
import { OpenAI, ApiError, version } from 'resilient-api-client';

const origin = process.env.EMULATOR_ORIGIN;
if (!origin) throw new Error('set EMULATOR_ORIGIN to the emulator (node node-host/emulator/index.js)');

const client = new OpenAI({ apiKey: 'sk-example', baseUrl: `${origin}/openai/v1`, maxRetries: 1 });
const reply = await client.chat({ messages: [{ role: 'user', content: 'hello from bun' }] });
let streamed = '';
let items = 0;
for await (const item of client.chatStream({ messages: [{ role: 'user', content: 'stream to bun' }] })) {
  streamed += item.delta;
  items++;
}
if (reply.text !== 'echo: hello from bun') throw new Error(`chat replied ${JSON.stringify(reply.text)}`);
if (streamed !== 'echo: stream to bun') throw new Error(`chatStream gave ${JSON.stringify(streamed)}`);
const error = await client.chat({ messages: 'not an array' }).catch((e) => e);
if (!(error instanceof ApiError) || error.type !== 'invalid_request') throw new Error(`expected an ApiError, got ${error}`);
console.log(`PASS bun ${Bun.version}: resilient-api-client ${version}: chat "${reply.text}", chatStream ${items} items "${streamed}"`);
