// Node CommonJS: require() the package and the emulator subpath (neither has a top-level await,
// so Node's require of ES modules loads them; one engine is shared with any `import`).
const { OpenAI, ApiError, version } = require('resilient-api-client');
const { startEmulator } = require('resilient-api-client/emulator');

async function main() {
  const emulator = await startEmulator();
  try {
    const client = new OpenAI({ apiKey: 'sk-example', baseUrl: emulator.baseUrl('openai'), maxRetries: 1 });
    const reply = await client.chat({ messages: [{ role: 'user', content: 'hello from node-cjs' }] });
    let streamed = '';
    let items = 0;
    for await (const item of client.chatStream({ messages: [{ role: 'user', content: 'stream to node-cjs' }] })) {
      streamed += item.delta;
      items++;
    }
    if (reply.text !== 'echo: hello from node-cjs') throw new Error(`chat replied ${JSON.stringify(reply.text)}`);
    if (streamed !== 'echo: stream to node-cjs') throw new Error(`chatStream gave ${JSON.stringify(streamed)}`);
    const error = await client.chat({ messages: 'not an array' }).catch((e) => e);
    if (!(error instanceof ApiError) || error.type !== 'invalid_request') throw new Error(`expected an ApiError, got ${error}`);
    console.log(`PASS node-cjs: resilient-api-client ${version}: chat "${reply.text}", chatStream ${items} items "${streamed}", ApiError ${error.type}`);
  } finally {
    await emulator.close();
  }
}

main().catch((err) => {
  console.error(`FAIL node-cjs: ${err && err.stack ? err.stack : err}`);
  process.exit(1);
});
