"""Markup in what the runtime records besides names: a Manager method whose
name is markup (its calls are counted by method), a payload that is markup,
and, through the folder the test puts this file in, file paths that are
markup. The inspector must show all of it as text and run nothing."""
import multiprocessing as mp
from multiprocessing.managers import BaseManager, BaseProxy

EVIL = "<img src=m onerror=alert(8)>"


class Box:
    """A shared object with one method, named EVIL."""


setattr(Box, EVIL, lambda self, x: "<script>window.__pwned=2</script>" + x)


class BoxProxy(BaseProxy):
    """A proxy written by hand (AutoProxy would define a method named EVIL, which Python refuses)."""

    _exposed_ = (EVIL,)

    def call(self, x):
        return self._callmethod(EVIL, (x,))


class EvilManager(BaseManager):
    pass


EvilManager.register("Box", Box, proxytype=BoxProxy)


def work(q):
    q.put("<svg onload=alert(3)>" * 10)


if __name__ == "__main__":
    with EvilManager() as m:
        box = m.Box()
        for _ in range(3):
            answer = box.call("<b>x</b>")
    q = mp.Queue()
    p = mp.Process(target=work, args=(q,), name="worker")
    p.start()
    print(len(q.get()), answer)
    p.join()
