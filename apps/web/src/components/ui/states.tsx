import Link from "next/link";
import type { ReactNode } from "react";
import { ApiError } from "@/components/api/api-client";
import { Icon, type TIconName } from "./icons";

/** Placeholder blocks shaped like the content that is loading. */
export function Skeleton({ height = 16, width = "100%" }: { height?: number; width?: number | string }) {
  return <div className="skeleton" style={{ height, width }} aria-hidden="true" />;
}

export function LoadingState({ label = "Loading", rows = 3 }: { label?: string; rows?: number }) {
  return (
    <div className="stack" role="status" aria-live="polite" style={{ padding: 18 }}>
      <span className="visually-hidden">{label}…</span>
      {Array.from({ length: rows }, (_, index) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: placeholders have no identity
        <Skeleton key={index} height={18} width={`${90 - index * 12}%`} />
      ))}
    </div>
  );
}

export function EmptyState({
  icon = "list",
  title,
  children,
  action,
}: {
  icon?: TIconName;
  title: string;
  children?: ReactNode;
  action?: ReactNode;
}) {
  return (
    <div className="empty">
      <div className="empty-icon">
        <Icon name={icon} size={22} />
      </div>
      <h3>{title}</h3>
      {children && <p>{children}</p>}
      {action}
    </div>
  );
}

function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return "Something went wrong.";
}

/** What failed, in the API's own words, with a way to try again. */
export function ErrorState({
  error,
  title = "Could not load this",
  onRetry,
}: {
  error: unknown;
  title?: string;
  onRetry?: () => void;
}) {
  const notFound = error instanceof ApiError && error.status === 404;
  return (
    <div className="alert alert-danger" role="alert" style={{ margin: 18, alignItems: "center" }}>
      <div style={{ flex: 1 }}>
        <div className="alert-title">{notFound ? "Not found" : title}</div>
        <div>{notFound ? "It does not exist, or you do not have access to it." : messageOf(error)}</div>
      </div>
      {onRetry && !notFound && (
        <button type="button" className="btn btn-sm" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

interface TQueryLike {
  isPending: boolean;
  error: unknown;
  refetch: () => unknown;
}

/** What stands where a query's data will be: a skeleton while it loads, the API's refusal if it failed. */
export function QueryStatus({
  query,
  label,
  rows,
  errorTitle,
}: {
  query: TQueryLike;
  label?: string;
  rows?: number;
  errorTitle?: string;
}) {
  return query.isPending ? (
    <LoadingState label={label} rows={rows} />
  ) : (
    <ErrorState error={query.error} title={errorTitle} onRetry={() => query.refetch()} />
  );
}

/**
 * A whole page's place while its query loads or after it failed; callers return it until there is data. Something
 * that does not exist (or is not the reader's) gets a page of its own with a way back, like an unknown address.
 */
export function PageQueryState({ query, label }: { query: TQueryLike; label: string }) {
  if (!query.isPending && query.error instanceof ApiError && query.error.status === 404) {
    return (
      <div className="page">
        <div className="card card-body stack">
          <h1>Not found</h1>
          <p className="muted">It does not exist, or you do not have access to it.</p>
          <Link className="btn btn-primary" href="/" style={{ alignSelf: "flex-start" }}>
            Back to the overview
          </Link>
        </div>
      </div>
    );
  }
  return (
    <div className="page">
      <div className="card">
        <QueryStatus query={query} label={label} rows={5} />
      </div>
    </div>
  );
}

/** An inline alert for a failed mutation (the API's refusal message). */
export function ErrorAlert({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  return (
    <div className="alert alert-danger" role="alert">
      <div>
        {title && <div className="alert-title">{title}</div>}
        <div>{messageOf(error)}</div>
      </div>
    </div>
  );
}
