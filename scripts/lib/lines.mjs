import { createInterface } from "node:readline";

/**
 * `name │ line` for each line a process writes, so interleaved output still says whose it is.
 * @param {string} name
 * @param {number} width the longest name, to align the bars
 * @returns {(line: string) => string}
 */
export function prefixer(name, width) {
  const label = name.padEnd(width);
  return (line) => `${label} │ ${line}`;
}

/**
 * Prints each line of `stream` through `prefix`.
 * @param {import("node:stream").Readable} stream
 * @param {(line: string) => string} prefix
 */
export function printLines(stream, prefix) {
  createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on("line", (line) => {
    console.log(prefix(line));
  });
}
