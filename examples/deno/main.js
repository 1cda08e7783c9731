// Deno: the package comes from node_modules (installed by npm, as package.json says), through
// its "node" condition. Needs --allow-read (the .wasm), --allow-env (API keys from the
// environment) and --allow-net for the emulator.
import { OpenAI, ApiError, version } from 'resilient-api-client';

const origin = Deno.env.get('EMULATOR_ORIGIN');
if (!origin) throw new Error('set EMULATOR_ORIGIN to the emulator (node node-host/emulator/index.js)');

const client = new OpenAI({ apiKey: 'sk-example', baseUrl: `${origin}/openai/v1`, maxRetries: 1 });
const reply = await client.chat({ messages: [{ role: 'user', content: 'hello from deno' }] });
let streamed = '';
let items = 0;
for await (const item of client.chatStream({ messages: [{ role: 'user', content: 'stream to deno' }] })) {
  streamed += item.delta;
  items++;
}
if (reply.text !== 'echo: hello from deno') throw new Error(`chat replied ${JSON.stringify(reply.text)}`);
if (streamed !== 'echo: stream to deno') throw new Error(`chatStream gave ${JSON.stringify(streamed)}`);
const error = await client.chat({ messages: 'not an array' }).catch((e) => e);
if (!(error instanceof ApiError) || error.type !== 'invalid_request') throw new Error(`expected an ApiError, got ${error}`);
console.log(`PASS deno ${Deno.version.deno}: resilient-api-client ${version}: chat "${reply.text}", chatStream ${items} items "${streamed}"`);
