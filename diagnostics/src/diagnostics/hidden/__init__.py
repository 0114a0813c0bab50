"""The hidden tests: probes that run a candidate's problem file inside a sandboxed subprocess.

Nothing here is imported by the scorer's own process except the data generators and the
record models; the probes run only in ``python -m diagnostics.hidden`` (see ``sandbox.py``).
"""
