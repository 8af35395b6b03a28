"""Measure the pure intake building blocks at edition scale (run: python benchmarks/intake_pure.py)."""

from __future__ import annotations

import argparse
import time

import numpy as np

# A pool of common Chinese characters (CJK block slice) for synthetic, Zipf-distributed words.
_CHARS = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]
_BOILERPLATE = [
    "本项目针对生产过程中存在的问题，开展技术攻关，取得了显著的经济效益和社会效益。",
    "经推广应用，年创效益数百万元，具有较高的推广价值。",
    "该成果获得国家发明专利授权，达到国内领先水平。",
]


def synthetic_texts(n: int, *, length: int = 600, seed: int = 0, near_dups: int = 50) -> list[str]:
    """Texts on 300 topics: 60% topic words, 40% Zipf-common words, plus stock phrases."""
    rng = np.random.default_rng(seed)
    chars = np.array(_CHARS)
    vocab = ["".join(chars[rng.integers(len(chars), size=rng.integers(2, 5))]) for _ in range(30_000)]
    common = vocab[:2000]
    weights = 1.0 / np.arange(1, len(common) + 1)
    weights /= weights.sum()
    cdf = np.minimum(np.cumsum(weights), 1.0 - 1e-12)
    topics = [rng.choice(len(vocab) - 2000, size=400, replace=False) + 2000 for _ in range(300)]
    n_words = length // 3
    texts = []
    for _ in range(n):
        topic = topics[rng.integers(len(topics))]
        from_topic = rng.random(n_words) < 0.6
        picks = np.where(from_topic, topic[rng.integers(len(topic), size=n_words)],
                         np.searchsorted(cdf, rng.random(n_words)))
        texts.append("".join(vocab[w] for w in picks)[:length] + "".join(rng.choice(_BOILERPLATE, size=2)))
    for k in range(near_dups):  # lightly edited resubmissions
        src = texts[k]
        cut = len(src) // 10
        texts[n - 1 - k] = src[cut:] + "。有修改"
    return texts


def bench_textsim(n: int) -> None:
    from judging.textsim import ngram_matrix, near_duplicates

    texts = synthetic_texts(n)
    t0 = time.perf_counter()
    ngram_matrix(texts)
    t1 = time.perf_counter()
    pairs = near_duplicates(texts, 0.85)
    t2 = time.perf_counter()
    print(f"textsim: {n} texts x ~650 chars: matrix {t1 - t0:.2f} s, near_duplicates (incl. matrix) "
          f"{t2 - t1:.2f} s, {len(pairs)} pairs >= 0.85")


def bench_redaction(n_names: int, n_texts: int) -> None:
    from judging.nominations.redaction import NameIndex, redact

    rng = np.random.default_rng(1)
    surnames = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
    given = [chr(c) for c in range(0x4E00 + 500, 0x4E00 + 1500)]
    persons = {rng.choice(surnames) + "".join(rng.choice(given, size=rng.integers(1, 3))) for _ in range(n_names)}
    employers = {"江苏" + "".join(rng.choice(given, size=4)) + "有限公司" for _ in range(n_names // 4)}
    texts = synthetic_texts(n_texts, near_dups=0)
    persons_l, employers_l = sorted(persons), sorted(employers)
    for k in range(0, n_texts, 7):  # sprinkle real hits
        texts[k] = texts[k][:100] + persons_l[k % len(persons_l)] + "同志" + texts[k][100:] + employers_l[k % len(employers_l)]
    t0 = time.perf_counter()
    index = NameIndex.build(persons=persons, employers=employers)
    t1 = time.perf_counter()
    hits = 0
    for k, text in enumerate(texts):
        hits += len(redact(text, ["王建国", "13912345678"], global_names=index).hits)
    t2 = time.perf_counter()
    print(f"redaction: index of {len(persons)} persons + {len(employers)} employers built in {t1 - t0:.2f} s; "
          f"{n_texts} texts x ~650 chars redacted in {t2 - t1:.2f} s ({hits} hits)")


def bench_import(n_rows: int) -> None:
    import io

    from openpyxl import Workbook

    from judging.nominations.rows import parse_nomination_rows
    from judging.tabular import read_table

    cities = ["南京", "无锡", "徐州", "常州", "苏州", "南通", "连云港", "淮安", "盐城", "扬州", "镇江", "泰州", "宿迁"]
    header = ["类别", "城市", "项目名称", "简介", "完成人", "工作单位", "专利号", "联系电话"]
    texts = synthetic_texts(200, length=300, near_dups=0)
    rows = [
        ["十大科技成果", cities[i % 13], f"节能降耗技术改造项目{i}", texts[i % 200], f"王建{chr(0x4E00 + i % 5000)}、李秀英",
         f"江苏第{i % 900}钢铁有限公司", "ZL201910123456.7", f"139{i:08d}"]
        for i in range(n_rows)
    ]
    csv_data = ("\n".join(",".join(f'"{c}"' for c in r) for r in [header, *rows]) + "\n").encode("gb18030")
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    for r in [header, *rows]:
        sheet.append(r)
    out = io.BytesIO()
    workbook.save(out)
    for label, data in (("CSV (GB18030)", csv_data), ("XLSX", out.getvalue())):
        t0 = time.perf_counter()
        table = read_table(data, "bench")
        t1 = time.perf_counter()
        parsed, errors = parse_nomination_rows(table, known_cities=cities)
        t2 = time.perf_counter()
        print(f"import: {n_rows} rows {label} ({len(data) / 1e6:.1f} MB): read {t1 - t0:.2f} s, "
              f"parse+validate {t2 - t1:.2f} s ({len(parsed)} ok, {len(errors)} errors)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--texts", type=int, default=20_000)
    parser.add_argument("--names", type=int, default=20_000)
    args = parser.parse_args()
    bench_import(args.texts)
    bench_textsim(args.texts)
    bench_redaction(args.names, args.texts)


if __name__ == "__main__":
    main()
