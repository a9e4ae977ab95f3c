"""Optimizers with PyTorch\x27s update formulas, for scalar and Tensor parameters."""
