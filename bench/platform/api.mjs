import { readFileSync } from "node:fs";
import { basename } from "node:path";

/**
 * @typedef {{ status: number, body: any, ms: number }} Reply
 */

/**
 * A minimal client of dpsynth's /api/v1 for one caller (`Authorization: Bearer <API token>`). Every reply carries
 * its round-trip time; `expect` turns an unexpected status into an error that quotes the API's own message.
 * @param {string} baseUrl e.g. http://localhost:3000
 * @param {string} token
 */
export function apiClient(baseUrl, token) {
  const headers = { authorization: `Bearer ${token}` };

  /** @param {string} method @param {string} path @param {unknown} [body] @returns {Promise<Reply>} */
  async function call(method, path, body) {
    const started = performance.now();
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: body === undefined ? headers : { ...headers, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const ms = performance.now() - started;
    return { status: response.status, body: parseOrText(text), ms };
  }

  /**
   * @param {Promise<Reply>} pending
   * @param {number} status
   * @param {string} what
   */
  async function expect(pending, status, what) {
    const reply = await pending;
    if (reply.status !== status) {
      const message = reply.body?.error?.message ?? JSON.stringify(reply.body).slice(0, 300);
      throw new Error(`${what}: HTTP ${reply.status} (expected ${status}): ${message}`);
    }
    return reply;
  }

  /**
   * `POST /api/v1/datasets` with the CSV as multipart `file`; `fields` include the declared labels (see
   * DEMO_UPLOAD_FIELDS).
   * @param {string} csvPath
   * @param {Record<string, string>} fields
   */
  async function upload(csvPath, fields) {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.set(name, value);
    form.set("file", new Blob([readFileSync(csvPath)], { type: "text/csv" }), basename(csvPath));
    const started = performance.now();
    const response = await fetch(`${baseUrl}/api/v1/datasets`, { method: "POST", headers, body: form });
    const body = await response.json().catch(() => null);
    return { status: response.status, body, ms: performance.now() - started };
  }

  return { baseUrl, token, call, expect, upload };
}

/** @param {string} text */
function parseOrText(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text; // an HTML error page from the framework, shown as it is
  }
}

/** @typedef {ReturnType<typeof apiClient>} ApiClient */

/**
 * The form fields of an upload of the Rotten Tomatoes demo CSV: its columns and its declared labels, in few words,
 * because the smoke preset's tiny model spends about a token per character of its prompt.
 */
export const DEMO_UPLOAD_FIELDS = {
  textColumn: "review",
  labelColumn: "label",
  labels: JSON.stringify([
    { value: "fresh", description: "positive" },
    { value: "rotten", description: "negative" },
  ]),
  subject: "movie review snippet",
};
