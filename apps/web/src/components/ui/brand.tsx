import Link from "next/link";

export function Brand() {
  return (
    <Link href="/" className="brand" aria-label="dpsynth home">
      <span className="brand-mark" aria-hidden="true">
        ε
      </span>
      dpsynth
    </Link>
  );
}
