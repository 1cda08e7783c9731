#!/usr/bin/env node
// `resilient`: the package's command line. Chat, embed and list models through the resilient
// client (queue, retries, breaker and typed errors included), and `resilient check`, which
// asserts the client's behaviour per provider against the built-in emulator or real services.
//
//   resilient chat "Say hi" --provider openai [--model m] [--base-url u] [--stream] [--system s]
//   resilient embed "some text" ["more text" ...] --provider ollama
//   resilient models --provider groq
//   resilient check [--apis claude openai groq] [--skip-apis llvm opea] [--report-dir reports]
//   resilient dashboard [--port 8080] [--host 127.0.0.1]
//
// Keys come from the environment as the package reads them (OPENAI_API_KEY, ...). Errors are
// printed as `error <type>: <message>` and exit with status 1; usage errors exit with 2.

const PROVIDER_LIST = 'openai, groq, claude, gemini, ollama, hf_tgi, hf_tei, llvm, opea, ovms, s3_kit';

const HELP = `usage: resilient <command> [options]

commands:
  chat "prompt"           one chat completion (prompt '-' reads stdin)
  embed "text" [...]      embeddings, one JSON vector per line
  models                  the provider's models, one id per line
  check                   assert queue, backoff, retry, breaker and concurrency behaviour for
                          each provider (resilient check --help)
  dashboard               serve the live dashboard with the emulator on 127.0.0.1 and print
                          its URL (--port 8080, --host 127.0.0.1; source checkout only)

options (chat, embed, models):
  --provider P            ${PROVIDER_LIST} (default: openai)
  --model M               the model (default: the provider's)
  --base-url U            where the provider is (default: from the environment, else its public
                          URL or usual local address)
  --system S              chat: a system message
  --stream                chat: print the reply as it arrives
  --max-tokens N          chat: cap the reply length
  --temperature T         chat: sampling temperature
  --timeout S             seconds per attempt (default 60)
  --retries N             retries after the first attempt (default 5)
  --json                  print the whole result as JSON
  --verbose               print model, usage, request id and retries to stderr
  --help, --version

Keys and URLs from the environment: OPENAI_API_KEY, GROQ_API_KEY, ANTHROPIC_API_KEY,
GEMINI_API_KEY or GOOGLE_API_KEY, HF_API_KEY or HF_API_TOKEN, LLVM_API_KEY, OVMS_API_KEY;
OPENAI_BASE_URL, GROQ_BASE_URL, ANTHROPIC_BASE_URL, GEMINI_BASE_URL, OLLAMA_HOST or OLLAMA_URL,
HF_TGI_URL, HF_TEI_URL, LLVM_URL, OPEA_URL, OVMS_URL (and OVMS_MODEL, LLVM_MODEL, ...).

Errors print as 'error <type>: <message>' (exit status 1); a usage error exits with 2.`;

class UsageError extends Error {}

const FLAGS = {
  '--provider': 'provider',
  '-p': 'provider',
  '--model': 'model',
  '-m': 'model',
  '--base-url': 'baseUrl',
  '--system': 'system',
  '--max-tokens': 'maxTokens',
  '--temperature': 'temperature',
  '--timeout': 'timeout',
  '--retries': 'retries',
};
const SWITCHES = { '--stream': 'stream', '--json': 'json', '--verbose': 'verbose', '-v': 'verbose', '--help': 'help', '-h': 'help' };

function parse(argv) {
  const opts = { positional: [] };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let inline;
    if (a.startsWith('--') && a.includes('=')) {
      inline = a.slice(a.indexOf('=') + 1);
      a = a.slice(0, a.indexOf('='));
    }
    if (a === '--') {
      opts.positional.push(...argv.slice(i + 1));
      break;
    }
    if (Object.hasOwn(FLAGS, a)) {
      if (inline === undefined && (i + 1 >= argv.length)) throw new UsageError(`${a} needs a value`);
      opts[FLAGS[a]] = inline !== undefined ? inline : argv[++i];
    } else if (Object.hasOwn(SWITCHES, a)) {
      opts[SWITCHES[a]] = true;
    } else if (a.startsWith('-') && a !== '-') {
      throw new UsageError(`unknown option '${argv[i]}'`);
    } else {
      opts.positional.push(argv[i]);
    }
  }
  return opts;
}

function number(opts, name, flag, { integer = false, min = -Infinity } = {}) {
  if (opts[name] === undefined) return undefined;
  const n = Number(opts[name]);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min) {
    throw new UsageError(`${flag} takes ${integer ? 'an integer' : 'a number'}${min > -Infinity ? ` >= ${min}` : ''}, got '${opts[name]}'`);
  }
  return n;
}

async function readStdin() {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8').trim();
}

function print(line = '') {
  process.stdout.write(`${line}\n`);
}

async function makeClient(opts) {
  const { createClient, PROVIDERS } = await import('./node.js');
  const { realTarget } = await import('./check/env.js');
  const provider = opts.provider || 'openai';
  if (!PROVIDERS.includes(provider)) {
    throw new UsageError(`unknown provider '${provider}'; providers are ${PROVIDERS.join(', ')}`);
  }
  const target = realTarget(provider, process.env, opts.baseUrl);
  const options = { ...(target ? target.options : {}) };
  if (opts.model) options.model = opts.model;
  const timeout = number(opts, 'timeout', '--timeout', { min: 0.001 });
  if (timeout !== undefined) options.timeout = timeout;
  const retries = number(opts, 'retries', '--retries', { integer: true, min: 0 });
  if (retries !== undefined) options.maxRetries = retries;
  const client = createClient(provider, options);
  if (opts.verbose) {
    client.on('retry', (e) => process.stderr.write(`retry ${e.attempt}: ${e.type}${e.status != null ? ` (${e.status})` : ''}, waiting ${Number(e.delay).toFixed(2)} s\n`));
  }
  return { client, provider, target };
}

async function chat(opts, signal) {
  let prompt = opts.positional.join(' ');
  if (prompt === '-') prompt = await readStdin();
  if (!prompt) throw new UsageError('chat needs a prompt: resilient chat "Say hi" --provider openai');
  const { client } = await makeClient(opts);
  const messages = [];
  if (opts.system !== undefined) messages.push({ role: 'system', content: opts.system });
  messages.push({ role: 'user', content: prompt });
  const request = { messages, signal };
  const maxTokens = number(opts, 'maxTokens', '--max-tokens', { integer: true, min: 1 });
  if (maxTokens !== undefined) request.maxTokens = maxTokens;
  const temperature = number(opts, 'temperature', '--temperature', { min: 0 });
  if (temperature !== undefined) request.temperature = temperature;
  if (opts.stream) {
    let last = null;
    for await (const item of client.chatStream(request)) {
      if (opts.json) print(JSON.stringify(item));
      else if (item.delta) process.stdout.write(item.delta);
      last = item;
    }
    if (!opts.json) print();
    if (opts.verbose && last) {
      process.stderr.write(`finish_reason=${last.finish_reason ?? '-'} usage=${JSON.stringify(last.usage ?? null)}\n`);
    }
    return;
  }
  const r = await client.chat(request);
  if (opts.json) print(JSON.stringify(r, null, 2));
  else print(r.text);
  if (opts.verbose) {
    process.stderr.write(`model=${r.model} finish_reason=${r.finish_reason} usage=${JSON.stringify(r.usage)} request_id=${r.request_id}\n`);
  }
}

async function embed(opts, signal) {
  let inputs = opts.positional;
  if (inputs.length === 1 && inputs[0] === '-') inputs = [await readStdin()];
  if (!inputs.length) throw new UsageError('embed needs text: resilient embed "some text" --provider openai');
  const { client } = await makeClient(opts);
  const r = await client.embed({ input: inputs.length === 1 ? inputs[0] : inputs, signal });
  if (opts.json) {
    print(JSON.stringify(r, null, 2));
    return;
  }
  for (const v of r.embeddings) print(JSON.stringify(v));
  if (opts.verbose) {
    process.stderr.write(`${r.embeddings.length} embedding(s) of ${r.embeddings[0] ? r.embeddings[0].length : 0} dimensions, model=${r.model} usage=${JSON.stringify(r.usage)} request_id=${r.request_id}\n`);
  }
}

async function models(opts, signal) {
  if (opts.positional.length) throw new UsageError(`models takes no arguments (got '${opts.positional.join(' ')}')`);
  const { client } = await makeClient(opts);
  const list = await client.listModels({ signal });
  if (opts.json) print(JSON.stringify(list, null, 2));
  else for (const m of list) print(m.id);
}

// The dashboard page lives in www/ of a source checkout, not in the npm package.
async function dashboard(argv) {
  let mod;
  try {
    mod = await import('./serve-dashboard.js');
  } catch (e) {
    if (e && e.code === 'ERR_MODULE_NOT_FOUND') {
      process.stderr.write('error usage: the dashboard runs from a source checkout of resilient-api-client (www/ is not in the npm package)\n');
      return 2;
    }
    throw e;
  }
  let opts;
  try {
    opts = mod.parseDashboardArgs(argv);
  } catch (e) {
    process.stderr.write(`error usage: ${e.message}\n`);
    return 2;
  }
  if (opts.help) {
    print(mod.DASHBOARD_HELP);
    return 0;
  }
  const { url, close } = await mod.serveDashboard(opts);
  print(url);
  // Serves until interrupted.
  await new Promise((resolve) => process.once('SIGINT', resolve));
  await close();
  return 0;
}

function errorLine(e) {
  if (e && typeof e === 'object' && typeof e.type === 'string') return `error ${e.type}: ${e.message}`;
  if (e instanceof UsageError) return `error usage: ${e.message}`;
  // Option errors thrown at construction name the option.
  const msg = e && e.message ? e.message : String(e);
  return `error ${/^option `/.test(msg) ? 'invalid_option' : 'internal'}: ${msg}`;
}

async function main(argv) {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    print(HELP);
    return command ? 0 : 2;
  }
  if (command === '--version' || command === '-V' || command === 'version') {
    const { version } = await import('./node.js');
    print(version);
    return 0;
  }
  if (command === 'check') {
    const { parseCheckArgs, runCheck, CHECK_HELP, UsageError: CheckUsage } = await import('./check/run.js');
    try {
      const opts = parseCheckArgs(rest);
      if (opts.help) {
        print(CHECK_HELP);
        return 0;
      }
      const report = await runCheck(opts);
      return report.ok ? 0 : 1;
    } catch (e) {
      if (e instanceof CheckUsage) {
        process.stderr.write(`error usage: ${e.message}\n`);
        return 2;
      }
      throw e;
    }
  }
  if (command === 'dashboard') return dashboard(rest);
  const run = { chat, embed, models }[command];
  if (!run) {
    process.stderr.write(`error usage: unknown command '${command}'; commands are chat, embed, models, check, dashboard (resilient --help)\n`);
    return 2;
  }
  const opts = parse(rest);
  if (opts.help) {
    print(HELP);
    return 0;
  }
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  try {
    await run(opts, controller.signal);
    return 0;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

// process.exit: a cancelled or timed-out call must not keep the process alive (stdout and
// stderr are synchronous for files and pipes on Linux, so nothing printed is lost).
let code;
try {
  code = await main(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`${errorLine(e)}\n`);
  code = e instanceof UsageError ? 2 : 1;
}
process.exit(code);
