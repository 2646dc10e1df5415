"""The Hugging Face Space's entry point (`app_file` in README.md's front matter): `python -m demo`.

Spaces runs `python deploy/space.py` from the repository root with GRADIO_SERVER_NAME=0.0.0.0
and GRADIO_SERVER_PORT=7860 set, which `python -m demo` takes as its --host and --port defaults.
Anywhere else the app binds 127.0.0.1, as `python -m demo` does.
"""
import runpy
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a file, `demo` is beside deploy/
runpy.run_module("demo", run_name="__main__", alter_sys=True)
