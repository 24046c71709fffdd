import { describe, expect, it } from "vitest";
import { PASSWORD_MIN_LENGTH, passwordProblem } from "./password-rule.ts";

describe("passwordProblem", () => {
  const email = "Ada@Example.test";

  it("accepts a long enough password that is not the email", () => {
    expect(passwordProblem("correct horse battery", email)).toBeNull();
    expect(passwordProblem("x".repeat(PASSWORD_MIN_LENGTH), email)).toBeNull();
  });

  it("says what is wrong: too short, too long for bcrypt, or the email address", () => {
    expect(passwordProblem("x".repeat(PASSWORD_MIN_LENGTH - 1), email)).toMatch(/at least 12 characters/);
    expect(passwordProblem("é".repeat(40), email)).toMatch(/at most 72 bytes/);
    expect(passwordProblem("ada@example.test", email)).toMatch(/email address/);
    expect(passwordProblem("my ADA@EXAMPLE.TEST pw", email)).toMatch(/email address/);
  });
});
