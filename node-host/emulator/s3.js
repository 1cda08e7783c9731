// An in-memory, path-style S3 (docs/providers.md): `{base}/{bucket}/{key}`.
//   PUT/GET/HEAD/DELETE object (GET honours `Range: bytes=a-b`), GET ?list-type=2 (prefix,
//   delimiter, max-keys, continuation-token, start-after, encoding-type=url) answering
//   ListObjectsV2 XML with entity-encoded keys, PUT/HEAD/DELETE bucket.
//   Multipart: POST ?uploads (initiate), PUT ?partNumber&uploadId (a part; its
//   x-amz-checksum-sha256, when sent, must match or the part is refused with BadDigest), POST
//   ?uploadId (complete: parts in ascending order, each but the last at least 5 MiB, ETags as
//   returned), DELETE ?uploadId (abort), GET ?uploads (ListMultipartUploads). A PUT object's
//   x-amz-checksum-sha256 is checked the same way, kept, and returned by GET/HEAD with
//   x-amz-checksum-mode: ENABLED (a full-object checksum: not on a Range reply). GET honours
//   If-Match (412 PreconditionFailed when the ETag differs).
// Every request must be signed with SigV4 against the emulator's credentials (header auth or a
// presigned URL); a bad signature is a 403 SignatureDoesNotMatch. Buckets spring into being on
// first use. Errors are S3's XML `<Error>`; HEAD errors have no body.

import { createHash } from 'node:crypto';
import { parseRawQuery, percentDecode, verifyRequest } from './sigv4.js';

export const DEFAULT_S3 = Object.freeze({
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  region: 'us-east-1',
});

/** XML 1.0 text with the five entities. */
export function xmlEscape(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' }[c]));
}

/** An S3 `<Error>` document. `fields`: extra elements (StringToSign, Key, ...). */
export function s3ErrorXml(code, message, { resource, requestId = 'EMULATOR', fields = {} } = {}) {
  let extra = '';
  for (const [k, v] of Object.entries(fields)) extra += `<${k}>${xmlEscape(v)}</${k}>`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message)}</Message>${extra}${resource ? `<Resource>${xmlEscape(resource)}</Resource>` : ''}<RequestId>${xmlEscape(requestId)}</RequestId><HostId>emulator-host-id</HostId></Error>`;
}

function isoMillis(ms) {
  return new Date(ms).toISOString();
}

function compareKeys(a, b) {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function tokenFor(key) {
  return Buffer.from(`emu:${key}`, 'utf8').toString('base64url');
}

function keyOfToken(token) {
  const s = Buffer.from(String(token), 'base64url').toString('utf8');
  return s.startsWith('emu:') ? s.slice(4) : null;
}

/** The S3 store: `buckets` is a Map of bucket -> Map of key -> object. */
export class S3Store {
  constructor() {
    this.buckets = new Map();
    this.clock = 0;
    // uploadId -> { bucket, key, contentType, parts: Map(partNumber -> { bytes, etag }) }
    this.uploads = new Map();
    this.nextUpload = 0;
  }

  bucket(name) {
    let b = this.buckets.get(name);
    if (!b) {
      b = new Map();
      this.buckets.set(name, b);
    }
    return b;
  }

  put(bucket, key, bytes, contentType, meta = {}) {
    const etag = `"${createHash('md5').update(bytes).digest('hex')}"`;
    // Strictly increasing modification times, whole milliseconds.
    this.clock = Math.max(Date.now(), this.clock + 1);
    const obj = { bytes: Buffer.from(bytes), contentType, etag, lastModified: this.clock, meta };
    this.bucket(bucket).set(key, obj);
    return obj;
  }

  get(bucket, key) {
    const b = this.buckets.get(bucket);
    return b ? b.get(key) : undefined;
  }

  delete(bucket, key) {
    const b = this.buckets.get(bucket);
    if (b) b.delete(key);
  }

  clear() {
    this.buckets.clear();
    this.uploads.clear();
  }
}

function xmlPlan(status, text, headers = {}) {
  return { status, headers, text, contentType: 'application/xml' };
}

function listXml(bucket, store, params) {
  const prefix = params.get('prefix') ?? '';
  const delimiter = params.get('delimiter') ?? '';
  const startAfter = params.get('start-after') ?? '';
  const token = params.get('continuation-token') ?? null;
  const urlEncoded = params.get('encoding-type') === 'url';
  let maxKeys = 1000;
  if (params.has('max-keys')) {
    const n = Number(params.get('max-keys'));
    if (!Number.isInteger(n) || n < 0) {
      return { error: ['InvalidArgument', 'Provided max-keys not an integer or within integer range', { ArgumentName: 'max-keys', ArgumentValue: params.get('max-keys') }] };
    }
    maxKeys = Math.min(n, 1000);
  }
  let after = startAfter;
  if (token !== null) {
    const k = keyOfToken(token);
    if (k === null) return { error: ['InvalidArgument', 'The continuation token provided is incorrect', { ArgumentName: 'continuation-token' }] };
    if (compareKeys(k, after) > 0) after = k;
  }
  const b = store.buckets.get(bucket) || new Map();
  const keys = [...b.keys()].filter((k) => k.startsWith(prefix) && (after === '' || compareKeys(k, after) > 0)).sort(compareKeys);
  const contents = [];
  const prefixes = [];
  let truncated = false;
  let lastKey = null;
  for (const k of keys) {
    let common = null;
    if (delimiter) {
      const i = k.indexOf(delimiter, prefix.length);
      if (i >= 0) common = k.slice(0, i + delimiter.length);
    }
    if (common !== null && prefixes.includes(common)) {
      lastKey = k;
      continue;
    }
    if (contents.length + prefixes.length >= maxKeys) {
      truncated = true;
      break;
    }
    if (common !== null) prefixes.push(common);
    else contents.push(k);
    lastKey = k;
  }
  const enc = (s) => xmlEscape(urlEncoded ? encodeURIComponent(s).replace(/%2F/g, '/') : s);
  let xml = '<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">';
  xml += `<Name>${xmlEscape(bucket)}</Name><Prefix>${enc(prefix)}</Prefix>`;
  if (startAfter) xml += `<StartAfter>${enc(startAfter)}</StartAfter>`;
  if (token !== null) xml += `<ContinuationToken>${xmlEscape(token)}</ContinuationToken>`;
  xml += `<KeyCount>${contents.length + prefixes.length}</KeyCount><MaxKeys>${maxKeys}</MaxKeys>`;
  if (delimiter) xml += `<Delimiter>${enc(delimiter)}</Delimiter>`;
  if (urlEncoded) xml += '<EncodingType>url</EncodingType>';
  xml += `<IsTruncated>${truncated}</IsTruncated>`;
  if (truncated && lastKey !== null) xml += `<NextContinuationToken>${xmlEscape(tokenFor(lastKey))}</NextContinuationToken>`;
  for (const k of contents) {
    const o = b.get(k);
    xml += `<Contents><Key>${enc(k)}</Key><LastModified>${isoMillis(o.lastModified)}</LastModified><ETag>${xmlEscape(o.etag)}</ETag><Size>${o.bytes.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
  }
  for (const p of prefixes) xml += `<CommonPrefixes><Prefix>${enc(p)}</Prefix></CommonPrefixes>`;
  xml += '</ListBucketResult>';
  return { xml };
}

function objectHeaders(o) {
  const h = {
    'content-type': o.contentType,
    etag: o.etag,
    'last-modified': new Date(o.lastModified).toUTCString(),
    'accept-ranges': 'bytes',
  };
  for (const [k, v] of Object.entries(o.meta)) h[`x-amz-meta-${k}`] = v;
  return h;
}

/**
 * The S3 handler. `req.path` is the path after the emulator's `/s3_kit` prefix; `req.rawPath`
 * the full path as sent (what the client signed).
 */
export function handleS3(req, store, creds) {
  const { method, n } = req;
  const rid = { 'x-amz-request-id': `EMU${String(n).padStart(12, '0')}`, 'x-amz-id-2': `emulator/${n}` };
  const error = (status, code, message, fields = {}, headers = {}) => {
    if (method === 'HEAD') return { status, headers: { ...rid, ...headers }, empty: true };
    return xmlPlan(status, s3ErrorXml(code, message, { resource: req.path, requestId: rid['x-amz-request-id'], fields }), { ...rid, ...headers });
  };

  const check = verifyRequest({ method, rawPath: req.rawPath, rawQuery: req.rawQuery, headers: req.headers, body: req.bytes }, creds);
  if (!check.ok) return error(check.status, check.code, check.message, check.fields);
  req.auth = check.kind;

  // Path style: /bucket[/key]. Segments are percent-decoded as bytes (UTF-8 keys).
  const rel = req.rawRelPath || '/';
  const slash = rel.indexOf('/', 1);
  const bucket = percentDecode(slash < 0 ? rel.slice(1) : rel.slice(1, slash)).toString('utf8');
  const key = slash < 0 ? '' : percentDecode(rel.slice(slash + 1)).toString('utf8');
  if (!bucket) return error(400, 'InvalidRequest', 'This emulator serves path-style requests only: /{bucket}/{key}');
  // S3 decodes the query itself: `+` is a plus, not a space.
  const params = new Map(parseRawQuery(req.rawQuery));

  if (key === '') {
    if (method === 'GET' && params.has('uploads')) {
      let xml = `<?xml version="1.0" encoding="UTF-8"?>\n<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${xmlEscape(bucket)}</Bucket><IsTruncated>false</IsTruncated>`;
      const prefix = params.get('prefix') ?? '';
      for (const [id, u] of store.uploads) {
        if (u.bucket === bucket && u.key.startsWith(prefix)) xml += `<Upload><Key>${xmlEscape(u.key)}</Key><UploadId>${xmlEscape(id)}</UploadId></Upload>`;
      }
      return xmlPlan(200, `${xml}</ListMultipartUploadsResult>`, rid);
    }
    switch (method) {
      case 'GET': {
        const r = listXml(bucket, store, params);
        if (r.error) return error(400, ...r.error);
        return xmlPlan(200, r.xml, rid);
      }
      case 'PUT':
        store.bucket(bucket);
        return { status: 200, headers: { ...rid, location: `/${bucket}` }, empty: true };
      case 'HEAD':
        return { status: 200, headers: { ...rid, 'x-amz-bucket-region': creds.region }, empty: true };
      case 'DELETE':
        if ((store.buckets.get(bucket) || new Map()).size > 0) return error(409, 'BucketNotEmpty', 'The bucket you tried to delete is not empty', { BucketName: bucket });
        store.buckets.delete(bucket);
        return { status: 204, headers: rid, empty: true };
      default:
        return error(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.', { Method: method, ResourceType: 'BUCKET' });
    }
  }

  if (params.has('uploads') || params.has('uploadId')) return multipart(req, store, bucket, key, params, error, rid);

  switch (method) {
    case 'PUT': {
      const sum = req.headers['x-amz-checksum-sha256'];
      if (sum !== undefined && sum !== createHash('sha256').update(req.bytes).digest('base64')) {
        return error(400, 'BadDigest', 'The SHA256 you specified did not match the calculated checksum.');
      }
      const meta = {};
      for (const [h, v] of Object.entries(req.headers)) if (h.startsWith('x-amz-meta-')) meta[h.slice(11)] = v;
      const o = store.put(bucket, key, req.bytes, req.headers['content-type'] || 'binary/octet-stream', meta);
      // Kept, and returned on a GET or HEAD with x-amz-checksum-mode: ENABLED, as S3 does.
      if (sum !== undefined) o.checksumSha256 = sum;
      return { status: 200, headers: { ...rid, etag: o.etag }, empty: true };
    }
    case 'GET':
    case 'HEAD': {
      const o = store.get(bucket, key);
      if (!o) return error(404, 'NoSuchKey', 'The specified key does not exist.', { Key: key, BucketName: bucket });
      const headers = { ...rid, ...objectHeaders(o) };
      if (o.checksumSha256 && !req.headers.range && String(req.headers['x-amz-checksum-mode']).toUpperCase() === 'ENABLED') {
        headers['x-amz-checksum-sha256'] = o.checksumSha256;
      }
      const ifMatch = req.headers['if-match'];
      if (ifMatch !== undefined && ifMatch !== '*' && !String(ifMatch).split(',').map((t) => t.trim()).includes(o.etag)) {
        return error(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { Condition: 'If-Match' });
      }
      if (method === 'HEAD') return { status: 200, headers: { ...headers, 'content-length': String(o.bytes.length) }, empty: true };
      const range = req.headers.range && /^bytes=(\d*)-(\d*)$/.exec(String(req.headers.range).trim());
      if (range && (range[1] !== '' || range[2] !== '')) {
        const size = o.bytes.length;
        let start;
        let end;
        if (range[1] === '') {
          start = Math.max(0, size - Number(range[2]));
          end = size - 1;
        } else {
          start = Number(range[1]);
          end = range[2] === '' ? size - 1 : Math.min(Number(range[2]), size - 1);
        }
        if (start >= size || start > end) {
          return error(416, 'InvalidRange', 'The requested range is not satisfiable', { RangeRequested: req.headers.range, ActualObjectSize: String(size) }, { 'content-range': `bytes */${size}` });
        }
        return { status: 206, headers: { ...headers, 'content-range': `bytes ${start}-${end}/${size}` }, bytes: o.bytes.subarray(start, end + 1), contentType: o.contentType };
      }
      return { status: 200, headers, bytes: o.bytes, contentType: o.contentType };
    }
    case 'DELETE':
      store.delete(bucket, key);
      return { status: 204, headers: rid, empty: true };
    default:
      return error(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.', { Method: method, ResourceType: 'OBJECT' });
  }
}

const MIN_PART = 5 * 1024 * 1024;

/** The multipart calls on `/{bucket}/{key}` (`?uploads`, `?uploadId=...`). */
function multipart(req, store, bucket, key, params, error, rid) {
  const { method } = req;
  const ns = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';
  if (params.has('uploads')) {
    if (method !== 'POST') return error(405, 'MethodNotAllowed', 'Initiate a multipart upload with POST ?uploads');
    store.nextUpload++;
    const id = `emu-upload-${store.nextUpload}-${Buffer.from(key).toString('base64url')}`;
    store.uploads.set(id, { bucket, key, contentType: req.headers['content-type'] || 'binary/octet-stream', parts: new Map() });
    return xmlPlan(200, `<?xml version="1.0" encoding="UTF-8"?>\n<InitiateMultipartUploadResult ${ns}><Bucket>${xmlEscape(bucket)}</Bucket><Key>${xmlEscape(key)}</Key><UploadId>${xmlEscape(id)}</UploadId></InitiateMultipartUploadResult>`, rid);
  }
  const id = params.get('uploadId');
  const u = store.uploads.get(id);
  if (!u || u.bucket !== bucket || u.key !== key) {
    return error(404, 'NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.', { UploadId: id });
  }
  if (method === 'PUT') {
    const n = Number(params.get('partNumber'));
    if (!Number.isInteger(n) || n < 1 || n > 10000) return error(400, 'InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive', { ArgumentName: 'partNumber' });
    const sum = req.headers['x-amz-checksum-sha256'];
    const digest = createHash('sha256').update(req.bytes).digest('base64');
    if (sum !== undefined && sum !== digest) return error(400, 'BadDigest', 'The SHA256 you specified did not match the calculated checksum.');
    const etag = `"${createHash('md5').update(req.bytes).digest('hex')}"`;
    u.parts.set(n, { bytes: req.bytes, etag });
    const headers = { ...rid, etag };
    if (sum !== undefined) headers['x-amz-checksum-sha256'] = digest;
    return { status: 200, headers, empty: true };
  }
  if (method === 'DELETE') {
    store.uploads.delete(id);
    return { status: 204, headers: rid, empty: true };
  }
  if (method === 'POST') {
    const text = req.bytes.toString('utf8');
    const listed = [...text.matchAll(/<Part>\s*<PartNumber>(\d+)<\/PartNumber>\s*<ETag>([^<]*)<\/ETag>\s*<\/Part>/g)]
      .map((m) => ({ n: Number(m[1]), etag: m[2].replace(/&quot;/g, '"').replace(/&amp;/g, '&') }));
    if (listed.length === 0) return error(400, 'MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema');
    const chunks = [];
    const md5s = [];
    for (let i = 0; i < listed.length; i++) {
      const { n, etag } = listed[i];
      if (i > 0 && n <= listed[i - 1].n) return error(400, 'InvalidPartOrder', 'The list of parts was not in ascending order. Parts must be ordered by part number.');
      const part = u.parts.get(n);
      if (!part || part.etag !== etag) return error(400, 'InvalidPart', 'One or more of the specified parts could not be found.', { PartNumber: String(n) });
      if (i < listed.length - 1 && part.bytes.length < MIN_PART) return error(400, 'EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed object size.', { PartNumber: String(n) });
      chunks.push(part.bytes);
      md5s.push(Buffer.from(part.etag.slice(1, -1), 'hex'));
    }
    const o = store.put(bucket, key, Buffer.concat(chunks), u.contentType);
    // S3's multipart ETag: the MD5 of the parts' MD5s, then "-" and the part count.
    o.etag = `"${createHash('md5').update(Buffer.concat(md5s)).digest('hex')}-${listed.length}"`;
    store.uploads.delete(id);
    return xmlPlan(200, `<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUploadResult ${ns}><Bucket>${xmlEscape(bucket)}</Bucket><Key>${xmlEscape(key)}</Key><ETag>${xmlEscape(o.etag)}</ETag></CompleteMultipartUploadResult>`, rid);
  }
  return error(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.', { Method: method });
}
