"""Every benchmark in one run, printing the figures the issues ask for.

    python bench/run_all.py            # builds bench/out/shop_1m.csv and shop.db on first use

Each script also runs alone; see its docstring for its targets and options.
"""

from __future__ import annotations

import subprocess
import sys
import time

from common import ROOT, shop_db

SCRIPTS = (
    "bench_stats.py",
    "bench_segments.py",
    "bench_export.py",
    "bench_tui.py",
    "bench_reorder.py",
    "bench_import.py",
    "bench_first_import.py",
    "bench_campaigns.py",
    "bench_flows.py",
    "bench_predict.py",
    "bench_drivers.py",
    "bench_nps.py",
    "bench_recommend.py",
    "bench_loyalty.py",
    "bench_refit.py",
    "bench_incremental.py",
)


def main() -> None:
    shop_db()
    failed = []
    for script in SCRIPTS:
        path = ROOT / "bench" / script
        if not path.exists():
            continue
        print(f"\n=== {script}", flush=True)
        started = time.perf_counter()
        if subprocess.run([sys.executable, str(path)], cwd=ROOT, check=False).returncode:
            failed.append(script)
        print(f"=== {script}: {time.perf_counter() - started:.0f} s", flush=True)
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
