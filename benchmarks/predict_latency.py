"""Speed of the server side, on this CPU, one request at a time, for every model the app
offers (the default and each preset):
- the whole predict function (preprocess, trace, every view): target p95 <= 20 ms;
- one-image forward pass: target median <= 1 ms for the default model.

    .venv/bin/python -m benchmarks.predict_latency [--repeats 200]
"""
import argparse
import json
import time

import numpy as np
import torch

from demo.app import Predictor, load_models
from tests.helpers import draw_digit, png_data_url


def percentiles(seconds):
    ms = np.asarray(seconds) * 1000
    return {"p50_ms": round(float(np.percentile(ms, 50)), 2), "p95_ms": round(float(np.percentile(ms, 95)), 2),
            "max_ms": round(float(ms.max()), 2), "n": len(ms)}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--repeats", type=int, default=200)
    args = p.parse_args()
    torch.set_num_threads(1)  # as the app runs it
    models = load_models()  # every model the app serves
    predictor = Predictor(models)
    # What the page sends (a 280x280 PNG data URL) and what API clients send (a bigger array).
    drawings = [png_data_url(draw_digit(d, pen=0.05), side=280) for d in "70412"] + \
               [draw_digit(d, canvas=800, size=0.5, pen=0.03) for d in "70412"]
    for name, model in models.items():
        for d in drawings[:3]:
            predictor.predict(d, name)  # warm up
        timings = []
        for i in range(args.repeats):
            start = time.perf_counter()
            predictor.predict(drawings[i % len(drawings)], name)
            timings.append(time.perf_counter() - start)
        forward = []
        image = torch.rand(1, 28, 28)
        with torch.inference_mode():
            for _ in range(max(200, args.repeats)):
                start = time.perf_counter()
                model(image)
                forward.append(time.perf_counter() - start)
        print(json.dumps({"model": name, "predict": percentiles(timings), "forward_one_image": percentiles(forward),
                          "threads": torch.get_num_threads(), "params": model.num_params()}), flush=True)


if __name__ == "__main__":
    main()
