"""Write examples/simulated-attachment-alliance.csv: a SIMULATED correlation sheet (seed 20240731).

SIMULATED DATA. The sources hold no per-study values for attachment and alliance, so these rows are
drawn at random around the seed's pooled values (anxiety r = -.09, avoidance r = -.13). They are for
trying `evidencekg ingest` and `evidencekg meta pair`; they are not evidence and never go into data/.
Run: python examples/make_simulated_sheet.py
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

SEED = 20240731
OUT = Path(__file__).with_name("simulated-attachment-alliance.csv")
PAIRS = (("attachment-anxiety", -0.09), ("attachment-avoidance", -0.13))


def rows(seed: int = SEED, studies: int = 12) -> list[dict[str, object]]:
    """Simulated studies: each reports both correlations with patient-rated alliance."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(1, studies + 1):
        n = int(rng.integers(30, 250))
        year = int(rng.integers(2000, 2024))
        for construct, mean_r in PAIRS:
            true_z = rng.normal(math.atanh(mean_r), 0.05)
            r = math.tanh(rng.normal(true_z, 1 / math.sqrt(n - 3)))
            out.append({
                "study": f"sim{i:02d}", "authors": f"Simulated, A.{i:02d}; Example, B.", "year": year,
                "title": f"SIMULATED study {i:02d} (not real data)", "doi": f"10.0000/simulated.{i:02d}",
                "n": n, "r": f"{r:.2f}", "construct_a": construct, "construct_b": "therapeutic-alliance",
                "rater": "patient", "mod_setting": "outpatient" if i % 2 else "inpatient",
            })  # fmt: skip
    return out


def main() -> None:
    """Write the sheet."""
    data = rows()
    with OUT.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(data[0]))
        writer.writeheader()
        writer.writerows(data)
    print(f"wrote {OUT} ({len(data)} rows, seed {SEED}) - SIMULATED")


if __name__ == "__main__":
    main()
