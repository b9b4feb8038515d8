"""Ways to reach the service: over HTTP (any deployment) or in process (same Flask app, test client)."""
from eval.backends.base import Backend, BackendError, BackendUnavailable

__all__ = ["Backend", "BackendError", "BackendUnavailable"]
