"""wrk --latency outputs as a Markdown table: python3 bench/wrk_table.py LABEL=FILE ...

The first file is the floor the others are compared with (p99 ratio)."""
import re
import sys


def parse(f):
    t = open(f).read()

    def ms(label):
        m = re.search(label + r"\s+([\d.]+)(us|ms|s)", t)
        v, u = float(m.group(1)), m.group(2)
        return v / 1000 if u == "us" else v * 1000 if u == "s" else v

    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
    return {"p50": ms("50%"), "p99": ms("99%"),
            "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1)),
            "non2xx": int(bad.group(1)) if bad else 0}


runs = [(label, parse(f)) for label, f in (a.split("=", 1) for a in sys.argv[1:])]
print("| | p50 | p99 | requests/s | non-2xx |")
print("|---|---|---|---|---|")
for label, r in runs:
    print(f"| {label} | {r['p50']:.2f} ms | {r['p99']:.2f} ms | {r['rps']:,.0f} | {r['non2xx']} |")
floor = runs[0][1]
for label, r in runs[1:]:
    print(f"{label}: p99 ÷ floor p99 {r['p99'] / floor['p99']:.1f}×; target p99 < 20 ms: "
          f"{'met' if r['p99'] < 20 and r['non2xx'] == 0 else 'MISSED'}")
