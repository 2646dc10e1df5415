"""Is the app answering? `python deploy/health.py [URL]` exits 0 when it is, 1 when not.

The container's HEALTHCHECK runs it, and the balancer asks each replica the same path
(deploy/replicas.py hands HEALTH_PATH to haproxy.cfg). The path is Gradio's queue status: the
app's own event loop answers it, cheaply, so a replica that is up but stuck fails it too.
"""
import sys
import urllib.request

HEALTH_PATH = "/gradio_api/queue/status"


def healthy(url: str, timeout: float = 5) -> bool:
    try:
        with urllib.request.urlopen(url.rstrip("/") + HEALTH_PATH, timeout=timeout) as response:
            return response.status == 200
    except OSError:  # refused, timed out, or an HTTP error status
        return False


if __name__ == "__main__":
    sys.exit(0 if healthy(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:7860") else 1)
