"""The courses tests share the sample-course fixtures of tests/conftest.py."""
