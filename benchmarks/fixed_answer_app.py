"""`python -m demo` with the prediction replaced by one fixed answer: the same components,
queue settings and API, so load on it measures what the request path costs without our
model (`python -m benchmarks.load --fixed-answer`). Not for serving."""
import sys

import demo.__main__
from demo.app import Predictor
from model import load_model
from tests.helpers import draw_digit

ANSWER = Predictor(load_model()).predict(draw_digit("7"))  # label, four pictures, status
Predictor.predict = lambda self, value, model_name=None: ANSWER

if __name__ == "__main__":
    demo.__main__.main(sys.argv[1:])
