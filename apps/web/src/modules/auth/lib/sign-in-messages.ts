/** What the sign-in page says for next-auth's error code of a password sign-in (see server/auth/login.ts). */
export function signInMessage(error: string | null | undefined): string {
  if (error === "rate_limited") return "Too many sign-in attempts for this account. Wait a few minutes and try again.";
  if (error === "unavailable")
    return "Sign-in is unavailable right now (a server dpsynth needs is down). Try again shortly.";
  return "That email and password do not match an account.";
}

/**
 * What the sign-in page says when next-auth sends the browser back to it with `?error=`, which is how a single
 * sign-on ends that did not sign anyone in; null without one. AccessDenied is dpsynth's own refusal
 * (lib/auth-options.ts): the provider gave no verified email to match a user by. Every other code means the
 * exchange with the provider failed (OAuthSignin: discovery or the redirect; OAuthCallback: state, PKCE, tokens).
 */
export function redirectedSignInMessage(error: string | null): string | null {
  if (!error) return null;
  if (error === "AccessDenied")
    return "Your single sign-on account has no verified email address, so dpsynth cannot tell which user you are. Ask whoever runs your sign-on service to verify it, or sign in with your email and password.";
  if (["CredentialsSignin", "rate_limited", "unavailable"].includes(error)) return signInMessage(error);
  return "Single sign-on did not complete. Try again, or sign in with your email and password.";
}
