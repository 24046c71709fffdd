"use client";

import { Card } from "@/components/ui/page-header";
import type { columnChoices } from "../lib/declared-schema";

type TColumnChoice = ReturnType<typeof columnChoices>[number];

/** Which other columns the synthetic rows carry beside the text and the label; ID-like ones start unticked. */
export function SyntheticColumnsStep({
  textColumn,
  labelColumn,
  choices,
  onChange,
  serverProblem,
}: {
  textColumn: string;
  labelColumn: string;
  choices: TColumnChoice[];
  onChange: (name: string, chosen: boolean) => void;
  serverProblem?: string;
}) {
  return (
    <Card title="5. Columns to synthesise" labelledBy="upload-step-synthetic">
      <fieldset
        className="stack"
        style={{ gap: 10 }}
        aria-describedby={`synthetic-hint${serverProblem ? " synthetic-error" : ""}`}
      >
        <legend className="visually-hidden">Columns to synthesise</legend>
        <p className="muted" id="synthetic-hint">
          Every synthetic row has the text (“{textColumn}”) and the label (“{labelColumn}”). Tick the other columns it
          should carry too; their names become public schema, like the labels.
        </p>
        {choices.length === 0 ? (
          <p className="muted">The file has no other columns.</p>
        ) : (
          <ul className="stack" style={{ gap: 8, listStyle: "none", margin: 0, padding: 0 }}>
            {choices.map((choice, index) => (
              <li key={choice.name}>
                <label className="check">
                  <input
                    type="checkbox"
                    checked={choice.chosen}
                    onChange={(event) => onChange(choice.name, event.target.checked)}
                    aria-describedby={choice.note ? `synthetic-note-${index}` : undefined}
                  />
                  <span className="mono">{choice.name}</span>
                  <span className="badge plain">{choice.type}</span>
                </label>
                {choice.note && (
                  <span
                    className="hint muted"
                    id={`synthetic-note-${index}`}
                    style={{ display: "block", marginLeft: 24 }}
                  >
                    {choice.note}
                  </span>
                )}
              </li>
            ))}
          </ul>
        )}
        {serverProblem && (
          <p className="field-error" id="synthetic-error" role="alert">
            {serverProblem}
          </p>
        )}
      </fieldset>
    </Card>
  );
}
