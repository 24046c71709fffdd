"use client";

import { type ReactNode, useEffect, useId, useRef } from "react";
import { Field } from "./field";

/**
 * A modal on the native <dialog>: the browser traps focus, closes on Escape and restores focus afterwards.
 */
export function Dialog({
  open,
  title,
  onClose,
  children,
}: {
  open: boolean;
  title: string;
  onClose: () => void;
  children: ReactNode;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);

  return (
    <dialog ref={ref} className="dialog" aria-labelledby={titleId} onClose={onClose}>
      <h2 id={titleId} style={{ marginBottom: 12 }}>
        {title}
      </h2>
      {children}
    </dialog>
  );
}

/** The closing row of a dialog: a way out, and the action it confirms (busy while it runs). */
export function DialogActions({
  onCancel,
  cancelLabel = "Keep it",
  actionLabel,
  danger = false,
  disabled,
  pending,
  onAction,
}: {
  onCancel: () => void;
  cancelLabel?: string;
  actionLabel: string;
  danger?: boolean;
  disabled: boolean;
  pending: boolean;
  /** Omitted in a form: the action submits it. */
  onAction?: () => void;
}) {
  return (
    <div className="row" style={{ justifyContent: "flex-end" }}>
      <button type="button" className="btn" onClick={onCancel}>
        {cancelLabel}
      </button>
      <button
        type={onAction ? "button" : "submit"}
        className={`btn ${danger ? "btn-danger" : "btn-primary"}`}
        disabled={disabled || pending}
        onClick={onAction}
      >
        {pending && <span className="spinner" aria-hidden="true" />}
        {actionLabel}
      </button>
    </div>
  );
}

/** The reason an admin gives for a decision: required, kept with the decision where the owner or the audit sees it. */
export function ReasonField({
  id,
  value,
  onChange,
  placeholder,
}: {
  id: string;
  value: string;
  onChange: (value: string) => void;
  placeholder: string;
}) {
  return (
    <Field id={id} label="Reason">
      {(control) => (
        <textarea
          {...control}
          className="textarea"
          required
          maxLength={1000}
          value={value}
          onChange={(event) => onChange(event.target.value)}
          placeholder={placeholder}
        />
      )}
    </Field>
  );
}
