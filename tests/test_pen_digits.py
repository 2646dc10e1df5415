"""model.pen_digits: the two pen-data readers, the split by writer, the replay on the page's
canvas, and the real-pen benchmark on a small slice."""
import json
import subprocess
import sys

import numpy as np
import pytest

from model.pen_digits import (
    CANVAS_SIDE,
    PEN_DIGITS_DIR,
    closed_four,
    crossed_seven,
    crossed_zero,
    curved_nine,
    draw_on_canvas,
    flagged_one,
    read_pendigits,
    read_uji,
    replay,
    split_of,
    with_conventions,
    with_entry_stroke,
    wobble,
)
from tests.helpers import ROOT, pen_digits_or_missing

UJI_SAMPLE = {"rawData": {
    "3": [[[[10, 10], [50, 10], [30, 40]], [[30, 40], [50, 70], [10, 70]]],  # writer 0, session 0: 2 strokes
          [[[10, 10], [50, 10], [30, 40], [50, 70], [10, 70]]],  # writer 0, session 1: 1 stroke
          [[[12, 8], [48, 12]], [[30, 40], [50, 70]], [[50, 70], [10, 72]]]],  # writer 1: 3 strokes
    "1": [[[[30, 0], [30, 90]]]],
}}

PENDIGITS_SAMPLE = """.INCLUDE        dene.doc

.LEXICON "0" "1" "2" "3" "4" "5" "6" "7" "8" "9"
.HIERARCHY      DIGIT

.SEGMENT DIGIT    0 ? "4"
.COMMENT 4 7  12
.PEN_DOWN
 100  300
 100  200
 180  200
.PEN_UP
.DT 300
.PEN_DOWN
 160  320
 160  100
.PEN_UP

.SEGMENT DIGIT    1 ? "1"
.COMMENT 1 9  13
.PEN_DOWN
 200  400
 205  100
.PEN_UP
"""


def test_uji_reader_labels_writers_and_strokes(tmp_path):
    path = tmp_path / "uji.json"
    path.write_text(json.dumps(UJI_SAMPLE))
    digits = read_uji(path)
    assert [d.label for d in digits] == [1, 3, 3, 3]
    assert [d.writer for d in digits] == ["uji-0", "uji-0", "uji-0", "uji-1"]  # sample i is writer i // 2
    assert [len(d.strokes) for d in digits] == [1, 2, 1, 3]
    np.testing.assert_array_equal(digits[1].strokes[1], [[30, 40], [50, 70], [10, 70]])  # y points down: unchanged


def test_pendigits_reader_labels_writers_strokes_and_y_flipped(tmp_path):
    path = tmp_path / "sample.tra"
    path.write_text(PENDIGITS_SAMPLE)
    four, one = read_pendigits(path, "tra")
    assert (four.label, four.writer, len(four.strokes)) == (4, "pendigits-tra-7", 2)
    assert (one.label, one.writer, len(one.strokes)) == (1, "pendigits-tra-9", 1)
    np.testing.assert_array_equal(four.strokes[0], [[100, -300], [100, -200], [180, -200]])  # y up there: flipped
    # The 4's first stroke goes down the page from its top: y grows downwards after the flip.
    assert four.strokes[1][0, 1] < four.strokes[1][1, 1]


def test_split_by_writer():
    assert [split_of("uji", f"uji-{w}") for w in (0, 29, 30, 39, 40, 59)] == \
        ["train", "train", "calibration", "calibration", "test", "test"]
    assert [split_of("pendigits", w) for w in ("pendigits-tra-1", "pendigits-tra-25", "pendigits-tra-26",
                                                "pendigits-tes-1", "pendigits-tes-14")] == \
        ["train", "train", "calibration", "test", "test"]


@pytest.fixture(scope="module")
def pen_digits():
    return pen_digits_or_missing()


def test_the_shared_sets_as_documented(pen_digits):
    uji = [d for d in pen_digits if d.dataset == "uji"]
    pendigits = [d for d in pen_digits if d.dataset == "pendigits"]
    assert len(uji) == 1200 and np.bincount([d.label for d in uji]).tolist() == [120] * 10
    assert len({d.writer for d in uji}) == 60
    assert len(pendigits) == 7494 + 3498
    assert len({d.writer for d in pendigits if "-tra-" in d.writer}) == 30
    assert len({d.writer for d in pendigits if "-tes-" in d.writer}) == 14
    # Stroke counts agree with the raw files: every .PEN_DOWN block is one stroke.
    raw_strokes = sum((PEN_DIGITS_DIR / "pendigits" / name).read_text().count(".PEN_DOWN")
                      for name in ("pendigits-orig.tra", "pendigits-orig.tes"))
    assert sum(len(d.strokes) for d in pendigits) == raw_strokes
    raw_uji = json.loads((PEN_DIGITS_DIR / "uji" / "ujipenchars2.json").read_text())["rawData"]
    assert [len(s) for s in raw_uji["7"][:6]] == [len(d.strokes) for d in uji if d.label == 7][:6]


def test_no_writer_is_in_two_splits_and_pendigits_test_writers_are_test_only(pen_digits):
    splits = {}
    for d in pen_digits:
        splits.setdefault(d.writer, set()).add(d.split)
    assert all(len(s) == 1 for s in splits.values())
    assert {d.split for d in pen_digits if "-tes-" in d.writer} == {"test"}
    counts = {split: len([d for d in pen_digits if d.split == split]) for split in ("train", "calibration", "test")}
    assert counts == {"train": 600 + 6246, "calibration": 200 + 1248, "test": 400 + 3498}


def ink_box(image):
    rows, cols = np.nonzero(image[..., 0] < 128)
    return rows.min(), rows.max() + 1, cols.min(), cols.max() + 1


def test_drawn_on_the_pages_canvas_at_the_asked_size_pen_and_inside_it():
    strokes = [np.array([[0, 0], [100, 0]], np.float32)]  # one horizontal line
    image = draw_on_canvas(strokes, np.random.default_rng(0), size=0.5, pen=18)
    assert image.shape == (CANVAS_SIDE, CANVAS_SIDE, 3) and image.dtype == np.uint8
    top, bottom, left, right = ink_box(image)
    assert abs((right - left) - (0.5 * CANVAS_SIDE + 18)) <= 2  # the line, plus the round pen's caps
    assert abs((bottom - top) - 18) <= 2  # the pen's width
    for seed in range(20):  # random size, place and pen: always wholly on the canvas, 35-75% of it
        image = draw_on_canvas([np.array([[0, 0], [60, 90], [0, 90]], np.float32)], np.random.default_rng(seed))
        top, bottom, left, right = ink_box(image)
        assert top > 0 and left > 0 and bottom < CANVAS_SIDE and right < CANVAS_SIDE
        assert 0.35 * CANVAS_SIDE <= bottom - top <= 0.75 * CANVAS_SIDE + 41


def test_replay_is_reproducible_in_any_number_of_processes(pen_digits):
    digits = pen_digits[::1000]
    one, labels = replay(digits, seed=3, copies=2)
    two, labels_two = replay(digits, seed=3, copies=2, processes=2)
    np.testing.assert_array_equal(one, two)
    assert labels.tolist() == labels_two.tolist() == [d.label for d in digits] * 2
    assert one.shape == (2 * len(digits), 28, 28) and (one.reshape(len(one), -1).max(1) > 0.5).all()
    assert not np.array_equal(one, replay(digits, seed=4, copies=2)[0])


def box_of(strokes):
    points = np.concatenate(strokes)
    return points.min(0), points.max(0), np.ptp(points[:, 1])


ONE = [np.array([[50, 0], [50, 100]], np.float32)]  # a bare stroke down
SEVEN = [np.array([[0, 0], [60, 0], [20, 100]], np.float32)]  # bar, then the stem down-left
FOUR = [np.array([[30, 0], [0, 60], [60, 60]], np.float32), np.array([[45, 10], [45, 100]], np.float32)]  # open top
NINE = [np.array([[60, 40], [20, 40], [20, 0], [60, 0], [60, 40], [60, 100]], np.float32)]
ZERO = [np.array([[0, 0], [60, 0], [60, 100], [0, 100], [0, 0]], np.float32)]


def test_writing_conventions_change_the_digit_the_way_the_convention_says():
    rng = np.random.default_rng(0)
    flag = flagged_one(ONE, box_of(ONE), rng)[1]
    assert np.allclose(flag[-1], (50, 0)) and flag[0, 0] < 50 and flag[0, 1] > 0  # into the top, from lower left
    bar = crossed_seven(SEVEN, box_of(SEVEN), rng)[1]
    stem_x = 60 - 40 * bar[:, 1].mean() / 100  # where the stem is at the bar's height
    assert bar[0, 0] < stem_x < bar[-1, 0] and 30 < bar[:, 1].mean() < 75  # across the stem, about mid-height
    two_strokes = [SEVEN[0][:2], SEVEN[0][1:]]  # a 7 drawn in two strokes may have its bar already
    assert crossed_seven(two_strokes, box_of(two_strokes), rng) == two_strokes
    lid = closed_four(FOUR, box_of(FOUR), rng)[2]
    assert {tuple(lid[0]), tuple(lid[-1])} == {(45, 10), (30, 0)}  # the arm's top joined to the stem's
    curved = curved_nine(NINE, box_of(NINE), rng)[0]
    assert np.array_equal(curved[:5], NINE[0][:5]) and curved[-1, 0] < 60  # the loop stays, the tail bends left


def test_a_zero_is_crossed_at_every_angle_short_or_past_the_loop_and_a_flag_may_be_long_or_curved():
    angles, lengths, flags, bends = [], [], [], []
    for seed in range(300):
        rng = np.random.default_rng(seed)
        cross = crossed_zero(ZERO, box_of(ZERO), rng)[1]
        assert np.abs((cross[0] + cross[-1]) / 2 - (30, 50)).max() <= 8 + 1e-3  # through about the middle
        direction = cross[-1] - cross[0]
        angles.append(np.degrees(np.arctan2(abs(direction[1]), abs(direction[0]))))  # 0: level, 90: upright
        along = direction / np.hypot(*direction)
        lengths.append(np.hypot(*direction) / np.ptp(ZERO[0] @ along))  # against the loop's width that way
        flag = flagged_one(ONE, box_of(ONE), rng)[1]
        assert np.allclose(flag[-1], (50, 0)) and flag[0, 0] < 50 and flag[0, 1] > 0  # into the top, from lower left
        flags.append(np.hypot(*(flag[-1] - flag[0])))
        chord = (flag[-1] - flag[0]) / flags[-1]
        bends.append(np.abs((flag - flag[0]) @ np.array([-chord[1], chord[0]])).max() / flags[-1])
    assert min(angles) < 10 and max(angles) > 80 and 30 < np.median(angles) < 60  # theta, slash and phi alike
    assert 0.5 - 1e-3 <= min(lengths) < 0.6 and 1.9 < max(lengths) <= 2.0 + 1e-3  # short to far past the loop
    assert min(flags) < 30 and max(flags) > 70  # 20-80% of the 100 high stem
    assert np.mean(np.array(bends) < 1e-3) > 0.3 and max(bends) > 0.15  # straight or bent like a bow


def test_an_entry_stroke_rises_from_lower_left_into_the_first_stroke():
    for seed in range(50):
        entered = with_entry_stroke(FOUR, box_of(FOUR), np.random.default_rng(seed))
        first, entry = entered[0], entered[0][:7]  # 7 new points, then the stroke as it was
        assert np.array_equal(first[7:], FOUR[0]) and np.array_equal(entered[1], FOUR[1])
        start = entry[0] - FOUR[0][0]  # where the pen came from, seen from the digit's first point
        length, below = np.hypot(*start), np.degrees(np.arctan2(start[1], -start[0]))
        assert 20 <= length <= 70 + 1e-3 and 20 - 1e-3 <= below <= 80 + 1e-3  # 20-70% of 100, from lower left
        along = start / length  # from the first point back to the entry's start
        off_chord = (entry - FOUR[0][0]) @ np.array([along[1], -along[0]])
        assert np.abs(off_chord).max() <= 0.1 * length + 1e-3  # a gentle curve
        gap = np.hypot(*(first[7] - first[6]))
        assert 0 < gap < 0.2 * length  # joined to the stroke, its first point not written twice


def test_a_wobble_bends_strokes_smoothly_and_by_at_most_six_percent_of_the_digit():
    strokes = [np.stack([np.full(50, 0.0), np.linspace(0, 100, 50)], 1).astype(np.float32)]  # a straight line
    moved = [wobble(strokes, np.random.default_rng(seed))[0] for seed in range(50)]
    shifts = np.stack([m - strokes[0] for m in moved])
    assert np.abs(shifts).max() <= 6 + 1e-3 and np.abs(shifts).max() > 3  # up to 6% of a 100-long digit
    assert np.abs(np.diff(shifts, axis=1)).max() < 2.5  # points 2 apart move alike: a slow bend, not noise


def test_training_copies_take_a_convention_sometimes_and_other_digits_only_hooks_and_entries():
    conventional = hooked = entered = crossed_or_flagged = 0
    for seed in range(300):
        copy = with_conventions(SEVEN, 7, np.random.default_rng(seed))
        conventional += len(copy) > 1  # the crossbar is a stroke of its own
        crossed_or_flagged += sum(len(with_conventions(digit, label, np.random.default_rng([seed, label]))) > 1
                                  for digit, label in ((ZERO, 0), (ONE, 1)))  # a crossing or a flag: a new stroke
        for digit in (2, 3, 5, 6, 8):  # no convention: the same one stroke, perhaps longer by hooks or an entry
            other = with_conventions(SEVEN, digit, np.random.default_rng(seed))
            new_points = len(other[0]) - 3
            assert len(other) == 1 and new_points in (0, 3, 6, 7, 10, 13)  # hooks of 3 new points, an entry of 7
            hooked += new_points % 7 > 0
            entered += new_points >= 7
            assert any(np.array_equal(other[0][k:k + 3], SEVEN[0]) for k in (0, 3, 7, 10))  # the digit unchanged
    assert 0.25 < conventional / 300 < 0.45  # about CONVENTION_SHARE[7] (0.35)
    assert 0.42 < crossed_or_flagged / 600 < 0.58  # about CONVENTION_SHARE[0] and [1] (0.5)
    assert 0.12 < hooked / 1500 < 0.26  # about 1 - (1 - HOOK_SHARE)^2 = 0.19
    assert 0.06 < entered / 1500 < 0.14  # about ENTRY_SHARE (0.1)


def test_benchmark_on_a_small_slice(pen_digits):
    """The benchmark's figures on 60 test digits of the committed default model."""
    proc = subprocess.run([sys.executable, "-m", "benchmarks.pen_digits", "--limit", "60", "--by-writer", "--json",
                           "--compare", "weights/lstm64.pt"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["uji"]["n"] + report["pendigits"]["n"] == 60
    for name in ("uji", "pendigits"):
        part = report[name]
        confusion = np.array(part["confusion"])  # every drawing of every digit
        assert part["draws"] == 5 and len(part["per_draw"]) == 5
        assert confusion.shape == (10, 10) and confusion.sum() == part["n"] * part["draws"]
        assert part["accuracy"] == round(np.trace(confusion) / confusion.sum(), 4)
        assert abs(np.mean(part["per_draw"]) - part["accuracy"]) < 1e-3
        writers = report["by_writer"][name]  # the same drawings, grouped by writer
        assert sum(w["drawings"] for w in writers) == confusion.sum()
        assert sum(w["misses"] for w in writers) == confusion.sum() - np.trace(confusion)
        assert all(sum(w["mistakes"].values()) == w["misses"] for w in writers)
        assert [w["misses"] for w in writers] == sorted((w["misses"] for w in writers), reverse=True)
        shared = report["shared_misses"][name]  # the same drawings again, read by both models
        default_misses, other_misses = shared["misses"]
        assert shared["drawings"] == confusion.sum() and default_misses == confusion.sum() - np.trace(confusion)
        assert shared["missed_by_all"] + shared["missed_by_any"] == default_misses + other_misses
        assert sum(shared["by_writer"].values()) == shared["missed_by_all"]
        own_misses = {w["writer"]: w["misses"] for w in writers}  # shared misses are the writer's own misses too
        assert all(count <= own_misses[writer] for writer, count in shared["by_writer"].items())
        # Averaged answers are right wherever both models are: at most the drawings either misses go wrong.
        assert shared["averaged_accuracy"] >= 1 - shared["missed_by_any"] / shared["drawings"] - 1e-4
    correct = sum(report[name]["accuracy"] * report[name]["n"] for name in ("uji", "pendigits"))
    assert correct / 60 > 0.85
    assert report["mnist_redrawn"]["n"] == 60 and report["mnist_redrawn"]["accuracy"] > 0.85
    assert 0 <= report["ece_after"] <= 1 and 0 <= report["not_sure_letters"] <= 1
