import type { Metadata } from "next";
import { connection } from "next/server";
import { Suspense } from "react";
import { singleSignOnProviderId } from "@/lib/auth-options";
import { LoginForm } from "@/modules/auth/components/login-form";

export const metadata: Metadata = { title: "Sign in" };

export default async function LoginPage() {
  // Render per request: whether single sign-on is offered is the running server's configuration, not the build's.
  await connection();
  return (
    <Suspense>
      <LoginForm singleSignOn={singleSignOnProviderId()} />
    </Suspense>
  );
}
