#!/usr/bin/env python
"""The pipeline benchmark the issue names: the same run as `bench/pages.py` (board, client list,
client page, analytics and the dashboard). Usage: DEBUG=1 python bench/pipeline.py 1000 10000"""

import runpy
from pathlib import Path

if __name__ == "__main__":
    runpy.run_path(str(Path(__file__).with_name("pages.py")), run_name="__main__")
