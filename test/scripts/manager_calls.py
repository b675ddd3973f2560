"""Three workers use a Manager's dict and list: worker w makes (w+1) dict writes,
2 list appends and one len() call. argv[1] = start method (default fork)."""
import multiprocessing as mp
import sys


def work(d, items, wid):
    for i in range(wid + 1):
        d[f"{wid}-{i}"] = i
    items.append(wid)
    items.append(wid * 10)
    len(items)


if __name__ == "__main__":
    ctx = mp.get_context(sys.argv[1] if len(sys.argv) > 1 else "fork")
    with ctx.Manager() as manager:
        shared_dict = manager.dict()
        shared_list = manager.list()
        ps = [ctx.Process(target=work, args=(shared_dict, shared_list, w), name=f"caller-{w}") for w in range(3)]
        for p in ps:
            p.start()
        for p in ps:
            p.join()
        print(len(shared_dict), sorted(shared_list))
