"""LSTM: gates i, f, g, o (PyTorch order). cell.py (pointwise math), reference.py (numpy), cpu.py, cuda.py."""
