"""Each handler answers exactly the routes the template sends it: no route lost, none unreachable."""

from __future__ import annotations

import importlib
from collections import defaultdict

from local.template import routes


def test_each_handler_registers_exactly_its_template_routes(template):
    expected: dict[str, set[str]] = defaultdict(set)
    for route in routes(template):
        expected[route.handler] |= {route.route_key}
    assert expected, "the template routes nothing"
    for handler, route_keys in expected.items():
        module = importlib.import_module(handler.rpartition(".")[0])
        assert module.app.route_keys == route_keys, handler
