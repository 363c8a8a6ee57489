"""A bench.json's summary re-scored with the current ratio rule (cli/bench.py _ratio): peer vs gatecore geomeans and
worst points. Run: python grid_rescore.py DIR/bench.json"""
import json, sys
from gatecore.cli import bench
d = json.load(open(sys.argv[1]))
recs = d["records"]
for r in recs: r.pop("ratio", None)
bench._add_ratios(recs)
for row in bench.summarise(recs):
    if row["peer"] in ("fastest peer", "torch"):
        print(row["cell"], row["mode"], row["peer"], "%.2fx worst %.2fx at %s" % (row["geomean"], row["worst"], row["worst_at"]))
