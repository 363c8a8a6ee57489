/*
 * real.h (private) - the float type a kernel file is compiled for. Each cell's .c file includes its template
 * twice: once as is (double, names ending _f64) and once after defining GC_FLOAT32 (float, _f32).
 * Sums of products accumulate in double for both types.
 */
#undef REAL
#undef SFX
#undef EXP
#undef TANH

#ifdef GC_FLOAT32
#define REAL float
#define SFX(name) name##_f32
#define EXP expf
#define TANH tanhf
#else
#define REAL double
#define SFX(name) name##_f64
#define EXP exp
#define TANH tanh
#endif
