"""PyTorch programs of the beginner-tutorial kind, ported to glassgrad by changing their import
lines and nothing else, run under both libraries in fresh interpreters: the printed outputs
must agree (the same text; numbers equal to float32 rounding).

Each program is written for PyTorch below. `port()` rewrites only its import lines
(`import torch` -> `import autograd as torch`, `from torch.x import y` -> `from
autograd.x import y`, ...) and the test checks that every other line is unchanged. The
programs start from fixed weights (a tutorial would draw them at random; the two libraries'
random streams differ, so random starting points would make the outputs incomparable).
"""
from __future__ import annotations

import math
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

try:
    import torch  # noqa: F401 - only to know whether the PyTorch side can run
    HAVE_TORCH = True
except ImportError:
    HAVE_TORCH = False

PROGRAMS = {}

# "Learning PyTorch with Examples", tensors and autograd: fit sin(x) with a cubic.
PROGRAMS["polynomial_autograd"] = '''
import torch
import math

dtype = torch.float
device = torch.device("cpu")

# Create Tensors to hold input and outputs.
x = torch.linspace(-math.pi, math.pi, 2000, device=device, dtype=dtype)
y = torch.sin(x)

# Tensors for the weights; requires_grad=True asks autograd to compute their gradients.
# (Fixed starting values, so that every run starts from the same point.)
a = torch.full((), 0.1, device=device, dtype=dtype, requires_grad=True)
b = torch.full((), -0.2, device=device, dtype=dtype, requires_grad=True)
c = torch.full((), 0.05, device=device, dtype=dtype, requires_grad=True)
d = torch.full((), 0.01, device=device, dtype=dtype, requires_grad=True)

learning_rate = 1e-6
for t in range(2000):
    # Forward pass: compute predicted y using operations on Tensors.
    y_pred = a + b * x + c * x ** 2 + d * x ** 3

    # Compute and print loss using operations on Tensors.
    loss = (y_pred - y).pow(2).sum()
    if t % 200 == 199:
        print(t, f"{loss.item():.4f}")

    # Use autograd to compute the backward pass.
    loss.backward()

    # Manually update weights using gradient descent, without recording the updates.
    with torch.no_grad():
        a -= learning_rate * a.grad
        b -= learning_rate * b.grad
        c -= learning_rate * c.grad
        d -= learning_rate * d.grad

        # Manually zero the gradients after updating weights
        a.grad = None
        b.grad = None
        c.grad = None
        d.grad = None

print(f"Result: y = {a.item():.5f} + {b.item():.5f} x + {c.item():.5f} x^2 + {d.item():.5f} x^3")
'''

# "Learning PyTorch with Examples", nn: the same fit with nn.Sequential and manual updates.
PROGRAMS["polynomial_nn"] = '''
import torch
import math

x = torch.linspace(-math.pi, math.pi, 2000)
y = torch.sin(x)

# y is a linear function of (x, x^2, x^3): prepare the tensor (x, x^2, x^3).
p = torch.tensor([1, 2, 3])
xx = x.unsqueeze(-1).pow(p)
print(xx.shape, xx.dtype == torch.float32)

model = torch.nn.Sequential(
    torch.nn.Linear(3, 1),
    torch.nn.Flatten(0, 1)
)
with torch.no_grad():
    model[0].weight.copy_(torch.tensor([[0.2, -0.1, 0.05]]))
    model[0].bias.fill_(0.0)
print(model)

loss_fn = torch.nn.MSELoss(reduction="sum")

learning_rate = 1e-6
for t in range(2000):
    y_pred = model(xx)
    loss = loss_fn(y_pred, y)
    if t % 200 == 199:
        print(t, round(loss.item(), 3))

    model.zero_grad()
    loss.backward()

    with torch.no_grad():
        for param in model.parameters():
            param -= learning_rate * param.grad

linear_layer = model[0]
print(f"Result: y = {linear_layer.bias.item():.5f} + {linear_layer.weight[:, 0].item():.5f} x"
      f" + {linear_layer.weight[:, 1].item():.5f} x^2 + {linear_layer.weight[:, 2].item():.5f} x^3")
'''

# "Learning PyTorch with Examples", custom nn Modules, trained with torch.optim.
PROGRAMS["custom_module"] = '''
import torch
import math


class Polynomial3(torch.nn.Module):
    def __init__(self):
        """Four parameters, registered by assigning them as attributes."""
        super().__init__()
        self.a = torch.nn.Parameter(torch.tensor(0.1))
        self.b = torch.nn.Parameter(torch.tensor(-0.2))
        self.c = torch.nn.Parameter(torch.tensor(0.05))
        self.d = torch.nn.Parameter(torch.tensor(0.01))

    def forward(self, x):
        return self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3

    def string(self):
        return f"y = {self.a.item():.5f} + {self.b.item():.5f} x + {self.c.item():.5f} x^2 + {self.d.item():.5f} x^3"


x = torch.linspace(-math.pi, math.pi, 2000)
y = torch.sin(x)

model = Polynomial3()
print([name for name, _ in model.named_parameters()])

criterion = torch.nn.MSELoss(reduction="sum")
optimizer = torch.optim.SGD(model.parameters(), lr=1e-6, momentum=0.9)
for t in range(1000):
    y_pred = model(x)
    loss = criterion(y_pred, y)
    if t % 100 == 99:
        print(t, f"{loss.item():.3f}")

    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

print(f"Result: {model.string()}")
'''

# The quickstart tutorial's shape: Dataset/DataLoader, an nn.Module classifier, train and
# test loops, then save, load and predict. Two classes of points inside or outside a ring.
PROGRAMS["classifier_dataloader"] = '''
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

angle = torch.linspace(0, 12.0, 240)
radius = torch.linspace(0.2, 2.0, 240)
X = torch.stack([radius * torch.cos(angle), radius * torch.sin(angle)], dim=1)
y = (radius > 1.1).long()
training_data = TensorDataset(X[0::2], y[0::2])
test_data = TensorDataset(X[1::2], y[1::2])

batch_size = 16
train_dataloader = DataLoader(training_data, batch_size=batch_size)
test_dataloader = DataLoader(test_data, batch_size=batch_size)

for X, y in test_dataloader:
    print(f"Shape of X [N, F]: {X.shape}")
    print(f"Shape of y: {y.shape} {y.dtype}")
    break

device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"
print(f"Using {device} device")


class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(2, 16),
            nn.ReLU(),
            nn.Linear(16, 16),
            nn.ReLU(),
            nn.Linear(16, 2)
        )

    def forward(self, x):
        x = self.flatten(x)
        logits = self.linear_relu_stack(x)
        return logits


def init_weights(m):
    if isinstance(m, nn.Linear):
        with torch.no_grad():
            m.weight.copy_(torch.linspace(-0.5, 0.5, m.weight.numel()).reshape(m.weight.shape))
            m.bias.fill_(0.01)


model = NeuralNetwork().to(device)
model.apply(init_weights)
print(model)

loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.2)


def train(dataloader, model, loss_fn, optimizer):
    size = len(dataloader.dataset)
    model.train()
    for batch, (X, y) in enumerate(dataloader):
        X, y = X.to(device), y.to(device)

        # Compute prediction error
        pred = model(X)
        loss = loss_fn(pred, y)

        # Backpropagation
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()

        if batch % 4 == 0:
            loss, current = loss.item(), (batch + 1) * len(X)
            print(f"loss: {loss:>7f}  [{current:>5d}/{size:>5d}]")


def test(dataloader, model, loss_fn):
    size = len(dataloader.dataset)
    num_batches = len(dataloader)
    model.eval()
    test_loss, correct = 0, 0
    with torch.no_grad():
        for X, y in dataloader:
            X, y = X.to(device), y.to(device)
            pred = model(X)
            test_loss += loss_fn(pred, y).item()
            correct += (pred.argmax(1) == y).type(torch.float).sum().item()
    test_loss /= num_batches
    correct /= size
    print(f"Test Error: \\n Accuracy: {(100*correct):>0.1f}%, Avg loss: {test_loss:>8f} \\n")


epochs = 4
for t in range(epochs):
    print(f"Epoch {t+1}\\n-------------------------------")
    train(train_dataloader, model, loss_fn, optimizer)
    test(test_dataloader, model, loss_fn)
print("Done!")

torch.save(model.state_dict(), "model.pth")
print("Saved PyTorch Model State to model.pth")

model = NeuralNetwork().to(device)
model.load_state_dict(torch.load("model.pth", weights_only=True))

classes = ["inside", "outside"]
model.eval()
x, y = test_data[100][0], test_data[100][1]
with torch.no_grad():
    x = x.to(device)
    pred = model(x.unsqueeze(0))
    predicted, actual = classes[pred[0].argmax(0)], classes[y]
    print(f'Predicted: "{predicted}", Actual: "{actual}"')
'''

# A regression loop with Adam, a learning-rate schedule and gradient clipping.
PROGRAMS["scheduler_and_clipping"] = '''
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim.lr_scheduler import StepLR

x = torch.linspace(-1, 1, 64).unsqueeze(1)
y = torch.sin(3 * x) + 0.1 * x ** 2

model = nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 1))
with torch.no_grad():
    for i, param in enumerate(model.parameters()):
        values = torch.linspace(-1.0, 1.0, param.numel()) * (0.9 if i % 2 == 0 else 0.1)
        param.copy_(values.reshape(param.shape))

optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
scheduler = StepLR(optimizer, step_size=40, gamma=0.5)

for epoch in range(160):
    optimizer.zero_grad()
    loss = F.mse_loss(model(x), y)
    loss.backward()
    total_norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    optimizer.step()
    scheduler.step()
    if epoch % 20 == 0:
        print(f"epoch {epoch:3d}  loss {loss.item():.5f}  grad norm {total_norm:.4f}  "
              f"lr {scheduler.get_last_lr()[0]:.5f}")

with torch.no_grad():
    final = F.mse_loss(model(x), y)
print(f"final loss {final.item():.5f}, clipped {total_norm.item() > 1.0}")
'''

IMPORT = re.compile(r"^(import|from) torch\b")


def port(source: str) -> str:
    """The glassgrad version: only the import lines change."""
    lines = []
    for line in source.splitlines():
        if line.startswith("import torch") and " as " not in line:
            line = line.replace("import torch", "import autograd as torch", 1)
        elif IMPORT.match(line):
            line = re.sub(r"\btorch\b", "autograd", line, count=1)
        lines.append(line)
    return "\n".join(lines) + "\n"


def run(source: str, cwd: Path) -> str:
    done = subprocess.run([sys.executable, "-c", source], cwd=cwd, capture_output=True,
                          text=True, timeout=300, env={"PYTHONPATH": str(ROOT),
                                                       "PATH": "/usr/bin:/bin",
                                                       "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


NUMBER = re.compile(r"-?\d+\.?\d*(?:e[-+]?\d+)?")


def assert_same_output(ours: str, theirs: str) -> None:
    """Line by line: the same text around the numbers, and numbers equal to float32
    rounding (a few units in the last printed digit)."""
    ours_lines, their_lines = ours.splitlines(), theirs.splitlines()
    assert len(ours_lines) == len(their_lines), (ours, theirs)
    for mine, reference in zip(ours_lines, their_lines):
        mine = mine.replace("autograd.", "torch.")
        assert NUMBER.sub("#", mine) == NUMBER.sub("#", reference), (mine, reference)
        for a, b in zip(NUMBER.findall(mine), NUMBER.findall(reference)):
            digits = len(b.split(".")[1]) if "." in b and "e" not in b else 0
            assert math.isclose(float(a), float(b), rel_tol=2e-4,
                                abs_tol=3 * 10.0 ** -digits if digits else 0), (mine, reference)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_the_port_changes_only_import_lines(name):
    source = PROGRAMS[name]
    changed = [(a, b) for a, b in zip(source.splitlines(), port(source).splitlines()) if a != b]
    assert changed and all(IMPORT.match(a) and "autograd" in b for a, b in changed)
    assert len(source.splitlines()) == len(port(source).splitlines())


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_the_ported_program_runs_and_prints_what_pytorch_prints(name, tmp_path):
    source = textwrap.dedent(PROGRAMS[name])
    (tmp_path / "ours").mkdir()
    ours = run(port(source), tmp_path / "ours")
    assert ours.strip()
    if not HAVE_TORCH:
        pytest.skip("PyTorch not installed: the glassgrad run passed, nothing to compare with")
    (tmp_path / "theirs").mkdir()
    theirs = run(source, tmp_path / "theirs")
    assert_same_output(ours, theirs)


def test_the_comparison_catches_differences():
    assert_same_output("loss 0.12345\n", "loss 0.12346\n")
    for ours, theirs in (("loss 0.1300\n", "loss 0.1234\n"), ("loss 1\n", "cost 1\n"),
                         ("a\nb\n", "a\n")):
        with pytest.raises(AssertionError):
            assert_same_output(ours, theirs)


def test_the_readme_port_section_runs_and_prints_its_stated_accuracy(tmp_path):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Tensors: port a PyTorch loop", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    assert code.startswith("import autograd as torch")
    stated = float(re.search(r"# accuracy (\d\.\d+)", code).group(1))
    printed = float(re.search(r"accuracy (\d\.\d+)", run(code, tmp_path)).group(1))
    assert abs(printed - stated) <= 0.005 and (tmp_path / "model.pth").exists()
    if HAVE_TORCH:       # the same program with PyTorch's imports trains as well
        original = code.replace("import autograd as torch", "import torch").replace(
            "from autograd", "from torch")
        theirs = float(re.search(r"accuracy (\d\.\d+)", run(original, tmp_path)).group(1))
        assert abs(theirs - printed) < 0.03
