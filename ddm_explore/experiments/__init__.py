"""Experiments: what composes fit + simulate + analysis, each a pure function returning an xarray Dataset.

The paper's experiments (METHOD.md section 7, ``e1_embedding`` ... ``e5_decompositions`` and
``symmetric_vs_asymmetric``) put the quantitative check they support into ``ds.attrs["check"]``
(a one-line text with the numbers rounded to what the science needs) and ``ds.attrs["passed"]``
(1 or 0); their verdict thresholds are keyword arguments. The notebooks of the gallery and
``ddm-explore figures`` call them and plot the result with :mod:`ddm_explore.panels.paper_figures`.
Beside them: the memory sweeps (cued recall, autonomous transitions) over a grid for a target and
its fitted network, cued trials and their read-out, entropy production against c, the embedding
report of a fitted network, and parameter sweeps sharded over JAX devices.
"""

from ._cued_trials import cued_trials as cued_trials
from ._cued_trials import recall_readout as recall_readout
from ._e1_embedding import e1_embedding as e1_embedding
from ._embedding_checks import EmbeddingWarning as EmbeddingWarning
from ._e1_embedding import e1_targets as e1_targets
from ._e2_chaos import e2_nonequilibrium_chaos as e2_nonequilibrium_chaos
from ._e3_recall import e3_associative_memory as e3_associative_memory
from ._e4_sequences import e4_episodic_sequences as e4_episodic_sequences
from ._e5_decompositions import e5_decompositions as e5_decompositions
from ._entropy_production import entropy_production_vs_current as entropy_production_vs_current
from ._memory import recall_sweep as recall_sweep
from ._memory import transition_sweep as transition_sweep
from ._report import embedding_report as embedding_report
from ._sweep import sweep as sweep
from ._symmetric import symmetric_vs_asymmetric as symmetric_vs_asymmetric
from ._grid_run import SerialFallbackWarning as SerialFallbackWarning
from ._grid_run import run_grid as run_grid
