"""Programs the benchmarks start as processes of their own (``python -m
tests.benchmarks.programs.NAME ARGS``): servers to send to, and measuring wrappers. They are
modules rather than strings of code so that `make lint` type-checks them against the code they
call (a changed signature or constructor fails there, not on the next `make bench`), and
tests/test_benchmarks_current.py and tests/ui/test_benchmark_programs_gui.py run each once on a
tiny input."""
