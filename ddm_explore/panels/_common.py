"""What every panel shares: an error area that keeps the last good figure on screen."""

from __future__ import annotations

import html

import ipywidgets as widgets

#: errors a panel shows instead of raising: bad values from the user
USER_ERRORS = (ValueError, FloatingPointError)


class Panel:
    """Base of the panels: ``widget`` (to display), ``message`` (errors), ``result`` (xarray)."""

    css = "ddm-panel"

    def __init__(self, state):
        self.state = state
        self.result = None
        self.message = widgets.HTML(value="")
        self.message.add_class("ddm-message")
        self.error = None

    def _ok(self):
        self.error = None
        self.message.value = ""

    def _fail(self, err):
        self.error = f"{type(err).__name__}: {err}"
        self.message.value = f'<span style="color:#b00020">{html.escape(self.error)} (showing the last good state)</span>'

    def run(self, fn, *args, **kw):
        """Call fn; show a user error in the message area instead of raising. True on success."""
        try:
            fn(*args, **kw)
        except USER_ERRORS as err:
            self._fail(err)
            return False
        self._ok()
        return True

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)


def slider(name, spec, css):
    lo, hi, step, default = spec
    w = widgets.FloatSlider(value=default, min=lo, max=hi, step=step, description=name,
                            continuous_update=False, readout_format=".2f")
    w.add_class(css)
    return w
