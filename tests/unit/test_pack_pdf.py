"""The pack's PDF needs Debian's chromium: without it, --pdf stops before any page is built,
saying how to install it (the printing itself is tested on a built pack in
tests/integration/test_pack.py)."""

from __future__ import annotations

import pytest

from csc_workbench.pack.pdf import CHROMIUM, PdfError, check_printer


def test_printing_needs_chromium(tmp_path) -> None:
    with pytest.raises(PdfError, match=r"no-chromium not found: run scripts/install_system_deps.sh"):
        check_printer(tmp_path / "no-chromium")


def test_printing_is_possible_here() -> None:
    check_printer(CHROMIUM)  # Debian's chromium, Playwright and pypdf are installed (make test installs them)
