"""Prints facts about the standard streams in the main process and in a child
(same under Forkscope as without it), and writes through every path."""
import io
import logging
import multiprocessing as mp
import sys


def facts(who):
    out = sys.stdout
    print(who, out is sys.__stdout__, sys.stderr is sys.__stderr__, isinstance(out, io.TextIOWrapper),
          type(out).__name__, out.fileno(), sys.stderr.fileno(), out.encoding, out.errors, out.line_buffering,
          type(out.buffer).__name__, callable(out.write))
    out.writelines(["%s writelines\n" % who])
    out.buffer.write(b"raw bytes\n")
    out.flush()
    logging.basicConfig(format="%(levelname)s %(message)s")
    logging.warning("%s logged", who)


if __name__ == "__main__":
    facts("main")
    for m in sys.argv[1:]:
        p = mp.get_context(m).Process(target=facts, args=(m,))
        p.start()
        p.join()
    print("written:", sys.stdout.write("abc\n"))
