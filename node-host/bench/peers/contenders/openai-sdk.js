// The official `openai` SDK (pinned in ../../package.json): its own retries (maxRetries 2) and
// timeout (10 min default); no queue, no breaker.
import OpenAISdk from 'openai';
import { API_KEY, MESSAGES, MODEL, versionOf } from './common.js';

export const label = 'openai SDK';

export async function create(env) {
  const client = new OpenAISdk({ baseURL: env.base, apiKey: API_KEY, maxRetries: 2 });
  return {
    version: `openai ${versionOf('openai')}`,
    setup: 'new OpenAI({ baseURL, apiKey, maxRetries: 2 }) (default timeout 600 s); chat.completions.create',
    call: (signal) => client.chat.completions.create({ model: MODEL, messages: MESSAGES }, { signal }),
  };
}
