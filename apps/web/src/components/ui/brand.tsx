import Link from "next/link";

export function Brand() {
  return (
    // Named by its visible word, so a voice user can say what they see.
    <Link href="/" className="brand">
      <span className="brand-mark" aria-hidden="true">
        ε
      </span>
      dpsynth
    </Link>
  );
}
