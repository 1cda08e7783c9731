// S3 at model size (docs/api.md): `uploadObject` (multipart above `partSize`) and
// `getObject({ stream: true })` (a pull-based ReadableStream that resumes a broken download
// with a Range request checked by If-Match). The engine builds, signs, queues, retries and
// classifies every request, the streamed GETs too; this file only moves bytes between calls,
// so a body is held at most `concurrency` parts at a time.

import { apiErrorClass } from '../pkg/resilient_wasm.js';

// Literals, not products: bundlers keep a product's statement when nothing reads it.
const DEFAULT_PART = 8388608; // 8 MiB
const MIN_PART = 5242880; // 5 MiB: S3 refuses smaller parts (except the last)
const MAX_PART = 5368709120; // 5 GiB: and larger ones
const MAX_PARTS = 10000;

function apiError(type, message, status = null, attempts = 1) {
  const ApiError = apiErrorClass();
  return new ApiError({
    type, message, status, attempts, provider: 's3_kit', should_retry: false, retry_delay: null, request_id: null,
  });
}

function badArgument(field, accepts) {
  return apiError('invalid_request', `invalid argument \`${field}\`: ${accepts}`);
}

/** Reads a body in parts of `size` bytes, one at a time, without holding more than a part. */
function partReader(body, size) {
  if (typeof body === 'string') body = new TextEncoder().encode(body);
  if (body instanceof ArrayBuffer) body = new Uint8Array(body);
  else if (ArrayBuffer.isView(body) && !(body instanceof Uint8Array)) {
    body = new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  }
  if (body instanceof Uint8Array) {
    let at = 0;
    return {
      total: body.byteLength,
      async next() {
        const part = body.subarray(at, at + size);
        at += part.byteLength;
        return { part, last: at >= body.byteLength };
      },
    };
  }
  if (typeof Blob !== 'undefined' && body instanceof Blob) {
    let at = 0;
    return {
      total: body.size,
      async next() {
        const part = new Uint8Array(await body.slice(at, at + size).arrayBuffer());
        at += part.byteLength;
        return { part, last: at >= body.size };
      },
    };
  }
  if (body && typeof body.getReader === 'function') {
    const reader = body.getReader();
    let carry = null; // bytes read past the previous part
    let ended = false;
    const pull = async () => {
      if (carry) {
        const c = carry;
        carry = null;
        return c;
      }
      if (ended) return null;
      const { done, value } = await reader.read();
      if (done) {
        ended = true;
        return null;
      }
      return value instanceof Uint8Array ? value : new Uint8Array(value);
    };
    return {
      total: null,
      // `buffer`: a part-sized buffer to fill (reused once its part is sent).
      async next(buffer = new Uint8Array(size)) {
        let n = 0;
        while (n < size) {
          const chunk = await pull();
          if (!chunk) break;
          const take = Math.min(chunk.byteLength, size - n);
          buffer.set(chunk.subarray(0, take), n);
          n += take;
          if (take < chunk.byteLength) carry = chunk.subarray(take);
        }
        // One look ahead says whether this was the last part.
        if (!carry) carry = await pull();
        return { part: buffer.subarray(0, n), last: !carry, buffer };
      },
      cancel: (reason) => reader.cancel(reason).catch(() => {}),
    };
  }
  throw badArgument('body', 'must be a Uint8Array, ArrayBuffer, Blob, ReadableStream or string');
}

function positiveInteger(v, field, min, max, fallback) {
  if (v === undefined || v === null) return fallback;
  if (!Number.isInteger(v) || v < min || v > max) throw badArgument(field, `must be an integer from ${min} to ${max}`);
  return v;
}

let nativeSha256 = null;
let incrementalSha256 = null;

/**
 * The Node entry lends node:crypto's hash: synchronous, it does not copy the part, and it can
 * hash a download as it streams (`incremental()` -> { update(bytes), digest() }, base64).
 */
export function useSha256(fn, incremental = null) {
  nativeSha256 = fn;
  incrementalSha256 = incremental;
}

function checksumError(expected) {
  return apiError('decode_error', `the object's bytes do not match the SHA-256 checksum the server sent (${expected}): corrupted in transit or at rest`);
}

/** A full-object checksum (a multipart object's composite `...-N` cannot be checked here). */
const fullChecksum = (c) => (typeof c === 'string' && c.length === 44 ? c : null);

/** The base64 SHA-256 of a part, computed natively (WebCrypto), or null where unavailable. */
async function sha256Base64(bytes) {
  if (nativeSha256) return nativeSha256(bytes);
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) return null;
  const digest = new Uint8Array(await subtle.digest('SHA-256', bytes));
  let s = '';
  for (const b of digest) s += String.fromCharCode(b);
  return btoa(s);
}

/**
 * `uploadObject({ bucket, key, body, contentType?, partSize?, concurrency?, checksum?, signal?,
 * onProgress?, priority?, timeout? })` -> `{ etag, parts }`.
 */
async function uploadObject(client, request) {
  if (!request || typeof request !== 'object') throw badArgument('uploadObject(request)', 'must be an object with bucket, key and body');
  const { bucket, key, body, contentType, partSize, concurrency, checksum = 'sha256', onProgress, ...call } = request;
  const size = positiveInteger(partSize, 'partSize', MIN_PART, MAX_PART, DEFAULT_PART);
  // A worker each: more than there can be parts would only be idle promises.
  const width = positiveInteger(concurrency, 'concurrency', 1, MAX_PARTS, 4);
  if (checksum !== 'sha256' && checksum !== false) throw badArgument('checksum', "must be 'sha256' or false");
  if (onProgress !== undefined && typeof onProgress !== 'function') throw badArgument('onProgress', 'must be a function');
  const parts = partReader(body, size);
  const total = parts.total;
  let sent = 0;
  const progress = (n) => {
    sent += n;
    if (onProgress) onProgress({ sent, total });
  };
  const ct = contentType === undefined ? {} : { contentType };
  let failure = null;
  // The first failure, or the caller's abort, also ends a read of a stream body that waits
  // for bytes (a stalled source): otherwise the upload would wait on it and never settle.
  const fail = (e) => {
    failure ??= e;
    parts.cancel?.(e);
  };
  const { signal } = call;
  const onAbort = () => fail(apiError('cancelled', 'the upload was cancelled'));
  signal?.addEventListener?.('abort', onAbort, { once: true });
  try {
    return await upload();
  } finally {
    signal?.removeEventListener?.('abort', onAbort);
  }

  async function upload() {
    if (signal?.aborted) onAbort();
    const first = await parts.next();
    if (failure) throw failure;
    if (first.last) {
      const sum = checksum ? await sha256Base64(first.part) : null;
      const r = await client.putObject({ ...call, bucket, key, body: first.part, ...ct, ...(sum ? { checksumSha256: sum } : {}) });
      progress(first.part.byteLength);
      return { etag: r.etag, parts: 1 };
    }

    const { uploadId } = await client.createMultipartUpload({ ...call, bucket, key, ...ct });
    const done = [];
    let next = first;
    let number = 0;
    let reading = null; // the one read in progress: parts are read in order
    // Part buffers of a stream body, reused: memory stays at concurrency + 1 parts.
    const pool = [];
    const readNext = async () => {
      if (next) {
        const n = next;
        next = null;
        return n;
      }
      return parts.next(pool.pop());
    };
    let finished = false;
    const worker = async () => {
      while (!failure && !finished) {
        // Reads are serialised; each worker holds at most one part.
        const prev = reading;
        let mine;
        reading = mine = (async () => {
          await prev;
          if (finished || failure) return null;
          const p = await readNext();
          if (failure) return null; // a cancelled read's short part is not sent
          if (p.last) finished = true;
          number++;
          if (number > MAX_PARTS) throw badArgument('partSize', `is too small for this body: S3 allows ${MAX_PARTS} parts`);
          return { ...p, number };
        })();
        let p;
        try {
          p = await mine;
        } catch (e) {
          fail(e);
          return;
        }
        if (!p) return;
        try {
          const sum = checksum ? await sha256Base64(p.part) : null;
          const r = await client.uploadPart({
            ...call, bucket, key, uploadId, partNumber: p.number, body: p.part,
            ...(sum ? { checksumSha256: sum } : {}),
          });
          done.push({ partNumber: p.number, etag: r.etag });
          progress(p.part.byteLength);
        } catch (e) {
          fail(e);
        }
        if (p.buffer) pool.push(p.buffer);
      }
    };
    await Promise.all(Array.from({ length: width }, worker));
    if (!failure) {
      try {
        done.sort((a, b) => a.partNumber - b.partNumber);
        const r = await client.completeMultipartUpload({ ...call, bucket, key, uploadId, parts: done });
        return { etag: r.etag, parts: done.length };
      } catch (e) {
        failure = e;
      }
    }
    // Failed for good or aborted: no half-upload is left on the server to be billed. The
    // caller's signal may be aborted, so this call goes without it.
    if (parts.cancel) parts.cancel(failure);
    const { signal: _signal, ...rest } = call;
    await client.abortMultipartUpload({ ...rest, bucket, key, uploadId }).catch(() => {});
    throw failure;
  }
}

/** The engine's head of a streamed GET: "status\0maxRetries\0length\0type\0etag\0checksum". */
function readHead(text) {
  const [status, maxRetries, length, contentType, etag, checksumSha256] = text.split('\0');
  return {
    status: Number(status), maxRetries: Number(maxRetries), contentLength: length === '' ? null : Number(length),
    contentType: contentType || null, etag: etag || null, checksumSha256: checksumSha256 || null,
  };
}

/**
 * `getObject({ bucket, key, stream: true, signal? })` -> `{ body: ReadableStream, contentType,
 * contentLength, etag, checksumSha256 }`. Each GET is an engine call (client.getObjectStream:
 * the head, then the body's chunks), so it takes a queue slot, passes the breaker, counts in
 * the stats and is retried with the engine's backoff and retry hints until its first bytes. A
 * body that breaks after that is resumed here from the last byte received, with a Range
 * request checked by If-Match, up to the client's `maxRetries` times.
 */
async function getObjectStream(client, request) {
  const { bucket, key, stream: _stream, signal, ...rest } = request;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) throw badArgument(unknown, 'is not a getObject({ stream: true }) argument (bucket, key, stream, signal)');
  let received = 0;
  let resumes = 0;
  let etag = null;
  // One engine call from `received` on: its stream, once its head has come.
  const open = async () => {
    const resume = received > 0 ? { range: `bytes=${received}-`, ifMatch: etag } : { checksumMode: true };
    const stream = client.getObjectStream({ bucket, key, ...resume, ...(signal ? { signal } : {}) });
    let head;
    try {
      head = readHead((await stream.next()).value);
    } catch (e) {
      if (received > 0 && e.status === 412) {
        throw apiError('stream_interrupted', 'the object changed during the download (its ETag no longer matches)', 412, resumes + 1);
      }
      throw e;
    }
    if (received > 0 && head.status !== 206) {
      stream.return();
      throw apiError('stream_interrupted', `the server answered the resume at byte ${received} without its Range (HTTP ${head.status})`, head.status, resumes + 1);
    }
    return { stream, head };
  };
  const first = await open();
  const { head } = first;
  let current = first.stream;
  etag = head.etag;
  const expected = fullChecksum(head.checksumSha256);
  const hash = expected && incrementalSha256 ? incrementalSha256() : null;
  const body = new ReadableStream({
    async pull(ctrl) {
      for (;;) {
        let r;
        try {
          r = await current.next();
        } catch (e) {
          if (e.type === 'cancelled' || signal?.aborted) {
            ctrl.error(e.type === 'cancelled' ? e : apiError('cancelled', 'the download was cancelled'));
            return;
          }
          if (resumes >= head.maxRetries || !etag) {
            ctrl.error(apiError('stream_interrupted', `the download broke after ${received} bytes and could not be resumed (${e?.message ?? e})`, null, resumes + 1));
            return;
          }
          resumes++;
          try {
            current = (await open()).stream;
          } catch (err) {
            ctrl.error(err);
            return;
          }
          continue;
        }
        if (r.done) {
          if (hash && hash.digest() !== expected) ctrl.error(checksumError(expected));
          else ctrl.close();
          return;
        }
        received += r.value.byteLength;
        if (hash) hash.update(r.value);
        ctrl.enqueue(r.value);
        return;
      }
    },
    cancel() {
      return current.return();
    },
  }, { highWaterMark: 1 });
  return { body, contentType: head.contentType, contentLength: head.contentLength, etag, checksumSha256: head.checksumSha256 };
}

/**
 * A reply's bytes (the transport's own buffer, not a copy) as a plain Uint8Array over an
 * ArrayBuffer of its own: the Node transport reads Buffers, and a small one may be a slice of
 * a pool shared with other bytes (then it is copied; a large one never is).
 */
function ownBytes(b) {
  if (!(b instanceof Uint8Array)) return b;
  if (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength) {
    return b.constructor === Uint8Array ? b : new Uint8Array(b.buffer);
  }
  return new Uint8Array(b);
}

/**
 * The S3Kit class over `Base`: `uploadObject` and `getObject({ stream: true })` added; `wait()` resolves
 * once the engine is loaded (browser entry).
 */
export function s3Kit(Base, wait = null) {
  return class S3Kit extends Base {
    constructor(options) {
      super('s3_kit', options);
    }

    getObject(request) {
      if (request && typeof request === 'object' && request.stream === true) {
        const self = this;
        return (async () => {
          if (wait) await wait();
          return getObjectStream(self, request);
        })();
      }
      if (!request || typeof request !== 'object') return super.getObject(request);
      const { stream: _s, ...plain } = request;
      // Whole objects are checked against the checksum the server stored, when it has one.
      const whole = plain.range === undefined;
      return super.getObject(whole ? { checksumMode: true, ...plain } : plain).then(async (r) => {
        r.body = ownBytes(r.body);
        const expected = whole ? fullChecksum(r.checksumSha256) : null;
        if (expected) {
          const got = await sha256Base64(r.body);
          if (got !== null && got !== expected) throw checksumError(expected);
        }
        return r;
      });
    }

    uploadObject(request) {
      return uploadObject(this, request);
    }
  };
}
