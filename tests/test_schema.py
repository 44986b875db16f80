"""Schema fuzzing (schemathesis) against the app's own OpenAPI: no server error, no response off the schema.

A bounded budget here; bench/fuzz.py runs the long one against a served process.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from support import TINY, make_settings

from libya_qa.app import create_app
from libya_qa.build import build_index
from libya_qa.corpus import load_corpus, write_article
from libya_qa.encoders import HashingEncoder
from libya_qa.qa import QA

TOKEN = "fuzz-token"
EXAMPLES = 25  # per operation and token state; bench/fuzz.py runs thousands


def fuzzed_app() -> FastAPI:
    """The app over a tiny index in a throwaway folder, admin endpoints on (schemathesis loads it at collection)."""
    folder = Path(tempfile.mkdtemp(prefix="libya-qa-fuzz-"))
    atexit.register(shutil.rmtree, folder, True)
    app_settings = replace(make_settings(folder, model="hashing-test-encoder", answer_threshold=0.0), admin_token=TOKEN)
    for article in TINY:
        write_article(app_settings.corpus_dir, article)
    build_index(app_settings, HashingEncoder(), load_corpus(app_settings.corpus_dir))
    return create_app(app_settings, QA(app_settings, HashingEncoder()))


schema = schemathesis.openapi.from_asgi("/openapi.json", fuzzed_app())
# "Schema-valid data is accepted" cannot hold here: JSON Schema's integer admits 4.0, which /ask refuses on
# purpose (issue 13), and some refusals depend on state (a pruned version) or on text the schema cannot
# describe (a lone surrogate, a body empty once normalised). Every other check runs.
schema.config.checks.positive_data_acceptance.enabled = False
# Schema-violating data may also be refused for its size (413) before it is parsed.
schema.config.checks.negative_data_rejection.expected_statuses.append("413")


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_without_a_token_no_request_makes_a_server_error_or_an_undocumented_response(case: schemathesis.Case) -> None:
    case.call_and_validate()


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_with_the_token_no_request_makes_a_server_error_or_an_undocumented_response(case: schemathesis.Case) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}"})
