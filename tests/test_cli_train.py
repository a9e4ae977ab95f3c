"""`glassgrad train`: a tiny end-to-end run per engine, its files, and its errors (exit 2)."""
import numpy as np
import pytest
from click.testing import CliRunner

import cli

pytest.importorskip("matplotlib")


def run(*args, code=0):
    result = CliRunner().invoke(cli.main, prog_name="glassgrad", args=list(args))
    text = result.stdout + result.stderr
    assert "Traceback" not in text and "internal error" not in text
    assert result.exit_code == code, (result.exit_code, text)
    return result


def test_train_tensor_end_to_end(tmp_path):
    out = tmp_path / "run"
    result = run("train", "moons", "--hidden", "8,8", "--epochs", "5", "--samples", "40",
                 "--batch-size", "8", "-o", str(out))
    for name in ("curves.png", "gradient_flow.png", "decision_boundary.png", "model.npz"):
        assert (out / name).stat().st_size > 0, name
        assert f"wrote {out / name}" in result.stdout
    assert "training a tensor MLP 2 -> 8 -> 8 -> 2 (relu) on moons: 32 train / 8 validation" \
        in result.stdout
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("epoch 5: loss ") and "val accuracy" in last
    assert "5/5" in result.stderr                       # the progress bar
    with np.load(out / "model.npz", allow_pickle=False) as weights:
        assert sorted(weights.files) == ["0.bias", "0.weight", "2.bias", "2.weight",
                                         "4.bias", "4.weight"]
        assert weights["4.weight"].shape == (2, 8)


def test_train_scalar_engine_and_model_file_loads(tmp_path):
    import nn
    out = tmp_path / "xor"
    run("train", "xor", "--engine", "scalar", "--hidden", "4", "--activation", "tanh",
        "--epochs", "3", "--samples", "16", "--optimizer", "sgd", "--no-progress", "-o", str(out))
    model = nn.MLP(2, [4, 2], activation="tanh")
    model.load(str(out / "model.npz"))                  # the same architecture loads back
    assert (out / "decision_boundary.png").exists()


def test_train_regression_and_images_skip_the_decision_boundary(tmp_path):
    for dataset, features in (("returns", 3), ("vh_lines", 9)):
        out = tmp_path / dataset
        result = run("train", dataset, "--epochs", "2", "--samples", "20", "--no-progress",
                     "-o", str(out))
        assert f"MLP {features} -> 16 -> 16" in result.stdout
        assert not (out / "decision_boundary.png").exists()
        assert (out / "curves.png").exists()
    assert "accuracy" not in result.stdout.splitlines()[-1] or dataset == "vh_lines"


def test_train_reports_divergence_with_exit_1(tmp_path):
    result = run("train", "blobs", "--optimizer", "sgd", "--lr", "1e300", "--epochs", "3",
                 "--no-progress", "-o", str(tmp_path / "bad"), code=1)
    assert "Error: training diverged: NaNGuard at epoch 1, step 1" in result.stderr
    assert "RuntimeWarning" not in result.stderr


@pytest.mark.parametrize("args, message", [
    (["mnist"], "'mnist' is not one of 'xor', 'moons'"),
    (["moons", "--hidden", "16,x"], "give layer widths as positive integers"),
    (["moons", "--hidden", "0"], "give layer widths as positive integers"),
    (["moons", "--activation", "swish"], "'swish' is not one of"),
    (["moons", "--optimizer", "rmsprop"], "'rmsprop' is not one of 'sgd', 'momentum', 'adam'"),
    (["moons", "--lr", "0"], "is not in the range x>0"),
    (["moons", "--epochs", "0"], "is not in the range x>=1"),
    (["moons", "--batch-size", "-2"], "is not in the range x>=1"),
    (["moons", "--engine", "gpu"], "'gpu' is not one of 'tensor', 'scalar'"),
    ([], "Missing argument 'DATASET'"),
])
def test_train_usage_errors_exit_2(args, message):
    result = run("train", *args, code=2)
    assert result.stderr.startswith("Error: ") and message in result.stderr


def test_train_unwritable_folder_fails_before_training(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run("train", "moons", "-o", str(blocker / "sub"), code=1)
    assert "cannot create" in result.stderr and "training a" not in result.stdout
