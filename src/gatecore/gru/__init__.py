"""GRU: gates r, z, n (PyTorch order), both linear_before_reset variants. cell.py, reference.py, cpu.py, cuda.py."""
