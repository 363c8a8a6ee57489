/*
 * gatecore.h - the C reference core of gatecore: LSTM, GRU and Elman RNN, one layer, one direction,
 * forward and full backpropagation through time, float32 (suffix _f32) and float64 (suffix _f64).
 *
 * Plain C99, no dependencies, no allocation: the caller passes every buffer.
 *
 * Shapes are row-major (C order), time-major, in elements of the call's float type:
 *     x [T, B, I]    w_ih [G*H, I]    w_hh [G*H, R]    b_ih, b_hh [G*H]    h0 [B, R]    c0 [B, H]
 *     y [T, B, R]    h_n [B, R]       c_n [B, H]       lengths [B] (int64)  w_hr [P, H]
 * G = 4 (LSTM, gates i, f, g, o), 3 (GRU, gates r, z, n), 1 (RNN); R = P for an LSTM with a projection
 * (P > 0), else R = H. Gradients have the shape of what they differentiate (dx like x, dw_ih like w_ih, ...).
 *
 * Equations (PyTorch's; sigma = logistic sigmoid):
 *   LSTM  i = sigma(W_ii x + b_ii + W_hi h + b_hi)   f, o likewise with sigma, g likewise with tanh
 *         c_t = f * c_{t-1} + i * g     m_t = o * tanh(c_t)     h_t = m_t  (P = 0)  or  W_hr m_t  (P > 0)
 *   GRU   r = sigma(W_ir x + b_ir + W_hr h + b_hr)   z = sigma(W_iz x + b_iz + W_hz h + b_hz)
 *         linear_before_reset = 1:  n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
 *         linear_before_reset = 0:  n = tanh(W_in x + b_in + W_hn (r * h) + b_hn)
 *         h_t = (1 - z) * n + z * h_{t-1}
 *   RNN   h_t = act(W_ih x + b_ih + W_hh h_{t-1} + b_hh),  act = tanh (GC_TANH) or relu (GC_RELU)
 *
 * lengths and reverse: time steps run s = 0 .. T-1 over t = s (reverse = 0) or t = T-1-s (reverse = 1).
 * Batch row b is active at time t iff t < lengths[b] (lengths = NULL: every row has T steps; 0 <= lengths[b]
 * <= T). An inactive row outputs y[t, b, :] = 0 and keeps its state, so h_n[b] is the state after its last
 * real step (h0[b] when lengths[b] = 0) - the semantics of PyTorch's packed sequences in either direction.
 *
 * Optional pointers: b_ih, b_hh, h0, c0 may be NULL (no bias, zero state); in backward dh_n, dc_n may be NULL
 * (zero), and db_ih, db_hh may be NULL (not computed). Every other pointer is required.
 *
 * Reserve and workspace: gc_<cell>_sizes reports, as element counts of the call's float type, the reserve
 * that forward fills (every forward needs it; backward reads it back, like cuDNN's reserve space) and the
 * workspace backward uses as scratch. Pass the buffers with their element counts. Backward must get the same
 * sizes, weights, x, lengths and options as the forward that filled the reserve.
 *
 * Every function checks its arguments and returns GC_OK or an error code; gc_strerror names the problem.
 */
#ifndef GATECORE_H
#define GATECORE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* GC_CDEF_BEGIN: build_native.py hands the text from here to GC_CDEF_END to cffi */

enum gc_status {
    GC_OK = 0,
    GC_ERR_NULL = 1,        /* a required pointer is NULL */
    GC_ERR_DIM = 2,         /* T, B, I, H must be >= 1 and 0 <= P < H */
    GC_ERR_LENGTHS = 3,     /* some lengths[b] is outside [0, T] */
    GC_ERR_OVERFLOW = 4,    /* a buffer size overflows int64 byte counts */
    GC_ERR_RESERVE = 5,     /* reserve has fewer elements than gc_<cell>_sizes reports */
    GC_ERR_WORKSPACE = 6,   /* workspace has fewer elements than gc_<cell>_sizes reports */
    GC_ERR_OPTION = 7       /* reverse, linear_before_reset or nonlinearity has an unknown value */
};

enum gc_nonlinearity {
    GC_TANH = 0,
    GC_RELU = 1
};

/* A static message for a status code (also for unknown codes). */
const char *gc_strerror(int status);

/* Element counts of the forward reserve and the backward workspace; both outputs required. */
int gc_lstm_sizes(int64_t T, int64_t B, int64_t I, int64_t H, int64_t P,
                  int64_t *reserve, int64_t *workspace);
int gc_gru_sizes(int64_t T, int64_t B, int64_t I, int64_t H, int64_t *reserve, int64_t *workspace);
int gc_rnn_sizes(int64_t T, int64_t B, int64_t I, int64_t H, int64_t *reserve, int64_t *workspace);

/* LSTM forward. P = 0: no projection (w_hr ignored, R = H); 0 < P < H: w_hr [P, H] required, R = P.
 * x [T,B,I]  w_ih [4H,I]  w_hh [4H,R]  b_ih, b_hh [4H] or NULL  w_hr [P,H]  h0 [B,R] or NULL
 * c0 [B,H] or NULL
 * lengths [B] or NULL  reverse 0|1  ->  y [T,B,R]  h_n [B,R]  c_n [B,H]  reserve [reserve_count] */
int gc_lstm_forward_f64(int64_t T, int64_t B, int64_t I, int64_t H, int64_t P,
                        const double *x, const double *w_ih, const double *w_hh,
                        const double *b_ih, const double *b_hh, const double *w_hr,
                        const double *h0, const double *c0, const int64_t *lengths, int reverse,
                        double *y, double *h_n, double *c_n, double *reserve, int64_t reserve_count);
int gc_lstm_forward_f32(int64_t T, int64_t B, int64_t I, int64_t H, int64_t P,
                        const float *x, const float *w_ih, const float *w_hh,
                        const float *b_ih, const float *b_hh, const float *w_hr,
                        const float *h0, const float *c0, const int64_t *lengths, int reverse,
                        float *y, float *h_n, float *c_n, float *reserve, int64_t reserve_count);

/* LSTM backward: dy [T,B,R]  dh_n [B,R] or NULL  dc_n [B,H] or NULL  ->  dx [T,B,I]  dh0 [B,R]  dc0 [B,H]
 * dw_ih [4H,I]  dw_hh [4H,R]  db_ih, db_hh [4H] or NULL  dw_hr [P,H] (P > 0; ignored when P = 0). */
int gc_lstm_backward_f64(int64_t T, int64_t B, int64_t I, int64_t H, int64_t P,
                         const double *x, const double *w_ih, const double *w_hh, const double *w_hr,
                         const int64_t *lengths, int reverse, const double *reserve, int64_t reserve_count,
                         const double *dy, const double *dh_n, const double *dc_n,
                         double *dx, double *dh0, double *dc0, double *dw_ih, double *dw_hh,
                         double *db_ih, double *db_hh, double *dw_hr,
                         double *workspace, int64_t workspace_count);
int gc_lstm_backward_f32(int64_t T, int64_t B, int64_t I, int64_t H, int64_t P,
                         const float *x, const float *w_ih, const float *w_hh, const float *w_hr,
                         const int64_t *lengths, int reverse, const float *reserve, int64_t reserve_count,
                         const float *dy, const float *dh_n, const float *dc_n,
                         float *dx, float *dh0, float *dc0, float *dw_ih, float *dw_hh,
                         float *db_ih, float *db_hh, float *dw_hr, float *workspace, int64_t workspace_count);

/* GRU forward: x [T,B,I]  w_ih [3H,I]  w_hh [3H,H]  b_ih, b_hh [3H] or NULL  h0 [B,H] or NULL  lengths [B] or
 * NULL  reverse 0|1  linear_before_reset 0|1  ->  y [T,B,H]  h_n [B,H]  reserve [reserve_count] */
int gc_gru_forward_f64(int64_t T, int64_t B, int64_t I, int64_t H,
                       const double *x, const double *w_ih, const double *w_hh,
                       const double *b_ih, const double *b_hh, const double *h0,
                       const int64_t *lengths, int reverse, int linear_before_reset,
                       double *y, double *h_n, double *reserve, int64_t reserve_count);
int gc_gru_forward_f32(int64_t T, int64_t B, int64_t I, int64_t H,
                       const float *x, const float *w_ih, const float *w_hh,
                       const float *b_ih, const float *b_hh, const float *h0,
                       const int64_t *lengths, int reverse, int linear_before_reset,
                       float *y, float *h_n, float *reserve, int64_t reserve_count);

/* GRU backward: dy [T,B,H]  dh_n [B,H] or NULL  ->  dx [T,B,I]  dh0 [B,H]  dw_ih [3H,I]  dw_hh [3H,H]
 * db_ih, db_hh [3H] or NULL */
int gc_gru_backward_f64(int64_t T, int64_t B, int64_t I, int64_t H,
                        const double *x, const double *w_ih, const double *w_hh,
                        const int64_t *lengths, int reverse, int linear_before_reset,
                        const double *reserve, int64_t reserve_count, const double *dy, const double *dh_n,
                        double *dx, double *dh0, double *dw_ih, double *dw_hh, double *db_ih, double *db_hh,
                        double *workspace, int64_t workspace_count);
int gc_gru_backward_f32(int64_t T, int64_t B, int64_t I, int64_t H,
                        const float *x, const float *w_ih, const float *w_hh,
                        const int64_t *lengths, int reverse, int linear_before_reset,
                        const float *reserve, int64_t reserve_count, const float *dy, const float *dh_n,
                        float *dx, float *dh0, float *dw_ih, float *dw_hh, float *db_ih, float *db_hh,
                        float *workspace, int64_t workspace_count);

/* RNN forward: x [T,B,I]  w_ih [H,I]  w_hh [H,H]  b_ih, b_hh [H] or NULL  h0 [B,H] or NULL
 * lengths [B] or NULL
 * reverse 0|1  nonlinearity GC_TANH|GC_RELU  ->  y [T,B,H]  h_n [B,H]  reserve [reserve_count] */
int gc_rnn_forward_f64(int64_t T, int64_t B, int64_t I, int64_t H,
                       const double *x, const double *w_ih, const double *w_hh,
                       const double *b_ih, const double *b_hh, const double *h0,
                       const int64_t *lengths, int reverse, int nonlinearity,
                       double *y, double *h_n, double *reserve, int64_t reserve_count);
int gc_rnn_forward_f32(int64_t T, int64_t B, int64_t I, int64_t H,
                       const float *x, const float *w_ih, const float *w_hh,
                       const float *b_ih, const float *b_hh, const float *h0,
                       const int64_t *lengths, int reverse, int nonlinearity,
                       float *y, float *h_n, float *reserve, int64_t reserve_count);

/* RNN backward: dy [T,B,H]  dh_n [B,H] or NULL  ->  dx [T,B,I]  dh0 [B,H]  dw_ih [H,I]  dw_hh [H,H]
 * db_ih, db_hh [H] or NULL */
int gc_rnn_backward_f64(int64_t T, int64_t B, int64_t I, int64_t H,
                        const double *x, const double *w_ih, const double *w_hh,
                        const int64_t *lengths, int reverse, int nonlinearity,
                        const double *reserve, int64_t reserve_count, const double *dy, const double *dh_n,
                        double *dx, double *dh0, double *dw_ih, double *dw_hh, double *db_ih, double *db_hh,
                        double *workspace, int64_t workspace_count);
int gc_rnn_backward_f32(int64_t T, int64_t B, int64_t I, int64_t H,
                        const float *x, const float *w_ih, const float *w_hh,
                        const int64_t *lengths, int reverse, int nonlinearity,
                        const float *reserve, int64_t reserve_count, const float *dy, const float *dh_n,
                        float *dx, float *dh0, float *dw_ih, float *dw_hh, float *db_ih, float *db_hh,
                        float *workspace, int64_t workspace_count);

/* GC_CDEF_END */

#ifdef __cplusplus
}
#endif

#endif /* GATECORE_H */
