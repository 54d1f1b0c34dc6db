"""What every panel shares: the draw skeleton and an error area that keeps the last good figure on screen."""

from __future__ import annotations

import html

import ipywidgets as widgets
from IPython.display import display

from ._plots import widget

#: errors a panel shows instead of raising: bad values from the user
USER_ERRORS = (ValueError, FloatingPointError)


class Panel:
    """Base of the panels: ``widget`` (to display), ``message`` (errors), ``result`` (xarray),
    ``figure`` (the plotly FigureWidget, in ``figure_box``).

    :meth:`_draw` is the one draw skeleton: it calls the subclass's hooks ``_compute()`` (library
    calls, returns the result), ``_layout_key(result)`` (what fixes the figure's layout),
    ``_new_figure(result)`` (an empty figure of that layout), ``_fill(fig, result)`` (trace data
    only) and ``_write_readout(result)`` (text beside the figure).
    """

    css = "ddm-panel"

    def __init__(self, state):
        self.state = state
        self.result = None
        self.message = widgets.HTML(value="")
        self.message.add_class("ddm-message")
        self.error = None
        self.figure = None
        self.figure_box = widgets.Box()
        self._layout = None

    # the draw skeleton ----------------------------------------------------------------------
    def _draw(self):
        """Compute; build a new figure when there is none or its layout changed, else update the
        traces of the shown one inside ``batch_update`` (one message to the front end)."""
        res = self._compute()
        layout = self._layout_key(res)
        if self.figure is None or layout != self._layout:
            fig = self._new_figure(res)
            self._fill(fig, res)
            self.figure, self._layout = widget(fig), layout
            self.figure_box.children = [self.figure]
        else:
            with self.figure.batch_update():
                self._fill(self.figure, res)
        self.result = res
        self._write_readout(res)

    def _compute(self):
        """The panel's result (an xarray Dataset, or None when there is nothing to show)."""
        raise NotImplementedError

    def _layout_key(self, result):
        """A value that changes exactly when the figure needs another layout (default: never)."""
        return None

    def _new_figure(self, result):
        """An empty plain Figure with the traces that :meth:`_fill` fills."""
        raise NotImplementedError

    def _fill(self, fig, result):
        """Put the result's data into the traces of ``fig`` (no computation)."""
        raise NotImplementedError

    def _write_readout(self, result):
        """Text readouts beside the figure (default: none)."""

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
        display(self.widget)


def slider(name, spec, css):
    lo, hi, step, default = spec
    w = widgets.FloatSlider(value=default, min=lo, max=hi, step=step, description=name,
                            continuous_update=False, readout_format=".2f")
    w.add_class(css)
    return w
