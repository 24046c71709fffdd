import { ZPromptSpec } from "@dpsynth/contracts";
import { describe, expect, it } from "vitest";
import { renderPrompt, unknownPlaceholders } from "./prompt-template.ts";

const inputs = {
  subject: "support ticket",
  labelColumn: "priority",
  label: { value: "p1", description: "an outage that stops a whole team" },
};

describe("renderPrompt", () => {
  it("fills the default instruction with the subject, the label column and the description", () => {
    const prompt = ZPromptSpec.parse({});
    expect(renderPrompt(prompt, inputs)).toBe(
      "Write one support ticket (priority: an outage that stops a whole team).",
    );
  });

  it("fills {value} with the label itself, leaves unknown braces alone, and is the bare value in raw style", () => {
    const instruction = "{value} means {label}; {other} stays";
    expect(renderPrompt({ style: "plain", instruction }, inputs)).toBe(
      "p1 means an outage that stops a whole team; {other} stays",
    );
    expect(renderPrompt({ style: "raw", instruction }, inputs)).toBe("p1");
  });
});

describe("unknownPlaceholders", () => {
  it("names each placeholder the trainer does not fill, once, in order", () => {
    expect(unknownPlaceholders("Write one {subject} ({labelColumn}: {label}, {value}).")).toEqual([]);
    expect(unknownPlaceholders("{topic} and {subject} and {topic} and {tone}")).toEqual(["topic", "tone"]);
  });
});
