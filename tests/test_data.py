import os

from larq_bcd.data import load

import numpy as np
import pytest
from PIL import Image


def test_embedded_sample_is_real_cifar10_with_mixed_classes():
    train = load("sample", "train", batch_size=500, limit=500)
    test = load("sample", "test", batch_size=1000)
    assert train.class_names[0] == "airplane" and train.num_classes == 10
    x, y = next(iter(train.data))
    assert x.shape == (500, 32, 32, 3) and y.shape == (500, 10)
    assert 0 <= float(x.numpy().min()) and float(x.numpy().max()) <= 255
    assert np.bincount(y.numpy().argmax(-1), minlength=10).min() > 20  # not class-sorted
    assert test.num_examples == 1000


def _folder(root, classes=("a", "b"), per_class=3, size=12):
    for c in classes:
        os.makedirs(root / "train" / c)
        for i in range(per_class):
            Image.fromarray(np.full((size, size, 3), 40 * i, np.uint8)).save(root / "train" / c / f"{i}.jpg")


def test_image_folder_is_read_and_resized(tmp_path):
    _folder(tmp_path)
    # what macOS, Jupyter and Finder leave behind is neither a class nor an image
    os.makedirs(tmp_path / "train" / ".ipynb_checkpoints")
    (tmp_path / "train" / "a" / "._0.jpg").write_bytes(b"\x00\x05\x16\x07 AppleDouble")
    ds = load(str(tmp_path), "train", image_size=32, batch_size=6, training=False)
    x, y = next(iter(ds.data))
    assert ds.class_names == ["a", "b"] and ds.num_examples == 6 and x.shape == (6, 32, 32, 3)
    assert sorted(y.numpy().argmax(-1)) == [0, 0, 0, 1, 1, 1]


def test_training_pipeline_augments(tmp_path):
    ds = load("sample", "train", batch_size=8, limit=8, augmentation="crop_flip", seed=1)
    plain = load("sample", "train", batch_size=8, limit=8, training=False)
    (a, _), (b, _) = next(iter(ds.data)), next(iter(plain.data))
    assert a.shape == b.shape and not np.allclose(np.sort(a.numpy().ravel()), np.sort(b.numpy().ravel()))


@pytest.mark.parametrize(
    "source,error,match",
    [
        ("no/such/dir", FileNotFoundError, "neither 'sample'"),
    ],
)
def test_missing_dataset(source, error, match):
    with pytest.raises(error, match=match):
        load(source)


def test_malformed_folders(tmp_path):
    with pytest.raises(FileNotFoundError, match="expected .*/train/<class>"):
        load(str(tmp_path), "train")
    (tmp_path / "train").mkdir()
    with pytest.raises(ValueError, match="no class sub-folders"):
        load(str(tmp_path), "train")
    (tmp_path / "train" / "cat").mkdir()
    with pytest.raises(ValueError, match="no .jpg/.png images"):
        load(str(tmp_path), "train")
    with pytest.raises(ValueError, match="augmentation"):
        load("sample", augmentation="autoaugment")


def test_tfds_failure_names_the_dataset_and_split(tmp_path, monkeypatch):
    import tensorflow_datasets as tfds

    def no_network(*args, **kwargs):
        raise ConnectionError("no network here")

    monkeypatch.setattr(tfds.core.DatasetBuilder, "download_and_prepare", no_network)
    with pytest.raises(RuntimeError, match=r"imagenet2012\[validation\].*no network here"):
        load("imagenet2012", "test", data_dir=str(tmp_path))


def test_tfds_prepares_cifar10_up_to_its_download(tmp_path, monkeypatch):
    """tfds' own preparation runs until the download: tfds 4.9.10 imports importlib_resources
    there without declaring it (tensorflow/datasets#11212), so setup.cfg installs it."""
    import tensorflow_datasets as tfds

    def no_network(*args, **kwargs):
        raise ConnectionError("no network here")

    for method in ("download", "download_and_extract"):
        monkeypatch.setattr(tfds.download.DownloadManager, method, no_network)
    with pytest.raises(RuntimeError, match=r"cifar10\[test\].*: no network here"):
        load("cifar10", "test", data_dir=str(tmp_path))


def test_make_sample_rebuilds_the_sample_from_an_image_folder(tmp_path, monkeypatch, capsys):
    from larq_bcd import cli
    from larq_bcd.data import make_sample, sources

    root = tmp_path / "cifar"
    for split, count in (("train", 3), ("test", 2)):
        for label, name in enumerate(sources.CIFAR10_CLASSES):
            os.makedirs(root / split / name)
            for i in range(count):
                Image.fromarray(np.full((32, 32, 3), 20 * label + i, np.uint8)).save(root / split / name / f"{i}.jpg")
            (root / split / name / "._0.jpg").write_bytes(b"AppleDouble")  # sorts first: must not be taken
    output = str(tmp_path / "sample.npz")
    assert make_sample.build(str(root), 2, 1, output=output)[:2] == (output, 30)
    monkeypatch.setattr(sources, "SAMPLE_PATH", output)
    train = load("sample", "train", batch_size=20, training=False)
    x, y = next(iter(train.data))
    assert train.num_examples == 20 and sorted(np.bincount(y.numpy().argmax(-1))) == [2] * 10
    # each image is its class's grey level 20 * label (+0 or 1), so bytes and labels stayed paired
    assert (np.round(x.numpy().mean((1, 2, 3)) / 20) == y.numpy().argmax(-1)).all()
    assert load("sample", "test", batch_size=10).num_examples == 10

    with pytest.raises(ValueError, match="3 images, fewer than the 5 asked"):
        make_sample.build(str(root), 5, 1, output=str(tmp_path / "other.npz"))
    assert not (tmp_path / "other.npz").exists() and sorted(os.listdir(tmp_path)) == ["cifar", "sample.npz"]
    # the command names the folder in one line (exit 2) and leaves the package's sample alone
    for directory, message in [
        (tmp_path / "none", "no such folder"),
        (root / "train", "not a CIFAR-10 image folder (no train/airplane/"),
    ]:
        assert cli.main(["make-sample", str(directory)]) == 2
        err = capsys.readouterr().err.strip()
        assert message in err and len(err.splitlines()) == 1
