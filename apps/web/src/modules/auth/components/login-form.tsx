"use client";

import { useRouter, useSearchParams } from "next/navigation";
import { signIn } from "next-auth/react";
import { type FormEvent, useEffect, useState } from "react";
import { Brand } from "@/components/ui/brand";
import { Field } from "@/components/ui/field";
import { safeCallbackPath } from "@/lib/callback-path";
import { redirectedSignInMessage, signInMessage } from "../lib/sign-in-messages";

/** The sign-in page: email and password, and a single sign-on button when `singleSignOn` names its provider. */
export function LoginForm({ singleSignOn }: { singleSignOn: string | null }) {
  const router = useRouter();
  const searchParams = useSearchParams();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(() => redirectedSignInMessage(searchParams.get("error")));
  // Whether the error is about what was typed (and not, say, a refused single sign-on).
  const [fieldsInvalid, setFieldsInvalid] = useState(false);
  const [pending, setPending] = useState(false);
  // Until React has hydrated, a click would submit the form natively and lose (or expose) what was typed.
  const [hydrated, setHydrated] = useState(false);
  useEffect(() => setHydrated(true), []);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!email || !password) {
      setError("Enter your email and password.");
      setFieldsInvalid(true);
      return;
    }
    setPending(true);
    setError(null);
    setFieldsInvalid(false);
    try {
      const result = await signIn("credentials", { email, password, redirect: false });
      if (!result || result.error || !result.ok) {
        setError(signInMessage(result?.error));
        setFieldsInvalid(true);
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

  async function onSingleSignOn(provider: string) {
    setPending(true);
    setError(null);
    setFieldsInvalid(false);
    try {
      // Leaves the page for the provider's; it comes back to the callback URL, or here with `?error=`.
      await signIn(provider, {
        callbackUrl: safeCallbackPath(searchParams.get("callbackUrl"), window.location.origin),
      });
    } catch {
      setError("Could not reach the server. Check your connection and try again.");
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
            invalid={fieldsInvalid}
            describedBy={fieldsInvalid ? "login-error" : undefined}
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
            invalid={fieldsInvalid}
            describedBy={fieldsInvalid ? "login-error" : undefined}
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
        {singleSignOn && (
          <>
            <p className="muted auth-or">or</p>
            <button
              className="btn auth-sso"
              type="button"
              disabled={pending || !hydrated}
              onClick={() => onSingleSignOn(singleSignOn)}
            >
              Continue with single sign-on
            </button>
          </>
        )}
      </div>
    </main>
  );
}
