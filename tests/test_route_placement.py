"""Where a JSON route runs (api/deps.py, RouteCost): on the event loop once its calls are known to be cheap,
in a worker thread when they are not, not yet measured, or the store is remote."""

# (no `from __future__ import annotations`: FastAPI must resolve the probe route's local dependency)
import asyncio
import time
from types import SimpleNamespace
from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from policykg.api.deps import RouteCost, json_route


class Where(BaseModel):
    on_loop: bool


def _on_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def probe_app(in_process: bool, budget: float) -> TestClient:
    services = SimpleNamespace(backend=SimpleNamespace(in_process=in_process), settings=SimpleNamespace(inline_budget=budget))
    app = FastAPI()

    def get_services() -> Any:
        return services

    @app.get("/where", response_model=Where)
    @json_route
    def where(services: Annotated[Any, Depends(get_services)], sleep: float = 0.0) -> Where:
        time.sleep(sleep)
        return Where(on_loop=_on_loop())

    return TestClient(app)


def places(client: TestClient, *sleeps: float) -> list[bool]:
    return [client.get("/where", params={"sleep": sleep}).json()["on_loop"] for sleep in sleeps]


def test_a_cheap_route_moves_to_the_loop_after_its_first_call() -> None:
    assert places(probe_app(in_process=True, budget=0.05), 0, 0, 0) == [False, True, True]


def test_a_slow_route_stays_in_a_thread() -> None:
    assert places(probe_app(in_process=True, budget=0.005), 0.02, 0.02) == [False, False]


def test_a_route_that_becomes_slow_goes_back_to_a_thread() -> None:
    # cheap calls bring it to the loop; one call of 20 x the budget lifts the average over it
    assert places(probe_app(in_process=True, budget=0.01), 0, 0, 0.2, 0) == [False, True, True, False]


@pytest.mark.parametrize("in_process, budget", [(False, 1.0), (True, 0.0)], ids=["remote-store", "budget-0"])
def test_never_on_the_loop_for_a_remote_store_or_a_zero_budget(in_process: bool, budget: float) -> None:
    assert places(probe_app(in_process, budget), 0, 0, 0) == [False, False, False]


def test_the_average_weighs_the_newest_call() -> None:
    cost = RouteCost()
    assert not cost.cheap(1.0)  # not measured yet
    cost.seconds = 0.001
    assert cost.cheap(0.002) and not cost.cheap(0.001)
    with cost.timed():
        time.sleep(0.05)
    assert 0.001 + RouteCost.WEIGHT * (0.05 - 0.001) <= cost.seconds < 0.001 + RouteCost.WEIGHT * (0.5 - 0.001)


def test_an_error_is_timed_too() -> None:
    cost = RouteCost()
    with pytest.raises(ValueError), cost.timed():
        raise ValueError("no such item")
    assert cost.seconds is not None
