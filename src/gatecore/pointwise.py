"""How a backend compiles a cell's pointwise functions (lstm/cell.py, gru/cell.py, rnn/cell.py), which are plain
Python written once for every target: the same code, with the names it calls bound to the target's versions."""
from __future__ import annotations

import types


def rebound(fn, names, compile):
    """fn's code over its globals with `names` (name -> the target's function) put in, and each function of fn's
    own module that it calls (lstm.cell.step's two halves) passed through `compile` (the backend's own compiler of
    such functions, which rebinds that callee in turn)."""
    scope = dict(fn.__globals__)
    scope.update(names)
    for name in fn.__code__.co_names:
        callee = scope.get(name)
        if isinstance(callee, types.FunctionType) and callee.__module__ == fn.__module__:
            scope[name] = compile(callee)
    out = types.FunctionType(fn.__code__, scope, fn.__name__, fn.__defaults__, fn.__closure__)
    out.__module__ = fn.__module__
    out.__qualname__ = fn.__qualname__
    return out
