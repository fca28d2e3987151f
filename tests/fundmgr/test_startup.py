"""Start-up stays light: the data libraries are imported by the functions that use them (the
statement import, the GL check, the transparency dashboard, the spreadsheets and the PDFs), not
by `django.setup()` or the URLconf, which every process, test run and management command pays
for. A new top-level `import pandas` in a module the URLconf reaches fails this test."""

from __future__ import annotations

import os
import subprocess
import sys

HEAVY = ["pandas", "numpy", "pyarrow", "openpyxl", "reportlab"]

LOAD_EVERYTHING = """
import json, sys
import django
django.setup()
from django.urls import get_resolver
get_resolver().url_patterns
import fundmgr.api_urls  # the API router and its OpenAPI schema views
print(json.dumps(sorted(name for name in {heavy} if name in sys.modules)))
"""


def test_setup_and_the_urlconf_import_no_data_library():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "fundmgr.settings"}
    result = subprocess.run(
        [sys.executable, "-c", LOAD_EVERYTHING.format(heavy=HEAVY)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert result.stdout.strip() == "[]", (
        f"imported at start-up: {result.stdout.strip()}; import them in the functions that "
        "use them (python -X importtime shows which module pulls them in)"
    )
