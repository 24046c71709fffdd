import { Transform } from "node:stream";

/** The most one turn of the event loop gets: a few milliseconds of parsing even for the densest text. */
export const PACE_SIZE = 16 * 1024;

/**
 * Passes a stream on in pieces of at most `size` (characters of text, bytes of binary), one piece per turn of the
 * event loop. Without it a stream with several chunks buffered, or one huge chunk, is parsed in one go, and a
 * large upload keeps the web's event loop from every other request for hundreds of milliseconds.
 */
export function paced(size = PACE_SIZE): Transform {
  return new Transform({
    decodeStrings: false,
    transform(chunk: string | Buffer, _encoding, done) {
      const push = (from: number) => {
        if (from >= chunk.length) return done();
        this.push(chunk.slice(from, from + size));
        setImmediate(push, from + size);
      };
      push(0);
    },
  });
}
