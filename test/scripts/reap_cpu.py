"""Two spawn children and one subprocess Python each burn 0.1 s of CPU; the main process reaps them
(join, subprocess.run), then prints on stderr the CPU its children used as its own rusage tells it
(RUSAGE_CHILDREN: all of it, their teardown included). Prints "done" on stdout."""
import multiprocessing as mp
import resource
import subprocess
import sys
import time

BURN = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.1: pass\n"


def burn():
    t = time.process_time()
    while time.process_time() - t < 0.1:
        pass


if __name__ == "__main__":
    ps = [mp.get_context("spawn").Process(target=burn, name="burner-%d" % i) for i in range(2)]
    for p in ps:
        p.start()
    for p in ps:
        p.join()
    mp_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-c", BURN], check=True)
    all_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    print("done")
    print("children %.4f %.4f" % (mp_cpu.ru_utime + mp_cpu.ru_stime, all_cpu.ru_utime + all_cpu.ru_stime), file=sys.stderr)
