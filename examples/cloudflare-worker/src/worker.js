// A Worker that calls the emulator named in its request's ?emulator= parameter. The package's
// "workerd" entry imports the .wasm as a module and instantiates it synchronously at startup.
import { OpenAI, ApiError, version } from 'resilient-api-client';

async function run(origin) {
  const client = new OpenAI({ apiKey: 'sk-example', baseUrl: `${origin}/openai/v1`, maxRetries: 1 });
  const reply = await client.chat({ messages: [{ role: 'user', content: 'hello from workerd' }] });
  let streamed = '';
  let items = 0;
  for await (const item of client.chatStream({ messages: [{ role: 'user', content: 'stream to workerd' }] })) {
    streamed += item.delta;
    items++;
  }
  if (reply.text !== 'echo: hello from workerd') throw new Error(`chat replied ${JSON.stringify(reply.text)}`);
  if (streamed !== 'echo: stream to workerd') throw new Error(`chatStream gave ${JSON.stringify(streamed)}`);
  const error = await client.chat({ messages: 'not an array' }).catch((e) => e);
  if (!(error instanceof ApiError) || error.type !== 'invalid_request') throw new Error(`expected an ApiError, got ${error}`);
  return `resilient-api-client ${version}: chat "${reply.text}", chatStream ${items} items "${streamed}"`;
}

export default {
  async fetch(request) {
    const origin = new URL(request.url).searchParams.get('emulator');
    try {
      return Response.json({ ok: true, line: await run(origin) });
    } catch (err) {
      return Response.json({ ok: false, line: String(err?.stack ?? err) }, { status: 500 });
    }
  },
};
