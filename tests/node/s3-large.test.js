// S3 at model size against the emulator: uploadObject (multipart, parts retried on their own,
// aborted on failure), getObject({ stream: true }) (pull-based, resumed with one Range request
// checked by If-Match), on the transport RESILIENT_TRANSPORT picks. The 1 GiB run with its
// time and memory figures is node-host/bench/s3-large.mjs (scripts/bench.sh --only s3).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { S3Kit } from 'resilient-api-client';
import { startEmulator } from 'resilient-api-client/emulator';
import { expectApiError } from './support.js';

const MIB = 1024 * 1024;
const BUCKET = 'models';
let emu;

before(async () => {
  emu = await startEmulator();
});
after(() => emu.close());

function client(extra = {}) {
  return new S3Kit({ baseUrl: emu.baseUrl('s3_kit'), ...emu.s3, initialRetryDelay: 0.01, ...extra });
}

/** `n` deterministic bytes (not a repeating pattern a wrong offset could match). */
function bytes(n, seed = 1) {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 255;
  }
  return out;
}

const sha = (b) => createHash('sha256').update(b).digest('hex');

/** A ReadableStream over `data` in uneven chunks, counting how far it has been read. */
function chunked(data, size = 300_001) {
  let at = 0;
  const stream = new ReadableStream({
    pull(ctrl) {
      if (at >= data.byteLength) return ctrl.close();
      ctrl.enqueue(data.slice(at, at + size));
      at += size;
      return undefined;
    },
  });
  return { stream, read: () => at };
}

async function drain(body) {
  const h = createHash('sha256');
  let n = 0;
  for await (const chunk of body) {
    h.update(chunk);
    n += chunk.byteLength;
  }
  return { hash: h.digest('hex'), n };
}

/** Forgets the request log and any script, keeping the objects. */
function clearLog() {
  emu.requests.length = 0;
  emu.script('s3_kit', []);
}

const uploads = () => emu.requests.filter((r) => r.method === 'PUT' && r.query.uploadId);

describe('s3_kit at model size (emulator)', () => {
  it('64 MiB from a ReadableStream goes up in parts and comes back streamed, bytes equal', { timeout: 120_000 }, async () => {
    const data = bytes(64 * MIB + 12345, 7);
    const c = client();
    const progress = [];
    const src = chunked(data);
    clearLog();
    const res = await c.uploadObject({
      bucket: BUCKET, key: 'weights/model.bin', body: src.stream, partSize: 8 * MIB, concurrency: 3,
      onProgress: (p) => progress.push(p),
    });
    assert.equal(res.parts, 9);
    assert.match(res.etag, /^"[0-9a-f]{32}-9"$/);
    const parts = uploads();
    assert.equal(parts.length, 9);
    assert.ok(parts.every((r) => r.headers['x-amz-content-sha256'] === 'UNSIGNED-PAYLOAD'), 'parts are not hashed for the signature');
    assert.ok(parts.every((r) => /^[A-Za-z0-9+/]{43}=$/.test(r.headers['x-amz-checksum-sha256'])), 'each part carries its checksum');
    assert.equal(progress.at(-1).sent, data.byteLength);
    assert.equal(progress.at(-1).total, null, 'a stream has no known total');
    assert.ok(progress.every((p, i) => i === 0 || p.sent > progress[i - 1].sent));

    const got = await c.getObject({ bucket: BUCKET, key: 'weights/model.bin', stream: true });
    assert.ok(got.body instanceof ReadableStream);
    assert.equal(got.contentLength, data.byteLength);
    assert.equal(got.etag, res.etag);
    const down = await drain(got.body);
    assert.equal(down.n, data.byteLength);
    assert.equal(down.hash, sha(data));
  });

  it('reads a ReadableStream body incrementally: at most concurrency parts ahead of the server', { timeout: 60_000 }, async () => {
    const data = bytes(40 * MIB, 3);
    const src = chunked(data, 1 * MIB);
    let maxAhead = 0;
    const c = client();
    clearLog();
    await c.uploadObject({
      bucket: BUCKET, key: 'ahead.bin', body: src.stream, partSize: 5 * MIB, concurrency: 2,
      onProgress: ({ sent }) => {
        maxAhead = Math.max(maxAhead, src.read() - sent);
      },
    });
    // Two parts in flight, one being read, and the one chunk of look-ahead.
    assert.ok(maxAhead <= 3 * 5 * MIB + MIB, `read ${maxAhead} bytes ahead of what was sent`);
    assert.equal(uploads().length, 8);
  });

  it('Blob and Uint8Array bodies; a body below partSize is one PUT', { timeout: 60_000 }, async () => {
    const c = client();
    const small = bytes(1000, 5);
    clearLog();
    const one = await c.uploadObject({ bucket: BUCKET, key: 'small.bin', body: new Blob([small]) });
    assert.equal(one.parts, 1);
    assert.deepEqual(emu.requests.map((r) => r.method), ['PUT']);
    assert.equal(emu.requests[0].headers['x-amz-checksum-sha256'], createHash('sha256').update(small).digest('base64'));
    // The server refuses bytes that do not match their checksum.
    const wrong = createHash('sha256').update('other bytes').digest('base64');
    const bad = await expectApiError(c.putObject({ bucket: BUCKET, key: 'bad.bin', body: small, checksumSha256: wrong }), 'invalid_request');
    assert.match(bad.message, /BadDigest/);
    const big = bytes(11 * MIB, 9);
    const two = await c.uploadObject({ bucket: BUCKET, key: 'blob.bin', body: new Blob([big]), partSize: 5 * MIB });
    assert.equal(two.parts, 3);
    const back = await c.getObject({ bucket: BUCKET, key: 'blob.bin' });
    assert.equal(sha(back.body), sha(big));
    const empty = await c.uploadObject({ bucket: BUCKET, key: 'empty.bin', body: new Uint8Array(0) });
    assert.equal(empty.parts, 1);
    const e = await c.getObject({ bucket: BUCKET, key: 'empty.bin', stream: true });
    assert.equal((await drain(e.body)).n, 0);
  });

  it('a part that fails once is retried on its own', { timeout: 60_000 }, async () => {
    const c = client();
    const data = bytes(12 * MIB, 11);
    clearLog();
    let failed = null;
    const hook = emu.requests; // the log, to find the failed part below
    emu.script('s3_kit', [{}, {}, { error: 'server' }]); // initiate, part 1, then part 2 fails once
    const res = await c.uploadObject({ bucket: BUCKET, key: 'retry.bin', body: data, partSize: 5 * MIB, concurrency: 1 });
    assert.equal(res.parts, 3);
    const partNumbers = hook.filter((r) => r.method === 'PUT').map((r) => r.query.partNumber);
    assert.deepEqual(partNumbers, ['1', '2', '2', '3'], 'only the failed part is sent again');
    failed = hook.find((r) => r.step.error === 'server');
    assert.equal(failed.query.partNumber, '2');
    const back = await c.getObject({ bucket: BUCKET, key: 'retry.bin' });
    assert.equal(sha(back.body), sha(data));
  });

  it('an upload that fails for good, or is aborted, leaves no upload open', { timeout: 60_000 }, async () => {
    const c = client({ maxRetries: 0 });
    const data = bytes(11 * MIB, 13);
    clearLog();
    emu.script('s3_kit', [{}, {}, { error: 'permission' }]);
    await expectApiError(c.uploadObject({ bucket: BUCKET, key: 'fail.bin', body: data, partSize: 5 * MIB, concurrency: 1 }), 'permission_denied');
    assert.ok(emu.requests.some((r) => r.method === 'DELETE' && r.query.uploadId), 'AbortMultipartUpload was sent');
    assert.deepEqual((await c.listMultipartUploads({ bucket: BUCKET })).uploads, []);

    const ctl = new AbortController();
    clearLog();
    const p = c.uploadObject({
      bucket: BUCKET, key: 'aborted.bin', body: data, partSize: 5 * MIB, concurrency: 1, signal: ctl.signal,
      onProgress: () => ctl.abort(),
    });
    await expectApiError(p, 'cancelled');
    assert.ok(emu.requests.some((r) => r.method === 'DELETE' && r.query.uploadId), 'AbortMultipartUpload was sent');
    assert.deepEqual((await c.listMultipartUploads({ bucket: BUCKET })).uploads, []);
    await expectApiError(c.headObject({ bucket: BUCKET, key: 'aborted.bin' }), 'not_found');
  });

  it('an upload whose stream body stalls still settles when aborted, cancelling the body', { timeout: 20_000 }, async () => {
    const c = client();
    const ctl = new AbortController();
    let cancelled = null;
    let pulls = 0;
    // 6 MiB, then nothing more: a source that stalls (a network peer that went quiet, say).
    const body = new ReadableStream({
      pull(ctrl) {
        if (pulls++ === 0) ctrl.enqueue(bytes(6 * MIB, 41));
        else return new Promise(() => {});
        return undefined;
      },
      cancel(reason) {
        cancelled = reason;
      },
    }, { highWaterMark: 0 });
    clearLog();
    const p = c.uploadObject({
      bucket: BUCKET, key: 'stalled.bin', body, partSize: 5 * MIB, concurrency: 2, signal: ctl.signal,
      onProgress: () => ctl.abort(), // part 1 is up; part 2 waits on the stalled source
    });
    const err = await expectApiError(p, 'cancelled');
    assert.equal(cancelled, err, 'the body was cancelled with the error');
    assert.deepEqual(uploads().map((r) => r.query.partNumber), ['1'], 'the short read was not sent as a part');
    assert.ok(emu.requests.some((r) => r.method === 'DELETE' && r.query.uploadId), 'AbortMultipartUpload was sent');
    await expectApiError(c.headObject({ bucket: BUCKET, key: 'stalled.bin' }), 'not_found');
  });

  it('a download broken at 40 % resumes with exactly one Range request, checked by If-Match', { timeout: 60_000 }, async () => {
    const c = client();
    const data = bytes(16 * MIB + 7, 17);
    const { etag } = await c.uploadObject({ bucket: BUCKET, key: 'resume.bin', body: data, partSize: 8 * MIB });
    clearLog();
    emu.script('s3_kit', [{ truncateAt: 0.4 }]);
    const got = await c.getObject({ bucket: BUCKET, key: 'resume.bin', stream: true });
    const down = await drain(got.body);
    assert.equal(down.n, data.byteLength);
    assert.equal(down.hash, sha(data));
    const gets = emu.requests.filter((r) => r.method === 'GET');
    assert.equal(gets.length, 2);
    const ranged = gets.filter((r) => r.headers.range);
    assert.equal(ranged.length, 1, 'one Range request');
    const from = Number(/^bytes=(\d+)-$/.exec(ranged[0].headers.range)[1]);
    assert.equal(from, Math.floor(data.byteLength * 0.4), 'resumes at the last byte received');
    assert.equal(ranged[0].headers['if-match'], etag);
  });

  it('a download that gets no answer, or whose body stalls, is resumed after the client timeout', { timeout: 20_000 }, async () => {
    const data = bytes(3 * MIB + 5, 43);
    await client().uploadObject({ bucket: BUCKET, key: 'stall.bin', body: data });
    // The first GET is never answered: after `timeout` it is sent again.
    const c = client({ timeout: 0.3 });
    clearLog();
    emu.script('s3_kit', [{ stall: true }]);
    let got = await c.getObject({ bucket: BUCKET, key: 'stall.bin', stream: true });
    assert.equal((await drain(got.body)).hash, sha(data));
    assert.equal(emu.requests.filter((r) => r.method === 'GET').length, 2);
    // The body stops after 1 MiB and the connection stays open (a fetch that ignores its
    // signal, even): the download resumes from there.
    let cut = false;
    const stallingFetch = async (url, init) => {
      const res = await fetch(url, init);
      if (cut || init?.method !== 'GET' || !String(url).includes('stall.bin')) return res;
      cut = true;
      const rd = res.body.getReader();
      let sent = 0;
      const body = new ReadableStream({
        async pull(ctrl) {
          if (sent >= MIB) return new Promise(() => {});
          const { done, value } = await rd.read();
          if (done) return ctrl.close();
          sent += value.byteLength;
          return ctrl.enqueue(value);
        },
      });
      return new Response(body, { status: res.status, headers: res.headers });
    };
    clearLog();
    got = await client({ timeout: 0.3, fetch: stallingFetch }).getObject({ bucket: BUCKET, key: 'stall.bin', stream: true });
    const down = await drain(got.body);
    assert.equal(down.n, data.byteLength);
    assert.equal(down.hash, sha(data));
    const ranged = emu.requests.filter((r) => r.method === 'GET' && r.headers.range);
    assert.equal(ranged.length, 1, 'one Range request');
    assert.ok(Number(/^bytes=(\d+)-$/.exec(ranged[0].headers.range)[1]) >= MIB);
  });

  it('a download answered 503 is retried by the engine, with its backoff and in its stats', { timeout: 20_000 }, async () => {
    const data = bytes(1000, 47);
    await client().putObject({ bucket: BUCKET, key: 'slow.bin', body: data });
    clearLog();
    emu.script('s3_kit', [{ error: 'overloaded' }, { error: 'overloaded' }]);
    // No jitter: the engine's backoff is then exactly 0.2 s, then 0.4 s.
    const c = client({ initialRetryDelay: 0.2, jitter: 0 });
    const retries = [];
    c.on('retry', (e) => retries.push(e));
    const got = await c.getObject({ bucket: BUCKET, key: 'slow.bin', stream: true });
    assert.equal((await drain(got.body)).hash, sha(data));
    const at = emu.requests.filter((r) => r.method === 'GET').map((r) => r.at);
    assert.equal(at.length, 3);
    assert.deepEqual(retries.map((e) => [e.delay, e.status, e.type]), [[0.2, 503, 'overloaded'], [0.4, 503, 'overloaded']]);
    // Timer granularity aside.
    assert.ok(at[1] - at[0] >= 190, `first retry after ${at[1] - at[0]} ms`);
    assert.ok(at[2] - at[1] >= 390, `second retry after ${at[2] - at[1]} ms`);
    const stats = c.getStats();
    assert.equal(stats.total_requests, 1);
    assert.equal(stats.successful_requests, 1);
    assert.equal(stats.retried_requests, 2);
    assert.equal(stats.errors_by_type.overloaded, undefined, 'retried errors are not the call\'s error');
  });

  it('a streamed download counts in getStats() and holds a queue slot while it is read', { timeout: 20_000 }, async () => {
    const data = bytes(2 * MIB + 3, 53);
    await client().putObject({ bucket: BUCKET, key: 'counted.bin', body: data });
    const c = client({ maxConcurrentRequests: 1 });
    const got = await c.getObject({ bucket: BUCKET, key: 'counted.bin', stream: true });
    assert.equal(c.activeRequests, 1, 'the open download holds its slot');
    // A second call waits in the queue until the download is read to its end.
    let headDone = false;
    const head = c.headObject({ bucket: BUCKET, key: 'counted.bin' }).then((r) => {
      headDone = true;
      return r;
    });
    await new Promise((r) => setImmediate(r));
    assert.equal(c.queueLength, 1);
    assert.equal(headDone, false);
    assert.equal((await drain(got.body)).hash, sha(data));
    assert.equal((await head).contentLength, data.byteLength);
    const stats = c.getStats();
    assert.equal(stats.total_requests, 2);
    assert.equal(stats.successful_requests, 2);
    assert.equal(stats.queue.peak_length, 1);
    // A download that fails counts as a failure.
    await expectApiError(c.getObject({ bucket: BUCKET, key: 'missing.bin', stream: true }), 'not_found');
    assert.equal(c.getStats().errors_by_type.not_found, 1);
  });

  it('an OPEN breaker fails a streamed download at once, with nothing sent', { timeout: 20_000 }, async () => {
    const c = client({ failureThreshold: 2, resetTimeout: 60, maxRetries: 0 });
    clearLog();
    emu.script('s3_kit', [{ error: 'server' }, { error: 'server' }]);
    await expectApiError(c.getObject({ bucket: BUCKET, key: 'slow.bin', stream: true }), 'server_error');
    await expectApiError(c.getObject({ bucket: BUCKET, key: 'slow.bin', stream: true }), 'server_error');
    assert.equal(c.circuitState, 'OPEN');
    const sent = emu.requests.length;
    const t0 = performance.now();
    const err = await expectApiError(c.getObject({ bucket: BUCKET, key: 'slow.bin', stream: true }), 'circuit_open');
    assert.ok(performance.now() - t0 < 100, 'failed fast');
    assert.ok(err.retryDelay > 0);
    assert.equal(emu.requests.length, sent, 'nothing reached the server');
    assert.equal(c.getStats().rejected_requests, 1);
  });

  it('a download whose object changed mid-way fails instead of splicing two objects', { timeout: 60_000 }, async () => {
    const c = client();
    await c.putObject({ bucket: BUCKET, key: 'changing.bin', body: bytes(MIB, 19) });
    clearLog();
    emu.script('s3_kit', [{ truncateAt: 0.5 }]);
    const got = await c.getObject({ bucket: BUCKET, key: 'changing.bin', stream: true });
    await c.putObject({ bucket: BUCKET, key: 'changing.bin', body: bytes(MIB, 23) });
    await expectApiError(drain(got.body), 'stream_interrupted');
    assert.equal(emu.requests.filter((r) => r.headers['if-match']).length, 1);
  });

  it('a download that keeps breaking gives up after maxRetries', { timeout: 60_000 }, async () => {
    const c = client({ maxRetries: 2 });
    await c.putObject({ bucket: BUCKET, key: 'flaky.bin', body: bytes(MIB, 29) });
    clearLog();
    emu.script('s3_kit', [{ truncateAt: 0.2 }, { truncateAt: 0.2 }, { truncateAt: 0.2 }]);
    const got = await c.getObject({ bucket: BUCKET, key: 'flaky.bin', stream: true });
    const err = await expectApiError(drain(got.body), 'stream_interrupted');
    assert.match(err.message, /could not be resumed/);
    assert.equal(emu.requests.filter((r) => r.method === 'GET').length, 3);
  });

  it('a streamed download is pulled: the network body is read only as the stream is read', { timeout: 60_000 }, async () => {
    // The client's own fetch, counting the reads made of each response body.
    let reads = 0;
    const counting = async (url, init) => {
      const res = await fetch(url, init);
      const inner = res.body.getReader();
      const body = new ReadableStream({
        async pull(ctrl) {
          reads++;
          const { done, value } = await inner.read();
          if (done) ctrl.close();
          else ctrl.enqueue(value);
        },
        cancel: (r) => inner.cancel(r),
      }, { highWaterMark: 0 });
      return { status: res.status, ok: res.ok, headers: res.headers, body, text: () => res.text() };
    };
    const c = client();
    await c.uploadObject({ bucket: BUCKET, key: 'pulled.bin', body: bytes(24 * MIB, 31), partSize: 8 * MIB });
    const s3 = client({ fetch: counting });
    const got = await s3.getObject({ bucket: BUCKET, key: 'pulled.bin', stream: true });
    // Turns of the event loop with nobody reading: nothing may be pulled beyond one chunk.
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    assert.ok(reads <= 1, `read ${reads} chunks before anyone read the stream`);
    const reader = got.body.getReader();
    let n = (await reader.read()).value.byteLength;
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    assert.ok(reads <= 2, `read ${reads} chunks for one read`);
    for (let r = await reader.read(); !r.done; r = await reader.read()) n += r.value.byteLength;
    assert.equal(n, 24 * MIB, 'the rest is read on demand, all of it');
    assert.ok(reads > 2);
  });

  it('a streamed download aborted by its signal errors with cancelled and is not resumed', { timeout: 60_000 }, async () => {
    const c = client();
    await c.uploadObject({ bucket: BUCKET, key: 'abort-dl.bin', body: bytes(16 * MIB, 37), partSize: 8 * MIB });
    clearLog();
    const ctl = new AbortController();
    const got = await c.getObject({ bucket: BUCKET, key: 'abort-dl.bin', stream: true, signal: ctl.signal });
    const reader = got.body.getReader();
    await reader.read();
    ctl.abort();
    await expectApiError((async () => {
      for (;;) if ((await reader.read()).done) return 'ended';
    })(), 'cancelled');
    assert.equal(emu.requests.filter((r) => r.method === 'GET').length, 1, 'no resume after an abort');
    await expectApiError(c.getObject({ bucket: BUCKET, key: 'abort-dl.bin', stream: true, timeout: 5 }), 'invalid_request');
  });

  it('a stored SHA-256 is verified on download, whole and streamed', { timeout: 60_000 }, async () => {
    const c = client();
    const data = bytes(3 * MIB + 1, 41);
    const sum = createHash('sha256').update(data).digest('base64');
    await c.uploadObject({ bucket: BUCKET, key: 'summed.bin', body: data });
    clearLog();
    const whole = await c.getObject({ bucket: BUCKET, key: 'summed.bin' });
    assert.equal(whole.checksumSha256, sum);
    assert.equal(emu.requests[0].headers['x-amz-checksum-mode'], 'ENABLED');
    const streamed = await c.getObject({ bucket: BUCKET, key: 'summed.bin', stream: true });
    assert.equal(streamed.checksumSha256, sum);
    assert.equal((await drain(streamed.body)).hash, sha(data));
    // Corrupt the stored bytes (bit rot at rest): both reads refuse them.
    emu.store.get(BUCKET, 'summed.bin').bytes[12345] ^= 1;
    const e1 = await expectApiError(c.getObject({ bucket: BUCKET, key: 'summed.bin' }), 'decode_error');
    assert.match(e1.message, /checksum/);
    const bad = await c.getObject({ bucket: BUCKET, key: 'summed.bin', stream: true });
    await expectApiError(drain(bad.body), 'decode_error');
  });

  it('object bytes stay out of wasm memory: large PUTs are held in JS, a GET body is the transport\'s', { timeout: 60_000 }, async () => {
    const { default: init } = await import('../../node-host/pkg/resilient_wasm.js');
    const memory = (await init()).memory;
    // The client's own fetch, recording what each PUT sent.
    const sent = [];
    const recording = async (url, init) => {
      if (init?.method === 'PUT') sent.push({ sha: sha(init.body), sha256: init.headers['x-amz-content-sha256'] });
      return fetch(url, init);
    };
    const c = client({ fetch: recording });
    const plain = client(); // the transport RESILIENT_TRANSPORT picks, for the GETs
    const a = bytes(9 * MIB, 59);
    const b = bytes(9 * MIB + 1, 61);
    await c.putObject({ bucket: BUCKET, key: 'warm.bin', body: bytes(1000, 1) });
    await plain.getObject({ bucket: BUCKET, key: 'warm.bin' });
    const before = memory.buffer.byteLength;
    // Two PUTs to one key at once: each sends its own bytes, unhashed.
    await Promise.all([c.putObject({ bucket: BUCKET, key: 'held.bin', body: a }), c.putObject({ bucket: BUCKET, key: 'held2.bin', body: b.buffer })]);
    await Promise.all([c.putObject({ bucket: BUCKET, key: 'same.bin', body: a }), c.putObject({ bucket: BUCKET, key: 'same.bin', body: b })]);
    const big = sent.slice(-4);
    assert.deepEqual(big.map((r) => r.sha).sort(), [sha(a), sha(b), sha(a), sha(b)].sort());
    assert.ok(big.every((r) => r.sha256 === 'UNSIGNED-PAYLOAD'), 'held bodies are not hashed');
    const got = await plain.getObject({ bucket: BUCKET, key: 'held.bin' });
    assert.equal(got.body.constructor, Uint8Array);
    assert.equal(got.body.buffer.byteLength, a.byteLength, 'a buffer of its own');
    assert.equal(got.contentLength, a.byteLength);
    assert.equal(sha(got.body), sha(a));
    assert.equal(sha((await plain.getObject({ bucket: BUCKET, key: 'held2.bin' })).body), sha(b));
    assert.equal(memory.buffer.byteLength, before, 'wasm memory did not grow for 36 MiB of objects');
    // A small body is still signed with its hash.
    await c.putObject({ bucket: BUCKET, key: 'small-signed.bin', body: bytes(1000, 3) });
    assert.equal(sent.at(-1).sha256, sha(bytes(1000, 3)));
  });

  it('a getObject reply over maxResponseBytes is refused while reading, declared or chunked', { timeout: 60_000 }, async () => {
    const http = await import('node:http');
    const TOTAL = 256 * MIB;
    let written = 0;
    const server = http.createServer((req, res) => {
      written = 0;
      const declared = req.url.includes('declared');
      res.writeHead(200, declared ? { 'content-length': String(TOTAL) } : {});
      const chunk = Buffer.alloc(256 * 1024, 7);
      const pump = () => {
        while (written < TOTAL) {
          written += chunk.length;
          if (!res.write(chunk)) return res.once('drain', pump);
        }
        return res.end();
      };
      res.on('close', () => res.removeAllListeners('drain'));
      pump();
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    try {
      const c = client({ baseUrl: `http://127.0.0.1:${server.address().port}`, maxResponseBytes: 4 * MIB, maxRetries: 0 });
      for (const key of ['declared.bin', 'chunked.bin']) {
        const e = await expectApiError(c.getObject({ bucket: BUCKET, key }), 'decode_error');
        assert.match(e.message, /maxResponseBytes/);
        assert.ok(written < TOTAL / 4, `${key}: the server got to write ${written} of ${TOTAL} bytes`);
      }
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('bad arguments are refused with the field named', async () => {
    const c = client();
    await expectApiError(c.uploadObject({ bucket: BUCKET, key: 'x', body: bytes(10), partSize: MIB }), 'invalid_request');
    // Past S3's largest part, or more workers than parts: refused before any allocation.
    const big = await expectApiError(c.uploadObject({ bucket: BUCKET, key: 'x', body: bytes(10), partSize: 2 ** 40 }), 'invalid_request');
    assert.match(big.message, /`partSize`: must be an integer from 5242880 to 5368709120/);
    const wide = await expectApiError(c.uploadObject({ bucket: BUCKET, key: 'x', body: bytes(10), concurrency: 1e9 }), 'invalid_request');
    assert.match(wide.message, /`concurrency`: must be an integer from 1 to 10000/);
    await expectApiError(c.uploadObject({ bucket: BUCKET, key: 'x', body: 42 }), 'invalid_request');
    await expectApiError(c.getObject({ bucket: BUCKET, key: 'x', range: 'lines=1-2' }), 'invalid_request');
    const err = await expectApiError(c.completeMultipartUpload({ bucket: BUCKET, key: 'x', uploadId: 'u', parts: [{ partNumber: 2, etag: '"a"' }, { partNumber: 1, etag: '"b"' }] }), 'invalid_request');
    assert.match(err.message, /parts/);
  });
});
