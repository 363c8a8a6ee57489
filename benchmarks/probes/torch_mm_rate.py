"""PyTorch's float32 GEMM (torch.mm, 2 threads) at gemm_tree_ab.py's default shapes, median and best GFLOP/s over
1 s: the rate a peer's LSTM/GRU can reach at the GEMM-bound points. Run in its own process (not beside gatecore's GEMM):
python benchmarks/probes/torch_mm_rate.py"""
import time, torch
torch.set_num_threads(2)
for M, K, N in ((8192, 512, 2048), (1024, 256, 1024), (256, 256, 1024), (1024, 512, 2048)):
    a = torch.randn(M, K); b = torch.randn(K, N); o = torch.empty(M, N)
    torch.mm(a, b, out=o)
    ts = []; t_end = time.perf_counter() + 1.0
    while time.perf_counter() < t_end:
        t = time.perf_counter(); torch.mm(a, b, out=o); ts.append(time.perf_counter() - t)
    ts.sort(); print(f"torch mm {M}x{K}x{N} {2*M*K*N/ts[len(ts)//2]/1e9:.0f} GF (best {2*M*K*N/ts[0]/1e9:.0f})")
