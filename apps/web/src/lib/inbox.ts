/**
 * Messages in arrival order, taken one at a time by a single async reader: pushes never wait, and the reader
 * handles each message to the end before it takes the next (so a slow step cannot be overtaken by a later one).
 */
export class Inbox<T> {
  private readonly items: T[] = [];
  private waiting: ((item: T | null) => void) | null = null;
  private closed = false;

  push(item: T): void {
    if (this.closed) return;
    const waiting = this.waiting;
    this.waiting = null;
    if (waiting) waiting(item);
    else this.items.push(item);
  }

  /** Ends the reading: what is still queued is dropped, and `next` answers null from now on. */
  close(): void {
    this.closed = true;
    this.items.length = 0;
    this.waiting?.(null);
    this.waiting = null;
  }

  /** The next message, waiting for one; null once closed. */
  next(): Promise<T | null> {
    if (this.items.length > 0) return Promise.resolve(this.items.shift() as T);
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }
}
