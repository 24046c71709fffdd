"use client";

import { useEffect, useState } from "react";

/** The current time in ms, renewed every `intervalMs` while `ticking`: a clock that moves between server events. */
export function useNow(ticking: boolean, intervalMs = 1_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!ticking) return;
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [ticking, intervalMs]);
  return now;
}
