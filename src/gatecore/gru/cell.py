"""GRU pointwise math for one (batch row, hidden unit): written once, compiled for CPU and GPU.

Gates stacked r, z, n along w_ih's rows. With x-parts x_* = W_i* x_t + b_i* and h-parts h_* = W_h* h_{t-1} + b_h*:
    r = σ(x_r + h_r)    z = σ(x_z + h_z)    h_t = (1 - z) * n + z * h_{t-1}
    linear_before_reset=True  (PyTorch, cuDNN):  n = tanh(x_n + r * h_n)
    linear_before_reset=False (original, ONNX):  n = tanh(x_n + W_hn (r * h_{t-1}) + b_hn)
The second variant needs r before its recurrent product, so its step is split in two (step_rz, then step_n).
"""
import math

from ..activations import dsigmoid, dtanh, sigmoid

GATES = 3
R, Z, N = 0, 1, 2                # gate blocks along the 3H axis


def step(x_r, x_z, x_n, h_r, h_z, h_n, h_prev):
    """linear_before_reset=True forward: returns (r, z, n, h)."""
    r = sigmoid(x_r + h_r)
    z = sigmoid(x_z + h_z)
    n = math.tanh(x_n + r * h_n)
    return r, z, n, (1.0 - z) * n + z * h_prev


def step_grad(r, z, n, h_n, h_prev, dh):
    """linear_before_reset=True backward; dh = ∂L/∂h_t (all paths).

    Returns (da_r, da_z, da_n, dh_n, dh_prev_direct): the gradients of the r, z pre-activations (shared by the
    x- and h-parts), of x_n, of h_n (= da_n * r), and the direct path z * dh into h_{t-1}.
    """
    dn = dh * (1.0 - z)
    da_n = dn * dtanh(n)
    da_r = da_n * h_n * dsigmoid(r)
    da_z = dh * (h_prev - n) * dsigmoid(z)
    return da_r, da_z, da_n, da_n * r, dh * z


def step_rz(x_r, x_z, h_r, h_z):
    """linear_before_reset=False, first half: returns (r, z)."""
    return sigmoid(x_r + h_r), sigmoid(x_z + h_z)


def step_n(x_n, hn_of_rh, z, h_prev):
    """linear_before_reset=False, second half; hn_of_rh = W_hn (r * h_prev) + b_hn. Returns (n, h)."""
    n = math.tanh(x_n + hn_of_rh)
    return n, (1.0 - z) * n + z * h_prev


def step_n_grad(z, n, h_prev, dh):
    """linear_before_reset=False backward, first half: returns (da_n, da_z, dh_prev_direct).

    da_n is the gradient of x_n and of W_hn (r*h_prev) + b_hn alike; backends then form d(rh) = W_hn^T da_n.
    """
    return dh * (1.0 - z) * dtanh(n), dh * (h_prev - n) * dsigmoid(z), dh * z


def step_r_grad(r, h_prev, drh):
    """linear_before_reset=False backward, second half, with drh = ∂L/∂(r*h_prev) = (W_hn^T da_n):

    returns (da_r, dh_prev_through_rh)."""
    return drh * h_prev * dsigmoid(r), drh * r
