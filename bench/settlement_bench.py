"""How long the one money computation takes (workorders/settlement.py), pure, without a database:
a work order of N lines with adjustments and split payments, computed M times. Prints figures only.

    python -m bench.settlement_bench [lines] [repeats]
"""
from __future__ import annotations

import random
import sys
import time
from dataclasses import dataclass
from decimal import Decimal

from claimdesk.workorders import settlement


@dataclass
class Line:
    kind: str
    quantity: Decimal
    unit_price: Decimal
    pay_type: str
    decision: str = "approved"


@dataclass
class Adj:
    kind: str
    amount: Decimal
    from_payer: str
    to_payer: str
    description: str = ""


@dataclass
class Pay:
    kind: str
    amount: Decimal


def main(n_lines: int = 40, repeats: int = 2000) -> None:
    rng = random.Random(1)
    lines = [Line(rng.choice(["labour", "part"]), Decimal(rng.randint(1, 999)) / 100,
                  Decimal(rng.randint(0, 500000)) / 100, rng.choice(list(settlement.PAYER_OF_PAY_TYPE)))
             for _ in range(max(n_lines, 2))]
    lines[0].pay_type, lines[1].pay_type = "customer", "insurance"  # the adjustments below have shares to move
    adjustments = [Adj("goodwill_discount", Decimal("0.01"), "customer", "dealer"),
                   Adj("deductible", Decimal("0.01"), "insurer", "customer")]
    payments = [Pay("payment", Decimal("1.00")), Pay("payment", Decimal("2.00")), Pay("refund", Decimal("0.50"))]
    start = time.perf_counter()
    for _ in range(repeats):
        s = settlement.compute(lines, adjustments, payments)
    elapsed = time.perf_counter() - start
    assert sum(s.shares.values()) == s.total
    print(f"settlement.compute: {n_lines} lines, 2 adjustments, 3 payments: "
          f"{elapsed / repeats * 1e6:.1f} µs per bill ({repeats} bills in {elapsed:.3f} s)")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
