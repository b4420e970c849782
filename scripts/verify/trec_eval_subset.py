#!/usr/bin/env python3
"""Independent re-implementation of the trec_eval measures lsr reports (ndcg_cut, map_cut, recall,
P, recip_rank at cutoffs), written from trec_eval's definitions to cross-check lsr's numbers on a
machine without trec_eval. Every judged query counts (as `trec_eval -c`).

Usage: python3 scripts/verify/trec_eval_subset.py <qrels.tsv> <run.trec> [k ...]
"""
import math
import struct
import sys
from collections import defaultdict


def f32(x):
    # trec_eval stores scores as C float
    return struct.unpack('f', struct.pack('f', x))[0]


def main():
    qrels_path, run_path = sys.argv[1], sys.argv[2]
    cutoffs = [int(k) for k in sys.argv[3:]] or [1, 3, 5, 10, 100, 1000]
    qrels = defaultdict(dict)
    with open(qrels_path) as f:
        for line in f:
            parts = line.split()
            if not parts or parts[0] == 'query-id':
                continue
            qid, docid, rel = (parts[0], parts[1], parts[2]) if len(parts) == 3 else (parts[0], parts[2], parts[3])
            qrels[qid][docid] = int(rel)
    run = defaultdict(list)
    with open(run_path) as f:
        for line in f:
            qid, _, docid, _, score, _ = line.split()
            run[qid].append((docid, float(score)))

    totals = defaultdict(float)
    for qid, judged in qrels.items():
        # score descending, then docid descending (strcmp(ptr2, ptr1))
        ranked = sorted(run.get(qid, []), key=lambda h: h[0], reverse=True)
        ranked = sorted(ranked, key=lambda h: f32(h[1]), reverse=True)
        rels = [judged.get(d, 0) for d, _ in ranked]
        num_rel = sum(1 for r in judged.values() if r >= 1)
        ideal = sorted((r for r in judged.values() if r > 0), reverse=True)
        for k in cutoffs:
            top = rels[:k]
            dcg = sum(r / math.log2(i + 2) for i, r in enumerate(top) if r > 0)
            idcg = sum(r / math.log2(i + 2) for i, r in enumerate(ideal[:k]))
            totals[f'ndcg_cut_{k}'] += dcg / idcg if idcg > 0 else 0
            hits, ap = 0, 0.0
            first = 0
            for i, r in enumerate(top):
                if r >= 1:
                    hits += 1
                    ap += hits / (i + 1)
                    first = first or i + 1
            totals[f'map_cut_{k}'] += ap / num_rel if num_rel else 0
            totals[f'recall_{k}'] += hits / num_rel if num_rel else 0
            totals[f'P_{k}'] += hits / k
            totals[f'recip_rank_{k}'] += 1 / first if first else 0
    for name in sorted(totals):
        print(f'{name:<16}all\t{totals[name] / len(qrels):.4f}')


if __name__ == '__main__':
    main()
