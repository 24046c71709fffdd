"use client";

import { useEffect, useState } from "react";

/** The value once it has stopped changing for `delayMs` (typing in a field should not fire a request per key). */
export function useDebouncedValue<T>(value: T, delayMs = 350): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), delayMs);
    return () => clearTimeout(timer);
  }, [value, delayMs]);
  return debounced;
}
