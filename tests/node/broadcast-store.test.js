// broadcastStore in Node (its BroadcastChannel reaches the other channels of the same name, as
// between the tabs and workers of one origin): each store stands for one context. Clients count
// each other through heartbeats on the channel and pace on their share of the key's limit.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Groq } from 'resilient-api-client';
import { broadcastStore } from 'resilient-api-client/broadcast';
import { startEmulator } from '../../node-host/emulator/index.js';
import { waitFor } from './redis-server.js';
import { say } from './support.js';

const emu = await startEmulator();
const stores = [];
after(async () => {
  for (const s of stores) s.close();
  await emu.close();
});

/** A client in a context of its own on channel `name`. */
function client(name) {
  const store = broadcastStore({ name, pollInterval: 0.05 });
  stores.push(store);
  // The emulator's Groq route says 14400 requests a window, reset in 6 s.
  return new Groq({ apiKey: 'gsk-broadcast-peers-0123456789', baseUrl: emu.baseUrl('groq'), stateStore: store });
}

const reads = (c) => c.getStats().state_store.reads;

/** Waits until each client has read twice more (so each has counted the others' heartbeats). */
async function settle(clients) {
  const at = clients.map(reads);
  await waitFor(() => clients.every((c, i) => reads(c) >= at[i] + 2), 10_000, 'two reads each');
}

test('contexts on one channel count each other: each paces on limit / N of the window', async () => {
  const a = client('peers-case');
  const b = client('peers-case');
  await settle([a, b]);
  await a.chat(say('one'));
  // 14400 among 2 clients, less the one call a started.
  assert.equal(a.getStats().rate_limit.remaining_requests, 14400 / 2 - 1);
  const c = client('peers-case');
  await settle([a, b, c]);
  await a.chat(say('two'));
  assert.equal(a.getStats().rate_limit.remaining_requests, 14400 / 3 - 2);
  assert.equal(a.getStats().state_store.errors, 0);
});

test('a context alone on its channel paces on what the server says is left', async () => {
  const alone = client('peers-alone');
  await settle([alone]);
  await alone.chat(say('solo'));
  assert.equal(alone.getStats().rate_limit.remaining_requests, 14399);
});
