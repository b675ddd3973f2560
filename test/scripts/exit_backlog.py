"""Many events just before the end: 12,000 user Locks declared (one `lock`
event each, ~2 MB in all, far more than a socket buffer holds), then "done"
and the end of the process."""
import multiprocessing as mp

if __name__ == "__main__":
    for _ in range(12000):
        lock = mp.Lock()
    print("done", flush=True)
