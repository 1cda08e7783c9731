#!/usr/bin/env node
// Serves the browser pages of www/ and the package itself on 127.0.0.1, beside a loopback
// OpenAI mock, so the page runs the real package in a real browser with no keys.
//   node node-host/serve-www.js [--port 8080]
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startMockServer } from './emulator/openai-mock.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
};
// Only these folders are served.
const SERVED = ['www', 'node-host'];

/**
 * The request's decoded path, or null (after answering 400) for a target that is not a URL
 * path (`GET http://[ HTTP/1.1` reaches the handler): a throw there would end the server.
 */
export function requestPath(req, res) {
  try {
    return decodeURIComponent(new URL(req.url, 'http://x').pathname);
  } catch {
    res.writeHead(400);
    res.end('bad path');
    return null;
  }
}

/**
 * Answers a GET for a file under www/ or node-host/ (the package, its wasm included; never
 * node_modules). Shared with serve-dashboard.js.
 */
export async function serveFile(req, res) {
  const path = requestPath(req, res);
  if (path === null) return undefined;
  const file = normalize(join(root, path));
  const inside = SERVED.some((d) => file.startsWith(join(root, d) + sep));
  if (!inside || file.includes(`${sep}node_modules${sep}`)) {
    res.writeHead(404);
    return res.end('not found');
  }
  try {
    const body = await readFile(file);
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    res.end(body);
  } catch {
    res.writeHead(404);
    res.end('not found');
  }
}

export async function serveWww({ port = 0 } = {}) {
  const mock = await startMockServer();
  const server = http.createServer(async (req, res) => {
    const path = requestPath(req, res);
    if (path === null) return undefined;
    if (path === '/') {
      res.writeHead(302, { location: '/www/index.html' });
      return res.end();
    }
    if (path === '/config.json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ baseUrl: mock.url }));
    }
    return serveFile(req, res);
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}/www/index.html`;
  return {
    url,
    mock,
    close: async () => {
      await mock.close();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const i = process.argv.indexOf('--port');
  const port = i > 0 ? Number(process.argv[i + 1]) : 8080;
  const { url } = await serveWww({ port });
  console.log(url);
}
