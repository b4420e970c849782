#!/usr/bin/env python3
"""Xapian side of scripts/bench/compare-engines.js: BM25Weight(k1=0.9, k2=0, k3=1, b=0.4),
Porter stemmer (Xapian's "porter", the original algorithm), Xapian's English-ish term generator,
OR queries. Two query modes: "default" (get_mset(0, k), which may stop early once the remaining
documents cannot enter the top k) and "exhaustive" (checkatleast = every document, so that every
match is scored). Prints one JSON line. Needs Debian's python3-xapian (run with /usr/bin/python3).
Usage: xapian_bench.py corpus.tsv index_dir run_file passes warmup name=queries.tsv [name=queries.tsv ...]
(the run file holds the first query set's default top-100)."""
import json
import os
import sys
import time

import xapian

corpus, index_dir, run_file, passes, warmup = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
query_sets = [arg.split('=', 1) for arg in sys.argv[6:]]
STOP = 'a an and are as at be but by for if in into is it no not of on or such that the their then there these they this to was will with'.split()
stopper = xapian.SimpleStopper()
for word in STOP:
    stopper.add(word)
stemmer = xapian.Stem('porter')

started = time.perf_counter()
db = xapian.WritableDatabase(index_dir, xapian.DB_CREATE_OR_OVERWRITE)
generator = xapian.TermGenerator()
generator.set_stemmer(stemmer)
generator.set_stopper(stopper)
generator.set_stemming_strategy(xapian.TermGenerator.STEM_ALL)
docs = 0
with open(corpus, encoding='utf8') as f:
    for line in f:
        doc_id, text = line.rstrip('\n').split('\t', 1)
        doc = xapian.Document()
        generator.set_document(doc)
        generator.index_text(text)
        doc.set_data(doc_id)
        db.add_document(doc)
        docs += 1
db.commit()
db.close()
index_seconds = time.perf_counter() - started
size = sum(os.path.getsize(os.path.join(index_dir, f)) for f in os.listdir(index_dir))

db = xapian.Database(index_dir)
enquire = xapian.Enquire(db)
enquire.set_weighting_scheme(xapian.BM25Weight(0.9, 0, 1, 0.4, 0.5))
parser = xapian.QueryParser()
parser.set_stemmer(stemmer)
parser.set_stopper(stopper)
parser.set_stemming_strategy(xapian.QueryParser.STEM_ALL)
parser.set_default_op(xapian.Query.OP_OR)
everything = db.get_doccount()
modes = {'default': lambda k: enquire.get_mset(0, k), 'exhaustive': lambda k: enquire.get_mset(0, k, everything)}


def read_queries(file):
    qids, queries = [], []
    with open(file, encoding='utf8') as f:
        for line in f:
            qid, text = line.rstrip('\n').split('\t', 1)
            qids.append(qid)
            queries.append(parser.parse_query(text, 0))
    return qids, queries


def latency(queries, k, search):
    """p50/p99 in ms: medians over `passes` timed passes, after `warmup` passes."""
    for _ in range(warmup):
        for q in queries:
            enquire.set_query(q)
            search(k)
    p50s, p99s = [], []
    for _ in range(passes):
        times = []
        for q in queries:
            t = time.perf_counter()
            enquire.set_query(q)
            search(k)
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        p50s.append(times[max(0, -(-len(times) * 50 // 100) - 1)])
        p99s.append(times[max(0, -(-len(times) * 99 // 100) - 1)])
    return {'p50': sorted(p50s)[passes // 2], 'p99': sorted(p99s)[passes // 2]}


result = {'engine': f'Xapian {xapian.version_string()}', 'docs': docs, 'indexSeconds': index_seconds, 'compactSeconds': None, 'indexBytes': size, 'memoryBytes': None, 'latency': {}}
for position, (name, file) in enumerate(query_sets):
    qids, queries = read_queries(file)
    result['latency'][name] = {mode: {str(k): latency(queries, k, search) for k in (10, 100)} for mode, search in modes.items()}
    if position == 0:
        with open(run_file, 'w', encoding='utf8') as run:
            for qid, q in zip(qids, queries):
                enquire.set_query(q)
                for rank, m in enumerate(enquire.get_mset(0, 100), 1):
                    run.write(f'{qid} Q0 {m.document.get_data().decode()} {rank} {m.weight} xapian\n')
print(json.dumps(result))
