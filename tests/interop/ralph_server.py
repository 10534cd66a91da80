"""Start Ralph's xAPI LRS (``ralph-malph``) for the tests: run with ``.venv-ralph/bin/python``,
never imported by pytest (Ralph lives in a venv of its own: its pins would downgrade ours).

Usage: ``python ralph_server.py HOST PORT`` with ``RALPH_*`` variables set (the fixture in
``conftest.py`` does). The same as ``ralph runserver -b fs`` except two things:
uvicorn runs in this process without ``--reload`` (so stopping the PID stops the server),
and Ralph 5.1.0's file backend appends to its statements file instead of refusing every
write after the first ("fs_lrs.jsonl already exists and overwrite is not allowed"): its
default operation creates the file, so only the first POST to a fresh store succeeded.
"""
import sys

import uvicorn
from ralph.backends.data.base import BaseOperationType
from ralph.backends.data.fs import FSDataBackend

FSDataBackend.default_operation_type = BaseOperationType.APPEND

if __name__ == "__main__":
    uvicorn.run("ralph.api:app", host=sys.argv[1], port=int(sys.argv[2]), log_level="warning")
