// The main job's routing section: a router over OpenAI, Claude and Gemini clients on the
// emulator, with OpenAI failing. Its faults come from each OpenAI client's own `x-emulate`
// header (see emulator/index.js), so the section needs nothing from the rest of the demo.
// Returns 0 when every routed call was served as described, 1 otherwise.
import { OpenAI, Claude, Gemini, createRouter } from '../node.js';

const user = (content) => [{ role: 'user', content }];

export async function routingSection({ emu, say }) {
  let problems = 0;
  const check = (ok, what) => {
    if (!ok) {
      problems++;
      say(`  UNEXPECTED: ${what}`);
    }
  };
  const others = () => [
    new Claude({ baseUrl: emu.baseUrl('claude'), apiKey: 'sk-ant-demo' }),
    new Gemini({ baseUrl: emu.baseUrl('gemini'), apiKey: 'AIzaDemo' }),
  ];
  // An OpenAI client whose every request meets `fault` (default retries: 5, from 1 s).
  const openai = (fault) => new OpenAI({
    baseUrl: emu.baseUrl('openai'), apiKey: 'sk-demo', headers: { 'x-emulate': JSON.stringify(fault) },
  });
  const openaiRequests = () => emu.requestsFor('openai').length;

  say('Routing: createRouter([OpenAI, Claude, Gemini]), strategy fallback');

  // 1. OpenAI down: connections reset. Each call tries OpenAI once (no retries while Claude
  //    remains) until OpenAI's breaker opens; then OpenAI is skipped without a request.
  {
    const router = createRouter([openai({ reset: true }), ...others()]);
    router.on('fallback', (e) => say(`    fallback: ${e.from_provider} -> ${e.to_provider} (${e.type})`));
    const before = openaiRequests();
    say('  OpenAI down (every connection reset):');
    for (let i = 1; i <= 7; i++) {
      const t = performance.now();
      const r = await router.chat({ messages: user(`routed ${i}`), maxTokens: 16 });
      say(`    chat ${i}: served by ${r.provider} (member ${r.member}) in ${(performance.now() - t).toFixed(0)} ms, OpenAI breaker ${router.members[0].circuitState}: "${r.text}"`);
      check(r.provider === 'claude', `chat ${i} served by ${r.provider}`);
    }
    const sent = openaiRequests() - before;
    say(`    OpenAI got ${sent} requests for 7 calls (its breaker opened after 5 failures)`);
    check(sent === 5, `OpenAI got ${sent} requests`);
  }

  // 2. OpenAI rate limited with a 30 s retry-after: the call moves on at once, and the hint
  //    keeps OpenAI out of the next calls instead of waiting it out.
  {
    const router = createRouter([openai({ error: 'rate_limit', retryAfter: 30 }), ...others()]);
    const before = openaiRequests();
    const t = performance.now();
    const served = [];
    for (let i = 1; i <= 5; i++) served.push((await router.chat({ messages: user(`limited ${i}`) })).provider);
    const ms = performance.now() - t;
    const sent = openaiRequests() - before;
    say(`  OpenAI rate limited (429, retry-after 30 s): 5 calls served by ${[...new Set(served)].join(', ')} in ${ms.toFixed(0)} ms; OpenAI got ${sent} request`);
    check(served.every((p) => p === 'claude') && sent === 1 && ms < 5000, 'the rate-limited calls did not move on at once');
  }

  // 3. Streams: a failure before the first item falls over; after it, it does not.
  {
    const router = createRouter([openai({ error: 'server' }), ...others()]);
    let text = '';
    let by = null;
    for await (const item of router.chatStream({ messages: user('stream routed') })) {
      text += item.delta;
      by = item.provider;
    }
    say(`  stream, OpenAI failing before its first item: served by ${by}: "${text}"`);
    check(by === 'claude', `the stream was served by ${by}`);
    const cut = createRouter([openai({ midStreamError: true }), ...others()]);
    let got = '';
    try {
      for await (const item of cut.chatStream({ messages: user('one two three four five') })) got += item.delta;
      check(false, 'the cut stream did not fail');
    } catch (e) {
      say(`  stream, OpenAI cut after its first items: ${e.type} from ${e.provider} (member ${e.member}) after "${got}", not retried elsewhere`);
      check(e.type === 'stream_interrupted' && e.member === 0, `the cut stream failed with ${e.type} from member ${e.member}`);
    }
    const { summary, router: counters } = router.generateReport();
    const perMember = counters.members.map((m) => `${router.members[m.member].provider} served ${m.served}, failed ${m.failed}`).join('; ');
    say(`  its generateReport(): ${summary.total_requests} requests over the members, ${summary.success_rate}% ok, ${counters.fallbacks} fallback; ${perMember}`);
  }
  return problems ? 1 : 0;
}
