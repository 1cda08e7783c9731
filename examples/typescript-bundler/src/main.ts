// TypeScript (moduleResolution bundler, strict): the package's and the emulator's declarations.
import { OpenAI, version, type ChatResult, type StreamItem } from 'resilient-api-client';
import { startEmulator, type Emulator } from 'resilient-api-client/emulator';

const emulator: Emulator = await startEmulator();
try {
  const client = new OpenAI({ apiKey: 'sk-example', baseUrl: emulator.baseUrl('openai'), maxRetries: 1 });
  const reply: ChatResult = await client.chat({ messages: [{ role: 'user', content: 'hello from typescript-bundler' }], temperature: 0 });
  let streamed = '';
  let items = 0;
  for await (const item of client.chatStream({ messages: [{ role: 'user', content: 'stream to typescript-bundler' }] })) {
    const typed: StreamItem = item;
    streamed += typed.delta;
    items++;
  }
  if (reply.text !== 'echo: hello from typescript-bundler') throw new Error(`chat replied ${JSON.stringify(reply.text)}`);
  if (streamed !== 'echo: stream to typescript-bundler') throw new Error(`chatStream gave ${JSON.stringify(streamed)}`);
  console.log(`PASS typescript-bundler: resilient-api-client ${version}: chat "${reply.text}", chatStream ${items} items "${streamed}"`);
} finally {
  await emulator.close();
}

// Never called: tsc must reject the misspelled field (the @ts-expect-error fails the build if not).
export function misspelled(client: OpenAI): Promise<ChatResult> {
  // @ts-expect-error: `temprature` is not a chat field
  return client.chat({ messages: [{ role: 'user', content: 'x' }], temprature: 0.1 });
}
