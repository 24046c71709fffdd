import { describe, expect, it } from "vitest";
import { Inbox } from "./inbox.ts";

describe("Inbox", () => {
  it("hands messages over in the order they came, whether they came before or while the reader waited", async () => {
    const inbox = new Inbox<number>();
    inbox.push(1);
    inbox.push(2);
    expect(await inbox.next()).toBe(1);
    expect(await inbox.next()).toBe(2);
    const waiting = inbox.next();
    inbox.push(3);
    inbox.push(4);
    expect(await waiting).toBe(3);
    expect(await inbox.next()).toBe(4);
  });

  it("answers null once closed, to a waiting reader too, and drops what is pushed after", async () => {
    const inbox = new Inbox<string>();
    const waiting = inbox.next();
    inbox.close();
    expect(await waiting).toBeNull();
    inbox.push("late");
    expect(await inbox.next()).toBeNull();
  });
});
