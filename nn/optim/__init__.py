"""Optimizers with PyTorch's names and update formulas, for scalar Values and Tensor parameters.

>>> from autograd import Value
>>> from nn.optim import Adam, lr_scheduler
>>> w = Value(1.0)
>>> opt = Adam([w], lr=0.1)
>>> sched = lr_scheduler.StepLR(opt, step_size=10)
>>> w.grad = 2.0; opt.step(); sched.step()
>>> round(w.data, 6)
0.9
"""
from . import lr_scheduler
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "lr_scheduler"]
