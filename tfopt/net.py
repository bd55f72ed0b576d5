"""A fast reachability probe so offline downloads fail in seconds, not minutes.

TFDS retries a failed download with back-off for minutes; ``keras.utils.get_file``
can hang on a firewalled connection. Callers probe the download host first and turn
a failure into one clear line.
"""
import os
import socket
import urllib.parse

__all__ = ["unreachable_reason"]

_PROXY_VARS = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")


def unreachable_reason(url, *, timeout=3.0):
    """Says why `url`'s host cannot be reached, or returns None when it can.

    A configured proxy is trusted (the probe would bypass it), so the answer is None.

    Args:
        url: an http(s) URL or a bare host name.
        timeout: seconds allowed for name resolution plus the TCP connect.

    Returns:
        None when a TCP connection to the host opens within `timeout`, else a short
        reason such as "no network: cannot resolve storage.googleapis.com".

    Example:
        reason = unreachable_reason("https://storage.googleapis.com")
    """
    if any(os.environ.get(name) for name in _PROXY_VARS):
        return None
    parsed = urllib.parse.urlparse(url if "://" in url else f"https://{url}")
    host = parsed.hostname or url
    port = parsed.port or (80 if parsed.scheme == "http" else 443)
    try:
        socket.getaddrinfo(host, port)
    except OSError:
        return f"no network: cannot resolve {host}"
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return None
    except OSError as error:
        return f"no network: cannot connect to {host}:{port} ({error.__class__.__name__})"
