# Two trees in alternating processes (tree_ab.py), ROUNDS rounds, then per point each tree's times and the ratio
# of the medians (new / old). OLD: a worktree of the old commit (src/gatecore/_native*.so copied in); each tree its
# own Numba cache (OLD_CACHE, NEW_CACHE). Run from the repository root:
# OLD=/tmp/x/old OLD_CACHE=/tmp/nc_old NEW_CACHE=/tmp/nc_new bash benchmarks/probes/tree_ab.sh ROUNDS OUT POINT...
R=$1; OUT=$2; shift 2
: > "$OUT"
for i in $(seq "$R"); do
  echo old >> "$OUT"; NUMBA_CACHE_DIR=$OLD_CACHE python benchmarks/probes/tree_ab.py "$OLD" "$@" >> "$OUT"
  echo new >> "$OUT"; NUMBA_CACHE_DIR=$NEW_CACHE python benchmarks/probes/tree_ab.py "$PWD" "$@" >> "$OUT"
done
python - "$OUT" <<'PY'
import statistics, sys
res, tree, it = {}, None, iter(open(sys.argv[1]).read().split())
for tok in it:
    if tok in ("old", "new"):
        tree = tok
        continue
    res.setdefault(tok, {}).setdefault(tree, []).append(float(next(it)))
for k, v in res.items():
    print(f"{k:22s} old {' '.join(f'{x:8.1f}' for x in v['old'])}   new {' '.join(f'{x:8.1f}' for x in v['new'])}"
          f"   median new/old {statistics.median(v['new']) / statistics.median(v['old']):.3f}")
PY
