/*
 * test_gatecore.c - the C core's own test program (make -C native test), no Python needed.
 *
 * For every cell and variant (LSTM with and without projection, GRU with linear_before_reset 1 and 0,
 * RNN tanh and relu), both directions and lengths that include 0 and T: every float64 gradient of the loss
 * L = <dy, y> + <dh_n, h_n> + <dc_n, c_n> from backward against central differences of forward
 * (eps 1e-6, |analytic - fd| <= 1e-6 |fd| + 1e-8). Then the float32 kernels against float64 (1e-5), and
 * argument checks: each kind of bad input returns its status code. Exit status 0 only if all pass.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gatecore.h"

enum { LSTM, GRU, RNN };
enum { T = 3, B = 3, I = 2, H = 3, NBUF = 4 * H * 4 * H + 4 * T * B * 4 * H };

static int failures = 0;

typedef struct {
    int cell, option, reverse;
    int64_t P, R, G;
    int64_t lengths[B];
    /* inputs, upstream gradients, outputs, gradients */
    double x[T * B * I], w_ih[4 * H * I], w_hh[4 * H * H], b_ih[4 * H], b_hh[4 * H], w_hr[H * H];
    double h0[B * H], c0[B * H];
    double dy[T * B * H], dh_n[B * H], dc_n[B * H];
    double y[T * B * H], h_n[B * H], c_n[B * H];
    double dx[T * B * I], dw_ih[4 * H * I], dw_hh[4 * H * H], db_ih[4 * H], db_hh[4 * H], dw_hr[H * H];
    double dh0[B * H], dc0[B * H];
    double reserve[NBUF], workspace[NBUF];
} problem;

static double uniform(unsigned *state)
{
    *state = *state * 1103515245u + 12345u;
    return ((*state >> 8) & 0xFFFF) / 65536.0 - 0.5;
}

static void fill_random(double *a, int64_t n, unsigned *state)
{
    int64_t k;
    for (k = 0; k < n; ++k)
        a[k] = uniform(state);
}

static void init(problem *p, int cell, int option, int reverse, int64_t P)
{
    unsigned state = 12345u + (unsigned)(cell * 7 + option * 3 + reverse);
    memset(p, 0, sizeof *p);
    p->cell = cell;
    p->option = option;
    p->reverse = reverse;
    p->P = P;
    p->R = P > 0 ? P : H;
    p->G = cell == LSTM ? 4 : cell == GRU ? 3 : 1;
    p->lengths[0] = T;
    p->lengths[1] = 0;
    p->lengths[2] = 2;
    fill_random(p->x, T * B * I, &state);
    fill_random(p->w_ih, 4 * H * I, &state);
    fill_random(p->w_hh, 4 * H * H, &state);
    fill_random(p->b_ih, 4 * H, &state);
    fill_random(p->b_hh, 4 * H, &state);
    fill_random(p->w_hr, H * H, &state);
    fill_random(p->h0, B * H, &state);
    fill_random(p->c0, B * H, &state);
    fill_random(p->dy, T * B * H, &state);
    fill_random(p->dh_n, B * H, &state);
    fill_random(p->dc_n, B * H, &state);
}

static int forward(problem *p)
{
    if (p->cell == LSTM)
        return gc_lstm_forward_f64(T, B, I, H, p->P, p->x, p->w_ih, p->w_hh, p->b_ih, p->b_hh, p->w_hr, p->h0,
                                   p->c0, p->lengths, p->reverse, p->y, p->h_n, p->c_n, p->reserve, NBUF);
    if (p->cell == GRU)
        return gc_gru_forward_f64(T, B, I, H, p->x, p->w_ih, p->w_hh, p->b_ih, p->b_hh, p->h0, p->lengths,
                                  p->reverse, p->option, p->y, p->h_n, p->reserve, NBUF);
    return gc_rnn_forward_f64(T, B, I, H, p->x, p->w_ih, p->w_hh, p->b_ih, p->b_hh, p->h0, p->lengths,
                              p->reverse, p->option, p->y, p->h_n, p->reserve, NBUF);
}

static int backward(problem *p)
{
    if (p->cell == LSTM)
        return gc_lstm_backward_f64(T, B, I, H, p->P, p->x, p->w_ih, p->w_hh, p->w_hr, p->lengths, p->reverse,
                                    p->reserve, NBUF, p->dy, p->dh_n, p->dc_n, p->dx, p->dh0, p->dc0,
                                    p->dw_ih, p->dw_hh, p->db_ih, p->db_hh, p->dw_hr, p->workspace, NBUF);
    if (p->cell == GRU)
        return gc_gru_backward_f64(T, B, I, H, p->x, p->w_ih, p->w_hh, p->lengths, p->reverse, p->option,
                                   p->reserve, NBUF, p->dy, p->dh_n, p->dx, p->dh0, p->dw_ih, p->dw_hh,
                                   p->db_ih, p->db_hh, p->workspace, NBUF);
    return gc_rnn_backward_f64(T, B, I, H, p->x, p->w_ih, p->w_hh, p->lengths, p->reverse, p->option,
                               p->reserve, NBUF, p->dy, p->dh_n, p->dx, p->dh0, p->dw_ih, p->dw_hh, p->db_ih,
                               p->db_hh, p->workspace, NBUF);
}

static double loss(problem *p)
{
    double total = 0;
    int64_t k;
    if (forward(p) != GC_OK)
        return NAN;
    for (k = 0; k < T * B * p->R; ++k)
        total += p->dy[k] * p->y[k];
    for (k = 0; k < B * p->R; ++k)
        total += p->dh_n[k] * p->h_n[k];
    if (p->cell == LSTM)
        for (k = 0; k < B * H; ++k)
            total += p->dc_n[k] * p->c_n[k];
    return total;
}

/* every element of `value` (n of them): central difference of the loss against grad */
static void check_gradient(problem *p, const char *what, const char *name, double *value, const double *grad,
                           int64_t n)
{
    const double eps = 1e-6;
    int64_t k;
    for (k = 0; k < n; ++k) {
        double orig = value[k], up, down, fd;
        value[k] = orig + eps;
        up = loss(p);
        value[k] = orig - eps;
        down = loss(p);
        value[k] = orig;
        fd = (up - down) / (2 * eps);
        if (!(fabs(grad[k] - fd) <= 1e-6 * fabs(fd) + 1e-8)) {
            printf("FAIL %s: d%s[%ld] = %.12g, finite difference %.12g\n", what, name, (long)k, grad[k], fd);
            ++failures;
            return;
        }
    }
}

static void gradient_case(int cell, int option, int reverse, int64_t P, const char *what)
{
    static problem p;
    int64_t G, R;
    int before = failures;
    init(&p, cell, option, reverse, P);
    G = p.G;
    R = p.R;
    if (forward(&p) != GC_OK || backward(&p) != GC_OK) {
        printf("FAIL %s: a kernel returned an error\n", what);
        ++failures;
        return;
    }
    check_gradient(&p, what, "x", p.x, p.dx, T * B * I);
    check_gradient(&p, what, "w_ih", p.w_ih, p.dw_ih, G * H * I);
    check_gradient(&p, what, "w_hh", p.w_hh, p.dw_hh, G * H * R);
    check_gradient(&p, what, "b_ih", p.b_ih, p.db_ih, G * H);
    check_gradient(&p, what, "b_hh", p.b_hh, p.db_hh, G * H);
    check_gradient(&p, what, "h0", p.h0, p.dh0, B * R);
    if (cell == LSTM)
        check_gradient(&p, what, "c0", p.c0, p.dc0, B * H);
    if (P > 0)
        check_gradient(&p, what, "w_hr", p.w_hr, p.dw_hr, P * H);
    if (failures == before)
        printf("ok   %s (%s)\n", what, reverse ? "reverse" : "forward");
}

/* the float32 LSTM and GRU forward against float64 on the same inputs */
static void float32_case(int cell, const char *what)
{
    static problem p;
    static float x[T * B * I], w_ih[4 * H * I], w_hh[4 * H * H], b_ih[4 * H], b_hh[4 * H];
    static float h0[B * H], c0[B * H];
    static float y[T * B * H], h_n[B * H], c_n[B * H], reserve[NBUF];
    int64_t k;
    int status;
    init(&p, cell, 1, 1, 0);
    forward(&p);
#define TO_FLOAT(a, n) for (k = 0; k < (n); ++k) a[k] = (float)p.a[k]
    TO_FLOAT(x, T * B * I);
    TO_FLOAT(w_ih, 4 * H * I);
    TO_FLOAT(w_hh, 4 * H * H);
    TO_FLOAT(b_ih, 4 * H);
    TO_FLOAT(b_hh, 4 * H);
    TO_FLOAT(h0, B * H);
    TO_FLOAT(c0, B * H);
#undef TO_FLOAT
    if (cell == LSTM)
        status = gc_lstm_forward_f32(T, B, I, H, 0, x, w_ih, w_hh, b_ih, b_hh, NULL, h0, c0, p.lengths, 1, y,
                                     h_n, c_n, reserve, NBUF);
    else
        status = gc_gru_forward_f32(T, B, I, H, x, w_ih, w_hh, b_ih, b_hh, h0, p.lengths, 1, 1, y, h_n,
                                    reserve, NBUF);
    for (k = 0; k < T * B * H; ++k)
        if (status != GC_OK || !(fabs(y[k] - p.y[k]) <= 1e-5 + 1e-5 * fabs(p.y[k]))) {
            printf("FAIL %s float32: y[%ld] = %.8g, float64 %.8g (status %d)\n", what, (long)k, y[k], p.y[k],
                   status);
            ++failures;
            return;
        }
    printf("ok   %s float32 vs float64\n", what);
}

static void expect(int got, int want, const char *what)
{
    if (got != want) {
        printf("FAIL %s: status %d (%s), expected %d (%s)\n", what, got, gc_strerror(got), want,
               gc_strerror(want));
        ++failures;
    }
}

static void argument_checks(void)
{
    static problem p;
    int before = failures;
    int64_t reserve, workspace, bad_lengths[B] = {1, T + 1, 0};
    init(&p, LSTM, 0, 0, 0);
    expect(gc_lstm_sizes(T, B, I, H, 0, &reserve, &workspace), GC_OK, "lstm sizes");
    expect(gc_lstm_sizes(T, B, I, H, 0, NULL, &workspace), GC_ERR_NULL, "sizes with NULL output");
    expect(gc_gru_sizes(0, B, I, H, &reserve, &workspace), GC_ERR_DIM, "T = 0");
    expect(gc_rnn_sizes(T, -1, I, H, &reserve, &workspace), GC_ERR_DIM, "B = -1");
    expect(gc_lstm_sizes(T, B, I, H, H, &reserve, &workspace), GC_ERR_DIM, "P = H");
    expect(gc_rnn_sizes(INT64_MAX / 2, B, I, H, &reserve, &workspace), GC_ERR_OVERFLOW, "huge T");
    expect(gc_gru_sizes((int64_t)1 << 22, (int64_t)1 << 22, (int64_t)1 << 22, H, &reserve, &workspace),
           GC_ERR_OVERFLOW, "T * B * I overflows");
    expect(gc_lstm_forward_f64(T, B, I, H, 0, NULL, p.w_ih, p.w_hh, NULL, NULL, NULL, NULL, NULL, NULL, 0,
                               p.y, p.h_n, p.c_n, p.reserve, NBUF), GC_ERR_NULL, "x = NULL");
    expect(gc_lstm_forward_f64(T, B, I, H, 2, p.x, p.w_ih, p.w_hh, NULL, NULL, NULL, NULL, NULL, NULL, 0, p.y,
                               p.h_n, p.c_n, p.reserve, NBUF), GC_ERR_NULL, "projection without w_hr");
    expect(gc_lstm_forward_f64(T, B, I, H, 0, p.x, p.w_ih, p.w_hh, NULL, NULL, NULL, NULL, NULL, bad_lengths,
                               0, p.y, p.h_n, p.c_n, p.reserve, NBUF), GC_ERR_LENGTHS, "lengths[1] = T + 1");
    expect(gc_lstm_forward_f64(T, B, I, H, 0, p.x, p.w_ih, p.w_hh, NULL, NULL, NULL, NULL, NULL, NULL, 0, p.y,
                               p.h_n, p.c_n, p.reserve, reserve - 1), GC_ERR_RESERVE, "reserve too small");
    expect(gc_gru_forward_f64(T, B, I, H, p.x, p.w_ih, p.w_hh, NULL, NULL, NULL, NULL, 0, 2, p.y, p.h_n,
                              p.reserve, NBUF), GC_ERR_OPTION, "linear_before_reset = 2");
    expect(gc_rnn_forward_f64(T, B, I, H, p.x, p.w_ih, p.w_hh, NULL, NULL, NULL, NULL, 3, GC_TANH, p.y, p.h_n,
                              p.reserve, NBUF), GC_ERR_OPTION, "reverse = 3");
    expect(gc_rnn_forward_f64(T, B, I, H, p.x, p.w_ih, p.w_hh, NULL, NULL, NULL, NULL, 0, GC_TANH, p.y, p.h_n,
                              p.reserve, NBUF), GC_OK, "rnn forward without bias and state");
    expect(gc_rnn_sizes(T, B, I, H, &reserve, &workspace), GC_OK, "rnn sizes");
    expect(gc_rnn_backward_f64(T, B, I, H, p.x, p.w_ih, p.w_hh, NULL, 0, GC_TANH, p.reserve, NBUF, p.dy, NULL,
                               p.dx, p.dh0, p.dw_ih, p.dw_hh, NULL, NULL, p.workspace, workspace - 1),
           GC_ERR_WORKSPACE, "workspace too small");
    if (strstr(gc_strerror(-7), "unknown") == NULL) {
        printf("FAIL gc_strerror of an unknown code\n");
        ++failures;
    }
    if (failures == before)
        printf("ok   argument checks\n");
}

int main(void)
{
    int reverse;
    for (reverse = 0; reverse <= 1; ++reverse) {
        gradient_case(LSTM, 0, reverse, 0, "lstm");
        gradient_case(LSTM, 0, reverse, 2, "lstm, projection P = 2");
        gradient_case(GRU, 1, reverse, 0, "gru, linear_before_reset = 1");
        gradient_case(GRU, 0, reverse, 0, "gru, linear_before_reset = 0");
        gradient_case(RNN, GC_TANH, reverse, 0, "rnn, tanh");
        gradient_case(RNN, GC_RELU, reverse, 0, "rnn, relu");
    }
    float32_case(LSTM, "lstm");
    float32_case(GRU, "gru");
    argument_checks();
    printf(failures ? "%d FAILED\n" : "all passed\n", failures);
    return failures ? EXIT_FAILURE : EXIT_SUCCESS;
}
