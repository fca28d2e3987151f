"""The OpenAPI description's shared piece, apart from fundmgr.api so that REST framework's
settings can import that module before its generic views exist."""

from drf_spectacular.authentication import SessionScheme
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse

from fundmgr.api import PROBLEM, TITLES, ProblemSerializer


class VerifiedSessionScheme(SessionScheme):
    """The pages' session once past two-factor authentication is, to a client, REST framework's
    session cookie: described as such (else every operation warns, and `check --deploy` fails)."""

    target_class = "fundmgr.two_factor.VerifiedSessionAuthentication"


class AutoSchema(SpectacularAutoSchema):
    """REST_FRAMEWORK's DEFAULT_SCHEMA_CLASS: every operation also documents the problem
    documents it can answer, so a client (and schemathesis) knows every status it may meet."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = [400, 401, 403]
        if "{" in self.path or self._is_paginated_list():
            codes.append(404)  # no such record; or a page past the last
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            codes.append(409)
        if self.method in ("PUT", "PATCH"):
            codes += [412, 428]
        if self.method in ("POST", "PUT", "PATCH"):
            codes.append(415)
        for code in codes:
            responses.setdefault(
                str(code),
                self._get_response_for_code(
                    OpenApiResponse(ProblemSerializer, description=TITLES[code]),
                    str(code),
                    media_types=(PROBLEM,),
                    direction=direction,
                ),
            )
        return responses

    def _is_paginated_list(self) -> bool:
        return self.method == "GET" and self._is_list_view() and self._get_paginator() is not None
