"use client";

import { useRouter, useSearchParams } from "next/navigation";
import { signIn } from "next-auth/react";
import { type FormEvent, useEffect, useState } from "react";
import { Brand } from "@/components/ui/brand";
import { Field } from "@/components/ui/field";
import { safeCallbackPath } from "@/lib/callback-path";

/** What the sign-in page says for next-auth's error code (see server/auth/login.ts). */
function signInMessage(error: string | null | undefined): string {
  if (error === "rate_limited") return "Too many sign-in attempts for this account. Wait a few minutes and try again.";
  if (error === "unavailable")
    return "Sign-in is unavailable right now (a server dpsynth needs is down). Try again shortly.";
  return "That email and password do not match an account.";
}

export function LoginForm() {
  const router = useRouter();
  const searchParams = useSearchParams();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  // Until React has hydrated, a click would submit the form natively and lose (or expose) what was typed.
  const [hydrated, setHydrated] = useState(false);
  useEffect(() => setHydrated(true), []);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!email || !password) {
      setError("Enter your email and password.");
      return;
    }
    setPending(true);
    setError(null);
    try {
      const result = await signIn("credentials", { email, password, redirect: false });
      if (!result || result.error || !result.ok) {
        setError(signInMessage(result?.error));
        return;
      }
      router.replace(safeCallbackPath(searchParams.get("callbackUrl"), window.location.origin));
      router.refresh();
    } catch {
      setError("Could not reach the server. Check your connection and try again.");
    } finally {
      setPending(false);
    }
  }

  return (
    <main className="auth-page">
      <div className="card auth-card">
        <Brand />
        <h1>Sign in</h1>
        <p className="muted" style={{ marginBottom: 20 }}>
          Private data in, differentially private synthetic data out.
        </p>
        <form className="form" method="post" onSubmit={onSubmit} noValidate>
          {error && (
            <div className="alert alert-danger" role="alert" id="login-error">
              {error}
            </div>
          )}
          <Field
            id="login-email"
            label="Email"
            invalid={Boolean(error)}
            describedBy={error ? "login-error" : undefined}
          >
            {(control) => (
              <input
                {...control}
                className="input"
                type="email"
                autoComplete="username"
                required
                value={email}
                onChange={(event) => setEmail(event.target.value)}
              />
            )}
          </Field>
          <Field
            id="login-password"
            label="Password"
            invalid={Boolean(error)}
            describedBy={error ? "login-error" : undefined}
          >
            {(control) => (
              <input
                {...control}
                className="input"
                type="password"
                autoComplete="current-password"
                required
                value={password}
                onChange={(event) => setPassword(event.target.value)}
              />
            )}
          </Field>
          <button className="btn btn-primary" type="submit" disabled={pending || !hydrated}>
            {pending && <span className="spinner" aria-hidden="true" />}
            Sign in
          </button>
        </form>
      </div>
    </main>
  );
}
