"""The official models: our Keras ReActNet-A and BCDNet-A compute the official PyTorch
function, load the authors' checkpoint formats without PyTorch, and still bit-pack.

The fixtures were made from the official code by ``tests/fixtures/make_official_fixtures.py``
(width 0.25, 224x224, random non-trivial weights, float64 forward in PyTorch).
"""

import io
import os
import pickle
import zipfile

from larq_bcd import checkpoints, convert, zoo

import larq as lq
import numpy as np
import pytest
import tensorflow as tf

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "official")
BUILDERS = {"reactnet_a": zoo.ReActNetA, "bcdnet_a": zoo.BCDNetA, "reactnet_resnet18": zoo.ReActNetResNet18}


def _fixture(name):
    return os.path.join(FIXTURES, f"{name}.pth.tar"), np.load(os.path.join(FIXTURES, f"{name}.npz"))


def _official(name, data, **kwargs):
    path, _ = _fixture(name)
    return BUILDERS[name](
        weights=path,
        width_multiplier=float(data["width"]),
        num_classes=data["logits"].shape[1],
        input_shape=data["images"].shape[1:],
        classifier_activation=None,
        **kwargs,
    )


#: liuzechun/ReActNet's birealnet18 (resnet/2_step2), counted with PyTorch.
RESNET18_PARAMS = 11_704_424


@pytest.fixture
def float64():
    tf.keras.backend.set_floatx("float64")
    yield
    tf.keras.backend.set_floatx("float32")


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_official_forward_in_float64(name, float64):
    _, data = _fixture(name)
    model = _official(name, data)
    logits = model(data["images"].astype(np.float64)).numpy()
    assert logits.dtype == np.float64
    relative = np.linalg.norm(logits - data["logits"]) / np.linalg.norm(data["logits"])
    assert relative < 1e-6, relative


def test_parameter_counts_equal_the_official_models():
    def trainable(model):
        return sum(int(np.prod(v.shape)) for v in model.trainable_weights)

    assert trainable(zoo.ReActNetA()) == 29_343_592
    assert trainable(zoo.BCDNetA(dual_head=True)) == 46_146_384
    assert trainable(zoo.BCDNetA()) == 45_121_384
    assert trainable(zoo.ReActNetResNet18()) == RESNET18_PARAMS
    for name in BUILDERS:  # the reduced fixtures: every official parameter, once
        _, data = _fixture(name)
        kwargs = {"dual_head": True} if name == "bcdnet_a" else {}
        assert trainable(_official(name, data, **kwargs)) == int(data["params"])


def test_official_mode_changes_only_padding_and_default_build_refuses_checkpoints():
    path, data = _fixture("reactnet_a")
    default = zoo.ReActNetA(width_multiplier=0.25, num_classes=10)
    official = zoo.ReActNetA(width_multiplier=0.25, num_classes=10, official=True)
    assert [w.shape for w in default.trainable_weights] == [w.shape for w in official.trainable_weights]
    assert "stem_pad" in [layer.name for layer in official.layers]
    with pytest.raises(ValueError, match="official=True"):
        checkpoints.load_official(default, path)
    with pytest.raises(ValueError, match="official=True"):
        zoo.DyBCNNReActNetA(official=True, width_multiplier=0.25, num_classes=10)


def test_checkpoint_mismatches_are_listed_in_one_error():
    path, _ = _fixture("reactnet_a")
    weights = checkpoints.state_dict(checkpoints.read(path))
    assert not any(k.startswith("module.") for k in weights)
    del weights["feature.3.move21.bias"]
    weights["feature.99.bogus"] = np.zeros(3, np.float32)
    weights["fc.bias"] = np.zeros(7, np.float32)
    model = zoo.ReActNetA(width_multiplier=0.25, num_classes=10, official=True)
    with pytest.raises(ValueError) as error:
        checkpoints.load_official(model, {"state_dict": weights})
    message = str(error.value)
    assert "missing: feature.3.move21.bias" in message
    assert "unexpected: feature.99.bogus" in message
    assert "wrong shape: fc.bias (7,)" in message
    with pytest.raises(ValueError, match="num_classes|wrong shape"):
        zoo.ReActNetA(weights=path, width_multiplier=0.25, num_classes=1000)


class _Boom:
    def __reduce__(self):
        return (os.system, ("touch pwned-by-checkpoint",))


def _malicious_zip(path):
    payload = pickle.dumps({"state_dict": {"x": _Boom()}})
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", payload)


def test_a_malicious_checkpoint_is_refused_without_running_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    zipped = tmp_path / "evil.pth.tar"
    _malicious_zip(zipped)
    legacy = tmp_path / "evil_legacy.pth"
    buffer = io.BytesIO()
    for obj in (0x1950A86A20F9469CFC6C, 1001, {}):
        pickle.dump(obj, buffer)
    pickle.dump({"model": _Boom()}, buffer)
    legacy.write_bytes(buffer.getvalue())
    for path in (zipped, legacy):
        with pytest.raises(checkpoints.UnsafeCheckpointError, match="posix.system|os.system|nt.system"):
            checkpoints.read(str(path))
        with pytest.raises(checkpoints.UnsafeCheckpointError):
            zoo.ReActNetA(weights=str(path), width_multiplier=0.25, num_classes=10)
    assert not (tmp_path / "pwned-by-checkpoint").exists()
    with open(os.path.join(FIXTURES, "reactnet_a.pth.tar"), "rb") as handle:
        real = handle.read()
    # each raised something else than the named ValueError once ('garbage' is pickle's GET: int('arbage'))
    for junk in (b"not a checkpoint", b"garbage\n", b"", pickle.dumps(7), real[: len(real) // 2], real[:4000]):
        (tmp_path / "junk.pth").write_bytes(junk)
        with pytest.raises(ValueError, match="junk.pth: not a readable PyTorch checkpoint"):
            checkpoints.read(str(tmp_path / "junk.pth"))
    with pytest.raises(FileNotFoundError, match="nowhere.pth.tar"):
        zoo.BCDNetA(weights="nowhere.pth.tar")


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_official_stem_converts_exactly(name):
    """LCE's converter must not move PyTorch's stride-2 padding grid (it once did)."""
    _, data = _fixture(name)
    model = _official(name, data)
    stem = tf.keras.Model(model.inputs, model.get_layer("stem_bn").output)
    images = data["images"].astype(np.float32)
    tflite = convert.interpreter(convert.convert(stem)).predict(images)
    keras = stem(images).numpy()
    assert np.linalg.norm(tflite - keras) / np.linalg.norm(keras) < 1e-5


def test_official_model_converts_bitpacked_and_agrees_on_top1():
    _, data = _fixture("reactnet_a")
    model = _official("reactnet_a", data)
    flatbuffer = convert.convert(model)
    report = convert.inspect(flatbuffer)
    binary = [layer for layer in model.layers if isinstance(layer, lq.layers.QuantConv2D)]
    assert report.ops["LceBconv2d"] == len(binary) == 31  # 13 3x3 + 13 1x1 + 5 second halves
    assert report.ops.get("CONV_2D", 0) == 1  # only the real-valued stem
    images = data["images"].astype(np.float32)
    from larq_compute_engine.tflite.python.interpreter import Interpreter

    tflite = Interpreter(flatbuffer).predict(images)
    keras = model(images).numpy()
    np.testing.assert_array_equal(tflite.argmax(-1), keras.argmax(-1))
    relative = [np.linalg.norm(t - k) / np.linalg.norm(k) for t, k in zip(tflite, keras)]
    assert np.median(relative) < 1e-3, relative  # same function, not just the same argmax
    np.testing.assert_array_equal(keras.argmax(-1), data["logits"].argmax(-1))
