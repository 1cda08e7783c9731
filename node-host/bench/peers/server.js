#!/usr/bin/env node
// The peer benchmark's loopback server, run in its own process (127.0.0.1, a free port) so its
// work never lands in a contender's CPU figures. Prints `READY <origin>` once listening.
//
//   POST <any path>          a small fixed chat.completion, answered at once
//   <any method> /stall...   reads the body, never answers (counted in /__stalled)
//   PUT  /s3/<bucket>/<key>  accepts any number of bytes; 200 with an ETag
//   GET  /s3/<bucket>/obj-N  N bytes (application/octet-stream), from one shared buffer
//   GET  /__stalled          how many /stall requests are open right now
import http from 'node:http';
import { REPLY, REPLY_HEADERS } from '../reply.js';

const MAX_BODY = 64 << 20;
const BLOB = Buffer.alloc(MAX_BODY, 0x61);
let stalled = 0;

const server = http.createServer((req, res) => {
  const url = req.url;
  if (url.startsWith('/stall')) {
    stalled++;
    req.resume();
    res.on('close', () => { stalled--; });
    return;
  }
  if (url === '/__stalled') {
    res.end(String(stalled));
    return;
  }
  if (url.startsWith('/s3/') && req.method === 'GET') {
    const n = Number(/obj-(\d+)/.exec(url)?.[1] ?? 0);
    if (!(n >= 0 && n <= MAX_BODY)) { res.writeHead(400); res.end(); return; }
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': String(n),
      etag: '"bench"',
      'last-modified': 'Wed, 01 Jan 2025 00:00:00 GMT',
    });
    res.end(BLOB.subarray(0, n));
    return;
  }
  let bytes = 0;
  req.on('data', (c) => { bytes += c.length; });
  req.on('end', () => {
    if (url.startsWith('/s3/')) {
      res.writeHead(200, { etag: '"bench"', 'content-length': '0', 'x-received-bytes': String(bytes) });
      res.end();
    } else {
      res.writeHead(200, REPLY_HEADERS);
      res.end(REPLY);
    }
  });
});
// Idle connections are never closed here: under callgrind (instructions.sh) a client can leave a
// pooled socket idle past any timeout, and fetch then fails the POST it reuses it for
// (UND_ERR_SOCKET 'other side closed'); the clients close their own when they exit.
server.keepAliveTimeout = 0;
server.headersTimeout = 0;
server.requestTimeout = 0;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`READY http://127.0.0.1:${server.address().port}\n`);
});
process.on('SIGTERM', () => { server.closeAllConnections(); server.close(); process.exit(0); });
