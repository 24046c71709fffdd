import type { Metadata } from "next";
import Link from "next/link";
import { Brand } from "@/components/ui/brand";

export const metadata: Metadata = { title: "Not found" };

export default function NotFound() {
  return (
    <main className="auth-page">
      <div className="card auth-card stack">
        <Brand />
        <h1>Page not found</h1>
        <p className="muted">There is nothing at this address.</p>
        <Link className="btn btn-primary" href="/">
          Back to the overview
        </Link>
      </div>
    </main>
  );
}
