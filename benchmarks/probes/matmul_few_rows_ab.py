"""matmul's two routes for M < N: pack W (normal) vs pack x^T and transpose the result (few-rows), interleaved,
median of 25, same bits asserted. Run: python matmul_few_rows_ab.py MxKxN ..."""
import sys, time, numpy as np
from gatecore import cpu_common as cc, config
rng=np.random.default_rng(0)
for spec in sys.argv[1:]:
    M,K,N=map(int,spec.split('x'))
    a=rng.standard_normal((M,K),dtype=np.float32); w=rng.standard_normal((N,K),dtype=np.float32); b=np.zeros(N,np.float32)
    def tr():
        P=cc.pack(a.T); return cc._gemm_transposed(P, w, b, M, config.CPU_ROW_BLOCK, cc._parallel(M*N*K), cc.k_block(P))
    def normal(): return cc.gemm(a, cc.pack(w.T), N, b)
    assert np.array_equal(tr(), normal())
    fs={"normal":normal,"transposed":tr}
    res={k:[] for k in fs}
    for _ in range(25):
        for k,f in fs.items():
            t=time.perf_counter(); f(); res[k].append(time.perf_counter()-t)
    print(spec, " | ".join(f"{k} {np.median(v)*1e3:.3f} ms ({2*M*N*K/np.median(v)/1e9:.0f})" for k,v in res.items()), "transposed wins %.0f%%"%(100*np.mean(np.array(res['transposed'])<np.array(res['normal']))), flush=True)
