"""benchmarks/conventions.py: its habits do what their names say, on strokes of its own, and
the benchmark's figures on a small slice of the test writers."""
import json
import subprocess
import sys

import numpy as np

from benchmarks.conventions import HABITS, _intersections
from model.calibration import spread
from tests.helpers import ROOT, pen_digits_or_missing

TURN = np.linspace(0, 2 * np.pi, 61)
ZERO = [np.stack([30 + 30 * np.sin(TURN), 50 - 50 * np.cos(TURN)], 1)]  # an oval 60 wide, 100 high, from the top
ONE = [np.array([[50, 0], [50, 100]], np.float64)]


def habit(name, strokes, seed):
    return HABITS[name][1]([s.copy() for s in strokes], np.random.default_rng(seed))


def test_a_line_meets_a_loops_strokes_where_it_crosses_them():
    hits = _intersections(ZERO, np.array([30.0, 50.0]), np.array([0.0, 1.0]))  # straight down through the middle
    assert np.allclose(hits, [-50, 50], atol=0.1)


def test_zeros_are_crossed_through_the_loop_at_the_habits_angle():
    for seed in range(40):
        phi = habit("0 crossed like phi", ZERO, seed)[1]
        assert abs(phi[:, 0].mean() - 30) < 10 and phi[:, 1].min() < 0 and phi[:, 1].max() > 100  # past both ends
        theta = habit("0 crossed like theta", ZERO, seed)[1]
        rise = np.degrees(np.arctan2(abs(theta[-1, 1] - theta[0, 1]), abs(theta[-1, 0] - theta[0, 0])))
        assert rise <= 15 + 1e-6 and 30 < theta[:, 1].mean() < 70  # about level, about mid-height
        slash = habit("0 slashed", ZERO, seed)[1]
        rise = np.degrees(np.arctan2(abs(slash[-1, 1] - slash[0, 1]), abs(slash[-1, 0] - slash[0, 0])))
        assert 30 - 1e-6 <= rise <= 60 + 1e-6


def test_a_flag_is_written_in_one_stroke_with_the_stem_from_lower_left():
    for name in ("1 with a long flag", "1 with a curved flag"):
        for seed in range(20):
            strokes = habit(name, ONE, seed)
            assert len(strokes) == 1  # the flag joins the stem: one pen-down
            flag_start, stem = strokes[0][0], strokes[0][-2:]
            assert np.array_equal(stem, ONE[0]) and flag_start[0] < 50 and flag_start[1] > 0
    long_flags = [np.hypot(*(habit("1 with a long flag", ONE, seed)[0][0] - (50, 0))) for seed in range(20)]
    assert min(long_flags) >= 50 - 1e-6  # at least half the height


def test_the_benchmark_on_a_slice_reports_every_habit_and_the_digits_as_written():
    slice_labels = [d.label for d in spread(pen_digits_or_missing("test"), 40)]  # as the benchmark's --limit 40
    proc = subprocess.run([sys.executable, "-m", "benchmarks.conventions", "--limit", "40", "--draws", "1", "--json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert set(report["habits"]) == set(HABITS)
    for name, row in report["habits"].items():
        assert row["n"] == slice_labels.count(HABITS[name][0]) > 0  # the slice's 0s, 1s or 7s, each given the habit
        assert 0 <= row["accuracy"] <= 1
        assert sum(row["misread_as"].values()) == round((1 - row["accuracy"]) * row["n"])
        assert str(HABITS[name][0]) not in row["misread_as"]
    assert report["as_written"]["n"] == 40 and report["as_written"]["accuracy"] > 0.85
