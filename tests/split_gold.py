"""Split a gold set into a tuning half and a held-out validation half.

The split is stratified by ``type`` and uses a fixed seed per set: qa_own.jsonl with
``random.Random(20261123)``, qa_words.jsonl (questions in a user's own words) with
``random.Random(20261207)``. Each was done ONCE, before any system results on these questions
were looked at.
Do NOT re-run it with another seed, do not move items between the halves and do
not re-split after looking at results: qa_validation.jsonl is only meaningful as
an untouched held-out set.  (Re-running this script unchanged on an unchanged
qa_own.jsonl reproduces exactly the same two files.)

Usage:  python tests/split_gold.py [own|words]
Writes: tests/data/qa_tune.jsonl and tests/data/qa_validation.jsonl (own, the default), or
        tests/data/qa_words_tune.jsonl and tests/data/qa_words_validation.jsonl (words)
"""
import json
import random
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent / 'data'
SETS = {'own': ('qa_own.jsonl', 20261123, 'qa_tune.jsonl', 'qa_validation.jsonl'),
        'words': ('qa_words.jsonl', 20261207, 'qa_words_tune.jsonl', 'qa_words_validation.jsonl')}


def main(which: str = 'own') -> None:
    source, seed, tune_name, val_name = SETS[which]
    items = [json.loads(line) for line in
             (HERE / source).read_text(encoding='utf-8').splitlines() if line.strip()]
    rng = random.Random(seed)
    by_type = defaultdict(list)
    for it in items:
        by_type[it['type']].append(it)
    tune, val = [], []
    extra_to_tune = True  # odd-sized strata: alternate which half gets the extra item
    for typ in sorted(by_type):
        group = by_type[typ][:]
        rng.shuffle(group)
        half = len(group) // 2
        if len(group) % 2:
            half += 1 if extra_to_tune else 0
            extra_to_tune = not extra_to_tune
        tune.extend(group[:half])
        val.extend(group[half:])
    order = {it['id']: i for i, it in enumerate(items)}
    for name, part in ((tune_name, tune), (val_name, val)):
        part.sort(key=lambda it: order[it['id']])
        with open(HERE / name, 'w', encoding='utf-8') as f:
            for it in part:
                f.write(json.dumps(it, ensure_ascii=False) + '\n')
        print(name, len(part))


if __name__ == '__main__':
    main(*sys.argv[1:2])
