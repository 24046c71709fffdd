"use client";

import Link from "next/link";

/** What a page shows when rendering it threw: no stack, a reference for the logs, a way on. */
export function PageError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <div className="page">
      <div className="card card-body" role="alert">
        <div className="stack">
          <h1>This page could not be shown</h1>
          <p className="muted">
            Something went wrong while rendering it.
            {error.digest ? (
              <>
                {" "}
                Reference <span className="mono">{error.digest}</span>.
              </>
            ) : null}
          </p>
          <div className="row">
            <button type="button" className="btn btn-primary" onClick={reset}>
              Try again
            </button>
            <Link className="btn" href="/">
              Back to the overview
            </Link>
          </div>
        </div>
      </div>
    </div>
  );
}
