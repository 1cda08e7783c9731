// Starts a module worker and posts to it at once: nothing waits for the worker to be "ready".
const origin = new URLSearchParams(location.search).get('emulator');
const out = document.getElementById('out');
const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });

function report(result) {
  out.textContent = result.line;
  window.exampleResult = result;
}

worker.onmessage = (event) => report(event.data);
worker.onerror = (event) => report({ ok: false, line: `FAIL vite-worker: worker error ${event.message}` });
worker.postMessage({ origin, first: true });
