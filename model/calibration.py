"""Honest confidence: a temperature fitted on held-out writers, and the figures that show it holds.

A network's softmax is not a probability of being right: trained on MNIST it may say "99%" to a
style it never saw. Temperature scaling (Guo et al., 2017) divides the logits by one number T,
fitted to minimise the negative log-likelihood on digits of writers kept out of training (the
"calibration" writers of model/pen_digits.py), so that among answers given with 90% confidence,
about 90% are right. The argmax does not change. Measured by the expected calibration error
(ECE: the gap between confidence and accuracy, averaged over 15 confidence bins, weighted by the
answers in each) on the TEST writers, before (T = 1) and after.

The "not sure" threshold follows from the calibrated confidences: the page says "not sure" below
`unsure_below`, the calibrated confidence that only UNSURE_SHARE of the calibration writers' real
digits fall under (so real digits are rarely called unsure), and never below 0.5 (an answer shown
as sure is more likely right than wrong).

`calibrate(model)` sets the model's temperature and returns the threshold; `pen_digit_report(model)`
gives every figure of the model card and of `python -m benchmarks.pen_digits`.
"""
import numpy as np
import torch

from .pen_digits import load_pen_digits, not_digit_images, redraw_mnist, replay

ECE_BINS = 15
UNSURE_SHARE = 0.01  # of the calibration writers' real digits that may be called "not sure"
UNSURE_BELOW_UNCALIBRATED = 0.6  # the "not sure" threshold of weights saved without one of their own
TEMPERATURES = np.exp(np.linspace(np.log(0.2), np.log(5.0), 641))  # the search grid for T
SETS = ("uji", "pendigits")
NOT_DIGITS = 500  # letters and scribbles drawn for the not-sure rates
MNIST_REDRAWN = 2000  # MNIST test digits redrawn as pen strokes, evenly spread over the test set
# Each test digit is drawn this many times (its own random size, place and pen each time): one draw
# of 400 UJI digits moves the accuracy by a few tenths of a percent from the pens and sizes alone.
DRAWS = 5


def unsure_below(model) -> float:
    """The model's own "not sure" threshold (fitted in training), else UNSURE_BELOW_UNCALIBRATED."""
    return float(model.metadata.get("unsure_below", UNSURE_BELOW_UNCALIBRATED))


@torch.no_grad()
def raw_logits(model, images: np.ndarray, batch_size: int = 1000) -> torch.Tensor:
    """The model's logits with temperature 1 (its own temperature undone)."""
    model.eval()
    x = torch.from_numpy(images)
    return torch.cat([model(x[i:i + batch_size]) * model.temperature for i in range(0, len(x), batch_size)])


def fit_temperature(logits: torch.Tensor, labels) -> float:
    """The temperature T minimising the mean negative log-likelihood of softmax(logits / T)."""
    labels = torch.as_tensor(labels)
    nll = [torch.nn.functional.cross_entropy(logits / t, labels).item() for t in TEMPERATURES]
    return float(TEMPERATURES[int(np.argmin(nll))])


def expected_calibration_error(probs, labels, bins: int = ECE_BINS) -> float:
    """sum over confidence bins of (answers in bin / all) * |accuracy in bin - mean confidence in bin|."""
    probs, labels = np.asarray(probs), np.asarray(labels)
    confidence, correct = probs.max(1), probs.argmax(1) == labels
    which = np.minimum((confidence * bins).astype(int), bins - 1)
    return float(sum(abs(correct[which == b].mean() - confidence[which == b].mean()) * (which == b).mean()
                     for b in range(bins) if (which == b).any()))


def unsure_threshold(calibrated_confidence) -> float:
    """The confidence under which only UNSURE_SHARE of real digits fall (at least 0.5)."""
    return max(0.5, float(np.quantile(np.asarray(calibrated_confidence), UNSURE_SHARE)))


def spread(items, limit):
    """At most `limit` items, evenly spread (all digits and writers), for quick runs."""
    if not limit or limit >= len(items):
        return items
    return [items[i] for i in np.linspace(0, len(items) - 1, limit).astype(int)]


def calibrate(model, seed: int = 0, limit=None, processes: int = 1) -> dict:
    """Fit and set `model.temperature` on the calibration writers' digits drawn on the page's
    canvas; returns the temperature, the not-sure threshold and what they were fitted on."""
    images, labels = replay(spread(load_pen_digits("calibration"), limit), seed, processes=processes)
    logits = raw_logits(model, images)
    temperature = fit_temperature(logits, labels)
    model.temperature.fill_(temperature)
    confidence = torch.softmax(logits / temperature, 1).max(1).values.numpy()
    return {"temperature": round(temperature, 4), "unsure_below": round(unsure_threshold(confidence), 4),
            "calibration_digits": len(labels)}


def _scores(probs: np.ndarray, labels: np.ndarray, unsure_below: float, draws: int) -> dict:
    """Figures of one set, its `draws` drawings of every digit one after the other."""
    predicted = probs.argmax(1)
    confusion = np.zeros((10, 10), int)
    np.add.at(confusion, (labels, predicted), 1)
    right = predicted == labels
    per_draw = right.reshape(draws, -1).mean(1)
    return {"accuracy": round(float(right.mean()), 4), "n": int(len(labels)) // draws,
            "draws": draws, "per_draw": [round(float(a), 4) for a in per_draw],
            "per_digit": [round(float(confusion[d, d] / max(1, confusion[d].sum())), 4) for d in range(10)],
            "not_sure": round(float((probs.max(1) < unsure_below).mean()), 4),
            "confusion": confusion.tolist()}  # rows: the true digit, columns: the answer


def pen_digit_report(model, unsure_below: float, seed: int = 0, limit=None, processes: int = 1,
                     mnist_test=None, draws: int = DRAWS, writers: str = "test") -> dict:
    """The test writers' (or, for choosing a design, the calibration writers') digits of each set,
    each drawn `draws` times on the page's canvas: accuracy (over all drawings, and of each draw; per digit; confusion matrix), ECE with the
    model's temperature and with T = 1, and how often the page would say "not sure" to them and
    to letters and scribbles; with `mnist_test` (uint8 images, labels), also the accuracy on
    MNIST test digits redrawn as pen strokes."""
    digits = spread(load_pen_digits(writers), limit)
    images, labels = replay(digits, seed, copies=draws, processes=processes)
    logits = raw_logits(model, images)
    temperature = float(model.temperature)
    probs, probs_before = torch.softmax(logits / temperature, 1).numpy(), torch.softmax(logits, 1).numpy()
    dataset = np.tile([d.dataset for d in digits], draws)
    report = {name: _scores(probs[dataset == name], labels[dataset == name], unsure_below, draws) for name in SETS}
    n_not_digits = min(NOT_DIGITS, limit or NOT_DIGITS)
    for kind in ("letters", "scribbles"):
        drawings = not_digit_images(kind, n_not_digits, seed, processes)
        confidence = torch.softmax(raw_logits(model, drawings) / temperature, 1).max(1).values.numpy()
        report[f"not_sure_{kind}"] = round(float((confidence < unsure_below).mean()), 4)
    if mnist_test is not None:
        mnist_images, mnist_labels = mnist_test
        count = min(MNIST_REDRAWN, limit or MNIST_REDRAWN, len(mnist_labels))
        index = np.linspace(0, len(mnist_labels) - 1, count).astype(int)
        redrawn = redraw_mnist(np.asarray(mnist_images)[index], seed, processes)
        right = raw_logits(model, redrawn).argmax(1).numpy() == np.asarray(mnist_labels)[index]
        report["mnist_redrawn"] = {"accuracy": round(float(right.mean()), 4), "n": count}
    report.update({
        "not_sure_digits": round(float((probs.max(1) < unsure_below).mean()), 4),
        "ece_before": round(expected_calibration_error(probs_before, labels), 4),
        "ece_after": round(expected_calibration_error(probs, labels), 4),
        "temperature": round(temperature, 4), "unsure_below": unsure_below, "seed": seed,
        "n_letters_and_scribbles": n_not_digits,
    })
    return report
