"use client";

import { CheckField, FieldGroup } from "@/components/ui/field";
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
      <FieldGroup
        id="synthetic"
        legend="Columns to synthesise"
        hideLegend
        className="stack"
        style={{ gap: 10 }}
        hint={
          <>
            Every synthetic row has the text (“{textColumn}”) and the label (“{labelColumn}”). Tick the other columns it
            should carry too; their names become public schema, like the labels.
          </>
        }
        error={serverProblem}
      >
        {choices.length === 0 ? (
          <p className="muted">The file has no other columns.</p>
        ) : (
          <ul className="stack" style={{ gap: 8, listStyle: "none", margin: 0, padding: 0 }}>
            {choices.map((choice, index) => (
              <li key={choice.name}>
                <CheckField
                  id={`synthetic-column-${index}`}
                  hint={choice.note}
                  label={
                    <>
                      <span className="mono">{choice.name}</span>
                      <span className="badge plain">{choice.type}</span>
                    </>
                  }
                >
                  {(control) => (
                    <input
                      {...control}
                      type="checkbox"
                      checked={choice.chosen}
                      onChange={(event) => onChange(choice.name, event.target.checked)}
                    />
                  )}
                </CheckField>
              </li>
            ))}
          </ul>
        )}
      </FieldGroup>
    </Card>
  );
}
