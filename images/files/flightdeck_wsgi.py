"""flightdeck's WSGI entry point: the health endpoint in front of the application.

gunicorn serves `flightdeck_wsgi:application`. Requests for the health path
(FLIGHTDECK_HEALTH_PATH, from the user-data setting health_path; default
/healthz) are answered here, everything else goes to the application named by
FLIGHTDECK_WSGI_APP (module:attribute, baked into the image).

The health check says "this process serves, as the role it was given". It
deliberately does not touch the database or the cache: a database hiccup
must not make the load balancer drop every app server at once.
It fails (503) while the bootstrap's unhealthy marker exists.
"""

import importlib
import json
import os

UNHEALTHY_MARKER = os.environ.get("FLIGHTDECK_UNHEALTHY_MARKER", "/run/flightdeck/unhealthy")
HEALTH_PATH = os.environ.get("FLIGHTDECK_HEALTH_PATH") or "/healthz"


def load_application(spec):
    module_name, _, attribute = spec.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attribute or "application")


def health(environ, start_response):
    unhealthy = os.path.exists(UNHEALTHY_MARKER)
    body = json.dumps(
        {
            "status": "unhealthy" if unhealthy else "ok",
            "role": os.environ.get("FLIGHTDECK_ROLE", ""),
            "commit": os.environ.get("FLIGHTDECK_IMAGE_COMMIT", ""),
        }
    ).encode()
    status = "503 Service Unavailable" if unhealthy else "200 OK"
    start_response(
        status,
        [("Content-Type", "application/json"), ("Content-Length", str(len(body))), ("Cache-Control", "no-store")],
    )
    return [body]


def wrap(app, health_path=HEALTH_PATH):
    def application(environ, start_response):
        if environ.get("PATH_INFO") == health_path:
            return health(environ, start_response)
        return app(environ, start_response)

    return application


application = wrap(load_application(os.environ.get("FLIGHTDECK_WSGI_APP", "config.wsgi:application")))
