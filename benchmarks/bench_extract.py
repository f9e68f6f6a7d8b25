"""Words per second of the extraction stage (sentences, actors, amounts, years), with and
without the pretrained NER, over the shipped reports (already parsed, so reading is not timed).

    .venv/bin/python benchmarks/bench_extract.py [PDF or folder ...]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from pipeline.cli import pdf_paths
from pipeline.nlp.actors import ActorMatcher, ActorRegistry
from pipeline.nlp.mentions import extract_mentions, home_region
from pipeline.nlp.sentences import sentence_splitter, split_sentences
from pipeline.reading.reader import read_pdf

DEFAULT = [Path(__file__).resolve().parents[1] / "corpus"]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("inputs", nargs="*", type=Path, default=DEFAULT)
    args = parser.parse_args()
    documents = [read_pdf(p) for p in pdf_paths(args.inputs)]
    splitter = sentence_splitter()
    registry = ActorRegistry.load()
    for use_ner in (False, True):
        matcher = ActorMatcher(registry, use_ner=use_ner)
        if use_ner and not matcher.ner_available:
            print("pretrained NER not installed: skipped")
            continue
        matcher.find("warm up the matchers")
        start = time.perf_counter()
        words = 0
        for document in documents:
            sentences = split_sentences(document, splitter)
            extract_mentions(sentences, matcher, home_region(document.title, matcher))
            words += sum(len(s.text.split()) for s in sentences)
        seconds = time.perf_counter() - start
        label = "with NER   " if use_ner else "without NER"
        print(f"extraction {label}: {words / seconds:9,.0f} words/s ({words:,} words in {seconds:.1f} s)")


if __name__ == "__main__":
    main()
