"""What a call into Numba costs from Python, and NumPy allocations next to Numba's: an empty njit function with 0, 1
and 17 array arguments, numba.get_num_threads() from Python and from njit, np.empty / np.zeros of a [16, 1, 64]
float32 array, six of them from Python and the same six returned by one njit call. Best of 5 x 20000 calls, us.
Run: python benchmarks/probes/dispatch_costs.py"""
import time, numpy as np, numba
@numba.njit
def f17(a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q): return 0
@numba.njit
def f1(a): return 0
@numba.njit
def f0(): return 0
@numba.njit
def nt(): return numba.get_num_threads()
@numba.njit
def alloc6(T,B,H):
    a=np.empty((T,B,H),np.float32); b=np.empty((T,B,H),np.float32); c=np.empty((T,B,H),np.float32)
    d=np.zeros((T,B,H),np.float32); e=np.empty((2,B,H),np.float32); g=np.zeros((B,H),np.float32)
    return a,b,c,d,e,g
xs=[np.zeros((2,2,2),np.float32) for _ in range(17)]
def t(fn, n=20000):
    fn(); best=1e9
    for r in range(5):
        t0=time.perf_counter()
        for _ in range(n): fn()
        best=min(best,(time.perf_counter()-t0)/n)
    return best*1e6
print("f17 %.2f us"%t(lambda: f17(*xs)))
print("f1 %.2f us"%t(lambda: f1(xs[0])))
print("f0 %.2f us"%t(lambda: f0()))
print("nt njit %.2f"%t(nt))
print("numba.get_num_threads %.2f"%t(numba.get_num_threads))
print("np.empty %.2f"%t(lambda: np.empty((16,1,64),np.float32)))
print("np.zeros %.2f"%t(lambda: np.zeros((16,1,64),np.float32)))
print("6 allocs py %.2f"%t(lambda: (np.empty((16,1,64),np.float32),np.empty((16,1,64),np.float32),np.empty((16,1,64),np.float32),np.zeros((16,1,64),np.float32),np.empty((2,1,64),np.float32),np.zeros((1,64),np.float32))))
print("6 allocs njit %.2f"%t(lambda: alloc6(16,1,64)))
