"""Analysis: limit cycles, metrics, fixed points, transitions, decompositions (pure, xarray out)."""

from ._cycles import limit_cycle as limit_cycle
from ._lyapunov import lyapunov_exponent as lyapunov_exponent
from ._metrics import power_spectrum_distance as power_spectrum_distance
from ._metrics import state_space_divergence as state_space_divergence
from ._metrics import stationary_distance as stationary_distance
from ._fixed_points import fixed_points as fixed_points
from ._drift_field import drift_field as drift_field
from ._drift_field import drift_error_field as drift_error_field
from ._transitions import attractor_labels as attractor_labels
from ._transitions import recall_accuracy as recall_accuracy
from ._transitions import transitions as transitions
from ._connectivity import asymmetry_index as asymmetry_index
from ._connectivity import decompose_connectivity as decompose_connectivity
from ._decompose_network import decompose_network as decompose_network
from ._decompose_network import scale_irreversible as scale_irreversible
from ._irreversibility import effective_latent_fields as effective_latent_fields
from ._irreversibility import irreversibility as irreversibility
from ._irreversibility import linear_irreversibility as linear_irreversibility
from ._trajectory_estimators import coarse_grain as coarse_grain
from ._trajectory_estimators import lagged_covariance as lagged_covariance
from ._trajectory_estimators import markov_entropy_production as markov_entropy_production
from ._time_scale import propose_time_scale as propose_time_scale
from ._pca import reduce_neurons as reduce_neurons
