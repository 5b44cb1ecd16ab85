"""Tests for ``tunex_core.training.dataset``: the three FER-2013 layouts and their error messages."""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np
import pytest

from tunex_core.emotions import EMOTION_NAMES
from tunex_core.training.dataset import (
    DatasetError,
    FerDataset,
    Split,
    load_csv,
    load_fer,
    load_image_folders,
    load_npz,
)


def face(value: int) -> np.ndarray:
    """A recognisable 48x48 face: a gradient offset by ``value``."""
    base = np.add.outer(np.arange(48), np.arange(48)).astype(np.int64)
    return ((base + value) % 256).astype(np.uint8)


# --- CSV ---------------------------------------------------------------------------------------

CSV_ROWS = [  # (emotion, face value, Usage)
    (0, 10, "Training"),
    (3, 20, "Training"),
    (6, 30, "Training"),
    (4, 40, "PublicTest"),
    (5, 50, "PublicTest"),
    (1, 60, "PrivateTest"),
]


def write_csv(path: Path, rows=CSV_ROWS, header=("emotion", "pixels", "Usage")) -> Path:
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for label, value, usage in rows:
            writer.writerow([label, " ".join(str(p) for p in face(value).ravel()), usage])
    return path


def test_csv_splits_follow_usage(tmp_path):
    data = load_fer(write_csv(tmp_path / "fer2013.csv"))
    assert isinstance(data, FerDataset)
    assert (len(data.train), len(data.val), len(data.test)) == (3, 2, 1)
    np.testing.assert_array_equal(data.train.labels, [0, 3, 6])
    np.testing.assert_array_equal(data.val.labels, [4, 5])
    np.testing.assert_array_equal(data.test.labels, [1])
    for split in (data.train, data.val, data.test):
        assert split.faces.dtype == np.uint8
        assert split.faces.shape[1:] == (48, 48)
        assert split.labels.dtype == np.int64
    np.testing.assert_array_equal(data.train.faces[1], face(20))
    np.testing.assert_array_equal(data.test.faces[0], face(60))
    assert data.source.endswith("fer2013.csv")


def test_csv_missing_usage_leaves_split_none(tmp_path):
    rows = [row for row in CSV_ROWS if row[2] != "PrivateTest"]
    data = load_csv(write_csv(tmp_path / "fer.csv", rows))
    assert data.test is None
    with pytest.raises(DatasetError, match="has no 'test' split"):
        data.split("test")


def test_csv_missing_column(tmp_path):
    path = write_csv(tmp_path / "fer.csv", header=("emotion", "pixels", "usage"))
    with pytest.raises(DatasetError, match=r"missing column\(s\) Usage"):
        load_fer(path)


def test_csv_unknown_usage_names_line(tmp_path):
    path = write_csv(tmp_path / "fer.csv", [*CSV_ROWS, (0, 5, "Validation")])
    with pytest.raises(DatasetError, match=r"line 8: unknown Usage 'Validation'"):
        load_fer(path)


def test_csv_wrong_pixel_count_names_line(tmp_path):
    path = write_csv(tmp_path / "fer.csv")
    with open(path, "a") as handle:
        handle.write("2,1 2 3,Training\n")
    with pytest.raises(DatasetError, match="line 8: expected 2304 pixels, got 3"):
        load_fer(path)


def test_csv_error_names_the_line_after_a_field_spanning_lines(tmp_path):
    path = write_csv(tmp_path / "fer.csv")
    pixels = " ".join(["1"] * 1152)
    with open(path, "a") as handle:
        handle.write(f'2,"{pixels}\n{pixels}",Training\n')  # one face over lines 8-9
        handle.write("2,1 2 3,Training\n")
    with pytest.raises(DatasetError, match="line 10: expected 2304 pixels, got 3"):
        load_fer(path)


def test_csv_label_out_of_range(tmp_path):
    path = write_csv(tmp_path / "fer.csv", [*CSV_ROWS, (7, 5, "Training")])
    with pytest.raises(DatasetError, match=r"labels must be 0\.\.6"):
        load_fer(path)


def test_csv_not_utf8(tmp_path):
    path = tmp_path / "fer.csv"
    path.write_bytes(b"emotion,pixels,Usage\n\xff\xfe\xfa,1,Training\n")
    with pytest.raises(DatasetError, match="cannot read"):
        load_fer(path)


def test_csv_empty_file(tmp_path):
    path = tmp_path / "fer.csv"
    path.write_text("")
    with pytest.raises(DatasetError, match="missing column"):
        load_fer(path)


def test_csv_header_only_holds_no_faces(tmp_path):
    path = tmp_path / "fer.csv"
    path.write_text("emotion,pixels,Usage\n")
    with pytest.raises(DatasetError, match="holds no faces"):
        load_fer(path)


# Malformed rows must name the file and line (they used to escape as bare ValueError/AttributeError)
def test_csv_non_numeric_pixels(tmp_path):
    path = write_csv(tmp_path / "fer.csv")
    with open(path, "a") as handle:
        handle.write("2," + " ".join(["x"] * 2304) + ",Training\n")
    with pytest.raises(DatasetError, match="line 8"):
        load_fer(path)


def test_csv_non_integer_label(tmp_path):
    path = write_csv(tmp_path / "fer.csv")
    with open(path, "a") as handle:
        handle.write("happy," + " ".join(["1"] * 2304) + ",Training\n")
    with pytest.raises(DatasetError, match="line 8"):
        load_fer(path)


def test_csv_short_row(tmp_path):
    path = write_csv(tmp_path / "fer.csv")
    with open(path, "a") as handle:
        handle.write("2," + " ".join(["1"] * 2304) + "\n")
    with pytest.raises(DatasetError, match="line 8"):
        load_fer(path)


# --- image folders -------------------------------------------------------------------------------

def write_folders(root: Path) -> Path:
    """train/<class>/Training_*.png and test/<class>/{PublicTest,PrivateTest}_*.png."""
    layout = [
        ("train", "happy", "Training_00000001.png", 1),
        ("train", "happy", "Training_00000002.png", 2),
        ("train", "angry", "Training_00000003.png", 3),
        ("test", "sad", "PublicTest_00000001.png", 4),
        ("test", "surprise", "PublicTest_00000002.png", 5),
        ("test", "neutral", "PrivateTest_00000001.png", 6),
        ("test", "fear", "PrivateTest_00000002.png", 7),
        ("test", "disgust", "PrivateTest_00000003.png", 8),
    ]
    for top, name, file, value in layout:
        folder = root / top / name
        folder.mkdir(parents=True, exist_ok=True)
        assert cv2.imwrite(str(folder / file), face(value))
    (root / "train" / "happy" / "notes.txt").write_text("ignored: not an image suffix")
    return root


def test_image_folders_split_by_file_name_prefix(tmp_path):
    data = load_fer(write_folders(tmp_path / "fer"))
    assert (len(data.train), len(data.val), len(data.test)) == (3, 2, 3)
    index = EMOTION_NAMES.index
    assert sorted(data.train.labels.tolist()) == sorted([index("happy")] * 2 + [index("angry")])
    assert sorted(data.val.labels.tolist()) == sorted([index("sad"), index("surprise")])
    assert sorted(data.test.labels.tolist()) == sorted([index("neutral"), index("fear"), index("disgust")])
    assert data.train.faces.dtype == np.uint8 and data.train.faces.shape == (3, 48, 48)
    # PNG is lossless: the faces come back exactly, in sorted folder/file order
    np.testing.assert_array_equal(data.train.faces[0], face(3))  # angry/ sorts before happy/


def test_image_folders_without_prefixes_use_top_folder(tmp_path):
    for top, name in (("train", "happy"), ("test", "sad")):
        folder = tmp_path / top / name
        folder.mkdir(parents=True)
        cv2.imwrite(str(folder / "im0.jpg"), face(1))
    data = load_image_folders(tmp_path)
    assert len(data.train) == 1 and data.val is None and len(data.test) == 1


def test_image_folders_resize_and_colour(tmp_path):
    folder = tmp_path / "train" / "Happy"  # class folder names are case-insensitive
    folder.mkdir(parents=True)
    cv2.imwrite(str(folder / "Training_1.png"), np.full((96, 96, 3), 200, np.uint8))
    data = load_fer(tmp_path)
    assert data.train.faces.shape == (1, 48, 48)
    assert data.train.labels.tolist() == [EMOTION_NAMES.index("happy")]
    assert int(data.train.faces[0, 24, 24]) == 200


def test_image_folders_unknown_class(tmp_path):
    folder = tmp_path / "train" / "contempt"
    folder.mkdir(parents=True)
    cv2.imwrite(str(folder / "a.png"), face(1))
    with pytest.raises(DatasetError, match="folder name must be one of angry, disgust"):
        load_fer(tmp_path)


def test_image_folders_unreadable_image(tmp_path):
    folder = tmp_path / "train" / "happy"
    folder.mkdir(parents=True)
    (folder / "Training_1.jpg").write_bytes(b"this is not a jpeg")
    with pytest.raises(DatasetError, match=r"Training_1\.jpg: not a readable image"):
        load_fer(tmp_path)


def test_image_folders_empty(tmp_path):
    (tmp_path / "train" / "happy").mkdir(parents=True)
    with pytest.raises(DatasetError, match="no images under train/<class>/ or test/<class>/"):
        load_fer(tmp_path)


# --- npz -----------------------------------------------------------------------------------------

def test_npz_with_only_test_split(tmp_path, fer_fixture):
    faces, labels = fer_fixture
    path = tmp_path / "test_only.npz"
    np.savez(path, x_test=faces, y_test=labels)
    data = load_fer(path)
    assert data.train is None and data.val is None
    assert len(data.test) == 70
    np.testing.assert_array_equal(data.test.faces, faces)
    np.testing.assert_array_equal(data.test.labels, labels)
    with pytest.raises(DatasetError, match="has no 'train' split"):
        data.split("train")


def test_npz_channel_axis_and_float_faces_are_normalised(tmp_path):
    faces = np.stack([face(1), face(2)]).astype(np.float32)
    path = tmp_path / "f.npz"
    np.savez(path, x_train=faces[..., None] / 255.0, y_train=np.array([0, 1]),
             x_val=faces, y_val=np.array([[2], [3]]))
    data = load_npz(path)
    assert data.train.faces.dtype == np.uint8 and data.train.faces.shape == (2, 48, 48)
    np.testing.assert_array_equal(data.train.faces, faces.astype(np.uint8))  # 0..1 floats scaled back
    np.testing.assert_array_equal(data.val.faces, faces.astype(np.uint8))
    assert data.val.labels.tolist() == [2, 3]


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"faces": np.zeros((2, 48, 48))}, "holds none of x_train/y_train"),
        ({"x_test": np.zeros((2, 48, 48))}, "holds none of x_train/y_train"),
        ({"x_test": np.zeros((2, 32, 32)), "y_test": np.zeros(2)}, r"faces must have shape \(N, 48, 48\)"),
        ({"x_test": np.zeros((2, 48, 48)), "y_test": np.zeros(3)}, "2 faces but 3 labels"),
        ({"x_test": np.zeros((2, 48, 48)), "y_test": np.array([0, 9])}, r"labels must be 0\.\.6"),
        ({"x_test": np.zeros((2, 48, 48)), "y_test": np.array([0, -1])}, r"labels must be 0\.\.6"),
    ],
)
def test_npz_malformed(tmp_path, arrays, message):
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(DatasetError, match=message) as info:
        load_fer(path)
    assert "bad.npz" in str(info.value)


def test_npz_not_an_archive(tmp_path):
    path = tmp_path / "junk.npz"
    path.write_text("hello, not a zip")
    with pytest.raises(DatasetError, match=r"cannot read .*junk\.npz: it is not an npz archive") as info:
        load_fer(path)
    assert "pickled" not in str(info.value)


def test_npz_object_array(tmp_path):
    path = tmp_path / "objects.npz"
    np.savez(path, x_test=np.zeros((2, 48, 48), dtype=object), y_test=np.array([0, 1]))
    with pytest.raises(DatasetError, match=r"objects\.npz"):
        load_fer(path)


# --- damaged and hostile npz files (each was a traceback before) -----------------------------------

def good_npz_bytes(tmp_path, fer_fixture) -> bytes:
    faces, labels = fer_fixture
    path = tmp_path / "good.npz"
    np.savez(path, x_test=faces, y_test=labels)
    return path.read_bytes()


@pytest.mark.parametrize("fraction", [0.3, 0.9, 0.999])
def test_npz_truncated(tmp_path, fer_fixture, fraction):
    data = good_npz_bytes(tmp_path, fer_fixture)
    path = tmp_path / "truncated.npz"
    path.write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(DatasetError, match=r"cannot read .*truncated\.npz"):
        load_fer(path)


def test_npz_damaged_member(tmp_path, fer_fixture):
    faces, labels = fer_fixture
    path = tmp_path / "damaged.npz"
    np.savez_compressed(path, x_test=faces, y_test=labels)
    data = bytearray(path.read_bytes())
    middle = len(data) // 3
    data[middle: middle + 200] = bytes(200)  # zero a stretch of compressed pixels; the directory stays intact
    path.write_bytes(bytes(data))
    with pytest.raises(DatasetError, match=r"damaged\.npz"):
        load_fer(path)


def test_npz_empty_file(tmp_path):
    path = tmp_path / "empty.npz"
    path.write_bytes(b"")
    with pytest.raises(DatasetError, match=r"cannot read .*empty\.npz: the file is empty"):
        load_fer(path)


def test_npz_single_array_file(tmp_path):
    path = tmp_path / "single.npz"
    with open(path, "wb") as handle:
        np.save(handle, np.zeros(3))
    with pytest.raises(DatasetError, match="not an npz archive"):
        load_fer(path)


@pytest.mark.parametrize("labels", [np.array(["angry", "happy"]), np.array([b"0", b"1"]),
                                    np.array([0.5, 1.0]), np.array([np.nan, 1.0])])
def test_npz_labels_that_are_not_whole_numbers(tmp_path, labels):
    path = tmp_path / "labels.npz"
    np.savez(path, x_test=np.zeros((2, 48, 48), np.uint8), y_test=labels)
    with pytest.raises(DatasetError, match=r"labels\.npz\[test\]: labels must be"):
        load_fer(path)


def test_npz_whole_float_labels_are_accepted(tmp_path):
    path = tmp_path / "float_labels.npz"
    np.savez(path, x_test=np.zeros((2, 48, 48), np.uint8), y_test=np.array([3.0, 6.0]))
    assert load_fer(path).test.labels.tolist() == [3, 6]


@pytest.mark.parametrize("bad_value", [np.nan, np.inf, -np.inf])
def test_npz_non_finite_faces_are_refused(tmp_path, bad_value):
    faces = np.full((3, 48, 48), 100.0, np.float32)
    faces[1, 10, 10] = bad_value
    path = tmp_path / "nan.npz"
    np.savez(path, x_test=faces, y_test=np.array([0, 1, 2]))
    with pytest.raises(DatasetError, match=r"1 face\(s\) contain NaN or infinite pixels"):
        load_fer(path)


@pytest.mark.parametrize("faces", [np.full((2, 48, 48), 300, np.int64), np.full((2, 48, 48), -5.0)])
def test_npz_pixels_out_of_range_are_refused(tmp_path, faces):
    path = tmp_path / "range.npz"
    np.savez(path, x_test=faces, y_test=np.array([0, 1]))
    with pytest.raises(DatasetError, match=r"pixels must be 0\.\.255"):
        load_fer(path)


def test_npz_text_faces_are_refused(tmp_path):
    path = tmp_path / "text.npz"
    np.savez(path, x_test=np.full((2, 48, 48), "x"), y_test=np.array([0, 1]))
    with pytest.raises(DatasetError, match="faces must be numbers"):
        load_fer(path)


def test_csv_field_over_the_csv_limit(tmp_path):
    path = write_csv(tmp_path / "fer.csv")
    with open(path, "a") as handle:
        handle.write("0," + "1 " * 70_000 + ",Training\n")  # a 140,000-character field
    with pytest.raises(DatasetError, match=r"fer\.csv line 8: not a well-formed fer2013\.csv .*field larger"):
        load_fer(path)


def test_csv_non_finite_pixels_name_the_line(tmp_path):
    rows = list(CSV_ROWS)
    path = write_csv(tmp_path / "fer.csv", rows)
    with open(path, "a") as handle:
        handle.write("0," + " ".join(["nan"] + ["1"] * 2303) + ",Training\n")
    with pytest.raises(DatasetError, match=r"line 8: pixels must be numbers 0\.\.255"):
        load_fer(path)


# --- dispatch ------------------------------------------------------------------------------------

def test_missing_path(tmp_path):
    with pytest.raises(DatasetError, match="does not exist"):
        load_fer(tmp_path / "nowhere.csv")


def test_unknown_suffix(tmp_path):
    path = tmp_path / "fer.parquet"
    path.write_text("x")
    with pytest.raises(DatasetError, match=r"expected a \.csv, a \.npz or a folder"):
        load_fer(path)


def test_dataset_error_is_a_value_error():
    assert issubclass(DatasetError, ValueError)


def test_unknown_split_name():
    data = FerDataset(train=Split(np.zeros((1, 48, 48), np.uint8), np.zeros(1, np.int64)),
                      val=None, test=None, source="memory")
    assert len(data.split("train")) == 1
    with pytest.raises(DatasetError, match="unknown split 'validation'"):
        data.split("validation")


def test_spread_sample_draws_across_a_split_sorted_by_label():
    labels = np.repeat(np.arange(7), 100)
    split = Split(np.arange(700, dtype=np.uint8).repeat(48 * 48).reshape(700, 48, 48), labels)
    sample = split.spread_sample(14)
    assert len(sample) == 14
    assert sorted(set(sample.labels.tolist())) == list(range(7))
    assert np.bincount(sample.labels).tolist() == [2] * 7
    assert sample.labels[0] == 0 and sample.labels[-1] == 6
    assert np.array_equal(sample.faces[:, 0, 0], split.faces[np.linspace(0, 699, 14).round().astype(int), 0, 0])


@pytest.mark.parametrize("limit", [None, 0, 700, 5000])
def test_spread_sample_without_a_binding_limit_is_the_whole_split(limit):
    split = Split(np.zeros((700, 48, 48), np.uint8), np.repeat(np.arange(7), 100))
    assert split.spread_sample(limit) is split


def test_spread_sample_refuses_a_negative_size():
    split = Split(np.zeros((7, 48, 48), np.uint8), np.arange(7))
    with pytest.raises(ValueError, match="positive number"):
        split.spread_sample(-3)
