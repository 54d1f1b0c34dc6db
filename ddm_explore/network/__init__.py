"""The rate network: parameters, connectivity modes, latent drift and diffusion."""

from ._network import CONNECTIVITIES as CONNECTIVITIES
from ._network import NOISE_MODES as NOISE_MODES
from ._network import Network as Network
from ._network import make_embedding as make_embedding
from ._features import DenseRows as DenseRows
from ._features import SparseRows as SparseRows
from ._features import row_supports as row_supports
