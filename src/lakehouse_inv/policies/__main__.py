"""``python -m lakehouse_inv.policies --input problems.jsonl --output results.jsonl``."""

from __future__ import annotations

import sys

from lakehouse_inv.policies.batch import main

sys.exit(main())
