# The app in a container: `docker build -t lstm-digits . && docker run -p 7860:7860 --restart unless-stopped lstm-digits`
# (--restart brings it back if it dies; the health check below tells Docker whether it answers).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1
ENV PYTHONUNBUFFERED=1
ENV PIP_NO_CACHE_DIR=1
ENV PIP_DISABLE_PIP_VERSION_CHECK=1

# PyTorch's CPU-only wheels: the app runs on CPU, and PyPI's Linux torch pulls in CUDA
# libraries and triton (measured here: 5.3 GB of a 5.7 GB venv of requirements.txt; a CPU
# build of torch installs 754 MB). Another index (e.g. PyPI):
# docker build --build-arg TORCH_INDEX=https://pypi.org/simple .
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu

WORKDIR /app
COPY requirements.txt ./
# torch and torchvision at the versions requirements.txt pins, from TORCH_INDEX; then the rest.
RUN pip install --index-url "$TORCH_INDEX" $(grep -E '^torch(vision)?==' requirements.txt)
RUN pip install -r requirements.txt
RUN useradd --create-home --uid 1000 app

COPY demo/ demo/
COPY model/ model/
COPY weights/ weights/
COPY deploy/ deploy/
# Gradio writes a type stub beside the app (demo/app.pyi) when it is first imported; write it
# now, while building as root: the app's user may not write into /app.
RUN python -c "import demo.app"

USER app
EXPOSE 7860
HEALTHCHECK --interval=15s --timeout=5s --start-period=90s --retries=3 CMD python deploy/health.py http://127.0.0.1:7860
CMD ["python", "-m", "demo", "--host", "0.0.0.0"]
