"""``python -m lakehouse_inv.optimize --input problems.jsonl --output results.jsonl``."""

from __future__ import annotations

import sys

from lakehouse_inv.optimize.batch import main

sys.exit(main())
