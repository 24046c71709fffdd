import { type CSSProperties, type ReactNode, useId } from "react";

/** What a field hands its control, so that the label names it and the hint and the error describe it. */
export type TControlProps = { id: string; "aria-describedby"?: string; "aria-invalid"?: true };

type TFieldProps = {
  /** The control's id; one is made up when omitted. The hint and the error get `<id>-hint` and `<id>-error`. */
  id?: string;
  label: ReactNode;
  /** A label for screen readers only, where the column or the row already says it (a table cell). */
  hideLabel?: boolean;
  hint?: ReactNode;
  /** What is wrong with the value, shown under it and read out as part of the control's description. */
  error?: ReactNode;
  /** Marks the control invalid for an error shown elsewhere (a form's own alert, named in `describedBy`). */
  invalid?: boolean;
  /** Ids of other text that describes the control, read before the hint. */
  describedBy?: string;
  className?: string;
  style?: CSSProperties;
  children: (control: TControlProps) => ReactNode;
};

function useFieldParts({ id, hint, error, invalid, describedBy }: Omit<TFieldProps, "label" | "children">) {
  const madeUp = useId();
  const controlId = id ?? madeUp;
  const hintId = hint ? `${controlId}-hint` : undefined;
  const errorId = error ? `${controlId}-error` : undefined;
  const describedByIds = [describedBy, hintId, errorId].filter(Boolean).join(" ");
  const control: TControlProps = {
    id: controlId,
    ...(describedByIds ? { "aria-describedby": describedByIds } : {}),
    ...(error || invalid ? { "aria-invalid": true as const } : {}),
  };
  const after = (
    <>
      {hint && (
        <span className="hint" id={hintId}>
          {hint}
        </span>
      )}
      {error && (
        <span className="field-error" id={errorId}>
          {error}
        </span>
      )}
    </>
  );
  return { control, after };
}

/**
 * A labelled control with its hint and error: the one place that ties them together (`aria-describedby`,
 * `aria-invalid`), so a screen reader hears the error with the field it belongs to.
 *
 * ```tsx
 * <Field label="Epsilon (ε)" hint="…" error={problems.epsilon}>
 *   {(control) => <input {...control} className="input" value={epsilon} onChange={…} />}
 * </Field>
 * ```
 */
export function Field({ label, hideLabel, className, style, children, ...parts }: TFieldProps) {
  const { control, after } = useFieldParts(parts);
  return (
    <div className={className ? `field ${className}` : "field"} style={style}>
      <label htmlFor={control.id} className={hideLabel ? "visually-hidden" : undefined}>
        {label}
      </label>
      {children(control)}
      {after}
    </div>
  );
}

/** A checkbox or radio with its label beside it, and the same hint and error wiring as `Field`. */
export function CheckField({ label, hideLabel, className, style, children, ...parts }: TFieldProps) {
  const { control, after } = useFieldParts(parts);
  return (
    <div className={className ? `field ${className}` : "field"} style={style}>
      <label className="check" htmlFor={control.id}>
        {children(control)}
        {hideLabel ? <span className="visually-hidden">{label}</span> : label}
      </label>
      {after}
    </div>
  );
}

/**
 * A group of controls (a fieldset) whose hint and error describe the group as a whole, such as "keep at least two
 * labels". The error is announced when it appears, since no single control's focus would read it.
 */
export function FieldGroup({
  id,
  legend,
  hideLegend,
  hint,
  error,
  describedBy,
  className,
  style,
  children,
}: {
  /** Names the hint and the error: `<id>-hint`, `<id>-error`. */
  id: string;
  legend: ReactNode;
  hideLegend?: boolean;
  hint?: ReactNode;
  error?: ReactNode;
  describedBy?: string;
  className?: string;
  style?: CSSProperties;
  children: ReactNode;
}) {
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedByIds = [describedBy, hintId, errorId].filter(Boolean).join(" ");
  return (
    <fieldset className={className} style={style} aria-describedby={describedByIds || undefined}>
      <legend className={hideLegend ? "visually-hidden" : undefined}>{legend}</legend>
      {hint && (
        <p className="muted" id={hintId}>
          {hint}
        </p>
      )}
      {children}
      {error && (
        <p className="field-error" id={errorId} role="alert" style={{ marginTop: 8 }}>
          {error}
        </p>
      )}
    </fieldset>
  );
}
