"""Drawings of glassgrad graphs: values, gradients, local derivatives, module structure.

Rendering needs no system packages: the `graphviz-pure` program comes with the wheel
(a system Graphviz `dot` is used instead when installed). `draw` is a drop-in for
micrograd's `draw_dot(root, format='svg', rankdir='LR')`, and `trace` for its `trace`.
PyTorch code draws the same way: `with viz.trace_torch() as tape:` records a run (then
`tape.draw()`, `viz.backward_steps(tape)`, `viz.explore(tape)`), `viz.draw_torch(t)`
draws an untraced graph, and `viz.Film` records a `torch.nn.Module` in a PyTorch loop.

>>> from autograd import Value
>>> import viz
>>> x = Value(2.0, label="x"); w = Value(-3.0, label="w")
>>> y = (x * w).tanh(); y.label = "y"; y.backward()
>>> d = viz.draw(y, title="a neuron")          # viz.draw(y).save("neuron.svg") writes a file
>>> steps = viz.backward_steps(y)              # .save("steps.html"): one page with a slider
>>> len(steps.frames)                          # the seed, then the two ops
3
>>> page = viz.explore(y)                      # .save("graph.html"): hover, click, change, step
>>> forward = viz.forward_steps(y, x, 1.0)     # forward mode: the tangent ẋ pushed forward
>>> len(forward.frames)                        # the seed, then the two ops
3
"""
from .draw import NoBackwardWarning, draw, draw_modules, trace
from .drawing import Drawing
from .explore import Explorer, explore
from .film import Film
from .forward import ForwardSteps, draw_forward, forward_steps, side_by_side
from .plots import (descent_path, plot_decision_boundary, plot_gradient_flow,
                    plot_learning_curves, plot_loss_surface, plot_lr_finder)
from .render import RenderError, RendererNotFound, RenderTimeout, find_renderer
from .steps import BackwardSteps, TooManyFrames, backward_steps
from .theme import EXPLODING, VANISHING
from .torch_graph import draw_torch
from .torch_tape import TorchTape, trace_torch

__all__ = ["draw", "draw_modules", "trace", "Drawing", "backward_steps", "BackwardSteps",
           "explore", "Explorer", "Film",
           "TooManyFrames", "NoBackwardWarning", "VANISHING", "EXPLODING", "RendererNotFound",
           "RenderError", "RenderTimeout", "find_renderer",
           "plot_learning_curves", "plot_gradient_flow", "plot_decision_boundary",
           "plot_loss_surface", "descent_path", "plot_lr_finder", "trace_torch", "TorchTape",
           "draw_torch", "draw_forward", "forward_steps", "ForwardSteps", "side_by_side"]
