"""08 · Manager: shared Python objects through a server process.

`Manager()` starts a *server process* that owns real Python objects (dict,
list, …). Other processes get proxies; every method call on a proxy is a
message to the server and an answer back.

In the inspector, look at:
  * the Processes tree: the extra "manager" process the Manager started;
  * the Flows tab: each worker's calls to the manager (and the answers), by
    method name;
  * the timeline: workers waiting on Manager calls — every access is a round trip.
"""
import multiprocessing as mp


def record(shared, log, wid):
    """Writes into the manager's dict and list through proxies."""
    for i in range(3):
        shared[f"w{wid}-{i}"] = wid * 10 + i
        log.append(f"worker {wid} wrote item {i}")


if __name__ == "__main__":
    with mp.Manager() as manager:
        shared = manager.dict()
        log = manager.list()
        workers = [mp.Process(target=record, args=(shared, log, w), name=f"recorder-{w}") for w in range(3)]
        for p in workers:
            p.start()
        for p in workers:
            p.join()
        print(f"{len(shared)} keys, {len(log)} log lines; first: {log[0]!r}")
