"""Elman RNN, tanh or relu. cell.py (pointwise math), reference.py (numpy), cpu.py, cuda.py."""
