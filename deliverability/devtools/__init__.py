"""Tools for development, never imported by the running product: what tests, the demo and the
benchmarks need to run offline (a loopback DNS server and its demo zones).

Nothing in the runtime packages imports from here; the demo command and the test and benchmark
fixtures do.
"""
