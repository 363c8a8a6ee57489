"""Time geomean of each implementation between two bench.json runs (first / second, per cell and mode): how much
the machine drifted for the peers and for gatecore. Run: python grid_drift.py A/bench.json B/bench.json"""
import json, math, sys
def load(p):
    d=json.load(open(p)); return {(r['cell'],r['mode'],r['T'],r['B'],r['H'],r['impl']):r['seconds'] for r in d['records'] if 'seconds' in r}
a,b=load(sys.argv[1]),load(sys.argv[2])
for cell in ('lstm','gru'):
  for mode in ('forward','forward+backward'):
    for impl in ('cpu','torch','onnxruntime'):
        ks=[k for k in a if k[0]==cell and k[1]==mode and k[5]==impl and k in b]
        if not ks: continue
        g=math.exp(sum(math.log(a[k]/b[k]) for k in ks)/len(ks))
        print(f"{cell} {mode} {impl}: time first/second geomean {g:.3f} over {len(ks)} points")
