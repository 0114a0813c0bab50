"""Load-testing tools used by the grader and the benchmark: servers, wrk, open-loop load, nginx."""
