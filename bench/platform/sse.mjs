/**
 * @typedef {{ id: string | undefined, event: string, data: string, receivedAt: number }} SseMessage
 */

/**
 * Reads a Server-Sent Events response until it ends or `signal` aborts, calling `onMessage` for each message
 * (comments and the `retry:` preamble call `onOpen` once, when the first bytes arrive).
 * @param {string} url
 * @param {{ token: string, signal?: AbortSignal, onOpen?: () => void, onMessage: (message: SseMessage) => void }} options
 */
export async function readSse(url, { token, signal, onOpen, onMessage }) {
  const response = await fetch(url, {
    headers: { authorization: `Bearer ${token}`, accept: "text/event-stream" },
    signal,
  });
  if (response.status !== 200 || !response.body) throw new Error(`SSE ${url}: HTTP ${response.status}`);
  const decoder = new TextDecoder();
  let buffer = "";
  let opened = false;
  /** @type {{ id?: string, event?: string, data: string[] }} */
  let current = { data: [] };
  try {
    for await (const chunk of response.body) {
      const receivedAt = Date.now();
      if (!opened) {
        opened = true;
        onOpen?.();
      }
      buffer += decoder.decode(chunk, { stream: true });
      let newline = buffer.indexOf("\n");
      while (newline >= 0) {
        const line = buffer.slice(0, newline).replace(/\r$/, "");
        buffer = buffer.slice(newline + 1);
        if (line === "") {
          if (current.data.length > 0 || current.event) {
            onMessage({ id: current.id, event: current.event ?? "message", data: current.data.join("\n"), receivedAt });
          }
          current = { data: [] };
        } else if (!line.startsWith(":")) {
          const colon = line.indexOf(":");
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
          if (field === "data") current.data.push(value);
          else if (field === "event") current.event = value;
          else if (field === "id") current.id = value;
        }
        newline = buffer.indexOf("\n");
      }
    }
  } catch (error) {
    if (!signal?.aborted) throw error;
  }
}
