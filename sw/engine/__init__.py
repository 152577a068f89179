"""The engine as software sees it: a job (its registers and the fields of its job word), the
order in which the engine streams a job's matrices, a job's placement in memory, and random
jobs for tests and benchmarks."""
