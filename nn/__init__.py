"""Neural-network building blocks: `Module`, scalar `Neuron/Layer/MLP`, losses, optimizers.

>>> import nn
>>> from autograd import Value
>>> model = nn.MLP(2, [4, 1], seed=0)
>>> loss = nn.mse_loss(model([1.0, -1.0]), 1.0)
>>> loss.backward()
"""
from . import optim, utils
from .module import IncompatibleKeys, Module, is_parameter
from .scalar import MLP, Layer, Neuron
from . import callbacks, datasets
from .callbacks import EarlyStopping, GradientClipping, GradientMonitor, LRScheduler, NaNGuard
from .lr_finder import LRFinderResult, lr_finder
from .training import History, evaluate, fit, predict
# Tensor layers, losses and initialisers (PyTorch's names): `nn.functional` is also a module.
from . import functional, init
# One public name per loss: Tensors go to the tensor code, Values to nn/scalar_losses.py.
from .functional import (binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy,
                         hinge_loss, huber_loss, l1_loss, mse_loss, nll_loss, smooth_l1_loss)
from .containers import ModuleDict, ModuleList, Sequential
from .layers import (ELU, GELU, BatchNorm1d, Dropout, Flatten, Identity, LeakyReLU, Linear,
                     LogSoftmax, ReLU, Sigmoid, Softmax, Softplus, Tanh)
from .losses import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HingeLoss, HuberLoss,
                     L1Loss, MSELoss, NLLLoss, SmoothL1Loss)
from .parameter import Parameter
from .torch_convert import UnsupportedLayer, from_torch
