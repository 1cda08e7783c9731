// AWS Signature Version 4, S3 flavour (docs/providers.md), with node:crypto: the
// emulator's verifier for header-signed and presigned requests, and a small signer that tests
// can use to talk to the emulator without the client.
//
// S3 rules: the canonical URI is the path encoded once (no normalisation; `/` kept; every byte
// but A-Z a-z 0-9 - _ . ~ as %XX); the canonical query encodes names and values the same way
// (`/` too), sorted by name then value; header values are trimmed with inner runs of spaces
// collapsed; the payload hash is the x-amz-content-sha256 header (UNSIGNED-PAYLOAD when
// presigned).

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const ALGORITHM = 'AWS4-HMAC-SHA256';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
export const MAX_SKEW_MS = 15 * 60 * 1000;
export const MAX_PRESIGN_SECONDS = 604800;

export function sha256Hex(data) {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key, data) {
  return createHmac('sha256', key).update(data).digest();
}

/** Percent-encodes bytes (a string is taken as UTF-8) with the S3 rule. */
export function uriEncode(input, keepSlash) {
  const bytes = Buffer.isBuffer(input) ? input : Buffer.from(String(input), 'utf8');
  let out = '';
  for (const b of bytes) {
    const unreserved = (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || (b >= 0x30 && b <= 0x39)
      || b === 0x2d || b === 0x5f || b === 0x2e || b === 0x7e;
    if (unreserved || (keepSlash && b === 0x2f)) out += String.fromCharCode(b);
    else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function isHex(b) {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66);
}

/** Decodes %XX escapes to bytes (everything else is taken literally, `+` included). */
export function percentDecode(s) {
  const out = [];
  const src = Buffer.from(String(s), 'utf8');
  for (let i = 0; i < src.length; i++) {
    const b = src[i];
    if (b === 0x25 && i + 2 < src.length && isHex(src[i + 1]) && isHex(src[i + 2])) {
      out.push(parseInt(String.fromCharCode(src[i + 1], src[i + 2]), 16));
      i += 2;
    } else {
      out.push(b);
    }
  }
  return Buffer.from(out);
}

/** The canonical URI of a raw request path (as sent on the wire, before `?`). */
export function canonicalUriFromRaw(rawPath) {
  const p = rawPath || '/';
  return uriEncode(percentDecode(p), true);
}

/** Query parameters of a raw query string: [[name, value]] decoded (no `+` to space). */
export function parseRawQuery(rawQuery) {
  if (!rawQuery) return [];
  return rawQuery.split('&').filter((s) => s.length > 0).map((pair) => {
    const i = pair.indexOf('=');
    const name = i < 0 ? pair : pair.slice(0, i);
    const value = i < 0 ? '' : pair.slice(i + 1);
    return [percentDecode(name).toString('utf8'), percentDecode(value).toString('utf8')];
  });
}

/** The canonical query of decoded [[name, value]] pairs. */
export function canonicalQuery(pairs) {
  const enc = pairs.map(([k, v]) => [uriEncode(k, false), uriEncode(v, false)]);
  enc.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return enc.map(([k, v]) => `${k}=${v}`).join('&');
}

function headerValue(v) {
  const s = Array.isArray(v) ? v.join(',') : String(v ?? '');
  return s.trim().replace(/\s+/g, ' ');
}

/**
 * Computes a SigV4 signature. `headers`: an object of lowercase name -> value; `signed`: the
 * lowercase names to sign (sorted here).
 */
export function computeSignature({
  method, canonicalUri, canonicalQueryString, headers, signed, payloadHash, amzDate, region,
  service = 's3', secretAccessKey,
}) {
  const names = [...signed].map((s) => s.toLowerCase()).sort();
  const block = names.map((n) => `${n}:${headerValue(headers[n])}\n`).join('');
  const signedHeaders = names.join(';');
  const canonicalRequest = `${method}\n${canonicalUri}\n${canonicalQueryString}\n${block}\n${signedHeaders}\n${payloadHash}`;
  const date = amzDate.slice(0, 8);
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = `${ALGORITHM}\n${amzDate}\n${scope}\n${sha256Hex(canonicalRequest)}`;
  const kDate = hmac(`AWS4${secretAccessKey}`, date);
  const kRegion = hmac(kDate, region);
  const kService = hmac(kRegion, service);
  const kSigning = hmac(kService, 'aws4_request');
  const signature = createHmac('sha256', kSigning).update(stringToSign).digest('hex');
  return { canonicalRequest, stringToSign, signature, signedHeaders, scope };
}

/** `YYYYMMDDTHHMMSSZ` of a Date. */
export function amzDate(date = new Date()) {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** The Date of an `YYYYMMDDTHHMMSSZ` string, or null. */
export function parseAmzDate(s) {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(String(s || ''));
  if (!m) return null;
  const t = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  return Number.isFinite(t) ? new Date(t) : null;
}

function sameHex(a, b) {
  const x = Buffer.from(String(a), 'utf8');
  const y = Buffer.from(String(b), 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

function fail(status, code, message, fields = {}) {
  return { ok: false, status, code, message, fields };
}

function parseCredential(value) {
  const parts = String(value || '').split('/');
  if (parts.length !== 5 || parts[4] !== 'aws4_request') return null;
  const [accessKeyId, date, region, service] = parts;
  return { accessKeyId, date, region, service };
}

function checkScope(cred, creds, amz) {
  if (cred.accessKeyId !== creds.accessKeyId) {
    return fail(403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', { AWSAccessKeyId: cred.accessKeyId });
  }
  if (cred.region !== creds.region) {
    return fail(400, 'AuthorizationHeaderMalformed', `The authorization header is malformed; the region '${cred.region}' is wrong; expecting '${creds.region}'`, { Region: creds.region });
  }
  if (cred.service !== 's3') {
    return fail(400, 'AuthorizationHeaderMalformed', `The authorization header is malformed; incorrect service '${cred.service}'. This endpoint belongs to 's3'.`);
  }
  if (cred.date !== amz.slice(0, 8)) {
    return fail(400, 'AuthorizationHeaderMalformed', `The authorization header is malformed; Invalid credential date "${cred.date}". This date is not the same as X-Amz-Date: "${amz.slice(0, 8)}".`);
  }
  return null;
}

/**
 * Verifies a request. `req`: { method, rawPath, rawQuery, headers (lowercase), body (Buffer) };
 * `creds`: { accessKeyId, secretAccessKey, region, sessionToken? }. Returns { ok: true, kind }
 * or { ok: false, status, code, message, fields } (an S3 error to answer with).
 */
export function verifyRequest(req, creds, now = Date.now()) {
  const query = parseRawQuery(req.rawQuery);
  const q = new Map(query);
  if (q.has('X-Amz-Algorithm') || q.has('X-Amz-Signature')) return verifyPresigned(req, creds, query, q, now);
  const auth = req.headers.authorization;
  if (!auth) return fail(403, 'AccessDenied', 'Access Denied (the request is not signed: no Authorization header and no X-Amz-Signature)');
  const m = /^AWS4-HMAC-SHA256\s+(.*)$/.exec(String(auth).trim());
  if (!m) return fail(400, 'InvalidArgument', 'Unsupported Authorization Type', { ArgumentName: 'Authorization', ArgumentValue: String(auth).split(' ')[0] });
  const fields = {};
  for (const part of m[1].split(',')) {
    const i = part.indexOf('=');
    if (i > 0) fields[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  const cred = parseCredential(fields.Credential);
  if (!cred || !fields.SignedHeaders || !fields.Signature) {
    return fail(400, 'AuthorizationHeaderMalformed', 'The authorization header is malformed; it needs Credential, SignedHeaders and Signature');
  }
  const amz = req.headers['x-amz-date'];
  const when = parseAmzDate(amz);
  if (!when) return fail(403, 'AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
  const scopeError = checkScope(cred, creds, amz);
  if (scopeError) return scopeError;
  if (Math.abs(now - when.getTime()) > MAX_SKEW_MS) {
    return fail(403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.', {
      RequestTime: amz, ServerTime: new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z'), MaxAllowedSkewMilliseconds: String(MAX_SKEW_MS),
    });
  }
  const payloadHash = req.headers['x-amz-content-sha256'];
  if (!payloadHash) return fail(400, 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
  if (payloadHash !== UNSIGNED_PAYLOAD && !payloadHash.startsWith('STREAMING-')) {
    const actual = sha256Hex(req.body || Buffer.alloc(0));
    if (payloadHash !== actual) {
      return fail(400, 'XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.", {
        ClientComputedContentSHA256: payloadHash, S3ComputedContentSHA256: actual,
      });
    }
  }
  const signed = fields.SignedHeaders.split(';').map((s) => s.trim().toLowerCase()).filter(Boolean);
  if (!signed.includes('host')) return fail(403, 'AccessDenied', 'The host header must be signed', { HeadersNotSigned: 'host' });
  const unsigned = Object.keys(req.headers).filter((h) => h.startsWith('x-amz-') && !signed.includes(h));
  if (unsigned.length > 0) {
    return fail(403, 'AccessDenied', 'There were headers present in the request which were not signed', { HeadersNotSigned: unsigned.join(', ') });
  }
  const missing = signed.filter((h) => req.headers[h] === undefined);
  if (missing.length > 0) {
    return fail(403, 'SignatureDoesNotMatch', `A signed header is missing from the request: ${missing.join(', ')}`);
  }
  if (creds.sessionToken && req.headers['x-amz-security-token'] !== creds.sessionToken) {
    return fail(403, 'InvalidToken', 'The provided token is malformed or otherwise invalid.');
  }
  const computed = computeSignature({
    method: req.method,
    canonicalUri: canonicalUriFromRaw(req.rawPath),
    canonicalQueryString: canonicalQuery(query),
    headers: req.headers,
    signed,
    payloadHash,
    amzDate: amz,
    region: creds.region,
    secretAccessKey: creds.secretAccessKey,
  });
  if (!sameHex(computed.signature, fields.Signature)) {
    return fail(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', {
      AWSAccessKeyId: cred.accessKeyId,
      StringToSign: computed.stringToSign,
      SignatureProvided: fields.Signature,
      CanonicalRequest: computed.canonicalRequest,
    });
  }
  return { ok: true, kind: 'header', signedHeaders: signed, payloadHash };
}

function verifyPresigned(req, creds, query, q, now) {
  if (q.get('X-Amz-Algorithm') !== ALGORITHM) {
    return fail(400, 'AuthorizationQueryParametersError', 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"');
  }
  for (const p of ['X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature']) {
    if (!q.has(p)) return fail(400, 'AuthorizationQueryParametersError', `Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters (missing ${p}).`);
  }
  const cred = parseCredential(q.get('X-Amz-Credential'));
  if (!cred) return fail(400, 'AuthorizationQueryParametersError', 'Error parsing the X-Amz-Credential parameter');
  const amz = q.get('X-Amz-Date');
  const when = parseAmzDate(amz);
  if (!when) return fail(400, 'AuthorizationQueryParametersError', 'X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd\'T\'HHmmss\'Z\'"');
  const scopeError = checkScope(cred, creds, amz);
  if (scopeError) return scopeError;
  const expires = Number(q.get('X-Amz-Expires'));
  if (!Number.isInteger(expires) || expires < 1 || expires > MAX_PRESIGN_SECONDS) {
    return fail(400, 'AuthorizationQueryParametersError', 'X-Amz-Expires must be less than a week (in seconds) that is 604800');
  }
  if (when.getTime() - now > MAX_SKEW_MS) {
    return fail(403, 'AccessDenied', 'Request is not valid yet');
  }
  if (now > when.getTime() + expires * 1000) {
    return fail(403, 'AccessDenied', 'Request has expired', {
      'X-Amz-Expires': String(expires),
      Expires: new Date(when.getTime() + expires * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      ServerTime: new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    });
  }
  const signed = q.get('X-Amz-SignedHeaders').split(';').map((s) => s.trim().toLowerCase()).filter(Boolean);
  if (!signed.includes('host')) return fail(403, 'AccessDenied', 'The host header must be signed', { HeadersNotSigned: 'host' });
  if (creds.sessionToken && q.get('X-Amz-Security-Token') !== creds.sessionToken) {
    return fail(403, 'InvalidToken', 'The provided token is malformed or otherwise invalid.');
  }
  const computed = computeSignature({
    method: req.method,
    canonicalUri: canonicalUriFromRaw(req.rawPath),
    canonicalQueryString: canonicalQuery(query.filter(([k]) => k !== 'X-Amz-Signature')),
    headers: req.headers,
    signed,
    payloadHash: UNSIGNED_PAYLOAD,
    amzDate: amz,
    region: creds.region,
    secretAccessKey: creds.secretAccessKey,
  });
  if (!sameHex(computed.signature, q.get('X-Amz-Signature'))) {
    return fail(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', {
      AWSAccessKeyId: cred.accessKeyId,
      StringToSign: computed.stringToSign,
      SignatureProvided: q.get('X-Amz-Signature'),
      CanonicalRequest: computed.canonicalRequest,
    });
  }
  return { ok: true, kind: 'presigned', signedHeaders: signed, payloadHash: UNSIGNED_PAYLOAD };
}

// ---------------------------------------------------------------------------------------
// A signer (for tests and tools that talk to the emulator without the client)
// ---------------------------------------------------------------------------------------

function splitUrl(url) {
  const u = new URL(url);
  const raw = url.slice(url.indexOf(u.host) + u.host.length);
  const q = raw.indexOf('?');
  return { u, rawPath: q < 0 ? raw : raw.slice(0, q), rawQuery: q < 0 ? '' : raw.slice(q + 1) };
}

/**
 * Headers that sign a request with SigV4 (header auth): x-amz-date, x-amz-content-sha256,
 * authorization (and x-amz-security-token). `headers` are extra headers to sign.
 */
export function signHeaders({
  method, url, headers = {}, body, accessKeyId, secretAccessKey, region = 'us-east-1',
  sessionToken, date = new Date(),
}) {
  const { u, rawPath, rawQuery } = splitUrl(url);
  const amz = amzDate(date);
  const payloadHash = sha256Hex(body === undefined || body === null ? Buffer.alloc(0) : Buffer.from(body));
  const all = { host: u.host };
  for (const [k, v] of Object.entries(headers)) all[k.toLowerCase()] = String(v);
  all['x-amz-date'] = amz;
  all['x-amz-content-sha256'] = payloadHash;
  if (sessionToken) all['x-amz-security-token'] = sessionToken;
  const sig = computeSignature({
    method, canonicalUri: canonicalUriFromRaw(rawPath), canonicalQueryString: canonicalQuery(parseRawQuery(rawQuery)),
    headers: all, signed: Object.keys(all), payloadHash, amzDate: amz, region, secretAccessKey,
  });
  const out = { ...all };
  delete out.host;
  out.authorization = `${ALGORITHM} Credential=${accessKeyId}/${sig.scope}, SignedHeaders=${sig.signedHeaders}, Signature=${sig.signature}`;
  return out;
}

/** A presigned URL (query auth, UNSIGNED-PAYLOAD, signed header `host`). */
export function presign({
  method = 'GET', url, accessKeyId, secretAccessKey, region = 'us-east-1', expiresIn = 3600,
  sessionToken, date = new Date(),
}) {
  const { u, rawPath, rawQuery } = splitUrl(url);
  const amz = amzDate(date);
  const scope = `${amz.slice(0, 8)}/${region}/s3/aws4_request`;
  const pairs = parseRawQuery(rawQuery);
  pairs.push(['X-Amz-Algorithm', ALGORITHM], ['X-Amz-Credential', `${accessKeyId}/${scope}`], ['X-Amz-Date', amz],
    ['X-Amz-Expires', String(expiresIn)], ['X-Amz-SignedHeaders', 'host']);
  if (sessionToken) pairs.push(['X-Amz-Security-Token', sessionToken]);
  const cq = canonicalQuery(pairs);
  const sig = computeSignature({
    method, canonicalUri: canonicalUriFromRaw(rawPath), canonicalQueryString: cq,
    headers: { host: u.host }, signed: ['host'], payloadHash: UNSIGNED_PAYLOAD, amzDate: amz, region, secretAccessKey,
  });
  return `${u.protocol}//${u.host}${rawPath}?${cq}&X-Amz-Signature=${sig.signature}`;
}
