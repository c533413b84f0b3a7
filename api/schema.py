"""What drf-spectacular needs to describe the API's authentication: a bearer token."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer",
                "description": "A personal API token: the API tokens page or `manage.py api_token USERNAME`."}


def strict_objects(result, generator, request, public):
    """A postprocessing hook: the request objects of StrictSerializer refuse unknown fields, so the
    schema says so (`additionalProperties: false`) and clients and generated tests know it."""
    from api.base import StrictSerializer

    strict = {cls.__name__.removesuffix("Serializer") for cls in _subclasses(StrictSerializer)}
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if (name in strict or name.removesuffix("Request") in strict) and component.get("type") == "object":
            component["additionalProperties"] = False
    return result


def _subclasses(cls) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub} | _subclasses(sub)
    return found
