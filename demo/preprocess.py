"""Kept for code written against `demo.preprocess`: the preprocessing lives in
`model.preprocess`, shared by training and serving (the app does not own it)."""
from model.preprocess import *  # noqa: F401,F403
from model.preprocess import DrawingError, ink_map, skeletonize, to_mnist  # noqa: F401
