"""Progress bars (tqdm.auto renders as a widget in Jupyter, as text elsewhere)."""

from __future__ import annotations

import contextlib

from tqdm.auto import tqdm


@contextlib.contextmanager
def progress_bar(enabled: bool, total: int, desc: str):
    """Yield an object with ``update(n)``; a no-op when ``enabled`` is False."""
    if not enabled:
        class _Null:
            def update(self, n=1):
                pass

            def set_postfix_str(self, s):
                pass

        yield _Null()
        return
    bar = tqdm(total=total, desc=desc, leave=False)
    try:
        yield bar
    finally:
        bar.close()
