"""The built-in target systems (``ddm.systems``)."""

from ._double_well import double_well as double_well
from ._double_well import kramers_rate as kramers_rate
from ._linear import ornstein_uhlenbeck as ornstein_uhlenbeck
from ._linear import ou_stationary_covariance as ou_stationary_covariance
from ._oscillators import van_der_pol as van_der_pol
from ._ring import ring_centres as ring_centres
from ._ring import ring_potential as ring_potential
from ._ring import ring_wells as ring_wells
from ._oscillators import stuart_landau as stuart_landau
from ._chaotic import LORENZ_EXPONENT as LORENZ_EXPONENT
from ._chaotic import ROSSLER_EXPONENT as ROSSLER_EXPONENT
from ._chaotic import LORENZ96_EXPONENT as LORENZ96_EXPONENT
from ._chaotic import lorenz63 as lorenz63
from ._chaotic import lorenz96 as lorenz96
from ._chaotic import rossler as rossler
from ._multiplicative import multiplicative_ou as multiplicative_ou
from ._multiplicative import multiplicative_ou_density as multiplicative_ou_density
from ._multiplicative import state_dependent_ou as state_dependent_ou
