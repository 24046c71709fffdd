"""Run several trainer benchmarks in one process (torch and transformers are imported once).

    services/trainer/.venv/bin/python -m bench.trainer --out-dir DIR [--smoke] [--command C] dp-overhead sampling

scripts/bench.mjs calls this; each benchmark also runs alone as `python -m bench.trainer.<module>`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback

MODULES = {"dp-overhead": "dp_overhead", "sampling": "sampling", "utility": "utility", "tuning": "tuning", "gpu": "gpu"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="+", choices=sorted(MODULES))
    parser.add_argument("--out-dir", required=True)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--command")
    args = parser.parse_args()
    failed = []
    for name in args.names:
        print(f"\n━━ bench {name} ━━", flush=True)
        started = time.perf_counter()
        argv = ["--out-dir", args.out_dir, *(["--smoke"] if args.smoke else [])]
        argv += ["--command", args.command or f"npm run bench -- {name}" + (" --smoke" if args.smoke else "")]
        try:
            importlib.import_module(f"bench.trainer.{MODULES[name]}").main(argv)
        except Exception:  # one benchmark's failure must not hide the others' results
            traceback.print_exc()
            failed.append(name)
        print(f"━━ bench {name}: {time.perf_counter() - started:.1f}s", flush=True)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
