"use client";

import type { TLabelSource } from "@dpsynth/contracts";
import { Field, FieldGroup } from "@/components/ui/field";
import { formatInteger } from "@/components/ui/format";
import { Card } from "@/components/ui/page-header";
import { rowsOutside, type TLabelChoice, type TSchemaProblems } from "../lib/declared-schema";

const LABEL_SOURCES: { value: TLabelSource; text: string }[] = [
  { value: "declared", text: "I declare the labels (they are public, like a form's choices)" },
  { value: "dp-histogram", text: "Let dpsynth find them with differential privacy" },
];

/**
 * The owner declares the label set: which detected labels are classes of the synthetic data, each described in
 * words a language model understands, and what one row is. All of it becomes public schema. An owner who cannot
 * declare the labels lets each job find them with differential privacy instead.
 */
export function LabelsStep({
  labelSource,
  onLabelSourceChange,
  labelColumn,
  choices,
  onChoicesChange,
  subject,
  onSubjectChange,
  problems,
  serverProblem,
}: {
  labelSource: TLabelSource;
  onLabelSourceChange: (source: TLabelSource) => void;
  labelColumn: string;
  choices: TLabelChoice[];
  onChoicesChange: (choices: TLabelChoice[]) => void;
  subject: string;
  onSubjectChange: (subject: string) => void;
  problems: TSchemaProblems;
  /** The API's refusal of the labels, shown beside them. */
  serverProblem?: string;
}) {
  const update = (value: string, change: Partial<TLabelChoice>) =>
    onChoicesChange(choices.map((choice) => (choice.value === value ? { ...choice, ...change } : choice)));
  const outside = rowsOutside(choices);
  const setProblem = problems.labels ?? serverProblem;
  return (
    <Card title="4. Labels" labelledBy="upload-step-labels">
      <div className="stack" style={{ gap: 14 }}>
        <p id="labels-public">
          The labels you keep, their descriptions and the subject become the <strong>public schema</strong> of the
          synthetic data: anyone who gets the synthetic rows sees them, so describe classes, never a person or a record.
        </p>
        <FieldGroup id="label-source" legend="Where the labels come from">
          {LABEL_SOURCES.map(({ value, text }) => (
            <label className="check" key={value}>
              <input
                type="radio"
                name="label-source"
                value={value}
                checked={labelSource === value}
                onChange={() => onLabelSourceChange(value)}
              />
              <span>{text}</span>
            </label>
          ))}
        </FieldGroup>
        {labelSource === "dp-histogram" ? (
          <p data-testid="dp-label-set-choice">
            Nothing is declared. Each job counts the labels of the training rows, adds noise and keeps only labels whose
            noisy count clears a threshold, paid from the job's ε: a label held by a few rows is never generated or
            shown in any output. The labels found so far are shown to you only.
          </p>
        ) : choices.length === 0 ? (
          <p className="muted">Choose a label column with a few classes to declare its labels.</p>
        ) : (
          <FieldGroup
            id="labels"
            legend={<>Labels found in “{labelColumn}”</>}
            describedBy="labels-public"
            error={setProblem}
          >
            <div className="table-wrap">
              <table className="table" aria-label="Declared labels">
                <thead>
                  <tr>
                    <th scope="col">Keep</th>
                    <th scope="col">Label</th>
                    <th scope="col" className="right">
                      Rows
                    </th>
                    <th scope="col">Description (the words the model is prompted with)</th>
                  </tr>
                </thead>
                <tbody>
                  {choices.map((choice, index) => (
                    <tr key={choice.value} data-label={choice.value}>
                      <td>
                        <label className="check">
                          <input
                            type="checkbox"
                            checked={choice.keep}
                            onChange={(event) => update(choice.value, { keep: event.target.checked })}
                          />
                          <span className="visually-hidden">Keep {choice.value}</span>
                        </label>
                      </td>
                      <th scope="row" className="mono">
                        {choice.value}
                      </th>
                      <td className="right num">{formatInteger(choice.rows)}</td>
                      <td>
                        <Field
                          id={`label-${index}-description`}
                          label={`Description of ${choice.value}`}
                          hideLabel
                          error={problems.descriptions[choice.value]}
                        >
                          {(control) => (
                            <input
                              {...control}
                              className="input"
                              value={choice.description}
                              placeholder={choice.value}
                              disabled={!choice.keep}
                              onChange={(event) => update(choice.value, { description: event.target.value })}
                            />
                          )}
                        </Field>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </FieldGroup>
        )}
        {labelSource === "declared" && outside > 0 && (
          <p className="muted" data-testid="rows-outside">
            <strong className="num">{formatInteger(outside)}</strong> rows carry a label you did not keep: they stay in
            your file but are never trained on, and no synthetic row gets that label.
          </p>
        )}
        <Field
          id="dataset-subject"
          label="Subject: what one row is"
          style={{ maxWidth: 480 }}
          error={problems.subject}
          hint={
            <>
              A few words, such as “movie review snippet” or “support ticket”. It goes into every prompt; empty means
              “record”.
            </>
          }
        >
          {(control) => (
            <input
              {...control}
              className="input"
              value={subject}
              placeholder="record"
              onChange={(event) => onSubjectChange(event.target.value)}
            />
          )}
        </Field>
      </div>
    </Card>
  );
}
