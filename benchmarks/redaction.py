"""Redaction and the review's detector at edition scale (run: python benchmarks/redaction.py).

Builds 20,000 synthetic nominations the way the demo writes them (people, employers of the province,
titles, bodies) with identities written into the text in the forms real 推荐表 use (traditional,
pinyin, surname with title, short names, city and district, numbers in several shapes), the
edition-wide index over all of them plus the shipped short-name dictionary, then times:

- redaction: each nomination's own forms (identity.OwnNames) and ``redact`` over title, summary and
  body, reported in ms per 1,000 characters (target: <= 2 ms);
- the review's detector over one nomination's page (judged text plus a 20,000-character attachment
  text), reported in ms per page (target: < 1 s).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from importlib import resources

from judging.demo.content import CITIES, INDUSTRIES, CategoryKey, body, employer, person, title
from judging.nominations import detector
from judging.nominations.dictionary import parse_lines
from judging.nominations.identity import Identity, OwnNames, traditional
from judging.nominations.redaction import NameIndex, redact


def _forms_text(rng: random.Random, first: str, member: str, city: str, short: str) -> str:
    surname = first[0]
    mobile = f"1{rng.choice('3578')}{rng.randint(10**8, 10**9 - 1)}"
    return (f"{traditional(first)}同志带领{member}等人攻关，{surname}工、{surname}师傅和小{surname}形成了{surname}氏操作法，"
            f"在{city}市及{city}地区推广，{short}的职工参与。电话{mobile[:3]}.{mobile[3:7]}.{mobile[7:]}，"
            f"手机尾号{mobile[-4:]}，专利20{rng.randint(15, 25)}1{rng.randint(10**6, 10**7 - 1)}.{rng.randint(0, 9)}。")


def build(n: int, seed: int):
    rng = random.Random(seed)
    seeded = parse_lines(resources.files("judging.nominations").joinpath("data/short_names.tsv").read_text("utf-8"))
    shorts = [s for _, names in seeded for s in names]
    nominations = []
    for _ in range(n):
        city, industry = rng.choice(CITIES), rng.choice(INDUSTRIES)
        firm = employer(rng, city, industry)
        people = [person(rng) for _ in range(rng.randint(1, 5))]
        team = [person(rng) for _ in range(rng.randint(0, 4))]
        key = rng.choice(list(CategoryKey))
        name = title(rng, key, people[0])
        summary, text = body(rng, name, industry)
        short = rng.choice(shorts)
        # A real 推荐表's body runs to a few thousand characters: several sections, identities among them.
        sections = [body(rng, title(rng, key, people[0]), industry)[1] for _ in range(rng.randint(6, 12))]
        sections.insert(rng.randint(0, len(sections)), _forms_text(rng, people[0], team[0] if team else people[-1],
                                                                   city, short))
        text = "\n".join([text, *sections])
        identity = Identity(persons=(*people, *team), employer=firm, short_names=(short,), city=city,
                            phones=(f"139{rng.randint(10**7, 10**8 - 1)}",), emails=(f"c{len(nominations)}@example.cn",))
        nominations.append((identity, (name, summary, text)))
    persons = {p for identity, _ in nominations for p in identity.persons}
    employers = {identity.employer for identity, _ in nominations}
    started = time.perf_counter()
    index = NameIndex.build(persons=sorted(persons | {traditional(p) for p in persons}),
                            employers=sorted(employers), short_names=sorted(set(shorts)))
    return nominations, index, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20_000, help="synthetic nominations (default 20000)")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    nominations, index, build_seconds = build(args.n, args.seed)
    print(f"{args.n} nominations; edition index of {index.size} names built in {build_seconds:.2f} s")

    chars = 0
    building, matching, per_nomination = 0.0, 0.0, []
    masked = 0
    for identity, texts in nominations:
        t0 = time.perf_counter()
        names = OwnNames(identity.strings(), index)
        t1 = time.perf_counter()
        for text in texts:
            result = redact(text, global_names=names)
            masked += len(result.hits)
            chars += len(text)
        t2 = time.perf_counter()
        building += t1 - t0
        matching += t2 - t1
        per_nomination.append(t2 - t0)
    kchars = chars / 1000
    print(f"text: {chars:,} characters ({chars / len(nominations):,.0f} per nomination), {masked:,} hits masked")
    print(f"redaction, matching: {1000 * matching / kchars:.3f} ms per 1,000 characters")
    print(f"redaction, with each nomination's own forms built (traditional, pinyin, titles, employer, places): "
          f"{1000 * (matching + building) / kchars:.3f} ms per 1,000 characters; median "
          f"{1000 * statistics.median(per_nomination):.2f} ms, 99th percentile "
          f"{1000 * sorted(per_nomination)[int(0.99 * len(per_nomination))]:.2f} ms per nomination")

    rng = random.Random(args.seed)
    attachment = "".join(rng.choice(nominations)[1][2] for _ in range(40))[:20_000]
    pages = []
    for identity, texts in nominations[:500]:
        redacted = [redact(text, global_names=OwnNames(identity.strings(), index)).text for text in texts]
        t0 = time.perf_counter()
        detector.detect_fields({"title": redacted[0], "summary": redacted[1], "body": redacted[2],
                                "attachment": attachment})
        pages.append(time.perf_counter() - t0)
    print(f"review detector: median {1000 * statistics.median(pages):.1f} ms, max {1000 * max(pages):.1f} ms per "
          f"nomination page (judged text + a {len(attachment):,}-character attachment text), 500 pages")


if __name__ == "__main__":
    main()
