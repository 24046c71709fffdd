import { describe, expect, it } from "vitest";
import { redirectedSignInMessage, signInMessage } from "./sign-in-messages.ts";

describe("sign-in messages", () => {
  it("tells a password sign-in why it failed", () => {
    expect(signInMessage("CredentialsSignin")).toBe("That email and password do not match an account.");
    expect(signInMessage("rate_limited")).toMatch(/^Too many sign-in attempts/);
    expect(signInMessage("unavailable")).toMatch(/^Sign-in is unavailable right now/);
  });

  it("tells a single sign-on that came back refused or broken what happened, and says nothing without an error", () => {
    expect(redirectedSignInMessage(null)).toBeNull();
    expect(redirectedSignInMessage("AccessDenied")).toMatch(/^Your single sign-on account has no verified email/);
    for (const code of ["OAuthSignin", "OAuthCallback", "Callback", "Configuration", "anything"])
      expect(redirectedSignInMessage(code)).toBe(
        "Single sign-on did not complete. Try again, or sign in with your email and password.",
      );
    expect(redirectedSignInMessage("rate_limited")).toBe(signInMessage("rate_limited"));
  });
});
