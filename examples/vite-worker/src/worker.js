// The handler is set right after the imports: the package has no top-level await, so this
// module finishes evaluating before any message is dispatched and the first one is not lost.
import { OpenAI, ApiError, version } from 'resilient-api-client';

let received = 0;

onmessage = async (event) => {
  received++;
  const { origin, first } = event.data;
  try {
    if (!first || received !== 1) throw new Error('the first message was lost');
    const client = new OpenAI({ apiKey: 'sk-example', baseUrl: `${origin}/openai/v1`, maxRetries: 1 });
    const reply = await client.chat({ messages: [{ role: 'user', content: 'hello from a worker' }] });
    let streamed = '';
    let items = 0;
    for await (const item of client.chatStream({ messages: [{ role: 'user', content: 'stream to a worker' }] })) {
      streamed += item.delta;
      items++;
    }
    if (reply.text !== 'echo: hello from a worker') throw new Error(`chat replied ${JSON.stringify(reply.text)}`);
    if (streamed !== 'echo: stream to a worker') throw new Error(`chatStream gave ${JSON.stringify(streamed)}`);
    const error = await client.chat({ messages: 'not an array' }).catch((e) => e);
    if (!(error instanceof ApiError) || error.type !== 'invalid_request') throw new Error(`expected an ApiError, got ${error}`);
    postMessage({ ok: true, line: `PASS vite-worker: resilient-api-client ${version}: first message received; chat "${reply.text}", chatStream ${items} items "${streamed}"` });
  } catch (err) {
    postMessage({ ok: false, line: `FAIL vite-worker: ${err?.stack ?? err}` });
  }
};
