#!/usr/bin/python3
"""FAISS side of bench/knn.ts: exact 1NN (IndexFlatL2) of query.npy among train.npy with the given threads.

Usage: knn_faiss.py TRAIN.npy QUERY.npy THREADS REPEATS OUT_INDICES.npy
Prints one JSON line: build and search seconds per repeat (the first repeat is a warm-up, reported apart).
"""
import json
import sys
import time

import faiss
import numpy as np

train_file, query_file, threads, repeats, out_file = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
faiss.omp_set_num_threads(threads)
train = np.ascontiguousarray(np.load(train_file), dtype=np.float32)
query = np.ascontiguousarray(np.load(query_file), dtype=np.float32)
build, search = [], []
indices = None
for _ in range(repeats + 1):
    t0 = time.perf_counter()
    index = faiss.IndexFlatL2(train.shape[1])
    index.add(train)
    t1 = time.perf_counter()
    _, indices = index.search(query, 1)
    t2 = time.perf_counter()
    build.append(t1 - t0)
    search.append(t2 - t1)
np.save(out_file, indices[:, 0].astype(np.int32))
print(json.dumps({"faiss": faiss.__version__, "threads": faiss.omp_get_max_threads(), "warmup": build[0] + search[0],
                  "build": build[1:], "search": search[1:]}))
