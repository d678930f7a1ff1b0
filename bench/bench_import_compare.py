"""Import speed of two checkouts on the same files, alternated, each import beside `psql \\copy` of its file.

    .venv/bin/python bench/bench_import_compare.py --baseline /path/to/old-worktree [--current .] \\
        [--rows 1000000] [--pairs 3] [--shape list|single-send|both] [--sqlite]

The files are made once by bench_import.py's generators. Each import runs in a fresh process with the code of
one checkout (so two versions never share an interpreter): a new PostgreSQL database, migrated, then
`psql \\copy` of the file into a bare table (bench_import.copy_baseline, the issue's baseline) and the product's
import alone (no analysis, no search index). Baseline and current alternate, so a change of machine load hits
both. With --sqlite the imports run on a SQLite file (no `\\copy`). Prints one line per import and the medians.

A checkout older than this script has no bench/bench_import.py of the right shape: copy this checkout's
bench/bench_import.py and bench/machine.py into its bench/ folder first.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# One import, run as `python bench_import_compare.py --one ROOT DB SHAPE FILE` in its own process.
def one(root: str, db: str, shape: str, path: Path) -> None:
    sys.path[:0] = [root, str(Path(root) / "bench")]
    os.chdir(root)
    import bench_import as b

    copy = 0.0
    if db == "sqlite":
        b.setup_django(f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3")
    else:
        for sql in (f"DROP DATABASE IF EXISTS {db}", f"CREATE DATABASE {db}"):
            subprocess.run(["psql", "-h", "127.0.0.1", "-U", "root", "-d", "postgres", "-q", "-c", sql], check=True)
        b.setup_django(f"postgres://root@127.0.0.1:5432/{db}")
        for sql in ("DROP DATABASE IF EXISTS bench_import", "CREATE DATABASE bench_import"):
            subprocess.run(["psql", "-h", "127.0.0.1", "-U", "root", "-d", "postgres", "-q", "-c", sql], check=True)
        copy = b.copy_baseline(path)
    import deliverability

    assert deliverability.__file__.startswith(str(Path(root).resolve())), deliverability.__file__
    started = time.process_time()
    elapsed, summary = b.product_import(path, b.SHAPES[shape][1], search=False)
    print(f"RESULT {elapsed:.3f} {time.process_time() - started:.3f} {copy:.3f} {summary['events']} "
          f"{os.getloadavg()[0]:.1f}", flush=True)


def main() -> None:
    if sys.argv[1:2] == ["--one"]:
        one(sys.argv[2], sys.argv[3], sys.argv[4], Path(sys.argv[5]))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", required=True, help="the other checkout (a git worktree)")
    parser.add_argument("--current", default=str(HERE.parent))
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--shape", choices=["list", "single-send", "both"], default="both")
    parser.add_argument("--sqlite", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    import bench_import as b

    work = Path(tempfile.mkdtemp(prefix="bench-compare-"))
    roots = {"baseline": str(Path(args.baseline).resolve()), "current": str(Path(args.current).resolve())}
    for shape in (["list", "single-send"] if args.shape == "both" else [args.shape]):
        path = work / f"{shape}.csv"
        b.SHAPES[shape][0](path, args.rows)
        runs: dict[str, list[tuple[float, float, float]]] = {"baseline": [], "current": []}
        for _ in range(args.pairs):
            for name, root in roots.items():
                done = subprocess.run([sys.executable, __file__, "--one", root, "sqlite" if args.sqlite else "bench_compare",
                                       shape, str(path)], capture_output=True, text=True, env=os.environ | {"DEBUG": "1"})
                line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT")), None)
                if line is None:
                    sys.exit(f"{name} import failed:\n{done.stderr[-3000:]}")
                wall, cpu, copy, events, load = line.split()[1:]
                runs[name].append((float(wall), float(cpu), float(copy)))
                print(f"{shape:<12} {name:<8} import {float(wall):6.2f} s (process CPU {float(cpu):5.2f} s), "
                      f"\\copy {float(copy):.2f} s, {events} events, load {load}", flush=True)
        for name, found in runs.items():
            wall = statistics.median(w for w, _, _ in found)
            copy = statistics.median(c for _, _, c in found) if not args.sqlite else 0.0
            ratio = f", ratio to \\copy {copy / wall:.3f}" if copy else ""
            print(f"{shape:<12} {name:<8} median {wall:.2f} s = {args.rows / wall:,.0f} rows/s{ratio}")
        path.unlink()


if __name__ == "__main__":
    main()
