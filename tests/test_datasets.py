"""nn.datasets: shapes, dtypes, seeds, label balance, the promised structure, bad input."""
import numpy as np
import pytest

from nn import datasets

CLASSIFIERS = [
    (datasets.moons, {}, 2),
    (datasets.circles, {}, 2),
    (datasets.spirals, {"classes": 3}, 3),
    (datasets.blobs, {"centers": 4}, 4),
    (datasets.vh_lines, {}, 2),
]


@pytest.mark.parametrize("make, kwargs, classes", CLASSIFIERS)
@pytest.mark.parametrize("n", [2 * 3 * 4 * 5, 101])
def test_shapes_dtypes_and_balance(make, kwargs, classes, n):
    X, y = make(n, seed=0, **kwargs)
    assert X.dtype == np.float64 and y.dtype == np.int64
    assert X.ndim == 2 and len(X) == n and y.shape == (n,)
    counts = np.bincount(y, minlength=classes)
    assert len(counts) == classes
    assert counts.max() - counts.min() <= 1          # balanced to within one sample
    assert np.isfinite(X).all()


@pytest.mark.parametrize("make, kwargs, classes", CLASSIFIERS)
def test_seeds_reproduce_and_differ(make, kwargs, classes):
    a = make(60, seed=1, **kwargs)
    b = make(60, seed=1, **kwargs)
    c = make(60, seed=2, **kwargs)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_xor_is_the_truth_table():
    X, y = datasets.xor()
    assert X.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert y.tolist() == [0, 1, 1, 0]
    Xn, yn = datasets.xor(8, noise=0.1, seed=0)
    assert yn.tolist() == [0, 1, 1, 0] * 2
    assert 0 < np.abs(Xn - np.vstack([X, X])).max() < 0.5


def test_moons_and_circles_geometry():
    X, y = datasets.moons(200, noise=0.0, seed=0)
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0)                  # unit half circle
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0)
    X, y = datasets.circles(100, noise=0.0, factor=0.3, seed=0)
    r = np.hypot(*X.T)
    np.testing.assert_allclose(r[y == 0], 1.0)
    np.testing.assert_allclose(r[y == 1], 0.3)


def test_spiral_arms_start_at_the_centre_and_reach_radius_one():
    X, y = datasets.spirals(90, classes=3, noise=0.0, seed=0)
    r = np.hypot(*X.T)
    for k in range(3):
        assert r[y == k].min() == pytest.approx(0.05) and r[y == k].max() == pytest.approx(1.0)


def test_blobs_with_explicit_centres():
    centres = [[-10.0, 0.0], [10.0, 0.0]]
    X, y = datasets.blobs(200, centers=centres, std=0.5, seed=0)
    np.testing.assert_allclose(X[y == 0].mean(axis=0), centres[0], atol=0.2)
    np.testing.assert_allclose(X[y == 1].mean(axis=0), centres[1], atol=0.2)
    assert datasets.blobs(10, centers=2, dim=5, seed=0)[0].shape == (10, 5)


def test_vh_lines_without_noise_are_exact_lines():
    X, y = datasets.vh_lines(60, noise=0.0, flatten=False, seed=3)
    assert X.shape == (60, 3, 3)
    for image, label in zip(X, y):
        assert image.sum() == 3 and set(np.unique(image)) <= {0.0, 1.0}
        cols, rows = image.sum(axis=0), image.sum(axis=1)
        if label == 1:      # vertical: one full column
            assert sorted(cols.tolist()) == [0, 0, 3]
        else:
            assert sorted(rows.tolist()) == [0, 0, 3]
    flat, _ = datasets.vh_lines(60, noise=0.0, seed=3)
    np.testing.assert_array_equal(flat, X.reshape(60, 9))


def test_vh_lines_noise_is_clipped_to_pixel_range():
    X, _ = datasets.vh_lines(200, noise=0.5, seed=0)
    assert X.min() == 0.0 and X.max() == 1.0            # clipping happened at both ends
    assert 0.0 < X.mean() < 1.0


def test_returns_has_fat_tails_crashes_and_the_given_coefficients():
    X, y, beta = datasets.returns(4000, crashes=0, return_coef=True, seed=0)
    assert X.shape == (4000, 3) and beta.tolist() == [0.8, -0.5, 0.3]
    noise = y - X @ beta
    assert noise.std() == pytest.approx(1.0, rel=0.15)   # scaled to vol = 1
    z = (noise - noise.mean()) / noise.std()
    assert np.mean(z ** 4) > 4.5                        # a normal has kurtosis 3
    Xc, yc = datasets.returns(4000, crashes=10, crash_size=8.0, seed=0)
    residual = yc - Xc @ beta
    assert (residual < -4.0).sum() >= 10                # the crash days stand out
    _, _, b = datasets.returns(10, features=2, coef=[1.0, 2.0], return_coef=True, seed=0)
    assert b.tolist() == [1.0, 2.0]


def test_train_val_split_partitions_the_data():
    X = np.arange(100).reshape(50, 2).astype(float)
    y = np.arange(50) % 2
    (Xt, yt), (Xv, yv) = datasets.train_val_split(X, y, val_fraction=0.2, seed=0)
    assert len(Xt) == 40 and len(Xv) == 10
    assert sorted(np.concatenate([Xt[:, 0], Xv[:, 0]]).tolist()) == X[:, 0].tolist()
    np.testing.assert_array_equal(yt, (Xt[:, 0] // 2) % 2)          # rows stay paired
    (_, _), (Xv2, _) = datasets.train_val_split(X, y, val_fraction=0.2, shuffle=False)
    np.testing.assert_array_equal(Xv2, X[:10])


def test_train_val_split_stratified_keeps_class_shares():
    y = np.array([0] * 80 + [1] * 20)
    X = np.arange(100.0)
    (_, yt), (_, yv) = datasets.train_val_split(X, y, val_fraction=0.25, stratify=True, seed=1)
    assert np.bincount(yv).tolist() == [20, 5] and np.bincount(yt).tolist() == [60, 15]


@pytest.mark.parametrize("call, match", [
    (lambda: datasets.moons(0), "n must be an integer"),
    (lambda: datasets.moons(10.5), "n must be an integer"),
    (lambda: datasets.moons(10, noise=-1), "noise must be"),
    (lambda: datasets.circles(10, factor=1.5), "factor"),
    (lambda: datasets.spirals(10, classes=1), "classes"),
    (lambda: datasets.blobs(10, centers=0), "centers"),
    (lambda: datasets.returns(10, df=2), "df must be > 2"),
    (lambda: datasets.returns(10, crashes=11), "crashes"),
    (lambda: datasets.returns(10, coef=[1.0]), "coef must have 3"),
    (lambda: datasets.train_val_split(np.ones((3, 1)), np.ones(4)), "3 rows but y has 4"),
    (lambda: datasets.train_val_split(np.ones((3, 1)), np.ones(3), 1.0), "val_fraction"),
    (lambda: datasets.train_val_split(np.ones((2, 1)), np.ones(2), 0.1), "empty part"),
])
def test_bad_arguments_raise_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
