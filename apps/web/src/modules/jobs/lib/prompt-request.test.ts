import { describe, expect, it } from "vitest";
import { EMPTY_PROMPT_TEXT, promptRequest } from "./prompt-request.ts";

const dataset = {
  labelColumn: "label",
  subject: "movie review snippet",
  labels: [
    { value: "fresh", description: "a positive review" },
    { value: "rotten", description: "a negative review" },
  ],
};

describe("promptRequest", () => {
  it("sends nothing for an untouched form, so the dataset's words and the default prompt apply", () => {
    expect(promptRequest(dataset, EMPTY_PROMPT_TEXT)).toEqual({ problem: undefined });
  });

  it("sends only the descriptions that changed, and the style and instruction when they differ", () => {
    const text = {
      descriptions: { fresh: " a positive review ", rotten: "a review that pans the film", gone: "x" },
      style: "plain" as const,
      instruction: "A {subject}: {label}.",
    };
    expect(promptRequest(dataset, text)).toEqual({
      labelDescriptions: { rotten: "a review that pans the film" },
      prompt: { style: "plain", instruction: "A {subject}: {label}." },
      problem: undefined,
    });
  });

  it("names a placeholder the trainer does not fill", () => {
    const { problem } = promptRequest(dataset, { ...EMPTY_PROMPT_TEXT, instruction: "About {film}." });
    expect(problem).toMatch(
      /^\{film\} is not a placeholder; use \{subject\}, \{labelColumn\}, \{label\}, \{value\}\.$/,
    );
  });
});
