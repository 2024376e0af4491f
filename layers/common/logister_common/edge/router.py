"""Routing API Gateway route keys to the endpoint functions."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from logister_common.edge.answers import Answer, answer_for
from logister_common.edge.rejections import log_rejection
from logister_common.edge.request import PublicRequest
from logister_common.runtime import deadline

Route = Callable[[PublicRequest], Answer]


class Router:
    """Routes API Gateway route keys ("POST /api/v1/check_ins") to functions of a PublicRequest.

    Deliberately small: Powertools' resolver imports every resolver and event class it has (about
    50 ms of cold start here) to route a few fixed paths. Its limits: POST only, exact paths (no
    path parameters, no query parsing), no middleware, no CORS. The day a route needs any of those,
    use Powertools' APIGatewayHttpResolver instead. Exceptions become answers in one place,
    `answer_for`; every 4xx answer is logged once, by `log_rejection`.
    """

    def __init__(self) -> None:
        self._routes: dict[str, Route] = {}

    def post(self, *paths: str) -> Callable[[Route], Route]:
        def register(route: Route) -> Route:
            for path in paths:
                self._routes[f"POST {path}"] = route
            return route

        return register

    @property
    def route_keys(self) -> frozenset[str]:
        """Every route key registered ("POST /api/v1/check_ins"), for the test against the template."""
        return frozenset(self._routes)

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        """The answer to the event, its AWS calls bounded by what the Lambda context has left."""
        route = self._routes.get(event.get("routeKey", ""))
        if route is None:
            return Answer(404, {"error": "Not Found"}).to_lambda()
        request = None
        try:
            with deadline.answering_within(context.get_remaining_time_in_millis() / 1000):
                request = PublicRequest.from_event(event)
                answer = route(request)
        except Exception as error:
            answer = answer_for(error)
        if 400 <= answer.status < 500:
            log_rejection(event, request, answer)
        return answer.to_lambda()
