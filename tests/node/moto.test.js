// The S3 client against an S3 server nobody here wrote: moto (installed by scripts/setup.sh into
// .tools/moto), on 127.0.0.1 with SigV4 enforced: reset-auth lets the first three requests
// through unauthenticated (they create an IAM user, its access key and an S3 policy), after
// which every request must be signed by that key. boto3 (tests/node/moto/boto.py) cross-reads
// objects and makes presigned URLs to compare with this package's.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { S3Kit } from 'resilient-api-client';
import { expectApiError } from './support.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const venv = `${root}.tools/moto/bin`;
const BUCKET = 'moto-bucket';
const MIB = 1024 * 1024;
const run = promisify(execFile);

let moto = null;
let endpoint = null;
let creds = null;

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function boto(cmd, args) {
  const { stdout } = await run(`${venv}/python`, [`${root}tests/node/moto/boto.py`, cmd, JSON.stringify({ endpoint, ...args })], { maxBuffer: 64 * MIB });
  return JSON.parse(stdout);
}

/** Waits for moto to answer (it prints before it listens on some versions). */
async function ready(deadlineMs) {
  for (;;) {
    try {
      const res = await fetch(`${endpoint}/moto-api/`);
      await res.arrayBuffer();
      return;
    } catch (e) {
      if (Date.now() > deadlineMs) throw new Error(`moto_server did not start: ${e.message}`);
      // Polling a server that is starting: there is no event to wait for.
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function client(extra = {}) {
  return new S3Kit({ baseUrl: endpoint, region: 'us-east-1', ...creds, initialRetryDelay: 0.01, ...extra });
}

const sha = (b) => createHash('sha256').update(b).digest('hex');

describe('s3_kit against moto (SigV4 enforced)', { timeout: 300_000 }, () => {
  before(async () => {
    assert.ok(existsSync(`${venv}/moto_server`), 'moto is installed by scripts/setup.sh into .tools/moto');
    const port = await freePort();
    endpoint = `http://127.0.0.1:${port}`;
    moto = spawn(`${venv}/moto_server`, ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
    await ready(Date.now() + 60_000);
    const res = await fetch(`${endpoint}/moto-api/reset-auth`, { method: 'POST', body: '3' });
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    const key = await boto('setup', { bucket: BUCKET });
    creds = { accessKeyId: key.key_id, secretAccessKey: key.secret };
  });
  after(() => {
    if (moto) moto.kill('SIGTERM');
  });

  it('put, get, head, delete; keys with spaces, unicode, + = ~ and /; empty objects', async () => {
    const c = client();
    const keys = ['plain.txt', 'with space/and/slash.bin', 'ünïcødé/日本語.txt', 'a+b=c~d.bin', 'dir/sub dir/x+y=z~w'];
    for (const key of keys) {
      const body = new TextEncoder().encode(`body of ${key}`);
      const put = await c.putObject({ bucket: BUCKET, key, body, contentType: 'text/plain' });
      assert.match(put.etag, /^"[0-9a-f]{32}"$/);
      const got = await c.getObject({ bucket: BUCKET, key });
      assert.equal(new TextDecoder().decode(got.body), `body of ${key}`);
      const head = await c.headObject({ bucket: BUCKET, key });
      assert.equal(head.contentLength, body.byteLength);
      assert.equal(head.etag, put.etag);
    }
    await c.putObject({ bucket: BUCKET, key: 'empty', body: new Uint8Array(0) });
    assert.equal((await c.getObject({ bucket: BUCKET, key: 'empty' })).body.byteLength, 0);
    assert.equal((await c.headObject({ bucket: BUCKET, key: 'empty' })).contentLength, 0);
    await c.deleteObject({ bucket: BUCKET, key: 'plain.txt' });
    await expectApiError(c.headObject({ bucket: BUCKET, key: 'plain.txt' }), 'not_found');
    await expectApiError(c.getObject({ bucket: BUCKET, key: 'plain.txt' }), 'not_found');
  });

  it('lists with pagination over 1,000 keys', async () => {
    const c = client({ maxConcurrentRequests: 16, queueSize: 2000 });
    const n = 1005;
    await Promise.all(Array.from({ length: n }, (_, i) => c.putObject({ bucket: BUCKET, key: `many/${String(i).padStart(4, '0')}`, body: 'x' })));
    const seen = [];
    let token = null;
    let pages = 0;
    do {
      const page = await c.listObjects({ bucket: BUCKET, prefix: 'many/', continuationToken: token });
      seen.push(...page.objects.map((o) => o.key));
      token = page.isTruncated ? page.nextContinuationToken : null;
      pages++;
    } while (token);
    assert.equal(pages, 2);
    assert.equal(seen.length, n);
    assert.equal(new Set(seen).size, n);
  });

  it('multipart through uploadObject, streamed back; an aborted upload leaves none open', async () => {
    const c = client();
    const data = new Uint8Array(11 * MIB + 3);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >>> 11)) & 255;
    const res = await c.uploadObject({ bucket: BUCKET, key: 'big/model.bin', body: new Blob([data]), partSize: 5 * MIB, concurrency: 2 });
    assert.equal(res.parts, 3);
    assert.match(res.etag, /-3"$/);
    const got = await c.getObject({ bucket: BUCKET, key: 'big/model.bin', stream: true });
    const h = createHash('sha256');
    let n = 0;
    for await (const chunk of got.body) {
      h.update(chunk);
      n += chunk.byteLength;
    }
    assert.equal(n, data.byteLength);
    assert.equal(h.digest('hex'), sha(data));

    const ctl = new AbortController();
    await expectApiError(c.uploadObject({
      bucket: BUCKET, key: 'big/aborted.bin', body: data, partSize: 5 * MIB, concurrency: 1, signal: ctl.signal,
      onProgress: () => ctl.abort(),
    }), 'cancelled');
    assert.deepEqual((await c.listMultipartUploads({ bucket: BUCKET })).uploads, []);
    assert.deepEqual((await boto('uploads', { ...botoCreds(), bucket: BUCKET })).uploads, []);
  });

  it('a wrong secret is refused as an authentication error', async () => {
    const c = client({ secretAccessKey: 'not-the-secret', maxRetries: 0 });
    const err = await c.getObject({ bucket: BUCKET, key: 'empty' }).then(() => null, (e) => e);
    assert.ok(err, 'the request must be refused');
    assert.ok(['authentication_error', 'permission_denied'].includes(err.type), `got ${err.type}: ${err.message}`);
    assert.ok(!err.message.includes('not-the-secret'));
  });

  it('boto3 reads what this package wrote, and the reverse', async () => {
    const c = client();
    const mine = new TextEncoder().encode('written by resilient-api-client ✓');
    await c.putObject({ bucket: BUCKET, key: 'cross/ours k+=~.txt', body: mine });
    const read = await boto('get', { ...botoCreds(), bucket: BUCKET, key: 'cross/ours k+=~.txt' });
    assert.deepEqual(read, { sha256: sha(mine), length: mine.byteLength });
    const big = new Uint8Array(6 * MIB).map((_, i) => i % 251);
    await c.uploadObject({ bucket: BUCKET, key: 'cross/ours-multipart.bin', body: big, partSize: 5 * MIB });
    assert.deepEqual(await boto('get', { ...botoCreds(), bucket: BUCKET, key: 'cross/ours-multipart.bin' }), { sha256: sha(big), length: big.byteLength });

    const theirs = Buffer.from('written by boto3 ünïcødé');
    await boto('put', { ...botoCreds(), bucket: BUCKET, key: 'cross/theirs ü+=~.txt', data_b64: theirs.toString('base64') });
    const got = await c.getObject({ bucket: BUCKET, key: 'cross/theirs ü+=~.txt' });
    assert.equal(sha(got.body), sha(theirs));
  });

  // moto checks only header signatures once auth is on (a presigned URL there is a 500), so
  // presigned URLs are proven equal to botocore's instead.
  it('presigned URLs equal botocore\'s for the same inputs at a fixed time', async () => {
    const c = client();
    const unix = 1_767_225_600; // 2026-01-01T00:00:00Z
    for (const [key, method, expires] of [['cross/ours k+=~.txt', 'GET', 900], ['a b/ü+=~.bin', 'PUT', 3600], ['x', 'HEAD', 60], ['x', 'DELETE', 604_800]]) {
      const now = Date.now;
      let ours;
      try {
        Date.now = () => unix * 1000;
        ours = new URL(c.presignUrl({ bucket: BUCKET, key, method, expiresIn: expires }));
      } finally {
        Date.now = now;
      }
      const theirs = new URL((await boto('presign', { ...botoCreds(), bucket: BUCKET, key, method, expires, unix })).url);
      assert.equal(ours.origin + ours.pathname, theirs.origin + theirs.pathname, `${method} ${key}: path`);
      const q = (u) => Object.fromEntries([...u.searchParams].sort());
      assert.deepEqual(q(ours), q(theirs), `${method} ${key}: query and signature`);
    }
  });
});

function botoCreds() {
  return { key_id: creds.accessKeyId, secret: creds.secretAccessKey };
}
