"""ddm_explore: drift–diffusion matching of rate networks to stochastic dynamics."""

from . import analysis as analysis
from . import experiments as experiments
from ._estimates import Estimate as Estimate
from ._estimates import LatentEquationWarning as LatentEquationWarning
from ._estimates import PrivateNoiseWarning as PrivateNoiseWarning
from ._estimates import SampleSizeWarning as SampleSizeWarning
from . import inputs as inputs
from .io import load as load
from .io import save as save
from .matching import ClosedForm as ClosedForm
from .matching import Embedding as Embedding
from .matching import FromData as FromData
from .matching import Optax as Optax
from .matching import Preconditioned as Preconditioned
from .matching import PrivateNoise as PrivateNoise
from .matching import RandomStart as RandomStart
from .matching import WarmStart as WarmStart
from .matching import box as box
from .matching import fit as fit
from .matching import gaussian as gaussian
from .matching import occupation as occupation
from .network import Network as Network
from .network import DenseRows as DenseRows
from .network import SparseRows as SparseRows
from .analysis import reduce_neurons as reduce_neurons
from .sdes import SDE as SDE
from .sdes import CallbackDriftWarning as CallbackDriftWarning
from .analysis import propose_time_scale as propose_time_scale
from .sdes import systems as systems
from .matching import matching_errors as matching_errors
from . import simulation as simulation
from .simulation import AccuracyWarning as AccuracyWarning
from .simulation import Euler as Euler
from .simulation import Heun as Heun
from .simulation import Milstein as Milstein
from .simulation import check_dt as check_dt
from .simulation import simulate as simulate

__version__ = "0.1.0"
from .experiments import sweep as sweep
from .experiments import EmbeddingWarning as EmbeddingWarning
from .experiments import run_grid as run_grid
from .matching import fit_traceable as fit_traceable
