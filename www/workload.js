// The dashboard's workload generator: `rate` calls per second in all, spread round-robin over
// the clients, each call an operation drawn from `mix` and a priority drawn from `priorities`
// (weights), with at most `concurrency` calls outstanding per client (the rest are not made and
// counted as `skipped`, so a stuck provider cannot pile up unbounded promises in the page).

// What each provider's emulator route answers (calls a provider lacks are left out of its mix).
export const OPS = {
  openai: ['chat', 'stream', 'embed', 'models'],
  groq: ['chat', 'stream', 'models'],
  claude: ['chat', 'stream', 'models'],
  gemini: ['chat', 'stream', 'embed', 'models'],
  ollama: ['chat', 'stream', 'embed', 'models'],
};

const PRIORITIES = ['high', 'normal', 'low'];

function pick(weights, names, random) {
  let total = 0;
  for (const n of names) total += Math.max(0, Number(weights[n]) || 0);
  if (total <= 0) return names[0];
  let r = random() * total;
  for (const n of names) {
    r -= Math.max(0, Number(weights[n]) || 0);
    if (r < 0) return n;
  }
  return names[names.length - 1];
}

async function call(client, op, priority, n) {
  const messages = [{ role: 'user', content: `dashboard call ${n}` }];
  if (op === 'stream') {
    // Read to the end: a stream holds its slot (and counts in the stats) until then.
    for await (const item of client.chatStream({ messages, priority })) void item;
  } else if (op === 'embed') await client.embed({ input: `dashboard text ${n}`, priority });
  else if (op === 'models') await client.listModels({ priority });
  else await client.chat({ messages, priority, maxTokens: 16 });
}

export class Workload {
  constructor(clients, options = {}, random = Math.random) {
    this.clients = clients; // { provider: client }
    this.random = random;
    this.options = { rate: 20, concurrency: 50, mix: { chat: 3, stream: 1, embed: 1, models: 0 }, priorities: { high: 1, normal: 3, low: 1 } };
    this.set(options);
    this.outstanding = Object.fromEntries(Object.keys(clients).map((p) => [p, 0]));
    this.made = 0;
    this.settled = 0;
    this.skipped = 0;
    this.timer = null;
    this.due = 0;
    this.turn = 0;
  }

  set(options) {
    Object.assign(this.options, options);
  }

  get running() {
    return this.timer !== null;
  }

  start() {
    if (this.timer) return;
    let last = performance.now();
    this.due = 0;
    // 20 ms ticks: at 200 calls/s that is 4 calls a tick, not one timer per call.
    this.timer = setInterval(() => {
      const now = performance.now();
      this.due = Math.min(this.due + ((now - last) / 1000) * this.options.rate, this.options.rate + 1);
      last = now;
      const names = Object.keys(this.clients);
      while (this.due >= 1 && names.length) {
        this.due -= 1;
        this.issue(names[this.turn++ % names.length]);
      }
    }, 20);
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
  }

  issue(provider) {
    if (this.outstanding[provider] >= this.options.concurrency) {
      this.skipped++;
      return;
    }
    const client = this.clients[provider];
    const op = pick(this.options.mix, OPS[provider] || ['chat'], this.random);
    const priority = pick(this.options.priorities, PRIORITIES, this.random);
    const n = ++this.made;
    this.outstanding[provider]++;
    // Failures are the point (faults are injected); the client's stats count them.
    call(client, op, priority, n).catch(() => {}).finally(() => {
      this.outstanding[provider]--;
      this.settled++;
    });
  }

  /** Calls made and not settled yet, over every client. */
  get pending() {
    return Object.values(this.outstanding).reduce((a, b) => a + b, 0);
  }
}
