"""Coverage-guided fuzzing of every parser of untrusted input (issue 16.1).

``targets.TARGETS`` names each entry point with the errors it may raise;
``engine`` runs them (atheris when installed, else a built-in mutation
fuzzer); ``scripts/fuzz`` is the long run, tests/test_fuzz_budget.py the
small budget CI runs through the same code."""
