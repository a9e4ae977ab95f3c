"""Small toy datasets for the lessons: NumPy only, seeded, nothing downloaded.

Every generator returns `(X, y)`: `X` a float64 array of shape (n, features), `y` an int64
array of class labels (0, 1, ...) or, for `returns`, a float64 array of targets. The same
`seed` always gives the same arrays; classes are balanced (to within one sample).

>>> from nn import datasets
>>> X, y = datasets.moons(100, noise=0.1, seed=0)
>>> X.shape, y.shape, int(y.sum())
((100, 2), (100,), 50)
>>> train, val = datasets.train_val_split(X, y, val_fraction=0.2, seed=0)
>>> train[0].shape, val[0].shape
((80, 2), (20, 2))
"""
from __future__ import annotations

import math
from typing import Optional, Sequence, Tuple, Union

import numpy as np

Arrays = Tuple[np.ndarray, np.ndarray]

__all__ = ["xor", "moons", "circles", "spirals", "blobs", "vh_lines", "returns",
           "train_val_split", "NAMES"]


def _check_n(name: str, n: int, minimum: int = 1) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < minimum:
        raise ValueError(f"datasets.{name}: n must be an integer >= {minimum}, got {n!r}")
    return int(n)


def _check_noise(name: str, noise: float) -> float:
    if not (isinstance(noise, (int, float)) and math.isfinite(noise) and noise >= 0):
        raise ValueError(f"datasets.{name}: noise must be a finite number >= 0, got {noise!r}")
    return float(noise)


def _balanced_labels(n: int, classes: int) -> np.ndarray:
    """0, 1, ..., classes-1 repeated: class sizes differ by at most one."""
    return np.arange(n) % classes


def _shuffled(rng: np.random.Generator, X: np.ndarray, y: np.ndarray) -> Arrays:
    order = rng.permutation(len(y))
    return X[order], y[order]


def xor(n: int = 4, noise: float = 0.0, seed: Optional[int] = None) -> Arrays:
    """The XOR truth table: inputs in {0, 1}², label 1 when exactly one input is 1.

    `n=4, noise=0` is the table itself, in order; larger `n` cycles through the four corners
    (so n divisible by 4 is perfectly balanced) and adds Gaussian noise of std `noise`.

    >>> X, y = xor()
    >>> X.tolist(), y.tolist()
    ([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 1, 1, 0])
    """
    n = _check_n("xor", n)
    noise = _check_noise("xor", noise)
    corners = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    X = corners[np.arange(n) % 4]
    y = (X[:, 0] != X[:, 1]).astype(np.int64)
    if noise > 0:
        X = X + np.random.default_rng(seed).normal(0.0, noise, X.shape)
    return X, y


def moons(n: int = 100, noise: float = 0.1, seed: Optional[int] = None) -> Arrays:
    """Two interleaving half circles (scikit-learn's `make_moons` shape): label 0 is the
    upper moon, label 1 the lower one. Not separable by a straight line.

    >>> X, y = moons(10, seed=1); X.shape, sorted(set(y.tolist()))
    ((10, 2), [0, 1])
    """
    n = _check_n("moons", n, 2)
    noise = _check_noise("moons", noise)
    rng = np.random.default_rng(seed)
    n_upper = (n + 1) // 2
    t_up = np.linspace(0.0, math.pi, n_upper)
    t_low = np.linspace(0.0, math.pi, n - n_upper)
    upper = np.column_stack([np.cos(t_up), np.sin(t_up)])
    lower = np.column_stack([1.0 - np.cos(t_low), 0.5 - np.sin(t_low)])
    X = np.vstack([upper, lower])
    y = np.concatenate([np.zeros(n_upper, np.int64), np.ones(n - n_upper, np.int64)])
    X = X + rng.normal(0.0, noise, X.shape)
    return _shuffled(rng, X, y)


def circles(n: int = 100, noise: float = 0.05, factor: float = 0.5,
            seed: Optional[int] = None) -> Arrays:
    """A small circle (label 1, radius `factor`) inside a big one (label 0, radius 1)."""
    n = _check_n("circles", n, 2)
    noise = _check_noise("circles", noise)
    if not 0.0 < factor < 1.0:
        raise ValueError(f"datasets.circles: factor must be in (0, 1), got {factor!r}")
    rng = np.random.default_rng(seed)
    n_out = (n + 1) // 2
    t_out = np.linspace(0.0, 2 * math.pi, n_out, endpoint=False)
    t_in = np.linspace(0.0, 2 * math.pi, n - n_out, endpoint=False)
    X = np.vstack([np.column_stack([np.cos(t_out), np.sin(t_out)]),
                   factor * np.column_stack([np.cos(t_in), np.sin(t_in)])])
    y = np.concatenate([np.zeros(n_out, np.int64), np.ones(n - n_out, np.int64)])
    X = X + rng.normal(0.0, noise, X.shape)
    return _shuffled(rng, X, y)


def spirals(n: int = 150, classes: int = 3, noise: float = 0.2, turns: float = 0.75,
            seed: Optional[int] = None) -> Arrays:
    """`classes` interleaved spiral arms (the CS231n spiral data): arm k starts at the centre
    and winds `turns` times round it; `noise` jitters the angle (radians)."""
    n = _check_n("spirals", n, 2)
    noise = _check_noise("spirals", noise)
    if not isinstance(classes, int) or classes < 2:
        raise ValueError(f"datasets.spirals: classes must be an integer >= 2, got {classes!r}")
    rng = np.random.default_rng(seed)
    y = np.sort(_balanced_labels(n, classes))
    X = np.empty((n, 2))
    for k in range(classes):
        idx = np.flatnonzero(y == k)
        r = np.linspace(0.05, 1.0, len(idx))
        t = (2 * math.pi * k / classes + 2 * math.pi * turns * r
             + rng.normal(0.0, noise, len(idx)))
        X[idx] = np.column_stack([r * np.sin(t), r * np.cos(t)])
    return _shuffled(rng, X, y.astype(np.int64))


def blobs(n: int = 150, centers: Union[int, Sequence[Sequence[float]]] = 3, std: float = 1.0,
          dim: int = 2, box: Tuple[float, float] = (-6.0, 6.0),
          seed: Optional[int] = None) -> Arrays:
    """Gaussian clusters, one class per centre. `centers` is a count (centres drawn
    uniformly in `box`) or an explicit (classes, dim) list of centres."""
    n = _check_n("blobs", n)
    std = _check_noise("blobs", std)
    rng = np.random.default_rng(seed)
    if isinstance(centers, (int, np.integer)) and not isinstance(centers, bool):
        if centers < 1:
            raise ValueError(f"datasets.blobs: centers must be >= 1, got {centers!r}")
        C = rng.uniform(box[0], box[1], (int(centers), dim))
    else:
        C = np.asarray(centers, dtype=np.float64)
        if C.ndim != 2:
            raise ValueError(f"datasets.blobs: centers must be a count or a (classes, dim) "
                             f"array, got shape {C.shape}")
    y = _balanced_labels(n, len(C)).astype(np.int64)
    X = C[y] + rng.normal(0.0, std, (n, C.shape[1]))
    return _shuffled(rng, X, y)


def vh_lines(n: int = 100, noise: float = 0.1, flatten: bool = True,
             seed: Optional[int] = None) -> Arrays:
    """3×3 images holding one straight line: label 1 for a vertical line, 0 for horizontal.

    The line (a full row or column of 1s on a background of 0s) sits in one of three
    positions; Gaussian noise of std `noise` is added and pixels are clipped to [0, 1].
    `X` is (n, 9) (rows concatenated), or (n, 3, 3) with `flatten=False`.

    >>> X, y = vh_lines(2, noise=0.0, flatten=False, seed=0)
    >>> [int(X[i].sum()) for i in range(2)], sorted(y.tolist())
    ([3, 3], [0, 1])
    """
    n = _check_n("vh_lines", n)
    noise = _check_noise("vh_lines", noise)
    rng = np.random.default_rng(seed)
    y = rng.permutation(_balanced_labels(n, 2)).astype(np.int64)
    position = rng.integers(0, 3, n)
    images = np.zeros((n, 3, 3))
    rows = np.arange(n)
    vertical = y == 1
    images[rows[vertical], :, position[vertical]] = 1.0
    images[rows[~vertical], position[~vertical], :] = 1.0
    if noise > 0:
        images = np.clip(images + rng.normal(0.0, noise, images.shape), 0.0, 1.0)
    return (images.reshape(n, 9) if flatten else images), y


def returns(n: int = 500, features: int = 3, df: float = 3.0, vol: float = 1.0,
            crashes: int = 5, crash_size: float = 8.0, coef: Optional[Sequence[float]] = None,
            return_coef: bool = False, seed: Optional[int] = None) -> Tuple[np.ndarray, ...]:
    """A fat-tailed daily-return regression task, in percent.

    `X` holds `features` standardised factor returns (normal); the target is
    `y = X @ coef + noise`, where the noise is Student-t with `df` degrees of freedom scaled
    to standard deviation `vol` (fat tails: big surprises are far likelier than under a
    normal), and on `crashes` random days the target also falls by about `crash_size`
    percent. `coef` defaults to (0.8, -0.5, 0.3, 0, ...). With `return_coef=True` returns
    `(X, y, coef)` so a fit can be compared with the truth.

    >>> X, y, beta = returns(250, seed=0, return_coef=True)
    >>> X.shape, y.shape, beta.tolist()
    ((250, 3), (250,), [0.8, -0.5, 0.3])
    """
    n = _check_n("returns", n)
    if not isinstance(features, int) or features < 1:
        raise ValueError(f"datasets.returns: features must be an integer >= 1, got {features!r}")
    if not df > 2:
        raise ValueError(f"datasets.returns: df must be > 2 (finite variance), got {df!r}")
    if not (isinstance(crashes, int) and 0 <= crashes <= n):
        raise ValueError(f"datasets.returns: crashes must be an integer in [0, n], got {crashes!r}")
    rng = np.random.default_rng(seed)
    if coef is None:
        beta = np.zeros(features)
        default = [0.8, -0.5, 0.3]
        beta[:min(3, features)] = default[:features]
    else:
        beta = np.asarray(coef, dtype=np.float64)
        if beta.shape != (features,):
            raise ValueError(f"datasets.returns: coef must have {features} entries, "
                             f"got shape {beta.shape}")
    X = rng.normal(0.0, 1.0, (n, features))
    # A Student-t variable has variance df/(df-2): rescale so the noise std is `vol`.
    noise = rng.standard_t(df, n) * vol * math.sqrt((df - 2.0) / df)
    y = X @ beta + noise
    days = rng.choice(n, size=crashes, replace=False)
    y[days] -= crash_size * rng.uniform(0.75, 1.25, crashes)
    return (X, y, beta) if return_coef else (X, y)


def train_val_split(X: np.ndarray, y: np.ndarray, val_fraction: float = 0.2,
                    shuffle: bool = True, stratify: bool = False,
                    seed: Optional[int] = None) -> Tuple[Arrays, Arrays]:
    """Split into `((X_train, y_train), (X_val, y_val))`, ready for `nn.fit(train=, val=)`.

    `stratify=True` keeps each class's share the same in both parts (class labels only).
    """
    X = np.asarray(X)
    y = np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"train_val_split: X has {len(X)} rows but y has {len(y)}")
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"train_val_split: val_fraction must be in (0, 1), got {val_fraction!r}")
    n = len(y)
    n_val = int(round(n * val_fraction))
    if not 0 < n_val < n:
        raise ValueError(f"train_val_split: {n} samples with val_fraction={val_fraction} "
                         f"leaves an empty part")
    rng = np.random.default_rng(seed)
    order = rng.permutation(n) if shuffle else np.arange(n)
    if stratify:
        val_idx = []
        for label in np.unique(y):
            members = order[y[order] == label]
            val_idx.extend(members[:int(round(len(members) * val_fraction))].tolist())
        is_val = np.zeros(n, bool)
        is_val[val_idx] = True
        val = order[is_val[order]]
        train = order[~is_val[order]]
    else:
        val, train = order[:n_val], order[n_val:]
    return (X[train], y[train]), (X[val], y[val])


#: The datasets the `glassgrad train` command knows, by name.
NAMES = ("xor", "moons", "circles", "spirals", "blobs", "vh_lines", "returns")
