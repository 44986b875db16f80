"""Prometheus metrics: requests by route and status, latency, answers, the index served, reloads, builds, shedding."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from ..app import Services

disable_created_metrics()  # the *_created series double the output and no dashboard here reads them
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 1.5, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """One registry per app (tests build many apps in one process; the global registry would clash)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "libya_qa_requests",
            "HTTP requests by method, route template and status",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "libya_qa_request_duration_seconds",
            "Time to answer a request",
            ("method", "route", "status"),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.answers = Counter(
            "libya_qa_answers", "Questions answered, by answer status", ("status",), registry=self.registry
        )

    def observe(self, method: str, route: str, status: int, seconds: float, answer: str | None) -> None:
        """Count one finished request."""
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route, str(status)).observe(seconds)
        if answer:
            self.answers.labels(answer).inc()

    def watch(self, services: Services) -> None:
        """Also report the served index, the watcher, builds and admission (read at each scrape)."""
        self.registry.register(StateCollector(services))


class StateCollector(Collector):
    """Gauges read from the running services when /metrics is scraped."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def collect(self) -> Iterator[Metric]:
        """The current values."""
        services = self.services
        yield from self._index(services)
        watcher = services.watcher.status()
        yield _gauge(
            "libya_qa_watcher_up", "1 while the index watcher polls, 0 once it has stopped", watcher.state != "stopped"
        )
        gate = services.gate
        yield _gauge("libya_qa_requests_in_progress", "Questions being answered now", gate.active)
        yield _gauge("libya_qa_requests_queued", "Questions waiting for an answering slot", gate.waiting)
        shed = CounterMetricFamily("libya_qa_shed", "Requests refused with 503 at capacity")
        shed.add_metric([], gate.shed)
        yield shed
        build = services.runner.snapshot()
        info = GaugeMetricFamily("libya_qa_build_info", "The last or running build", labels=["state", "stage"])
        info.add_metric([build.state, build.stage], 1)
        yield info
        if build.report is not None:
            yield _gauge(
                "libya_qa_build_duration_seconds", "How long the last finished build took", build.report.seconds
            )

    def _index(self, services: Services) -> Iterator[Metric]:
        """The index version served, its age and size, and failed reloads."""
        data = services.qa.loaded.snapshot
        info = GaugeMetricFamily("libya_qa_index_info", "The index version served", labels=["version"])
        info.add_metric([data.version], 1)
        yield info
        created = str(data.manifest.get("created", ""))
        try:
            age = time.time() - datetime.fromisoformat(created).timestamp()
        except ValueError:
            age = float("nan")
        yield _gauge("libya_qa_index_age_seconds", "Seconds since the served version was built", age)
        yield _gauge(
            "libya_qa_index_passages",
            "Passages in the served version",
            int(data.manifest.get("counts", {}).get("passages", 0)),
        )
        failures = CounterMetricFamily("libya_qa_reload_failures", "Index versions that failed to load")
        failures.add_metric([], services.qa.reload_failures)
        yield failures


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    """A single-valued gauge."""
    return GaugeMetricFamily(name, documentation, value=float(value))
