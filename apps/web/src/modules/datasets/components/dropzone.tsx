"use client";

import { type DragEvent, useId, useState } from "react";
import { formatBytes } from "@/components/ui/format";
import { Icon } from "@/components/ui/icons";

/** A file target that takes a drop or a click (the input inside stays reachable by keyboard). */
export function Dropzone({
  onFile,
  file,
  disabled,
  uploadLimitMb,
}: {
  onFile: (file: File) => void;
  file: File | null;
  disabled?: boolean;
  uploadLimitMb?: number;
}) {
  const inputId = useId();
  const [dragging, setDragging] = useState(false);

  function onDrop(event: DragEvent<HTMLLabelElement>) {
    event.preventDefault();
    setDragging(false);
    if (disabled) return;
    const dropped = event.dataTransfer.files[0];
    if (dropped) onFile(dropped);
  }

  return (
    <label
      htmlFor={inputId}
      className="dropzone"
      data-dragging={dragging}
      data-testid="dropzone"
      onDragOver={(event) => {
        event.preventDefault();
        if (!disabled) setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={onDrop}
    >
      <input
        id={inputId}
        type="file"
        accept=".csv,.tsv,.txt,text/csv,text/tab-separated-values"
        className="visually-hidden"
        aria-label="CSV file"
        disabled={disabled}
        onChange={(event) => {
          const chosen = event.target.files?.[0];
          if (chosen) onFile(chosen);
          event.target.value = "";
        }}
      />
      <span className="dropzone-icon">
        <Icon name="upload" size={30} />
      </span>
      {file ? (
        <>
          <strong>{file.name}</strong>
          <span>{formatBytes(file.size)} · drop another file to replace it</span>
        </>
      ) : (
        <>
          <strong>Drop a CSV file here, or click to choose one</strong>
          <span>
            A header line, one text column and one label column. Comma, semicolon or tab separated
            {uploadLimitMb ? `, up to ${uploadLimitMb} MB` : ""}.
          </span>
        </>
      )}
    </label>
  );
}
