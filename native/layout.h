/*
 * layout.h (private) - argument checks and the layout of each cell's reserve and workspace, in elements.
 *
 * Sizes are computed with overflow checks: every buffer's element count, times 8 bytes, must fit int64_t and
 * size_t. A layout is valid only when its builder returned GC_OK; offsets then index without overflow.
 *
 * LSTM reserve    gates [T,B,4H] (post-activation i, f, g, o by time t) | c [T+1,B,H] | h [T+1,B,R]
 *                 | m [T,B,H] (P > 0 only: m_t = o * tanh(c_t) before the projection)
 * LSTM workspace  dgates [T,B,4H] | dh [B,R] | dc [B,H] (the gradients carried to step t-1)
 *                 | dht [T,B,R] (dL/dh_t from all paths) | dm [H]
 * GRU reserve     gates [T,B,3H] (post-activation r, z, n) | hn [T,B,H] (the recurrent part of n:
 *                 W_hn h + b_hn, or W_hn (r*h) + b_hn) | h [T+1,B,H]
 * GRU workspace   dgx [T,B,3H] (dL/d pre-activations) | dgn [T,B,H] (dL/dhn) | rh [T,B,H] (r * h_{t-1})
 *                 | dh [B,H] | dht [H] | drh [H]
 * RNN reserve     h [T+1,B,H]
 * RNN workspace   da [T,B,H] | dh [B,H] | dht [H]
 *
 * The state buffers c and h hold the states in time order: time t reads h_{t-1} from h[t + reverse] and
 * writes
 * h_t to h[t + 1 - reverse], so h0 sits at h[0] (forward) or h[T] (reverse) and the states entering times
 * 0..T-1 form one contiguous [T,B,R] block starting at h[reverse].
 */
#ifndef GATECORE_LAYOUT_H
#define GATECORE_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "gatecore.h"

#define GC_MAX_BYTES (SIZE_MAX < INT64_MAX ? (int64_t)SIZE_MAX : INT64_MAX)
#define GC_MAX_ELEMENTS (GC_MAX_BYTES / 8)

/* a * b, or flags *overflow when it exceeds GC_MAX_ELEMENTS (operands are >= 0) */
static inline int64_t gc_mul(int64_t a, int64_t b, int *overflow)
{
    if (a != 0 && b > GC_MAX_ELEMENTS / a) {
        *overflow = 1;
        return 0;
    }
    return a * b;
}

/* Reserves `count` elements at the end of a buffer: returns the offset and advances *end. */
static inline int64_t gc_take(int64_t *end, int64_t count, int *overflow)
{
    int64_t offset = *end;
    if (count > GC_MAX_ELEMENTS - offset)
        *overflow = 1;
    else
        *end += count;
    return offset;
}

/* T*B*n elements, checked */
static inline int64_t gc_tbn(int64_t T, int64_t B, int64_t n, int *overflow)
{
    return gc_mul(gc_mul(T, B, overflow), n, overflow);
}

/* Dimensions >= 1, 0 <= P < H, and the arrays' own sizes (x, w_ih, w_hh, states) indexable; after GC_OK,
 * G*H and T+1 are safe to form unchecked. */
static inline int gc_check_dims(int64_t T, int64_t B, int64_t I, int64_t H, int64_t P, int64_t G)
{
    int overflow = 0;
    int64_t R = P > 0 ? P : H;
    int64_t GH;
    if (T < 1 || B < 1 || I < 1 || H < 1 || P < 0 || P >= H)
        return GC_ERR_DIM;
    if (T >= GC_MAX_ELEMENTS)
        return GC_ERR_OVERFLOW;
    GH = gc_mul(G, H, &overflow);
    gc_tbn(T, B, I > GH ? I : GH, &overflow);
    gc_mul(GH, I > R ? I : R, &overflow);
    gc_tbn(T + 1, B, R > H ? R : H, &overflow);
    return overflow ? GC_ERR_OVERFLOW : GC_OK;
}

static inline int gc_check_lengths(int64_t T, int64_t B, const int64_t *lengths)
{
    int64_t b;
    if (lengths == NULL)
        return GC_OK;
    for (b = 0; b < B; ++b)
        if (lengths[b] < 0 || lengths[b] > T)
            return GC_ERR_LENGTHS;
    return GC_OK;
}

/* the time read at step s (s = 0 .. T-1) */
static inline int64_t gc_time(int64_t s, int64_t T, int reverse)
{
    return reverse ? T - 1 - s : s;
}

/* batch row b takes a real step at time t (else it outputs 0 and keeps its state) */
static inline int gc_active(const int64_t *lengths, int64_t b, int64_t t)
{
    return lengths == NULL || t < lengths[b];
}

typedef struct {
    int64_t gates, c, h, m, reserve;
    int64_t dgates, dh, dc, dht, dm, workspace;
} gc_lstm_layout;

static inline int gc_lstm_layout_of(int64_t T, int64_t B, int64_t I, int64_t H, int64_t P, gc_lstm_layout *L)
{
    int overflow = 0;
    int64_t R = P > 0 ? P : H;
    int status = gc_check_dims(T, B, I, H, P, 4);
    if (status != GC_OK)
        return status;
    L->reserve = 0;
    L->gates = gc_take(&L->reserve, gc_tbn(T, B, 4 * H, &overflow), &overflow);
    L->c = gc_take(&L->reserve, gc_tbn(T + 1, B, H, &overflow), &overflow);
    L->h = gc_take(&L->reserve, gc_tbn(T + 1, B, R, &overflow), &overflow);
    L->m = gc_take(&L->reserve, P > 0 ? gc_tbn(T, B, H, &overflow) : 0, &overflow);
    L->workspace = 0;
    L->dgates = gc_take(&L->workspace, gc_tbn(T, B, 4 * H, &overflow), &overflow);
    L->dh = gc_take(&L->workspace, gc_mul(B, R, &overflow), &overflow);
    L->dc = gc_take(&L->workspace, gc_mul(B, H, &overflow), &overflow);
    L->dht = gc_take(&L->workspace, gc_tbn(T, B, R, &overflow), &overflow);
    L->dm = gc_take(&L->workspace, H, &overflow);
    return overflow ? GC_ERR_OVERFLOW : GC_OK;
}

typedef struct {
    int64_t gates, hn, h, reserve;
    int64_t dgx, dgn, rh, dh, dht, drh, workspace;
} gc_gru_layout;

static inline int gc_gru_layout_of(int64_t T, int64_t B, int64_t I, int64_t H, gc_gru_layout *L)
{
    int overflow = 0;
    int status = gc_check_dims(T, B, I, H, 0, 3);
    if (status != GC_OK)
        return status;
    L->reserve = 0;
    L->gates = gc_take(&L->reserve, gc_tbn(T, B, 3 * H, &overflow), &overflow);
    L->hn = gc_take(&L->reserve, gc_tbn(T, B, H, &overflow), &overflow);
    L->h = gc_take(&L->reserve, gc_tbn(T + 1, B, H, &overflow), &overflow);
    L->workspace = 0;
    L->dgx = gc_take(&L->workspace, gc_tbn(T, B, 3 * H, &overflow), &overflow);
    L->dgn = gc_take(&L->workspace, gc_tbn(T, B, H, &overflow), &overflow);
    L->rh = gc_take(&L->workspace, gc_tbn(T, B, H, &overflow), &overflow);
    L->dh = gc_take(&L->workspace, gc_mul(B, H, &overflow), &overflow);
    L->dht = gc_take(&L->workspace, H, &overflow);
    L->drh = gc_take(&L->workspace, H, &overflow);
    return overflow ? GC_ERR_OVERFLOW : GC_OK;
}

typedef struct {
    int64_t h, reserve;
    int64_t da, dh, dht, workspace;
} gc_rnn_layout;

static inline int gc_rnn_layout_of(int64_t T, int64_t B, int64_t I, int64_t H, gc_rnn_layout *L)
{
    int overflow = 0;
    int status = gc_check_dims(T, B, I, H, 0, 1);
    if (status != GC_OK)
        return status;
    L->reserve = 0;
    L->h = gc_take(&L->reserve, gc_tbn(T + 1, B, H, &overflow), &overflow);
    L->workspace = 0;
    L->da = gc_take(&L->workspace, gc_tbn(T, B, H, &overflow), &overflow);
    L->dh = gc_take(&L->workspace, gc_mul(B, H, &overflow), &overflow);
    L->dht = gc_take(&L->workspace, H, &overflow);
    return overflow ? GC_ERR_OVERFLOW : GC_OK;
}

#endif /* GATECORE_LAYOUT_H */
