"""`make bench`: every benchmark, one after the other (they share 2 cores; never in parallel)."""

from benchmarks import (
    api_load,
    engine_bench,
    knowledge_bench,
    search_bench,
    staff_bench,
    stream_bench,
    turn_bench,
    understanding_bench,
)


def main() -> None:
    engine_bench.main()
    understanding_bench.main()
    search_bench.main()  # ours beside the plain LangChain pipeline; writes the README table
    turn_bench.main("e5")
    turn_bench.main("use")
    api_load.main(1)
    api_load.main(2)
    knowledge_bench.main(1000)
    staff_bench.main(100_000)
    stream_bench.main()


if __name__ == "__main__":
    main()
