// One "process" of the state-store tests (spawned by store.test.js, not a test itself): a client
// on the shared key with a Redis store, started by argv JSON { redis, baseUrl, key, mode }.
//   mode 'watch': prints `ready` once it has read the store, then `open <Date.now()>` when its
//                 circuit reads OPEN (opened by another process), and exits.
import { OpenAI } from 'resilient-api-client';
import { redisStore } from 'resilient-api-client/redis';

const { redis, baseUrl, key } = JSON.parse(process.argv[2]);
const stateStore = redisStore({ url: redis, pollInterval: 0.05, timeout: 0.5 });
const client = new OpenAI({ apiKey: key, baseUrl, stateStore, resetTimeout: 30 });

const stats = () => client.getStats().state_store;
while (stats().reads < 1) await new Promise((r) => setTimeout(r, 5));
console.log('ready');
while (client.circuitState !== 'OPEN') await new Promise((r) => setTimeout(r, 2));
console.log(`open ${Date.now()}`);
await stateStore.close();
