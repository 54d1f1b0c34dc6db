"""What every panel shares: the draw skeleton, an error area that keeps the last good figure on
screen, the layout (controls beside the figure, wrapping below it on a narrow page) and a reset
button."""

from __future__ import annotations

import contextlib
import html

import ipywidgets as widgets
from IPython.display import display

from ._plots import widget

#: the panels' layout rules: the controls column keeps its width, the figure takes the rest of the
#: row and, on a page too narrow for both, moves below the controls; a figure wider than its box
#: scrolls inside it, so no panel reaches past the visible area
CSS = """<style>
.ddm-panel { max-width: 100%; box-sizing: border-box; overflow: hidden; }
.ddm-row { display: flex; flex-flow: row wrap; align-items: flex-start; max-width: 100%; }
.ddm-controls { flex: 0 0 350px; max-width: 100%; overflow: hidden; }
.ddm-controls .widget-html-content { white-space: normal; line-height: 1.35; }
.ddm-figure { flex: 1 1 560px; min-width: 0; max-width: 100%; overflow-x: auto; overflow-y: hidden; }
.ddm-figure .js-plotly-plot { width: 100% !important; min-width: 520px; }
.ddm-message .widget-html-content { white-space: normal; }
</style>"""
#: width of a control (its label included)
CONTROL_WIDTH = "340px"

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
        self.figure_box.add_class("ddm-figure")
        self._layout = None
        self._holding = False
        self.reset = widgets.Button(description="Reset", icon="undo", tooltip="put this panel's controls back to their defaults",
                                    layout=dict(width="90px"))
        self.reset.add_class("ddm-reset")
        self.reset.on_click(lambda _: self.run(self._reset))

    def _assemble(self, controls: list, css: str):
        """The panel's widget: its controls (a column, the reset button last) beside its figure,
        the message area below."""
        column = widgets.VBox([*controls, self.reset])
        column.add_class("ddm-controls")
        row = widgets.HBox([column, self.figure_box])
        row.add_class("ddm-row")
        self.widget = widgets.VBox([widgets.HTML(CSS), row, self.message])
        self.widget.add_class("ddm-panel")
        self.widget.add_class(css)

    # controls -------------------------------------------------------------------------------
    def _defaults(self) -> dict:
        """The panel's own controls and their default values (the reset button restores them)."""
        return {}

    @contextlib.contextmanager
    def _hold(self):
        """Control changes inside this block do not redraw (one draw after it)."""
        self._holding = True
        try:
            yield
        finally:
            self._holding = False

    def _redraw(self, *_):
        """A control changed: redraw, unless inside :meth:`_hold`."""
        if not self._holding:
            self.run(self._draw)

    def _reset(self):
        """Put the controls back to :meth:`_defaults` and draw once."""
        with self._hold():
            for w, value in self._defaults().items():
                w.value = value
        self._draw()

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
        """Call fn; show a user error in the message area instead of raising. True on success.
        The message is cleared before the call, so an error of a call made inside fn (a redraw the
        new network triggers) stays on screen."""
        self._ok()
        try:
            fn(*args, **kw)
        except USER_ERRORS as err:
            self._fail(err)
            return False
        return True

    def _ipython_display_(self):
        display(self.widget)


def slider(name, spec, css, tooltip=""):
    """A float slider labelled ``name`` with a tooltip; ``spec`` is (min, max, step, default)."""
    lo, hi, step, default = spec
    w = widgets.FloatSlider(value=default, min=lo, max=hi, step=step, description=name, tooltip=tooltip or name,
                            continuous_update=False, readout_format=".2f", style=dict(description_width="150px"),
                            layout=dict(width=CONTROL_WIDTH))
    w.add_class(css)
    return w


def labelled(w, tooltip, css=None, width="150px"):
    """Give a control a tooltip, the panels' label width and (optionally) a CSS class."""
    w.tooltip = tooltip
    if hasattr(w, "style") and hasattr(w.style, "description_width"):
        w.style.description_width = width
    if not isinstance(w, (widgets.Button, widgets.ToggleButtons)):
        w.layout.width = CONTROL_WIDTH
    if css:
        w.add_class(css)
    return w
