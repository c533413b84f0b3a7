"""Container health check (docker-compose `web` service): exit 0 when GET /health/ answers 200.

It asks the way a request through the TLS proxy arrives, so that production settings let it
through: the Host header is a name from ALLOWED_HOSTS (any other is refused with 400) and
X-Forwarded-Proto is https (SECURE_SSL_REDIRECT would otherwise answer with a redirect).
Standard library only.
"""

import os
import sys
import urllib.request


def health_host() -> str:
    for name in os.environ.get("ALLOWED_HOSTS", "").split(","):
        name = name.strip().lstrip(".")  # ".example.com" allows example.com itself too
        if name and name != "*":
            return name
    return "localhost"


def main() -> int:
    port = os.environ.get("PORT", "8000")
    request = urllib.request.Request(f"http://127.0.0.1:{port}/health/",
                                     headers={"Host": health_host(), "X-Forwarded-Proto": "https"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            ok = response.status == 200
    except OSError as error:  # URLError and HTTPError are OSErrors
        print(f"unhealthy: {error}", file=sys.stderr)
        return 1
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
